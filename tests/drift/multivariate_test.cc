#include "drift/multivariate.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cstring>
#include <iostream>
#include <nlohmann/json.hpp>
#include <random>
#include <string>
#include <vector>

#include "drift/drift_report.h"
#include "io/csv_reader.h"
#include "drift/elec2_data.h"
#include "testutil/testutil.h"

namespace mlloop::drift {
namespace {

// ---------------------------------------------------------------------------------------
// Helpers


// Whole days (48 rows each) of rows [begin, end): the even-numbered days when `odd` is false.
core::Dataset AlternateDays(const core::Dataset& d, size_t begin, size_t end, bool odd) {
  core::Dataset out = d.Slice(0, 0);
  for (size_t i = begin; i < end; ++i) {
    if ((((i - begin) / 48) % 2 == 1) != odd) continue;
    out.x.insert(out.x.end(), d.Row(i), d.Row(i) + d.n_features);
    out.y.push_back(d.y[i]);
  }
  return out;
}

core::Schema NumericSchema(std::initializer_list<const char*> names) {
  core::Schema schema;
  for (const char* name : names) schema.features.push_back({name, core::FeatureType::kNumeric, {}});
  return schema;
}

// x1 ~ N(0, 1), x2 = sign * x1 + N(0, 0.3^2), x3 ~ N(0, 1): whatever the sign, every marginal
// is the same (x2 ~ N(0, 1.09)); only the correlation of x1 and x2 flips.
core::Dataset Correlated(size_t rows, uint32_t seed, float sign) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> normal(0, 1), noise(0, 0.3f);
  core::Dataset d;
  d.n_features = 3;
  for (size_t i = 0; i < rows; ++i) {
    const float x1 = normal(gen);
    const float x2 = sign * x1 + noise(gen);
    const float x3 = normal(gen);
    d.x.insert(d.x.end(), {x1, x2, x3});
    d.y.push_back(0);
  }
  return d;
}

void ExpectNoNan(const std::string& json) {
  EXPECT_EQ(json.find("NaN"), std::string::npos) << json;
  EXPECT_EQ(json.find("nan"), std::string::npos) << json;
  EXPECT_EQ(json.find("inf"), std::string::npos) << json;
  EXPECT_TRUE(nlohmann::json::accept(json));
}

MultivariateDrift MustCompute(const core::Dataset& reference, const core::Dataset& current,
                              const core::Schema& schema, const MultivariateOptions& options = {}) {
  auto result = ComputeMultivariateDrift(reference, current, schema, options);
  EXPECT_TRUE(result.ok()) << result.status().ToString();
  return result.ok() ? std::move(result).value() : MultivariateDrift{};
}

bool Bits(double a, double b) { return std::memcmp(&a, &b, sizeof(double)) == 0; }

// ---------------------------------------------------------------------------------------
// Elec2

// 1996-97 against 1998: the Victorian columns were an imputed constant early on
// (SOURCE.md) and vary later, and prices moved: any model tells the periods apart, and the
// reference's components reconstruct the later rows badly.
TEST(MultivariateElec2Test, DistantPeriodsSeparate) {
  const auto& d = Elec2();
  ASSERT_EQ(d.rows(), 45312u);
  const core::Dataset reference = d.Slice(0, 10000), current = d.Slice(30000, 40000);
  const auto start = std::chrono::steady_clock::now();
  const MultivariateDrift m = MustCompute(reference, current, Elec2Schema());
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  const auto& dc = m.domain_classifier;
  ASSERT_TRUE(dc.computable) << dc.note;
  std::cout << "[ elec2    ] rows 0..9999 vs 30000..39999: AUC " << *dc.auc << " +- " << *dc.auc_std
            << ", PCA ratio " << m.pca.ratio.value_or(-1) << " (" << m.pca.components
            << " components), " << seconds << " s\n";
  EXPECT_GT(*dc.auc, 0.9);
  EXPECT_TRUE(dc.drift);
  EXPECT_DOUBLE_EQ(dc.threshold, 0.55);  // 10,000 rows a side: the floor, not the null SE
  EXPECT_EQ(dc.rows_per_side, 10000u);
  EXPECT_EQ(dc.fold_auc.size(), 5u);
  ASSERT_FALSE(dc.top_features.empty());
  ASSERT_LE(dc.top_features.size(), 5u);
  double shares = 0;
  for (size_t i = 0; i < dc.top_features.size(); ++i) {
    shares += dc.top_features[i].gain_share;
    if (i > 0) {
      EXPECT_LE(dc.top_features[i].gain_share, dc.top_features[i - 1].gain_share);
    }
  }
  EXPECT_LE(shares, 1 + 1e-9);
  const auto& pca = m.pca;
  ASSERT_TRUE(pca.computable) << pca.note;
  EXPECT_TRUE(pca.drift);
  EXPECT_GT(*pca.ratio, 1.1);
  EXPECT_EQ(pca.features.size(), 6u);
  EXPECT_NE(pca.note.find("day"), std::string::npos) << pca.note;  // categorical: left out
  EXPECT_EQ(pca.reference_rows, 5000u);                            // the calibration half
  EXPECT_EQ(pca.current_rows, 10000u);
  EXPECT_TRUE(m.drift());
}

// Even against odd days of 20160..40319 (210 whole days each, every weekday equally often):
// the same period, interleaved, so neither detector should see a difference. (Even against
// odd *rows* would not do: 48 slots a day is even, so even rows hold the even half-hours
// only, and the classifier rightly separates them by `period` alone.)
TEST(MultivariateElec2Test, InterleavedDaysAreIndistinguishable) {
  const auto& d = Elec2();
  ASSERT_EQ(d.rows(), 45312u);
  const core::Dataset reference = AlternateDays(d, 20160, 40320, false);
  const core::Dataset current = AlternateDays(d, 20160, 40320, true);
  ASSERT_EQ(reference.rows(), 10080u);
  const MultivariateDrift m = MustCompute(reference, current, Elec2Schema());
  const auto& dc = m.domain_classifier;
  ASSERT_TRUE(dc.computable) << dc.note;
  std::cout << "[ elec2    ] alternate days: AUC " << *dc.auc << " +- " << *dc.auc_std
            << ", PCA ratio " << m.pca.ratio.value_or(-1) << "\n";
  EXPECT_LT(*dc.auc, 0.55);
  EXPECT_FALSE(dc.drift);
  ASSERT_TRUE(m.pca.computable) << m.pca.note;
  EXPECT_FALSE(m.pca.drift);
  EXPECT_LT(*m.pca.ratio, 1.1);
  EXPECT_FALSE(m.drift());

  // Row-wise folds let the trees recognise days: a held-out row is scored by its neighbours,
  // which sit in the training folds with its own side's label. That is why folds are blocks.
  MultivariateOptions rows;
  rows.blocks_per_fold = 0;
  const MultivariateDrift leaky = MustCompute(reference, current, Elec2Schema(), rows);
  std::cout << "[ elec2    ] alternate days, row-wise folds: AUC " << *leaky.domain_classifier.auc
            << "\n";
  EXPECT_GT(*leaky.domain_classifier.auc, 0.55);
}

// ---------------------------------------------------------------------------------------
// Why multivariate drift exists

// x2 follows x1 in the reference and -x1 in the current. Every marginal is the same, so
// every per-feature test passes; the joint distribution is plainly different.
TEST(MultivariateTest, CorrelationFlipIsFoundOnlyJointly) {
  const core::Schema schema = NumericSchema({"x1", "x2", "x3"});
  const core::Dataset reference = Correlated(2000, 1, 1), current = Correlated(2000, 2, -1);
  DriftOptions options;
  options.method = Method::kKs;
  options.multivariate = true;
  auto report = ComputeDrift(reference, current, schema, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  EXPECT_EQ(report->features_computable, 3u);
  EXPECT_EQ(report->features_drifted, 0u);
  for (const auto& f : report->features) EXPECT_GT(*f.p_value, 0.05) << f.name;
  EXPECT_FALSE(report->dataset_drift);

  ASSERT_TRUE(report->multivariate.has_value());
  const auto& dc = report->multivariate->domain_classifier;
  ASSERT_TRUE(dc.computable) << dc.note;
  EXPECT_GT(*dc.auc, 0.9);
  EXPECT_TRUE(dc.drift);
  ASSERT_GE(dc.top_features.size(), 2u);
  // The trees split on x1 and x2; x3 carries nothing.
  EXPECT_NE(dc.top_features[0].name, "x3");
  EXPECT_NE(dc.top_features[1].name, "x3");
  const auto& pca = report->multivariate->pca;
  ASSERT_TRUE(pca.computable) << pca.note;
  EXPECT_EQ(pca.components, 2u);  // x1+x2 and x3 explain 98.6%; x1-x2 is the residual
  EXPECT_TRUE(pca.drift);
  EXPECT_GT(*pca.ratio, 3.0);
  EXPECT_TRUE(report->AnyDrift());
  ExpectNoNan(report->ToJson());
}

// Categories are matched by text: the same shares under another coding are no drift.
TEST(MultivariateTest, CategoriesAreMatchedByText) {
  core::Schema schema = NumericSchema({"x"});
  schema.features.push_back({"color", core::FeatureType::kCategorical, {}});
  std::mt19937 gen(5);
  std::normal_distribution<float> normal(0, 1);
  std::bernoulli_distribution red(0.3);
  auto table = [&](bool red_first) {
    core::Dataset d;
    d.n_features = 2;
    d.categories = {{},
                    red_first ? std::vector<std::string>{"red", "blue"}
                              : std::vector<std::string>{"blue", "red"}};
    for (int i = 0; i < 1000; ++i) {
      const bool is_red = red(gen);
      d.x.insert(d.x.end(), {normal(gen), static_cast<float>(is_red == red_first ? 0 : 1)});
      d.y.push_back(0);
    }
    return d;
  };
  const core::Dataset reference = table(true), current = table(false);
  const MultivariateDrift m = MustCompute(reference, current, schema);
  ASSERT_TRUE(m.domain_classifier.computable);
  EXPECT_LT(*m.domain_classifier.auc, 0.55);  // by code alone, color would separate perfectly
  EXPECT_FALSE(m.domain_classifier.drift);
  EXPECT_FALSE(m.pca.computable);  // one numeric feature
}

// ---------------------------------------------------------------------------------------
// Determinism, small samples, options

TEST(MultivariateTest, SameInputsGiveTheSameBits) {
  const core::Schema schema = NumericSchema({"x1", "x2", "x3"});
  const core::Dataset reference = Correlated(600, 3, 1), current = Correlated(700, 4, 1);
  const MultivariateDrift a = MustCompute(reference, current, schema);
  const MultivariateDrift b = MustCompute(reference, current, schema);
  ASSERT_TRUE(a.domain_classifier.computable && b.domain_classifier.computable);
  EXPECT_TRUE(Bits(*a.domain_classifier.auc, *b.domain_classifier.auc));
  ASSERT_EQ(a.domain_classifier.fold_auc.size(), b.domain_classifier.fold_auc.size());
  for (size_t f = 0; f < a.domain_classifier.fold_auc.size(); ++f) {
    EXPECT_TRUE(Bits(a.domain_classifier.fold_auc[f], b.domain_classifier.fold_auc[f]));
  }
  ASSERT_TRUE(a.pca.computable && b.pca.computable);
  EXPECT_TRUE(Bits(*a.pca.current_mean, *b.pca.current_mean));
  EXPECT_TRUE(Bits(*a.pca.reference_mean, *b.pca.reference_mean));
  EXPECT_EQ(a.domain_classifier.rows_per_side, 600u);  // balanced to the smaller side
  // Same distribution: nothing to find.
  EXPECT_FALSE(a.domain_classifier.drift);
  EXPECT_FALSE(a.pca.drift);
  // Another seed is another sample: the AUC moves, a little.
  MultivariateOptions other;
  other.seed = 7;
  const MultivariateDrift c = MustCompute(reference, current, schema, other);
  EXPECT_FALSE(Bits(*a.domain_classifier.auc, *c.domain_classifier.auc));
  EXPECT_NEAR(*a.domain_classifier.auc, *c.domain_classifier.auc, 0.1);
}

TEST(MultivariateTest, LargeTablesAreSubsampled) {
  const core::Schema schema = NumericSchema({"x1", "x2", "x3"});
  const core::Dataset reference = Correlated(3000, 3, 1), current = Correlated(2500, 4, -1);
  MultivariateOptions options;
  options.max_rows_per_side = 1000;
  const MultivariateDrift m = MustCompute(reference, current, schema, options);
  ASSERT_TRUE(m.domain_classifier.computable);
  EXPECT_EQ(m.domain_classifier.rows_per_side, 1000u);
  EXPECT_TRUE(m.domain_classifier.drift);
}

TEST(MultivariateTest, TooFewRowsIsNotComputableNeverNan) {
  const core::Schema schema = NumericSchema({"x1", "x2", "x3"});
  const core::Dataset reference = Correlated(49, 1, 1), current = Correlated(500, 2, -1);
  DriftOptions options;
  options.multivariate = true;
  auto report = ComputeDrift(reference, current, schema, options);
  ASSERT_TRUE(report.ok()) << report.status().ToString();
  const auto& m = *report->multivariate;
  EXPECT_FALSE(m.domain_classifier.computable);
  EXPECT_FALSE(m.domain_classifier.auc.has_value());
  EXPECT_NE(m.domain_classifier.note.find("at least 50 rows"), std::string::npos)
      << m.domain_classifier.note;
  EXPECT_FALSE(m.pca.computable);
  EXPECT_NE(m.pca.note.find("at least 50 rows"), std::string::npos) << m.pca.note;
  EXPECT_FALSE(m.drift());
  EXPECT_FALSE(report->AnyDrift());
  const std::string json = report->ToJson();
  ExpectNoNan(json);
  auto j = nlohmann::json::parse(json);
  EXPECT_TRUE(j["multivariate"]["domain_classifier"]["auc"].is_null());
  EXPECT_TRUE(j["multivariate"]["pca"]["ratio"].is_null());

  // An empty current table: the same, not an error.
  auto empty = ComputeDrift(reference, reference.Slice(0, 0), schema, options);
  ASSERT_TRUE(empty.ok()) << empty.status().ToString();
  EXPECT_FALSE(empty->multivariate->domain_classifier.computable);
  ExpectNoNan(empty->ToJson());
}

// 50 rows a side: a random classifier's mean AUC over five folds of about 10 + 10 rows has a
// standard error of sqrt(21 / 1200 / 5) = 0.059, so 0.55 would flag noise; the threshold
// becomes 0.5 + 3 * 0.059 = 0.677 (a little more: 20 blocks of 2 or 3 rows make folds of
// 9 to 11 rows).
TEST(MultivariateTest, SmallTablesRaiseTheAucThreshold) {
  const core::Schema schema = NumericSchema({"x1", "x2", "x3"});
  const core::Dataset reference = Correlated(50, 1, 1), current = Correlated(50, 2, 1);
  const MultivariateDrift m = MustCompute(reference, current, schema);
  ASSERT_TRUE(m.domain_classifier.computable) << m.domain_classifier.note;
  EXPECT_NEAR(m.domain_classifier.threshold, 0.5 + 3 * std::sqrt(21.0 / 1200 / 5), 0.002);
  EXPECT_NE(m.domain_classifier.note.find("threshold raised"), std::string::npos);
  EXPECT_FALSE(m.domain_classifier.drift);
}

TEST(MultivariateTest, PcaNeedsTwoNumericFeaturesWithVariance) {
  core::Schema schema = NumericSchema({"x"});
  schema.features.push_back({"flag", core::FeatureType::kBoolean, {}});
  core::Dataset d;
  d.n_features = 2;
  for (int i = 0; i < 100; ++i) {
    d.x.insert(d.x.end(), {static_cast<float>(i), static_cast<float>(i % 2)});
    d.y.push_back(0);
  }
  MultivariateDrift m = MustCompute(d, d, schema);
  EXPECT_TRUE(m.domain_classifier.computable);
  EXPECT_FALSE(m.pca.computable);
  EXPECT_NE(m.pca.note.find("two numeric features"), std::string::npos) << m.pca.note;
  EXPECT_NE(m.pca.note.find("flag"), std::string::npos) << m.pca.note;  // left out

  // Two numeric features, both constant in the reference.
  const core::Schema two = NumericSchema({"a", "b"});
  core::Dataset constant;
  constant.n_features = 2;
  for (int i = 0; i < 100; ++i) {
    constant.x.insert(constant.x.end(), {1.0f, 2.0f});
    constant.y.push_back(0);
  }
  m = MustCompute(constant, constant, two);
  EXPECT_FALSE(m.pca.computable);
  EXPECT_NE(m.pca.note.find("constant"), std::string::npos) << m.pca.note;
  EXPECT_FALSE(m.pca.ratio.has_value());
}

// Missing values are imputed with the reference mean: a table with holes still compares.
TEST(MultivariateTest, MissingValuesAreImputed) {
  const core::Schema schema = NumericSchema({"x1", "x2", "x3"});
  core::Dataset reference = Correlated(1000, 1, 1), current = Correlated(1000, 2, 1);
  for (size_t i = 0; i < current.x.size(); i += 7) current.x[i] = std::nanf("");
  const MultivariateDrift m = MustCompute(reference, current, schema);
  ASSERT_TRUE(m.pca.computable) << m.pca.note;
  ASSERT_TRUE(m.domain_classifier.computable);
  EXPECT_TRUE(std::isfinite(*m.pca.current_mean));
}

TEST(MultivariateTest, InvalidOptionsAreRejected) {
  const core::Schema schema = NumericSchema({"x1", "x2", "x3"});
  const core::Dataset d = Correlated(100, 1, 1);
  for (auto mutate : std::vector<void (*)(MultivariateOptions*)>{
           [](MultivariateOptions* o) { o->folds = 1; },
           [](MultivariateOptions* o) { o->rounds = 0; },
           [](MultivariateOptions* o) { o->auc_threshold = 0.4; },
           [](MultivariateOptions* o) { o->pca_variance = 0; },
           [](MultivariateOptions* o) { o->pca_min_ratio = 0.5; },
       }) {
    MultivariateOptions options;
    mutate(&options);
    auto result = ComputeMultivariateDrift(d, d, schema, options);
    ASSERT_FALSE(result.ok());
    EXPECT_EQ(result.status().code(), StatusCode::kInvalidArgument);
  }
}

// ---------------------------------------------------------------------------------------
// The report

TEST(MultivariateReportTest, JsonShape) {
  const core::Schema schema = NumericSchema({"x1", "x2", "x3"});
  const core::Dataset reference = Correlated(500, 1, 1), current = Correlated(500, 2, -1);
  auto off = ComputeDrift(reference, current, schema, {});
  ASSERT_TRUE(off.ok());
  EXPECT_FALSE(off->multivariate.has_value());
  EXPECT_TRUE(nlohmann::json::parse(off->ToJson())["multivariate"].is_null());

  DriftOptions options;
  options.multivariate = true;
  auto on = ComputeDrift(reference, current, schema, options);
  ASSERT_TRUE(on.ok()) << on.status().ToString();
  const std::string text = on->ToJson();
  ExpectNoNan(text);
  const auto j = nlohmann::json::parse(text)["multivariate"];
  EXPECT_EQ(j["drift"], true);
  const auto& dc = j["domain_classifier"];
  for (const char* key : {"computable", "note", "auc", "auc_std", "fold_auc", "threshold", "drift",
                          "rows_per_side", "folds", "top_features"}) {
    EXPECT_TRUE(dc.contains(key)) << key;
  }
  EXPECT_EQ(dc["fold_auc"].size(), 5u);
  EXPECT_TRUE(dc["top_features"][0].contains("name"));
  EXPECT_TRUE(dc["top_features"][0]["gain_share"].is_number());
  const auto& pca = j["pca"];
  for (const char* key : {"computable", "note", "features", "components", "explained_variance",
                          "reference_rows", "current_rows", "reference_mean", "reference_std",
                          "current_mean", "current_std", "ratio", "standard_error", "drift"}) {
    EXPECT_TRUE(pca.contains(key)) << key;
  }
  EXPECT_EQ(pca["features"].size(), 3u);
  // Multivariate drift does not change the per-feature rule.
  EXPECT_EQ(nlohmann::json::parse(text)["dataset_drift"], false);
}

}  // namespace
}  // namespace mlloop::drift
