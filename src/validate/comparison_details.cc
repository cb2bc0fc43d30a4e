// The report's view of a comparison (comparison.h): metric deltas with intervals,
// calibration curves, confusion matrices and per-segment metrics.
#include <algorithm>
#include <cmath>

#include "stats/metrics.h"
#include "validate/comparison.h"

namespace mlloop::validate {
namespace {

MetricDelta Delta(const std::string& metric, const EvaluationInput& in, int resamples,
                  uint64_t seed) {
  MetricDelta d;
  d.metric = metric;
  d.higher_is_better = config::HigherIsBetter(metric);
  const size_t n = in.labels.size();
  auto cand = stats::ComputeMetric(metric, in.labels.data(), in.candidate.data(), n);
  if (!cand.ok() || !std::isfinite(*cand)) {
    d.note = cand.ok() ? "not finite" : cand.status().message();
    return d;
  }
  d.candidate = *cand;
  if (in.champion.empty()) return d;
  auto champ = stats::ComputeMetric(metric, in.labels.data(), in.champion.data(), n);
  if (!champ.ok() || !std::isfinite(*champ)) return d;
  d.champion = *champ;
  d.difference = *cand - *champ;
  stats::BootstrapOptions options;
  options.resamples = resamples;
  options.seed = seed;
  auto boot = MetricBootstrap(in, metric, options);
  if (boot.ok()) {
    d.interval = Interval{boot->lower, boot->upper, options.level};
  } else {
    d.note = "no interval: " + boot.status().message();
  }
  return d;
}

std::vector<CalibrationBin> Calibration(const std::vector<float>& y,
                                        const std::vector<float>& scores) {
  constexpr int kBins = 10;
  std::vector<CalibrationBin> bins(kBins);
  std::vector<double> score_sum(kBins, 0), positives(kBins, 0);
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) continue;
    const int b = std::clamp(static_cast<int>(scores[i] * kBins), 0, kBins - 1);
    ++bins[b].rows;
    score_sum[b] += scores[i];
    positives[b] += y[i] >= 0.5f ? 1 : 0;
  }
  std::vector<CalibrationBin> out;
  for (int b = 0; b < kBins; ++b) {
    if (bins[b].rows == 0) continue;
    CalibrationBin bin = bins[b];
    bin.lower = static_cast<double>(b) / kBins;
    bin.upper = static_cast<double>(b + 1) / kBins;
    bin.mean_score = score_sum[b] / static_cast<double>(bin.rows);
    bin.observed_rate = positives[b] / static_cast<double>(bin.rows);
    out.push_back(bin);
  }
  return out;
}

Confusion ConfusionOf(const std::vector<float>& y, const std::vector<float>& scores) {
  Confusion c;
  for (size_t i = 0; i < scores.size(); ++i) {
    const bool predicted = scores[i] >= 0.5f, actual = y[i] >= 0.5f;
    if (predicted && actual) ++c.true_positive;
    if (predicted && !actual) ++c.false_positive;
    if (!predicted && !actual) ++c.true_negative;
    if (!predicted && actual) ++c.false_negative;
  }
  return c;
}

}  // namespace

Result<ComparisonDetails> DescribeComparison(const config::ModelConfig& config,
                                             const Comparison& comparison, int resamples,
                                             uint64_t seed) {
  const core::Task task = config.schema.label.task;
  if (comparison.candidate.size() != comparison.labels.size() ||
      (!comparison.champion.empty() && comparison.champion.size() != comparison.labels.size())) {
    return Status::InvalidArgument("describing a comparison whose scores and labels differ in size");
  }
  ComparisonDetails d;
  const std::string primary = config.validation.metric;
  std::vector<std::string> metrics = {primary};
  const std::vector<std::string> all =
      task == core::Task::kBinaryClassification
          ? std::vector<std::string>{"accuracy", "auc", "f1", "precision", "recall", "log_loss",
                                     "brier"}
          : std::vector<std::string>{"rmse", "mae", "mape"};
  for (const std::string& m : all) {
    if (m != primary) metrics.push_back(m);
  }
  const EvaluationInput in = comparison.Input(task);
  if (!comparison.labels.empty()) {
    for (const std::string& m : metrics) d.metrics.push_back(Delta(m, in, resamples, seed));
  }
  if (task == core::Task::kBinaryClassification) {
    d.candidate_calibration = Calibration(comparison.labels, comparison.candidate);
    d.candidate_confusion = ConfusionOf(comparison.labels, comparison.candidate);
    if (!comparison.champion.empty()) {
      d.champion_calibration = Calibration(comparison.labels, comparison.champion);
      d.champion_confusion = ConfusionOf(comparison.labels, comparison.champion);
    }
  }
  for (const SegmentCodes& column : in.segments) {
    MLLOOP_ASSIGN_OR_RETURN(std::vector<SegmentMetric> segs,
                            SegmentMetrics(in, primary, column, /*min_rows=*/1));
    for (SegmentMetric& s : segs) d.segments.push_back(std::move(s));
  }
  for (const GateOutcome& g : comparison.evaluation.gates) {
    if (g.candidate_latency) d.latency = LatencyPair{*g.candidate_latency, g.champion_latency};
  }
  return d;
}

}  // namespace mlloop::validate
