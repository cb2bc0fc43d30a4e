#include "stats/bootstrap.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "stats/fixtures.h"

namespace mlloop::stats {
namespace {

// Reference values: tests/stats/fixtures/make_validation_fixtures.py implements the
// resampling contract of bootstrap.h in Python (splitmix64 + xoshiro256**, Below, strata),
// the metrics as stats/metrics.cc computes them, and the interval with
// numpy.quantile(method="linear") (NumPy 1.24.2).
const nlohmann::json& Fixture() {
  static const nlohmann::json fixture = testutil::LoadStatsFixture("validation_scipy.json");
  return fixture;
}

uint64_t U64(const nlohmann::json& decimal) { return std::stoull(decimal.get<std::string>()); }

TEST(BootstrapRngTest, MatchesReferenceStreams) {
  ASSERT_GE(Fixture()["rng_next"].size(), 4u);
  for (const auto& c : Fixture()["rng_next"]) {
    BootstrapRng rng(U64(c["seed"]));
    for (const auto& want : c["next"]) EXPECT_EQ(rng.Next(), U64(want)) << c["seed"];
  }
  for (const auto& c : Fixture()["rng_below"]) {
    BootstrapRng rng(U64(c["seed"]));
    const uint64_t n = U64(c["n"]);
    for (const auto& want : c["draws"]) EXPECT_EQ(rng.Below(n), U64(want)) << c["n"];
  }
}

TEST(QuantileTest, MatchesNumPyLinear) {
  ASSERT_GE(Fixture()["quantile"].size(), 5u);
  for (const auto& c : Fixture()["quantile"]) {
    const std::string where = c["name"];
    const std::vector<double> values = c["values"];
    double scale = 0;
    for (double v : values) scale = std::max(scale, std::fabs(v));
    for (size_t k = 0; k < c["q"].size(); ++k) {
      const double q = c["q"][k];
      auto got = Quantile(values, q);
      ASSERT_TRUE(got.ok()) << where;
      // The same operations as numpy.quantile: bit-identical.
      EXPECT_EQ(*got, c["quantile"][k].get<double>()) << where << " q=" << q;
      // numpy.percentile(100 q) divides q back by 100, which may move h = (n-1) q by an
      // ulp and the result by that ulp times a gap between order statistics.
      EXPECT_NEAR(*got, c["percentile"][k].get<double>(), 1e-14 * scale) << where << " q=" << q;
    }
  }
}

TEST(QuantileTest, RejectsBadInput) {
  const std::vector<double> v = {1, 2, 3};
  EXPECT_EQ(Quantile(std::vector<double>{}, 0.5).status().code(), StatusCode::kInvalidArgument);
  for (double q : {-0.1, 1.1, double(NAN)}) {
    EXPECT_EQ(Quantile(v, q).status().code(), StatusCode::kInvalidArgument) << q;
  }
  EXPECT_EQ(Quantile(std::vector<double>{1, NAN}, 0.5).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(Quantile(std::vector<double>{1, INFINITY}, 0.5).status().code(),
            StatusCode::kInvalidArgument);
}

BootstrapMetric MetricNamed(const std::string& name) {
  static const std::map<std::string, BootstrapMetric> kByName = {
      {"accuracy", BootstrapMetric::kAccuracy}, {"f1", BootstrapMetric::kF1},
      {"roc_auc", BootstrapMetric::kRocAuc},    {"log_loss", BootstrapMetric::kLogLoss},
      {"rmse", BootstrapMetric::kRmse},         {"mae", BootstrapMetric::kMae}};
  return kByName.at(name);
}

// The replica repeats every operation in the same order, so the values agree to the last
// bit here; the tolerance leaves room for another libm's log (log loss) elsewhere.
double Tol(double want) { return 1e-12 * std::max(1.0, std::fabs(want)); }

TEST(PairedBootstrapTest, MatchesPythonReplicaOfTheContract) {
  ASSERT_GE(Fixture()["bootstrap"].size(), 6u);
  for (const auto& c : Fixture()["bootstrap"]) {
    const std::string where = c["name"];
    const auto y = testutil::FixtureFloats(c["labels"]);
    const auto a = testutil::FixtureFloats(c["champion"]);
    const auto b = testutil::FixtureFloats(c["candidate"]);
    BootstrapOptions options;
    options.resamples = c["resamples"];
    options.seed = U64(c["seed"]);
    options.level = c["level"];
    const auto sampling = c["stratified"].get<bool>() ? BootstrapSampling::kStratifiedByLabel
                                                      : BootstrapSampling::kRows;
    auto r = PairedBootstrap(y, a, b, MetricNamed(c["metric"]), options, sampling);
    ASSERT_TRUE(r.ok()) << where << ": " << r.status().ToString();
    EXPECT_NEAR(r->champion, c["champion_value"].get<double>(), Tol(c["champion_value"])) << where;
    EXPECT_NEAR(r->candidate, c["candidate_value"].get<double>(), Tol(c["candidate_value"]))
        << where;
    EXPECT_NEAR(r->difference, c["difference"].get<double>(), Tol(c["difference"])) << where;
    ASSERT_EQ(r->replicates.size(), c["replicates"].size()) << where;
    for (size_t k = 0; k < r->replicates.size(); ++k) {
      const double want = c["replicates"][k];
      ASSERT_NEAR(r->replicates[k], want, Tol(want)) << where << " resample " << k;
    }
    EXPECT_NEAR(r->lower, c["lower"].get<double>(), Tol(c["lower"])) << where;
    EXPECT_NEAR(r->upper, c["upper"].get<double>(), Tol(c["upper"])) << where;
    EXPECT_EQ(r->share_better, c["share_better"].get<double>()) << where;
    EXPECT_EQ(r->share_tied, c["share_tied"].get<double>()) << where;
    EXPECT_EQ(r->p_value, c["pvalue"].get<double>()) << where;
    EXPECT_NEAR(r->std_error, c["std_error"].get<double>(), Tol(c["std_error"])) << where;
    EXPECT_EQ(r->resamples, options.resamples);
    EXPECT_EQ(r->better, BetterDirection(MetricNamed(c["metric"])));
  }
}

// Synthetic paired correctness with a known accuracy gap: each row's label is a fair coin;
// the champion is right with probability 0.75, the candidate with 0.80, and on half the
// rows the two share their uniform draw (so errors are correlated, as for two versions of
// one model). The true accuracy difference is 0.05. Data come from BootstrapRng too, so the
// test is the same on every platform.
struct PairedSample {
  std::vector<float> labels, champion, candidate;
};

double Uniform(BootstrapRng& rng) { return static_cast<double>(rng.Next() >> 11) * 0x1.0p-53; }

PairedSample Draw(BootstrapRng& rng, size_t n) {
  PairedSample s;
  for (size_t i = 0; i < n; ++i) {
    const float y = Uniform(rng) < 0.5 ? 1.0f : 0.0f;
    const double u = Uniform(rng);
    const double v = Uniform(rng) < 0.5 ? u : Uniform(rng);
    s.labels.push_back(y);
    s.champion.push_back(u < 0.75 ? y : 1 - y);
    s.candidate.push_back(v < 0.80 ? y : 1 - y);
  }
  return s;
}

TEST(PairedBootstrapTest, PercentileIntervalCoversTheTrueDifference) {
  // 200 seeded data sets of 150 rows, B = 300, nominal 90%. The percentile interval of a
  // difference of means runs slightly short at this n (~89%); with 200 repetitions the
  // binomial sd of the coverage is 0.021, so [0.82, 0.96] is about +-3.3 sd around it.
  constexpr int kRepetitions = 200;
  constexpr double kTrueDifference = 0.05;
  BootstrapRng data_rng(20240611);
  BootstrapOptions options;
  options.resamples = 300;
  options.level = 0.90;
  int covered = 0;
  double mean_estimate = 0;
  for (int rep = 0; rep < kRepetitions; ++rep) {
    const PairedSample s = Draw(data_rng, 150);
    options.seed = static_cast<uint64_t>(rep);
    auto r =
        PairedBootstrap(s.labels, s.champion, s.candidate, BootstrapMetric::kAccuracy, options);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_LE(r->lower, r->upper);
    if (r->lower <= kTrueDifference && kTrueDifference <= r->upper) ++covered;
    mean_estimate += r->difference / kRepetitions;
  }
  const double coverage = static_cast<double>(covered) / kRepetitions;
  EXPECT_GE(coverage, 0.82);
  EXPECT_LE(coverage, 0.96);
  // The point estimate is unbiased: its mean over 200 sets has sd ~0.0025.
  EXPECT_NEAR(mean_estimate, kTrueDifference, 0.01);
}

TEST(PairedBootstrapTest, SameSeedSameResultOtherSeedOtherResamples) {
  BootstrapRng data_rng(7);
  const PairedSample s = Draw(data_rng, 100);
  BootstrapOptions options;
  options.resamples = 200;
  options.seed = 99;
  auto first =
      PairedBootstrap(s.labels, s.champion, s.candidate, BootstrapMetric::kAccuracy, options);
  auto again =
      PairedBootstrap(s.labels, s.champion, s.candidate, BootstrapMetric::kAccuracy, options);
  ASSERT_TRUE(first.ok() && again.ok());
  EXPECT_EQ(first->replicates, again->replicates);
  EXPECT_EQ(first->lower, again->lower);
  EXPECT_EQ(first->upper, again->upper);
  EXPECT_EQ(first->share_better, again->share_better);
  options.seed = 100;
  auto other =
      PairedBootstrap(s.labels, s.champion, s.candidate, BootstrapMetric::kAccuracy, options);
  ASSERT_TRUE(other.ok());
  EXPECT_NE(first->replicates, other->replicates);
  EXPECT_EQ(first->difference, other->difference);  // the point estimate uses no resample
}

TEST(PairedBootstrapTest, CustomMetricAndDirection) {
  // Mean absolute error written as a callback equals the ready-made one, replicate for
  // replicate; lower is better, so a candidate closer to the labels is "better".
  const std::vector<float> y = {1, 2, 3, 4, 5, 6, 7, 8};
  const std::vector<float> a = {1.5f, 2.5f, 2, 5, 4, 7, 6, 9};
  const std::vector<float> b = {1.1f, 2.1f, 2.8f, 4.2f, 5, 6.3f, 7.1f, 8};
  BootstrapOptions options;
  options.resamples = 50;
  options.seed = 3;
  const ArrayMetric mae = [](std::span<const float> labels, std::span<const float> scores) {
    double sum = 0;
    for (size_t i = 0; i < labels.size(); ++i) {
      sum += std::fabs(static_cast<double>(scores[i]) - static_cast<double>(labels[i]));
    }
    return sum / static_cast<double>(labels.size());
  };
  auto custom = PairedBootstrap(y, a, b, mae, Better::kLower, options);
  auto ready = PairedBootstrap(y, a, b, BootstrapMetric::kMae, options);
  ASSERT_TRUE(custom.ok() && ready.ok());
  EXPECT_EQ(custom->replicates, ready->replicates);
  EXPECT_LT(custom->difference, 0);
  EXPECT_GT(custom->share_better, 0.9);
  EXPECT_LT(custom->p_value, 0.1);
}

TEST(PairedBootstrapTest, IdenticalModelsAreAlwaysTied) {
  const std::vector<float> y = {1, 0, 1, 1, 0, 0, 1, 0};
  const std::vector<float> p = {0.9f, 0.4f, 0.3f, 0.8f, 0.6f, 0.1f, 0.7f, 0.2f};
  BootstrapOptions options;
  options.resamples = 40;
  auto r = PairedBootstrap(y, p, p, BootstrapMetric::kLogLoss, options);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->difference, 0.0);
  EXPECT_EQ(r->lower, 0.0);
  EXPECT_EQ(r->upper, 0.0);
  EXPECT_EQ(r->share_better, 0.0);
  EXPECT_EQ(r->share_tied, 1.0);
  EXPECT_EQ(r->p_value, 1.0);
  EXPECT_EQ(r->std_error, 0.0);
}

TEST(BootstrapRowsTest, StrataKeepTheirSizes) {
  // Strata codes out of order and negative; each resample must hold 3, 2 and 4 rows of
  // strata -5, 2 and 9, and only rows of the right stratum.
  const std::vector<int32_t> strata = {9, -5, 2, 9, -5, 9, 2, -5, 9};
  BootstrapOptions options;
  options.resamples = 25;
  int calls = 0;
  const RowStatistic check = [&](std::span<const size_t> rows) {
    ++calls;
    std::map<int32_t, int> count;
    for (size_t r : rows) ++count[strata[r]];
    EXPECT_EQ(rows.size(), strata.size());
    EXPECT_EQ(count[-5], 3);
    EXPECT_EQ(count[2], 2);
    EXPECT_EQ(count[9], 4);
    if (calls > 1) {  // resamples list the strata in ascending code
      EXPECT_TRUE(std::is_sorted(rows.begin(), rows.end(),
                                 [&](size_t x, size_t y) { return strata[x] < strata[y]; }));
    }
    return static_cast<double>(rows[0]);
  };
  auto r = BootstrapRows(strata.size(), strata, check, options);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(calls, 26);  // all rows once, then 25 resamples
  EXPECT_EQ(r->estimate, 0.0);
}

TEST(PairedBootstrapTest, RocAucNeedsBothClassesInEveryResample) {
  // One positive among 30 rows: a plain resample misses it with probability ~0.36.
  std::vector<float> y(30, 0.0f), a(30), b(30);
  y[4] = 1;
  for (size_t i = 0; i < 30; ++i) {
    a[i] = static_cast<float>(i) / 30;
    b[i] = static_cast<float>((i * 7) % 30) / 30;
  }
  BootstrapOptions options;
  options.resamples = 20;
  auto plain = PairedBootstrap(y, a, b, BootstrapMetric::kRocAuc, options);
  EXPECT_EQ(plain.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(plain.status().message().find("kStratifiedByLabel"), std::string::npos)
      << plain.status().message();
  auto stratified = PairedBootstrap(y, a, b, BootstrapMetric::kRocAuc, options,
                                    BootstrapSampling::kStratifiedByLabel);
  EXPECT_TRUE(stratified.ok()) << stratified.status().ToString();
  std::vector<float> all_negative(30, 0.0f);
  auto one_class = PairedBootstrap(all_negative, a, b, BootstrapMetric::kRocAuc, options,
                                   BootstrapSampling::kStratifiedByLabel);
  EXPECT_EQ(one_class.status().code(), StatusCode::kInvalidArgument);
}

TEST(PairedBootstrapTest, RejectsBadInput) {
  const std::vector<float> y = {1, 0, 1, 0};
  const std::vector<float> p = {0.9f, 0.2f, 0.6f, 0.4f};
  BootstrapOptions ok;
  ok.resamples = 10;
  auto code = [](const auto& r) { return r.status().code(); };
  const auto kInvalid = StatusCode::kInvalidArgument;
  const auto kAcc = BootstrapMetric::kAccuracy;
  EXPECT_EQ(code(PairedBootstrap(y, p, std::vector<float>{0.1f}, kAcc, ok)), kInvalid);
  EXPECT_EQ(code(PairedBootstrap(std::vector<float>{}, std::vector<float>{}, std::vector<float>{},
                                 kAcc, ok)),
            kInvalid);
  EXPECT_EQ(code(PairedBootstrap(std::vector<float>{1, 0, 2, 0}, p, p, kAcc, ok)), kInvalid);
  EXPECT_EQ(code(PairedBootstrap(y, std::vector<float>{0.9f, NAN, 0.6f, 0.4f}, p, kAcc, ok)),
            kInvalid);
  EXPECT_EQ(code(PairedBootstrap(y, std::vector<float>{0.9f, 1.2f, 0.6f, 0.4f}, p,
                                 BootstrapMetric::kLogLoss, ok)),
            kInvalid);
  // Regression labels are fine for RMSE, but not stratified by label.
  const std::vector<float> target = {1.5f, -2, 3.25f, 0};
  EXPECT_TRUE(PairedBootstrap(target, p, p, BootstrapMetric::kRmse, ok).ok());
  EXPECT_EQ(code(PairedBootstrap(target, p, p, BootstrapMetric::kRmse, ok,
                                 BootstrapSampling::kStratifiedByLabel)),
            kInvalid);
  for (int resamples : {0, -3}) {
    BootstrapOptions bad = ok;
    bad.resamples = resamples;
    auto r = PairedBootstrap(y, p, p, kAcc, bad);
    EXPECT_EQ(code(r), kInvalid);
    EXPECT_NE(r.status().message().find("resamples"), std::string::npos);
  }
  for (double level : {0.0, 1.0, 2.0, double(NAN)}) {
    BootstrapOptions bad = ok;
    bad.level = level;
    auto r = PairedBootstrap(y, p, p, kAcc, bad);
    EXPECT_EQ(code(r), kInvalid) << level;
    EXPECT_NE(r.status().message().find("level"), std::string::npos);
  }
  // A metric that is not finite is refused: on all rows, or naming the resample.
  const ArrayMetric broken = [](std::span<const float>, std::span<const float> s) {
    return s[0] > 0.5f ? std::nan("") : 0.0;
  };
  auto r = PairedBootstrap(y, std::vector<float>{0.1f, 0.1f, 0.1f, 0.1f}, p, broken,
                           Better::kHigher, ok);
  EXPECT_EQ(code(r), kInvalid);
  EXPECT_NE(r.status().message().find("all rows"), std::string::npos) << r.status().message();
  const RowStatistic first_row_only = [](std::span<const size_t> rows) {
    return rows[0] == 0 ? 1.0 : INFINITY;
  };
  auto rows = BootstrapRows(50, {}, first_row_only, ok);
  EXPECT_EQ(code(rows), kInvalid);
  EXPECT_NE(rows.status().message().find("on resample 0 of 10"), std::string::npos)
      << rows.status().message();
  // BootstrapRows: no rows, strata of the wrong size.
  const RowStatistic zero = [](std::span<const size_t>) { return 0.0; };
  EXPECT_EQ(code(BootstrapRows(0, {}, zero, ok)), kInvalid);
  EXPECT_EQ(code(BootstrapRows(3, std::vector<int32_t>{1, 2}, zero, ok)), kInvalid);
}

}  // namespace
}  // namespace mlloop::stats
