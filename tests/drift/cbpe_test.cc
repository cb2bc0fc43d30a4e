#include "drift/cbpe.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <iostream>
#include <limits>
#include <nlohmann/json.hpp>
#include <random>
#include <span>
#include <string>
#include <vector>

#include "drift/calibration.h"
#include "drift/elec2_data.h"
#include "pipeline/xgb/xgb_model.h"
#include "testutil/testutil.h"

namespace mlloop::drift {
namespace {

// ---------------------------------------------------------------------------------------
// Reference values

// tests/drift/fixtures/cbpe_reference.json, written by cbpe_make_fixtures.py beside it: a
// NumPy implementation of NannyML's CBPE formulas (estimate_* in
// nannyml/performance_estimation/confidence_based/metrics.py, the sampling-error components
// in nannyml/sampling_error/binary_classification.py, SAMPLING_ERROR_RANGE = 3) and of
// nannyml/calibration.py's ECE and needs_calibration (with our split generator), with
// sklearn's IsotonicRegression as the calibrator and sklearn.metrics for realised values
// (scikit-learn 1.2.1, NumPy 1.24.2).
const nlohmann::json& Fixture() {
  static const nlohmann::json fixture = [] {
    const std::string text =
        testutil::ReadFile(testutil::SourcePath("tests/drift/fixtures/cbpe_reference.json"));
    auto json = nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(json.is_discarded()) << "cbpe_reference.json is missing or not JSON";
    return json;
  }();
  return fixture;
}

// decimal -> double -> float: the script wrote float32 values.
std::vector<float> Floats(const nlohmann::json& values) {
  std::vector<float> out;
  for (const auto& v : values) out.push_back(static_cast<float>(v.get<double>()));
  return out;
}

// Tolerances. Metric values, standard errors and bands are ratios of sums of up to 2000
// probabilities: NumPy sums pairwise, we sum in order, so they agree to ~1e-14 relative
// (the expected confusion matrix, sums up to ~250, to ~1e-12 absolute). ECEs are means over
// bins formed the same way. The estimated AUC rounds its cumulative sums to 5 decimals as
// NannyML does; our cumulative sums are formed in NumPy's order, so the rounding agrees.
constexpr double kMetricTol = 1e-12;
constexpr double kConfusionTol = 1e-9;

CbpeOptions CaseOptions(const nlohmann::json& c) {
  CbpeOptions options;
  options.threshold = c["threshold"].get<double>();
  const std::string calibration = c["calibration"];
  options.calibration = calibration == "auto"     ? CalibrationMode::kAuto
                        : calibration == "always" ? CalibrationMode::kAlways
                                                  : CalibrationMode::kNever;
  if (c["band"] == "chunks") {
    options.band = BandMethod::kReferenceChunks;
    options.reference_chunk_size = c["chunk"].get<size_t>();
  }
  return options;
}

// ---------------------------------------------------------------------------------------
// Calibration check

TEST(CalibrationTest, ExpectedCalibrationErrorMatchesNannyml) {
  const auto& cases = Fixture()["ece"];
  ASSERT_GE(cases.size(), 6u);
  for (const auto& c : cases) {
    const auto p32 = Floats(c["probabilities"]);
    const std::vector<double> p(p32.begin(), p32.end());
    const auto y = Floats(c["labels"]);
    auto ece = ExpectedCalibrationError(p, y, c["bins"].get<size_t>());
    ASSERT_TRUE(ece.ok()) << ece.status().ToString();
    EXPECT_NEAR(*ece, c["ece"].get<double>(), kMetricTol) << p.size() << " rows";
  }
}

TEST(CalibrationTest, ExpectedCalibrationErrorRejectsTooFewRows) {
  const std::vector<double> p = {0.1, 0.2, 0.3};
  const std::vector<float> y = {0, 1, 0};
  EXPECT_EQ(ExpectedCalibrationError(p, y).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(ExpectedCalibrationError(p, std::vector<float>{0, 1}).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(CalibrationTest, CheckMatchesNannymlWithOurSplits) {
  const auto& cases = Fixture()["calibration_check"];
  ASSERT_GE(cases.size(), 5u);
  for (const auto& c : cases) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    auto check = CheckCalibration(Floats(c["scores"]), Floats(c["labels"]));
    ASSERT_TRUE(check.ok()) << check.status().ToString();
    EXPECT_EQ(check->needed, c["needed"].get<bool>());
    EXPECT_EQ(CalibrationReasonName(check->reason), c["reason"].get<std::string>());
    EXPECT_NEAR(check->reference_auc, c["auc"].get<double>(), kMetricTol);
    if (c.contains("ece_before")) {
      EXPECT_NEAR(check->ece_before, c["ece_before"].get<double>(), kMetricTol);
      EXPECT_NEAR(check->ece_after, c["ece_after"].get<double>(), kMetricTol);
    }
  }
}

TEST(CalibrationTest, SingleClassIsNeverCalibrated) {
  auto check = CheckCalibration(std::vector<float>{0.1f, 0.7f, 0.4f}, std::vector<float>{1, 1, 1});
  ASSERT_TRUE(check.ok());
  EXPECT_FALSE(check->needed);
  EXPECT_EQ(check->reason, CalibrationCheck::Reason::kSingleClass);
}

// ---------------------------------------------------------------------------------------
// CBPE against NannyML's formulas

TEST(CbpeTest, MatchesNannymlFormulas) {
  const auto& cases = Fixture()["cbpe"];
  ASSERT_GE(cases.size(), 6u);
  for (const auto& c : cases) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    const auto ref_scores = Floats(c["reference_scores"]);
    const auto ref_labels = Floats(c["reference_labels"]);
    auto fit = CbpeEstimator::Fit(ref_scores, ref_labels, CaseOptions(c));
    ASSERT_TRUE(fit.ok()) << fit.status().ToString();
    const CbpeEstimator& cbpe = *fit;
    EXPECT_EQ(cbpe.calibrated(), c["calibrated"].get<bool>());
    if (c["calibration"] == "auto") {
      EXPECT_EQ(cbpe.calibration_check().needed, c["calibration_check"]["needed"].get<bool>());
    }
    for (CbpeMetric m : kCbpeMetrics) {
      const size_t k = static_cast<size_t>(m);
      EXPECT_NEAR(cbpe.reference_value(m), c["reference"][k].get<double>(), kMetricTol)
          << CbpeMetricName(m);
    }
    auto realized = ComputeRealizedMetrics(ref_scores, ref_labels, CaseOptions(c).threshold);
    ASSERT_TRUE(realized.ok());
    for (CbpeMetric m : kCbpeMetrics) {
      ASSERT_TRUE((*realized)[m].has_value());
      EXPECT_NEAR(*(*realized)[m], c["reference"][static_cast<size_t>(m)].get<double>(),
                  kMetricTol);
    }

    for (const auto& w : c["windows"]) {
      const auto scores = Floats(w["scores"]);
      SCOPED_TRACE("window of " + std::to_string(scores.size()));
      auto est = cbpe.Estimate(scores);
      ASSERT_TRUE(est.ok()) << est.status().ToString();
      EXPECT_EQ(est->rows, scores.size());
      EXPECT_NEAR(est->confusion.tp, w["confusion"]["tp"].get<double>(), kConfusionTol);
      EXPECT_NEAR(est->confusion.fp, w["confusion"]["fp"].get<double>(), kConfusionTol);
      EXPECT_NEAR(est->confusion.fn, w["confusion"]["fn"].get<double>(), kConfusionTol);
      EXPECT_NEAR(est->confusion.tn, w["confusion"]["tn"].get<double>(), kConfusionTol);
      for (CbpeMetric m : kCbpeMetrics) {
        const auto& want = w["metrics"][static_cast<size_t>(m)];
        const MetricEstimate& got = (*est)[m];
        SCOPED_TRACE(std::string(CbpeMetricName(m)));
        EXPECT_NEAR(got.reference, c["reference"][static_cast<size_t>(m)].get<double>(),
                    kMetricTol);
        if (want.is_null()) {  // NaN in NannyML
          EXPECT_FALSE(got.defined);
          EXPECT_EQ(got.value, 0.0);
          EXPECT_EQ(got.lower, 0.0);
          EXPECT_EQ(got.upper, 1.0);
          continue;
        }
        EXPECT_TRUE(got.defined);
        EXPECT_NEAR(got.value, want["value"].get<double>(), kMetricTol);
        EXPECT_NEAR(got.standard_error, want["standard_error"].get<double>(), kMetricTol);
        EXPECT_NEAR(got.lower, want["lower"].get<double>(), kMetricTol);
        EXPECT_NEAR(got.upper, want["upper"].get<double>(), kMetricTol);
      }
    }
  }
}

// ---------------------------------------------------------------------------------------
// Synthetic data where the truth is known

struct Synthetic {
  std::vector<float> scores;
  std::vector<float> labels;
};

// Scores s ~ U(0, 1); labels ~ Bernoulli(truth(s)).
template <typename Truth>
Synthetic Draw(size_t n, std::mt19937_64* gen, Truth truth) {
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  std::uniform_real_distribution<double> coin(0.0, 1.0);
  Synthetic out;
  for (size_t i = 0; i < n; ++i) {
    const float s = u(*gen);
    out.scores.push_back(s);
    out.labels.push_back(coin(*gen) < truth(s) ? 1.0f : 0.0f);
  }
  return out;
}

struct WindowStats {
  std::array<double, kCbpeMetricCount> covered{};  // share of windows inside the band
  std::array<double, kCbpeMetricCount> mae{};      // mean |estimate - realised|
};

template <typename Truth>
WindowStats RunWindows(const CbpeEstimator& cbpe, size_t windows, size_t rows, uint64_t seed,
                       Truth truth) {
  std::mt19937_64 gen(seed);
  WindowStats stats;
  std::array<double, kCbpeMetricCount> counted{};
  for (size_t w = 0; w < windows; ++w) {
    const Synthetic window = Draw(rows, &gen, truth);
    auto est = cbpe.Estimate(window.scores);
    auto realized = ComputeRealizedMetrics(window.scores, window.labels, 0.5);
    EXPECT_TRUE(est.ok() && realized.ok());
    if (!est.ok() || !realized.ok()) return stats;
    for (CbpeMetric m : kCbpeMetrics) {
      const size_t k = static_cast<size_t>(m);
      const auto& r = (*realized)[m];
      const MetricEstimate& e = (*est)[m];
      if (!r || !e.defined) continue;
      counted[k] += 1;
      stats.covered[k] += (*r >= e.lower && *r <= e.upper) ? 1 : 0;
      stats.mae[k] += std::abs(e.value - *r);
    }
  }
  for (size_t k = 0; k < kCbpeMetricCount; ++k) {
    stats.covered[k] /= counted[k];
    stats.mae[k] /= counted[k];
  }
  return stats;
}

// Perfectly calibrated scores: the realised value of each window lies within NannyML's band
// (+-3 standard errors, "about 99% of cases") in at least 95% of 300 seeded windows of 500.
TEST(CbpeTest, BandCoversRealisedValuesOnCalibratedScores) {
  std::mt19937_64 gen(2024);
  const auto identity = [](float s) { return static_cast<double>(s); };
  const Synthetic reference = Draw(5000, &gen, identity);
  auto cbpe = CbpeEstimator::Fit(reference.scores, reference.labels, {});
  ASSERT_TRUE(cbpe.ok()) << cbpe.status().ToString();
  const WindowStats stats = RunWindows(*cbpe, 300, 500, 77, identity);
  for (CbpeMetric m : kCbpeMetrics) {
    SCOPED_TRACE(std::string(CbpeMetricName(m)));
    std::cout << CbpeMetricName(m) << ": inside the band in "
              << 100 * stats.covered[static_cast<size_t>(m)] << "% of windows, MAE "
              << stats.mae[static_cast<size_t>(m)] << "\n";
    EXPECT_GE(stats.covered[static_cast<size_t>(m)], 0.95);
  }
  // The realised accuracy of 500 rows has a standard deviation of ~0.018 around the
  // expectation CBPE estimates; its mean absolute error is ~0.8 of that.
  EXPECT_LT(stats.mae[static_cast<size_t>(CbpeMetric::kAccuracy)], 0.02);
}

// Over-confident scores (the truth is s^3): read raw, CBPE overestimates accuracy by
// E[s - s^3 | s >= 0.5] / 2 + E[s^3 - s | s < 0.5] / 2 = 0.03125 (s ~ U(0, 1)); the isotonic
// calibration that NannyML's check asks for removes the bias.
TEST(CbpeTest, CalibrationRemovesTheBiasOfOverconfidentScores) {
  std::mt19937_64 gen(7);
  const auto cubed = [](float s) { return std::pow(static_cast<double>(s), 3.0); };
  const Synthetic reference = Draw(5000, &gen, cubed);
  CbpeOptions raw;
  raw.calibration = CalibrationMode::kNever;
  auto uncalibrated = CbpeEstimator::Fit(reference.scores, reference.labels, raw);
  auto calibrated = CbpeEstimator::Fit(reference.scores, reference.labels, {});
  ASSERT_TRUE(uncalibrated.ok() && calibrated.ok());
  EXPECT_TRUE(calibrated->calibrated());
  EXPECT_EQ(calibrated->calibration_check().reason, CalibrationCheck::Reason::kCompared);
  EXPECT_GT(calibrated->calibration_check().ece_before, calibrated->calibration_check().ece_after);

  const WindowStats before = RunWindows(*uncalibrated, 100, 500, 8, cubed);
  const WindowStats after = RunWindows(*calibrated, 100, 500, 8, cubed);
  const size_t acc = static_cast<size_t>(CbpeMetric::kAccuracy);
  std::cout << "accuracy MAE raw " << before.mae[acc] << ", calibrated " << after.mae[acc] << "\n";
  EXPECT_GT(before.mae[acc], 0.025);
  EXPECT_LT(after.mae[acc], 0.02);
  EXPECT_LT(after.mae[acc], before.mae[acc] / 2);
  EXPECT_GE(after.covered[acc], 0.95);
}

// ---------------------------------------------------------------------------------------
// Elec2

double Correlation(const std::vector<double>& a, const std::vector<double>& b) {
  const double n = static_cast<double>(a.size());
  double ma = 0, mb = 0, sab = 0, saa = 0, sbb = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    ma += a[i] / n;
    mb += b[i] / n;
  }
  for (size_t i = 0; i < a.size(); ++i) {
    sab += (a[i] - ma) * (b[i] - mb);
    saa += (a[i] - ma) * (a[i] - ma);
    sbb += (b[i] - mb) * (b[i] - mb);
  }
  return sab / std::sqrt(saa * sbb);
}

// XGBoost with examples/elec2/model.yaml's trainer, trained on the example's first window
// (rows 0-3999, about twelve weeks); CBPE fitted on the four weeks after (held out); then the
// twenty weeks after that, one window a week, compared with the realised values once the
// labels are revealed. What it gives (deterministic; docs/benchmarks/cbpe.md has the whole
// stream and a retraining loop): accuracy MAE 0.073 calibrated, 0.127 raw; F1 estimates
// correlate 0.64 with the realised F1. The bounds below are loose versions of these.
TEST(CbpeTest, TracksRealisedPerformanceOnElec2) {
  const core::Dataset& data = Elec2();
  ASSERT_EQ(data.rows(), 45312u);
  constexpr size_t kWeek = 336, kTrain = 4000, kReference = 4 * kWeek, kWindows = 20;
  pipeline::TrainOptions train;
  train.rounds = 50;
  train.seed = 42;
  train.params = {{"max_depth", "6"}, {"eta", "0.3"}};
  auto model = pipeline::XgbModel::Train(data, 0, kTrain, train);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  std::vector<float> scores;
  ASSERT_TRUE((*model)->Predict(data.x.data(), data.rows(), data.n_features, &scores).ok());
  const auto span = [](const std::vector<float>& v, size_t begin, size_t count) {
    return std::span<const float>(v).subspan(begin, count);
  };
  const auto ref_scores = span(scores, kTrain, kReference);
  const auto ref_labels = span(data.y, kTrain, kReference);
  auto cbpe = CbpeEstimator::Fit(ref_scores, ref_labels, {});
  ASSERT_TRUE(cbpe.ok()) << cbpe.status().ToString();
  EXPECT_TRUE(cbpe->calibrated());  // XGBoost's probabilities are not calibrated here
  CbpeOptions never;
  never.calibration = CalibrationMode::kNever;
  auto raw = CbpeEstimator::Fit(ref_scores, ref_labels, never);
  ASSERT_TRUE(raw.ok());

  double abs_error = 0, abs_error_raw = 0;
  std::vector<double> f1_est, f1_real;
  for (size_t w = 0; w < kWindows; ++w) {
    const size_t begin = kTrain + kReference + w * kWeek;
    auto est = cbpe->Estimate(span(scores, begin, kWeek));
    auto est_raw = raw->Estimate(span(scores, begin, kWeek));
    ASSERT_TRUE(est.ok() && est_raw.ok());
    auto realized =
        ComputeRealizedMetrics(span(scores, begin, kWeek), span(data.y, begin, kWeek), 0.5);
    ASSERT_TRUE(realized.ok());
    for (CbpeMetric m : kCbpeMetrics) {
      const MetricEstimate& e = (*est)[m];
      ASSERT_TRUE(e.defined) << CbpeMetricName(m) << " in window " << w;
      EXPECT_TRUE(0 <= e.lower && e.lower <= e.value && e.value <= e.upper && e.upper <= 1);
    }
    const double truth = *(*realized)[CbpeMetric::kAccuracy];
    abs_error += std::abs((*est)[CbpeMetric::kAccuracy].value - truth);
    abs_error_raw += std::abs((*est_raw)[CbpeMetric::kAccuracy].value - truth);
    f1_est.push_back((*est)[CbpeMetric::kF1].value);
    f1_real.push_back(*(*realized)[CbpeMetric::kF1]);
  }
  const double mae = abs_error / kWindows, mae_raw = abs_error_raw / kWindows;
  const double f1_corr = Correlation(f1_est, f1_real);
  std::cout << "Elec2, 20 weeks after the reference: accuracy MAE " << mae << " (raw scores "
            << mae_raw << "), F1 correlation " << f1_corr << "\n";
  EXPECT_LT(mae, 0.10);
  EXPECT_LT(mae, mae_raw);
  EXPECT_GT(f1_corr, 0.4);
}

// ---------------------------------------------------------------------------------------
// Contract

Synthetic SmallReference() {
  std::mt19937_64 gen(1);
  return Draw(400, &gen, [](float s) { return static_cast<double>(s); });
}

TEST(CbpeTest, HeaderExample) {
  const Synthetic ref = SmallReference();
  const std::vector<float> window = {0.9f, 0.8f, 0.2f, 0.1f, 0.6f, 0.45f};
  auto cbpe = CbpeEstimator::Fit(ref.scores, ref.labels, {});
  ASSERT_TRUE(cbpe.ok());
  auto e = cbpe->Estimate(window);
  ASSERT_TRUE(e.ok());
  const MetricEstimate& acc = (*e)[CbpeMetric::kAccuracy];
  EXPECT_TRUE(acc.defined);
  EXPECT_LE(acc.lower, acc.value);
  EXPECT_GE(acc.upper, acc.value);
  EXPECT_GT(acc.reference, 0.5);
}

TEST(CbpeTest, RejectsBadReferences) {
  const Synthetic ref = SmallReference();
  const auto code = [](const Result<CbpeEstimator>& r) { return r.status().code(); };
  const auto kInvalid = StatusCode::kInvalidArgument;
  // Size mismatch, empty.
  EXPECT_EQ(code(CbpeEstimator::Fit(ref.scores, std::span<const float>(ref.labels).first(10))),
            kInvalid);
  EXPECT_EQ(code(CbpeEstimator::Fit({}, {})), kInvalid);
  // No positives; a single positive.
  std::vector<float> labels(ref.scores.size(), 0.0f);
  auto r = CbpeEstimator::Fit(ref.scores, labels);
  EXPECT_EQ(code(r), kInvalid);
  EXPECT_NE(r.status().message().find("0 positive"), std::string::npos) << r.status().message();
  labels[3] = 1;
  EXPECT_EQ(code(CbpeEstimator::Fit(ref.scores, labels)), kInvalid);
  // Labels other than 0/1.
  labels = ref.labels;
  labels[5] = 2;
  EXPECT_EQ(code(CbpeEstimator::Fit(ref.scores, labels)), kInvalid);
  // Scores NaN, above 1, below 0.
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), 1.5f, -0.01f,
                    std::numeric_limits<float>::infinity()}) {
    std::vector<float> scores = ref.scores;
    scores[7] = bad;
    auto s = CbpeEstimator::Fit(scores, ref.labels);
    EXPECT_EQ(code(s), kInvalid) << bad;
    EXPECT_NE(s.status().message().find("row 7"), std::string::npos) << s.status().message();
  }
  // Nothing predicted positive at the threshold.
  CbpeOptions high;
  high.threshold = 1.0;
  std::vector<float> below(ref.scores.size(), 0.5f);
  EXPECT_EQ(code(CbpeEstimator::Fit(below, ref.labels, high)), kInvalid);
  // Bad options.
  for (double t : {-0.1, 1.1, std::nan("")}) {
    CbpeOptions o;
    o.threshold = t;
    EXPECT_EQ(code(CbpeEstimator::Fit(ref.scores, ref.labels, o)), kInvalid) << t;
  }
  for (double bw : {0.0, -1.0, std::numeric_limits<double>::infinity(), std::nan("")}) {
    CbpeOptions o;
    o.band_width = bw;
    EXPECT_EQ(code(CbpeEstimator::Fit(ref.scores, ref.labels, o)), kInvalid) << bw;
  }
  CbpeOptions chunks;
  chunks.band = BandMethod::kReferenceChunks;
  chunks.reference_chunk_size = 1;
  EXPECT_EQ(code(CbpeEstimator::Fit(ref.scores, ref.labels, chunks)), kInvalid);
  chunks.reference_chunk_size = 300;  // 400 rows: one chunk only
  auto one_chunk = CbpeEstimator::Fit(ref.scores, ref.labels, chunks);
  EXPECT_EQ(code(one_chunk), kInvalid);
  EXPECT_NE(one_chunk.status().message().find("chunks"), std::string::npos);
}

TEST(CbpeTest, RejectsBadWindowsWithTheRow) {
  const Synthetic ref = SmallReference();
  auto cbpe = CbpeEstimator::Fit(ref.scores, ref.labels, {});
  ASSERT_TRUE(cbpe.ok());
  EXPECT_EQ(cbpe->Estimate({}).status().code(), StatusCode::kInvalidArgument);
  for (float bad : {std::numeric_limits<float>::quiet_NaN(), 1.0001f, -1e-7f,
                    -std::numeric_limits<float>::infinity()}) {
    const std::vector<float> window = {0.2f, 0.4f, bad, 0.9f};
    auto e = cbpe->Estimate(window);
    EXPECT_EQ(e.status().code(), StatusCode::kInvalidArgument) << bad;
    EXPECT_NE(e.status().message().find("row 2"), std::string::npos) << e.status().message();
  }
  // The edges of [0, 1] are fine, and a one-row window gives numbers, not NaN.
  for (const std::vector<float>& window :
       {std::vector<float>{0.0f}, std::vector<float>{1.0f}, std::vector<float>{0.5f}}) {
    auto e = cbpe->Estimate(window);
    ASSERT_TRUE(e.ok()) << e.status().ToString();
    for (CbpeMetric m : kCbpeMetrics) {
      const MetricEstimate& me = (*e)[m];
      EXPECT_FALSE(std::isnan(me.value) || std::isnan(me.lower) || std::isnan(me.upper) ||
                   std::isnan(me.standard_error))
          << CbpeMetricName(m);
      EXPECT_LE(0.0, me.lower);
      EXPECT_LE(me.upper, 1.0);
    }
  }
}

TEST(CbpeTest, ForcedCalibrationModes) {
  const Synthetic ref = SmallReference();
  CbpeOptions always;
  always.calibration = CalibrationMode::kAlways;
  auto a = CbpeEstimator::Fit(ref.scores, ref.labels, always);
  ASSERT_TRUE(a.ok());
  EXPECT_TRUE(a->calibrated());
  EXPECT_EQ(a->calibration_check().reason, CalibrationCheck::Reason::kOption);
  CbpeOptions never;
  never.calibration = CalibrationMode::kNever;
  auto n = CbpeEstimator::Fit(ref.scores, ref.labels, never);
  ASSERT_TRUE(n.ok());
  EXPECT_FALSE(n->calibrated());
  EXPECT_EQ(n->Calibrate(0.37f), static_cast<double>(0.37f));
}

// A band shrinks as 1 / sqrt(n), and the reference-chunks band is the chunk spread at the
// chunk's own size.
TEST(CbpeTest, StandardErrorScalesWithWindowSize) {
  const Synthetic ref = SmallReference();
  auto cbpe = CbpeEstimator::Fit(ref.scores, ref.labels, {});
  ASSERT_TRUE(cbpe.ok());
  for (CbpeMetric m : kCbpeMetrics) {
    EXPECT_NEAR(cbpe->StandardError(m, 100), 2.0 * cbpe->StandardError(m, 400), 1e-15);
  }
  CbpeOptions chunks;
  chunks.band = BandMethod::kReferenceChunks;
  chunks.reference_chunk_size = 100;
  auto by_chunks = CbpeEstimator::Fit(ref.scores, ref.labels, chunks);
  ASSERT_TRUE(by_chunks.ok()) << by_chunks.status().ToString();
  std::vector<double> acc;
  for (size_t b = 0; b < 400; b += 100) {
    auto r = ComputeRealizedMetrics(std::span<const float>(ref.scores).subspan(b, 100),
                                    std::span<const float>(ref.labels).subspan(b, 100), 0.5);
    ASSERT_TRUE(r.ok());
    acc.push_back(*(*r)[CbpeMetric::kAccuracy]);
  }
  double mean = 0, ss = 0;
  for (double v : acc) mean += v / 4;
  for (double v : acc) ss += (v - mean) * (v - mean);
  EXPECT_NEAR(by_chunks->StandardError(CbpeMetric::kAccuracy, 100), std::sqrt(ss / 4), 1e-12);
}

// ---------------------------------------------------------------------------------------
// Serialisation

TEST(CbpeTest, SerializeRoundTripGivesIdenticalEstimates) {
  const Synthetic ref = SmallReference();
  std::mt19937_64 gen(5);
  const Synthetic window = Draw(200, &gen, [](float s) { return static_cast<double>(s); });
  for (CalibrationMode mode : {CalibrationMode::kAlways, CalibrationMode::kNever}) {
    for (BandMethod band : {BandMethod::kStandardErrorOfMean, BandMethod::kReferenceChunks}) {
      CbpeOptions options;
      options.calibration = mode;
      options.band = band;
      options.reference_chunk_size = 100;
      options.threshold = 0.4;
      options.band_width = 2.5;
      auto cbpe = CbpeEstimator::Fit(ref.scores, ref.labels, options);
      ASSERT_TRUE(cbpe.ok());
      const std::string bytes = cbpe->Serialize();
      auto restored = CbpeEstimator::Deserialize(bytes);
      ASSERT_TRUE(restored.ok()) << restored.status().ToString();
      EXPECT_EQ(restored->Serialize(), bytes);
      EXPECT_EQ(restored->calibrated(), cbpe->calibrated());
      EXPECT_EQ(restored->options().threshold, 0.4);
      EXPECT_EQ(restored->options().band, band);
      EXPECT_EQ(restored->reference_rows(), ref.scores.size());
      auto a = cbpe->Estimate(window.scores);
      auto b = restored->Estimate(window.scores);
      ASSERT_TRUE(a.ok() && b.ok());
      for (CbpeMetric m : kCbpeMetrics) {
        EXPECT_EQ((*a)[m].value, (*b)[m].value);
        EXPECT_EQ((*a)[m].lower, (*b)[m].lower);
        EXPECT_EQ((*a)[m].upper, (*b)[m].upper);
        EXPECT_EQ((*a)[m].reference, (*b)[m].reference);
      }
    }
  }
}

TEST(CbpeTest, CorruptBytesAreDataLoss) {
  const Synthetic ref = SmallReference();
  CbpeOptions always;
  always.calibration = CalibrationMode::kAlways;
  auto cbpe = CbpeEstimator::Fit(ref.scores, ref.labels, always);
  ASSERT_TRUE(cbpe.ok());
  const std::string bytes = cbpe->Serialize();
  EXPECT_EQ(CbpeEstimator::Deserialize("").status().code(), StatusCode::kDataLoss);
  for (size_t len = 0; len < bytes.size(); ++len) {
    auto r = CbpeEstimator::Deserialize(std::string_view(bytes).substr(0, len));
    ASSERT_FALSE(r.ok()) << len;
    EXPECT_EQ(r.status().code(), StatusCode::kDataLoss) << len;
  }
  for (size_t pos = 0; pos < bytes.size(); ++pos) {
    std::string bad = bytes;
    bad[pos] = static_cast<char>(bad[pos] ^ 0x10);
    auto r = CbpeEstimator::Deserialize(bad);
    ASSERT_FALSE(r.ok()) << pos;
    // The version byte gives FailedPrecondition (bytes from another mlloop), all else DataLoss.
    EXPECT_EQ(r.status().code(), pos == 4 ? StatusCode::kFailedPrecondition : StatusCode::kDataLoss)
        << pos;
  }
  std::string trailing = bytes + "x";
  EXPECT_EQ(CbpeEstimator::Deserialize(trailing).status().code(), StatusCode::kDataLoss);
}

}  // namespace
}  // namespace mlloop::drift
