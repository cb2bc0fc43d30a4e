// Confidence-based performance estimation (CBPE): how well is a binary classifier doing on a
// window of predictions whose labels have not arrived yet? NannyML's method (docs:
// how_it_works/performance_estimation.rst; code: nannyml/performance_estimation/
// confidence_based/metrics.py, nannyml/sampling_error/binary_classification.py). If the
// model's scores are calibrated probabilities, a row with probability p of class 1 is a true
// positive with probability p when predicted positive, a false positive with probability
// 1 - p, and so on; summing these gives the expected confusion matrix of the window, and
// every metric built on it.
//
// Fit() on labelled reference data (rows the model did not train on, from a period where it
// performed as it should):
//  - calibration: NannyML's needs_calibration check (calibration.h), then, if needed, an
//    isotonic regression of the labels on the raw scores (stats/isotonic.h), as sklearn's
//    IsotonicRegression(out_of_bounds="clip"); CbpeOptions::calibration can force it on or off;
//  - the sampling-error components of each metric (below) and its realised value.
//
// Estimate() on a window of n raw scores s_i: predicted class yhat_i = (s_i >= threshold),
// p_i = calibrated s_i (or s_i when not calibrated), and
//   TP = sum_{yhat=1} p_i    FP = sum_{yhat=1} (1 - p_i)
//   FN = sum_{yhat=0} p_i    TN = sum_{yhat=0} (1 - p_i)
//   accuracy  = (TP + TN) / n        precision = TP / (TP + FP)
//   recall    = TP / (TP + FN)       F1 = TP / (TP + (FP + FN) / 2)
//   ROC AUC (NannyML's estimate_roc_auc): order the rows by raw score, highest first;
//     tps_k = p_1 + ... + p_k, fps_k = k - tps_k, with (0, 0) in front; both rounded to 5
//     decimals (np.round); tpr = tps / tps_n, fpr = fps / fps_n; the trapezoid area under
//     (fpr, tpr). Rows with equal raw scores have equal p, so their order does not matter.
//
// Confidence band: value +- band_width standard errors, clipped to [0, 1]; band_width = 3,
// NannyML's SAMPLING_ERROR_RANGE ("should contain the actual value in about 99% of cases",
// how_it_works/estimation_of_standard_error.rst). The standard error of a window of n rows is
// se = spread / sqrt(n * fraction), from the reference, by one of two methods:
//  - BandMethod::kStandardErrorOfMean (default; NannyML since 0.5.3): the standard error of
//    the mean of observation-level metrics on the reference (np.std, ddof = 0), where, with
//    yhat from the raw score and y the label:
//      accuracy:  1[y == yhat] over all rows;                     fraction = 1
//      precision: 1[y == 1] over rows with yhat = 1;              fraction = their share
//      recall:    1[yhat == 1] over rows with y = 1;               fraction = their share
//      F1:        c * 1[TP] over TP, FP and FN rows, c = (#TP + #FP + #FN) / (#TP + (#FP +
//                 #FN) / 2);                                       fraction = their share
//      ROC AUC:   with the minority class taken as positive (y and s flipped when mean(y) >
//                 0.5), rows sorted by score (stable), for each positive the number of
//                 negatives ranked below it / #negatives;          fraction = positive share
//                 (NannyML's auroc_sampling_error_components, including its quirk: when the
//                 lowest-ranked row is a positive, it is left out and the others count one
//                 negative too many, which shifts no standard deviation but drops one term)
//  - BandMethod::kReferenceChunks: the reference is cut into consecutive chunks of
//    reference_chunk_size rows (a trailing partial chunk is dropped), the metric's realised
//    value is computed in each chunk where it is defined, and spread = std of those values
//    (ddof = 0) * sqrt(chunk size), fraction = 1: the chunk-to-chunk spread scaled by
//    sqrt(chunk / n). It also sees what the i.i.d. formula cannot, e.g. autocorrelated labels
//    (on Elec2 it is the band that holds; docs/benchmarks/cbpe.md). NannyML before 0.5.3 took
//    the unscaled std of the *estimated* metric across reference chunks; we use the realised
//    one, the quantity the band is meant to contain.
//
// Where we differ from NannyML: it takes the predicted class as a column (y_pred); we derive
// it from the raw score and CbpeOptions::threshold. A metric that is undefined on a window
// (precision with no predicted positive, recall with TP + FN = 0, F1 with TP + (FP + FN) / 2
// = 0, AUC with tps_n or fps_n = 0 after rounding) comes back with defined = false, value 0
// and the band [0, 1], where NannyML gives NaN. The calibration check uses our own split
// generator (calibration.h).
//
// tests/drift/cbpe_test.cc checks all of this against a NumPy implementation of NannyML's
// formulas (tests/drift/fixtures/cbpe_make_fixtures.py), coverage on calibrated synthetic
// data, and Elec2; docs/benchmarks/cbpe.md has the Elec2 evaluation.
//
// Thread-safety: an immutable value after Fit()/Deserialize(); Estimate() is const and may
// run on several threads at once.
//
// Example (also a test, CbpeTest.HeaderExample):
//   MLLOOP_ASSIGN_OR_RETURN(auto cbpe, CbpeEstimator::Fit(ref_scores, ref_labels, {}));
//   MLLOOP_ASSIGN_OR_RETURN(CbpeEstimate e, cbpe.Estimate(window_scores));
//   const MetricEstimate& acc = e[CbpeMetric::kAccuracy];
//   if (acc.defined && acc.upper < acc.reference) Alert("accuracy dropped", acc.value);
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "drift/calibration.h"
#include "stats/isotonic.h"

namespace mlloop::drift {

enum class CbpeMetric : uint8_t { kAccuracy = 0, kPrecision, kRecall, kF1, kRocAuc };
inline constexpr size_t kCbpeMetricCount = 5;
inline constexpr std::array<CbpeMetric, kCbpeMetricCount> kCbpeMetrics = {
    CbpeMetric::kAccuracy, CbpeMetric::kPrecision, CbpeMetric::kRecall, CbpeMetric::kF1,
    CbpeMetric::kRocAuc};

// The names stats::ComputeMetric uses: "accuracy", "precision", "recall", "f1", "auc".
std::string_view CbpeMetricName(CbpeMetric metric);

enum class CalibrationMode : uint8_t {
  kAuto = 0,    // NannyML: calibrate when CheckCalibration() says it is needed
  kAlways = 1,  // always fit and apply the isotonic calibrator
  kNever = 2,   // read the raw scores as probabilities
};

enum class BandMethod : uint8_t {
  kStandardErrorOfMean = 0,  // NannyML's definition (see the file comment)
  kReferenceChunks = 1,      // chunk-to-chunk spread of the realised metric on the reference
};

struct CbpeOptions {
  double threshold = 0.5;  // predicted class 1 when raw score >= threshold; in [0, 1]
  CalibrationMode calibration = CalibrationMode::kAuto;
  double band_width = 3.0;  // standard errors on each side; NannyML's 3; finite, > 0
  BandMethod band = BandMethod::kStandardErrorOfMean;
  size_t reference_chunk_size = 336;          // kReferenceChunks only: rows per chunk, >= 2
  CalibrationCheckOptions calibration_check;  // kAuto only

  // InvalidArgument naming the bad option.
  Status Validate() const;
};

// One metric on one window. Never NaN.
struct MetricEstimate {
  bool defined = false;       // false: undefined on this window; value 0, band [0, 1]
  double value = 0;           // the CBPE estimate
  double standard_error = 0;  // for this window's size
  double lower = 0;           // max(0, value - band_width * standard_error)
  double upper = 0;           // min(1, value + band_width * standard_error)
  double reference = 0;       // realised on the reference rows (with their labels)
};

// The expected confusion matrix of a window (sums of calibrated probabilities).
struct ExpectedConfusion {
  double tp = 0, fp = 0, fn = 0, tn = 0;
};

struct CbpeEstimate {
  size_t rows = 0;
  ExpectedConfusion confusion;
  std::array<MetricEstimate, kCbpeMetricCount> metrics;
  const MetricEstimate& operator[](CbpeMetric m) const { return metrics[static_cast<size_t>(m)]; }
};

// Realised metrics of labelled rows at a threshold (what CBPE estimates, once the labels are
// in): confusion counts from (score >= threshold), ROC AUC of the raw scores with ties
// averaged (stats::RocAuc, as sklearn's roc_auc_score). nullopt where a denominator is 0
// (precision without predicted positives, recall without positives, F1 with TP = FP = FN = 0,
// AUC with one class). InvalidArgument on size mismatch, no rows, a non-finite score or a
// label other than 0/1.
struct RealizedMetrics {
  std::array<std::optional<double>, kCbpeMetricCount> metrics;
  const std::optional<double>& operator[](CbpeMetric m) const {
    return metrics[static_cast<size_t>(m)];
  }
};
Result<RealizedMetrics> ComputeRealizedMetrics(std::span<const float> scores,
                                               std::span<const float> labels, double threshold);

class CbpeEstimator {
 public:
  // Fits on reference rows: raw scores (probability of class 1, in [0, 1]) and their 0/1
  // labels, in time order (kReferenceChunks cuts chunks in this order).
  // InvalidArgument when the options are invalid, the sizes differ, a score is NaN or outside
  // [0, 1], a label is not 0 or 1, the reference has fewer than 2 rows of either class, no
  // row is predicted positive at the threshold (precision would be undefined), or, with
  // kReferenceChunks, a metric is defined in fewer than 2 reference chunks.
  static Result<CbpeEstimator> Fit(std::span<const float> reference_scores,
                                   std::span<const float> reference_labels,
                                   const CbpeOptions& options = {});

  // Estimates every metric on a window of raw scores (no labels). InvalidArgument when the
  // window is empty or a score is NaN or outside [0, 1] (the message gives the row).
  Result<CbpeEstimate> Estimate(std::span<const float> scores) const;

  // The probability CBPE reads for a raw score: the isotonic fit when calibrated(), the score
  // itself otherwise. REQUIRES: score in [0, 1].
  double Calibrate(float score) const;

  // Versioned, checksummed bytes holding everything Estimate() needs (options except
  // calibration_check, the calibration, the per-metric components, the reference values).
  std::string Serialize() const;
  // DataLoss on truncated, corrupt or inconsistent bytes; FailedPrecondition on bytes of
  // another format version.
  static Result<CbpeEstimator> Deserialize(std::string_view bytes);

  const CbpeOptions& options() const { return options_; }
  // Whether Estimate() applies the isotonic calibrator, and why (calibration_check().reason
  // is kOption when CbpeOptions::calibration was not kAuto).
  bool calibrated() const { return calibrator_.has_value(); }
  const CalibrationCheck& calibration_check() const { return check_; }
  const std::optional<stats::IsotonicRegression>& calibrator() const { return calibrator_; }
  size_t reference_rows() const { return reference_rows_; }
  // Realised on the reference rows; all defined (Fit() guarantees it).
  double reference_value(CbpeMetric m) const {
    return components_[static_cast<size_t>(m)].reference;
  }
  // The standard error for a window of `rows` rows (what Estimate() uses). REQUIRES: rows > 0.
  double StandardError(CbpeMetric m, size_t rows) const;

 private:
  struct Component {
    double spread = 0;     // se(n) = spread / sqrt(n * fraction)
    double fraction = 1;   // in (0, 1]
    double reference = 0;  // realised value on the reference
  };

  CbpeEstimator() = default;

  CbpeOptions options_;
  size_t reference_rows_ = 0;
  CalibrationCheck check_;
  std::optional<stats::IsotonicRegression> calibrator_;
  std::array<Component, kCbpeMetricCount> components_{};
};

}  // namespace mlloop::drift
