#include "stats/metrics.h"

#include <gtest/gtest.h>

#include <cmath>

namespace mlloop::stats {
namespace {

// y and probabilities; at threshold 0.5: tp=2 (rows 3,5) fp=1 (row 1) fn=1 (row 4) tn=2.
const std::vector<float> kY = {0, 0, 0, 1, 1, 1};
const std::vector<float> kP = {0.1f, 0.6f, 0.2f, 0.9f, 0.4f, 0.7f};

TEST(MetricsTest, ConfusionBasedMetrics) {
  EXPECT_NEAR(Accuracy(kY.data(), kP.data(), 6), 4.0 / 6, 1e-12);
  EXPECT_NEAR(Precision(kY.data(), kP.data(), 6), 2.0 / 3, 1e-12);
  EXPECT_NEAR(Recall(kY.data(), kP.data(), 6), 2.0 / 3, 1e-12);
  EXPECT_NEAR(F1(kY.data(), kP.data(), 6), 2.0 / 3, 1e-12);
}

TEST(MetricsTest, RocAucMatchesRankFormula) {
  // scikit-learn's roc_auc_score documentation example: y=[0,0,1,1], s=[.1,.4,.35,.8] -> 0.75.
  std::vector<float> y = {0, 0, 1, 1}, s = {0.1f, 0.4f, 0.35f, 0.8f};
  EXPECT_NEAR(RocAuc(y.data(), s.data(), 4), 0.75, 1e-12);
  // Of the 9 positive/negative pairs, 8 are ordered right (0.4 < 0.6 is not): 8/9.
  EXPECT_NEAR(RocAuc(kY.data(), kP.data(), 6), 8.0 / 9, 1e-12);
  std::vector<float> tie = {0.5f, 0.5f, 0.5f, 0.5f};
  EXPECT_NEAR(RocAuc(y.data(), tie.data(), 4), 0.5, 1e-12);
}

TEST(MetricsTest, ProbabilisticAndRegressionMetrics) {
  std::vector<float> y = {1, 0}, p = {0.8f, 0.3f};
  EXPECT_NEAR(LogLoss(y.data(), p.data(), 2), -(std::log(0.8) + std::log(0.7)) / 2, 1e-6);
  EXPECT_NEAR(Brier(y.data(), p.data(), 2), (0.04 + 0.09) / 2, 1e-6);
  std::vector<float> t = {1, 2, 4}, q = {2, 2, 2};
  EXPECT_NEAR(Rmse(t.data(), q.data(), 3), std::sqrt(5.0 / 3), 1e-12);
  EXPECT_NEAR(Mae(t.data(), q.data(), 3), 1.0, 1e-12);
  EXPECT_NEAR(Mape(t.data(), q.data(), 3), (1.0 + 0 + 0.5) / 3, 1e-12);
}

TEST(MetricsTest, ComputeMetricByNameAndErrors) {
  EXPECT_NEAR(*ComputeMetric("accuracy", kY.data(), kP.data(), 6), 4.0 / 6, 1e-12);
  auto unknown = ComputeMetric("kappa", kY.data(), kP.data(), 6);
  ASSERT_FALSE(unknown.ok());
  EXPECT_NE(unknown.status().message().find("unknown metric 'kappa' (known: accuracy"),
            std::string::npos);
  EXPECT_FALSE(ComputeMetric("rmse", kY.data(), kP.data(), 0).ok());
}

}  // namespace
}  // namespace mlloop::stats
