#include "drift/cbpe.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <utility>

#include "core/hash.h"
#include "stats/metrics.h"
#include "stats/moments.h"

namespace mlloop::drift {

namespace {

// Layout of Serialize(): "MCBP", u8 version, f64 threshold, u8 calibration mode, f64 band
// width, u8 band method, u64 reference chunk size, u64 reference rows, u8 check reason, u8
// check needed, f64 reference AUC, f64 ECE before, f64 ECE after, u8 calibrated, [u32 points,
// points x (f64 x, f64 y)], 5 x (f64 spread, f64 fraction, f64 reference value), and last a
// u64 FNV-1a checksum of every byte before it.
constexpr std::string_view kMagic = "MCBP";
constexpr uint8_t kVersion = 1;
constexpr size_t kChecksumBytes = 8;

// np.std (ddof = 0): two passes, as NumPy computes it.
double PopulationStd(const std::vector<double>& v) {
  if (v.empty()) return 0;
  const double n = static_cast<double>(v.size());
  double sum = 0;
  for (double x : v) sum += x;
  const double mean = sum / n;
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  return std::sqrt(ss / n);
}

// np.round(x, 5): scale, round half to even, scale back.
double Round5(double x) { return std::nearbyint(x * 1e5) / 1e5; }

// Scores must be probabilities: the message names the row, as callers debug windows by row.
Status CheckScores(std::span<const float> scores, std::string_view what) {
  for (size_t i = 0; i < scores.size(); ++i) {
    const float s = scores[i];
    if (!(s >= 0.0f && s <= 1.0f)) {  // false for NaN too
      return Status::InvalidArgument(std::string(what) + ": score at row " + std::to_string(i) +
                                     " is " + std::to_string(s) +
                                     "; scores must be probabilities in [0, 1]");
    }
  }
  return Status::Ok();
}

Status CheckLabels(std::span<const float> labels, std::string_view what) {
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] != 0.0f && labels[i] != 1.0f) {
      return Status::InvalidArgument(std::string(what) + ": label at row " + std::to_string(i) +
                                     " is " + std::to_string(labels[i]) +
                                     "; labels must be 0 or 1");
    }
  }
  return Status::Ok();
}

struct SemComponent {
  double spread = 0;
  double fraction = 1;
};

// NannyML's auroc_sampling_error_components (nannyml/sampling_error/binary_classification.py).
SemComponent AucComponent(std::span<const float> scores, std::span<const float> labels) {
  const size_t n = scores.size();
  double positives = 0;
  for (float y : labels) positives += y;
  const bool flip = positives / static_cast<double>(n) > 0.5;
  std::vector<double> s(n);
  std::vector<uint8_t> y(n);
  for (size_t i = 0; i < n; ++i) {
    s[i] = flip ? 1.0 - static_cast<double>(scores[i]) : static_cast<double>(scores[i]);
    y[i] = static_cast<uint8_t>(flip ? labels[i] == 0.0f : labels[i] == 1.0f);
  }
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) { return s[a] < s[b]; });
  // positive_ranks = y * rank; np.unique(positive_ranks)[1:] drops the 0 that the negatives
  // contribute, and with it a positive ranked first (NannyML's quirk, kept: see cbpe.h).
  std::vector<double> ranks;
  size_t n_pos = 0;
  for (size_t rank = 0; rank < n; ++rank) {
    if (!y[order[rank]]) continue;
    ++n_pos;
    if (rank > 0) ranks.push_back(static_cast<double>(rank));
  }
  const double n_neg = static_cast<double>(n - n_pos);
  std::vector<double> ser(ranks.size());
  for (size_t i = 0; i < ranks.size(); ++i) ser[i] = (ranks[i] - static_cast<double>(i)) / n_neg;
  return {PopulationStd(ser), static_cast<double>(n_pos) / static_cast<double>(n)};
}

// The standard-error-of-the-mean components of every metric (see cbpe.h).
std::array<SemComponent, kCbpeMetricCount> SemComponents(std::span<const float> scores,
                                                         std::span<const float> labels,
                                                         double threshold) {
  const size_t n = scores.size();
  std::vector<double> accuracy, precision, recall, f1_indicator;
  size_t n_tp = 0, n_fp = 0, n_fn = 0;
  for (size_t i = 0; i < n; ++i) {
    const bool yhat = scores[i] >= threshold;
    const bool y = labels[i] == 1.0f;
    accuracy.push_back(y == yhat ? 1.0 : 0.0);
    if (yhat) precision.push_back(y ? 1.0 : 0.0);
    if (y) recall.push_back(yhat ? 1.0 : 0.0);
    if (y && yhat) ++n_tp;
    if (!y && yhat) ++n_fp;
    if (y && !yhat) ++n_fn;
  }
  // F1: TP rows, then FN, then FP (NannyML's concatenation order), each 1[TP] * correction.
  const double relevant = static_cast<double>(n_tp + n_fp + n_fn);
  const double correction =
      relevant / (static_cast<double>(n_fn + n_fp) * 0.5 + static_cast<double>(n_tp));
  f1_indicator.assign(n_tp, correction);
  f1_indicator.resize(n_tp + n_fn + n_fp, 0.0);

  const double dn = static_cast<double>(n);
  std::array<SemComponent, kCbpeMetricCount> out;
  out[static_cast<size_t>(CbpeMetric::kAccuracy)] = {PopulationStd(accuracy), 1.0};
  out[static_cast<size_t>(CbpeMetric::kPrecision)] = {PopulationStd(precision),
                                                      static_cast<double>(precision.size()) / dn};
  out[static_cast<size_t>(CbpeMetric::kRecall)] = {PopulationStd(recall),
                                                   static_cast<double>(recall.size()) / dn};
  out[static_cast<size_t>(CbpeMetric::kF1)] = {PopulationStd(f1_indicator), relevant / dn};
  out[static_cast<size_t>(CbpeMetric::kRocAuc)] = AucComponent(scores, labels);
  return out;
}

// Estimated ROC AUC (NannyML's estimate_roc_auc); nullopt when tps_n or fps_n is 0.
std::optional<double> EstimateRocAuc(std::span<const float> scores, const std::vector<double>& p) {
  const size_t n = scores.size();
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return scores[a] > scores[b]; });
  std::vector<double> tps(n + 1, 0.0), fps(n + 1, 0.0);
  double cumulative = 0;
  for (size_t k = 0; k < n; ++k) {
    cumulative += p[order[k]];
    tps[k + 1] = Round5(cumulative);
    fps[k + 1] = Round5(static_cast<double>(k + 1) - cumulative);
  }
  const double tp_total = tps[n], fp_total = fps[n];
  if (!(tp_total > 0) || !(fp_total > 0)) return std::nullopt;
  double area = 0;
  for (size_t k = 0; k < n; ++k) {
    const double dx = fps[k + 1] / fp_total - fps[k] / fp_total;
    area += dx * (tps[k + 1] / tp_total + tps[k] / tp_total) / 2.0;
  }
  return area;
}

}  // namespace

std::string_view CbpeMetricName(CbpeMetric metric) {
  switch (metric) {
    case CbpeMetric::kAccuracy:
      return "accuracy";
    case CbpeMetric::kPrecision:
      return "precision";
    case CbpeMetric::kRecall:
      return "recall";
    case CbpeMetric::kF1:
      return "f1";
    case CbpeMetric::kRocAuc:
      return "auc";
  }
  return "unknown";
}

Status CbpeOptions::Validate() const {
  if (!(threshold >= 0 && threshold <= 1)) {
    return Status::InvalidArgument("cbpe: threshold must be in [0, 1], got " +
                                   std::to_string(threshold));
  }
  if (!(std::isfinite(band_width) && band_width > 0)) {
    return Status::InvalidArgument("cbpe: band_width must be finite and > 0, got " +
                                   std::to_string(band_width));
  }
  if (static_cast<uint8_t>(calibration) > static_cast<uint8_t>(CalibrationMode::kNever)) {
    return Status::InvalidArgument("cbpe: unknown calibration mode");
  }
  if (static_cast<uint8_t>(band) > static_cast<uint8_t>(BandMethod::kReferenceChunks)) {
    return Status::InvalidArgument("cbpe: unknown band method");
  }
  if (band == BandMethod::kReferenceChunks && reference_chunk_size < 2) {
    return Status::InvalidArgument("cbpe: reference_chunk_size must be >= 2");
  }
  if (calibration == CalibrationMode::kAuto) {
    MLLOOP_RETURN_IF_ERROR(calibration_check.Validate().WithContext("cbpe"));
  }
  return Status::Ok();
}

Result<RealizedMetrics> ComputeRealizedMetrics(std::span<const float> scores,
                                               std::span<const float> labels, double threshold) {
  if (scores.size() != labels.size()) {
    return Status::InvalidArgument("realised metrics: " + std::to_string(scores.size()) +
                                   " scores but " + std::to_string(labels.size()) + " labels");
  }
  if (scores.empty()) return Status::InvalidArgument("realised metrics: no rows");
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) {
      return Status::InvalidArgument("realised metrics: score at row " + std::to_string(i) +
                                     " is not finite");
    }
  }
  MLLOOP_RETURN_IF_ERROR(CheckLabels(labels, "realised metrics"));
  size_t tp = 0, fp = 0, fn = 0, tn = 0;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool yhat = scores[i] >= threshold;
    const bool y = labels[i] == 1.0f;
    tp += y && yhat;
    fp += !y && yhat;
    fn += y && !yhat;
    tn += !y && !yhat;
  }
  RealizedMetrics out;
  const auto d = [](size_t v) { return static_cast<double>(v); };
  out.metrics[static_cast<size_t>(CbpeMetric::kAccuracy)] = d(tp + tn) / d(scores.size());
  if (tp + fp > 0) out.metrics[static_cast<size_t>(CbpeMetric::kPrecision)] = d(tp) / d(tp + fp);
  if (tp + fn > 0) out.metrics[static_cast<size_t>(CbpeMetric::kRecall)] = d(tp) / d(tp + fn);
  if (tp + fp + fn > 0) {
    out.metrics[static_cast<size_t>(CbpeMetric::kF1)] = 2.0 * d(tp) / (2.0 * d(tp) + d(fp + fn));
  }
  if (tp + fn > 0 && fp + tn > 0) {
    out.metrics[static_cast<size_t>(CbpeMetric::kRocAuc)] =
        stats::RocAuc(labels.data(), scores.data(), scores.size());
  }
  return out;
}

Result<CbpeEstimator> CbpeEstimator::Fit(std::span<const float> reference_scores,
                                         std::span<const float> reference_labels,
                                         const CbpeOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  if (reference_scores.size() != reference_labels.size()) {
    return Status::InvalidArgument("cbpe reference: " + std::to_string(reference_scores.size()) +
                                   " scores but " + std::to_string(reference_labels.size()) +
                                   " labels");
  }
  MLLOOP_RETURN_IF_ERROR(CheckScores(reference_scores, "cbpe reference"));
  MLLOOP_RETURN_IF_ERROR(CheckLabels(reference_labels, "cbpe reference"));
  const size_t n = reference_scores.size();
  size_t positives = 0, predicted_positive = 0;
  for (size_t i = 0; i < n; ++i) {
    positives += reference_labels[i] == 1.0f;
    predicted_positive += reference_scores[i] >= options.threshold;
  }
  if (positives < 2 || n - positives < 2) {
    return Status::InvalidArgument(
        "cbpe reference: " + std::to_string(positives) + " positive and " +
        std::to_string(n - positives) +
        " negative rows; need at least 2 of each to calibrate and to estimate sampling errors");
  }
  if (predicted_positive == 0) {
    return Status::InvalidArgument("cbpe reference: no score reaches the threshold " +
                                   std::to_string(options.threshold) +
                                   ", so precision is undefined on the reference");
  }

  CbpeEstimator cbpe;
  cbpe.options_ = options;
  cbpe.reference_rows_ = n;
  bool calibrate = options.calibration == CalibrationMode::kAlways;
  if (options.calibration == CalibrationMode::kAuto) {
    MLLOOP_ASSIGN_OR_RETURN(cbpe.check_, CheckCalibration(reference_scores, reference_labels,
                                                          options.calibration_check));
    calibrate = cbpe.check_.needed;
  } else {
    cbpe.check_.reason = CalibrationCheck::Reason::kOption;
    cbpe.check_.needed = calibrate;
    cbpe.check_.reference_auc = stats::RocAuc(reference_labels.data(), reference_scores.data(), n);
  }
  if (calibrate) {
    std::vector<double> x(reference_scores.begin(), reference_scores.end());
    std::vector<double> y(reference_labels.begin(), reference_labels.end());
    MLLOOP_ASSIGN_OR_RETURN(auto iso, stats::IsotonicRegression::Fit(x, y));
    cbpe.calibrator_ = std::move(iso);
  }

  MLLOOP_ASSIGN_OR_RETURN(
      const RealizedMetrics realized,
      ComputeRealizedMetrics(reference_scores, reference_labels, options.threshold));
  for (CbpeMetric m : kCbpeMetrics) {
    // Defined by the checks above: both classes, a predicted positive.
    cbpe.components_[static_cast<size_t>(m)].reference = realized[m].value_or(0.0);
  }

  if (options.band == BandMethod::kStandardErrorOfMean) {
    const auto sem = SemComponents(reference_scores, reference_labels, options.threshold);
    for (size_t k = 0; k < kCbpeMetricCount; ++k) {
      cbpe.components_[k].spread = sem[k].spread;
      cbpe.components_[k].fraction = sem[k].fraction;
    }
  } else {
    const size_t chunk = options.reference_chunk_size;
    std::array<std::vector<double>, kCbpeMetricCount> per_chunk;
    for (size_t begin = 0; begin + chunk <= n; begin += chunk) {
      MLLOOP_ASSIGN_OR_RETURN(
          const RealizedMetrics r,
          ComputeRealizedMetrics(reference_scores.subspan(begin, chunk),
                                 reference_labels.subspan(begin, chunk), options.threshold));
      for (size_t k = 0; k < kCbpeMetricCount; ++k) {
        if (r.metrics[k]) per_chunk[k].push_back(*r.metrics[k]);
      }
    }
    for (CbpeMetric m : kCbpeMetrics) {
      const auto& values = per_chunk[static_cast<size_t>(m)];
      if (values.size() < 2) {
        return Status::InvalidArgument("cbpe reference: " + std::string(CbpeMetricName(m)) +
                                       " is defined in " + std::to_string(values.size()) +
                                       " reference chunks of " + std::to_string(chunk) +
                                       " rows; the reference-chunks band needs at least 2");
      }
      auto& c = cbpe.components_[static_cast<size_t>(m)];
      c.spread = PopulationStd(values) * std::sqrt(static_cast<double>(chunk));
      c.fraction = 1.0;
    }
  }
  return cbpe;
}

double CbpeEstimator::Calibrate(float score) const {
  return calibrator_ ? calibrator_->Predict(score) : static_cast<double>(score);
}

double CbpeEstimator::StandardError(CbpeMetric m, size_t rows) const {
  const Component& c = components_[static_cast<size_t>(m)];
  return c.spread / std::sqrt(static_cast<double>(rows) * c.fraction);
}

Result<CbpeEstimate> CbpeEstimator::Estimate(std::span<const float> scores) const {
  if (scores.empty()) return Status::InvalidArgument("cbpe window: no rows");
  MLLOOP_RETURN_IF_ERROR(CheckScores(scores, "cbpe window"));
  const size_t n = scores.size();
  std::vector<double> p(n);
  ExpectedConfusion cm;
  size_t predicted_positive = 0;
  for (size_t i = 0; i < n; ++i) {
    p[i] = Calibrate(scores[i]);
    if (scores[i] >= options_.threshold) {
      cm.tp += p[i];
      cm.fp += 1.0 - p[i];
      ++predicted_positive;
    } else {
      cm.fn += p[i];
      cm.tn += 1.0 - p[i];
    }
  }
  std::array<std::optional<double>, kCbpeMetricCount> values;
  values[static_cast<size_t>(CbpeMetric::kAccuracy)] = (cm.tp + cm.tn) / static_cast<double>(n);
  if (predicted_positive > 0) {
    values[static_cast<size_t>(CbpeMetric::kPrecision)] = cm.tp / (cm.tp + cm.fp);
  }
  if (cm.tp + cm.fn > 0) values[static_cast<size_t>(CbpeMetric::kRecall)] = cm.tp / (cm.tp + cm.fn);
  const double f1_denominator = cm.tp + 0.5 * (cm.fp + cm.fn);
  if (f1_denominator > 0) values[static_cast<size_t>(CbpeMetric::kF1)] = cm.tp / f1_denominator;
  values[static_cast<size_t>(CbpeMetric::kRocAuc)] = EstimateRocAuc(scores, p);

  CbpeEstimate out;
  out.rows = n;
  out.confusion = cm;
  for (CbpeMetric m : kCbpeMetrics) {
    const size_t k = static_cast<size_t>(m);
    MetricEstimate& e = out.metrics[k];
    e.reference = components_[k].reference;
    if (!values[k]) {
      e.lower = 0;
      e.upper = 1;
      continue;
    }
    e.defined = true;
    e.value = *values[k];
    e.standard_error = StandardError(m, n);
    e.lower = std::max(0.0, e.value - options_.band_width * e.standard_error);
    e.upper = std::min(1.0, e.value + options_.band_width * e.standard_error);
  }
  return out;
}

std::string CbpeEstimator::Serialize() const {
  stats::wire::Writer w;
  w.Raw(kMagic);
  w.U8(kVersion);
  w.F64(options_.threshold);
  w.U8(static_cast<uint8_t>(options_.calibration));
  w.F64(options_.band_width);
  w.U8(static_cast<uint8_t>(options_.band));
  w.U64(options_.reference_chunk_size);
  w.U64(reference_rows_);
  w.U8(static_cast<uint8_t>(check_.reason));
  w.U8(check_.needed ? 1 : 0);
  w.F64(check_.reference_auc);
  w.F64(check_.ece_before);
  w.F64(check_.ece_after);
  w.U8(calibrator_ ? 1 : 0);
  if (calibrator_) {
    const auto& x = calibrator_->x_thresholds();
    const auto& y = calibrator_->y_thresholds();
    w.U32(static_cast<uint32_t>(x.size()));
    for (size_t j = 0; j < x.size(); ++j) {
      w.F64(x[j]);
      w.F64(y[j]);
    }
  }
  for (const Component& c : components_) {
    w.F64(c.spread);
    w.F64(c.fraction);
    w.F64(c.reference);
  }
  std::string out = w.Take();
  stats::wire::Writer tail;
  tail.U64(core::Fnv1a64(out));
  out += tail.Take();
  return out;
}

Result<CbpeEstimator> CbpeEstimator::Deserialize(std::string_view bytes) {
  constexpr std::string_view kWhat = "cbpe estimator";
  if (bytes.size() < kMagic.size() + 1 + kChecksumBytes) {
    return Status::DataLoss("cbpe estimator: truncated (" + std::to_string(bytes.size()) +
                            " bytes)");
  }
  const std::string_view body = bytes.substr(0, bytes.size() - kChecksumBytes);
  stats::wire::Reader r(body);
  MLLOOP_RETURN_IF_ERROR(r.Header(kMagic, kVersion, kWhat));
  stats::wire::Reader tail(bytes.substr(body.size()));
  uint64_t saved_sum = 0;
  (void)tail.U64(&saved_sum);
  if (saved_sum != core::Fnv1a64(body)) {
    return Status::DataLoss("cbpe estimator: checksum mismatch (corrupt or truncated bytes)");
  }
  const auto corrupt = [](const std::string& what) {
    return Status::DataLoss("cbpe estimator: " + what);
  };

  CbpeEstimator cbpe;
  uint8_t calibration = 0, band = 0, reason = 0, needed = 0, calibrated = 0;
  uint64_t chunk = 0, rows = 0;
  r.F64(&cbpe.options_.threshold);
  r.U8(&calibration);
  r.F64(&cbpe.options_.band_width);
  r.U8(&band);
  r.U64(&chunk);
  r.U64(&rows);
  r.U8(&reason);
  r.U8(&needed);
  r.F64(&cbpe.check_.reference_auc);
  r.F64(&cbpe.check_.ece_before);
  r.F64(&cbpe.check_.ece_after);
  r.U8(&calibrated);
  if (!r.ok()) return corrupt("truncated");
  cbpe.options_.calibration = static_cast<CalibrationMode>(calibration);
  cbpe.options_.band = static_cast<BandMethod>(band);
  cbpe.options_.reference_chunk_size = static_cast<size_t>(chunk);
  if (Status s = cbpe.options_.Validate(); !s.ok()) return corrupt("bad options: " + s.message());
  if (reason > static_cast<uint8_t>(CalibrationCheck::Reason::kOption) || needed > 1 ||
      calibrated > 1 || rows < 4 || !std::isfinite(cbpe.check_.reference_auc) ||
      !std::isfinite(cbpe.check_.ece_before) || !std::isfinite(cbpe.check_.ece_after)) {
    return corrupt("inconsistent header fields");
  }
  cbpe.reference_rows_ = static_cast<size_t>(rows);
  cbpe.check_.reason = static_cast<CalibrationCheck::Reason>(reason);
  cbpe.check_.needed = needed == 1;
  if (calibrated == 1) {
    uint32_t points = 0;
    if (!r.U32(&points) || points == 0 || points > r.remaining() / 16) {
      return corrupt("bad calibrator size");
    }
    std::vector<double> x(points), y(points);
    for (uint32_t j = 0; j < points; ++j) {
      r.F64(&x[j]);
      r.F64(&y[j]);
    }
    auto iso = stats::IsotonicRegression::FromThresholds(std::move(x), std::move(y));
    if (!iso.ok()) return corrupt(iso.status().message());
    cbpe.calibrator_ = std::move(iso).value();
  }
  for (Component& c : cbpe.components_) {
    r.F64(&c.spread);
    r.F64(&c.fraction);
    r.F64(&c.reference);
    if (!r.ok()) return corrupt("truncated");
    if (!(std::isfinite(c.spread) && c.spread >= 0) || !(c.fraction > 0 && c.fraction <= 1) ||
        !(c.reference >= 0 && c.reference <= 1)) {
      return corrupt("inconsistent metric components");
    }
  }
  if (!r.at_end()) return corrupt("trailing bytes");
  return cbpe;
}

}  // namespace mlloop::drift
