// Comparison: a candidate model and the champion scored on the same labelled rows through
// XgbModel::Predict — the code path that serves them — and held against the model's gates.
// The loop's validation step and `mlloop evaluate` both go through here, so a report shows
// exactly what the loop decided on.
//
// Thread-safety: a Comparison is a plain value; CompareModels calls the models' Predict on
// the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "config/model_config.h"
#include "core/schema.h"
#include "core/status.h"
#include "pipeline/xgb/xgb_model.h"
#include "validate/gates.h"

namespace mlloop::validate {

struct Comparison {
  size_t begin = 0, end = 0;  // the data rows compared, [begin, end)
  std::vector<float> labels;
  std::vector<float> candidate;  // scores
  std::vector<float> champion;   // empty without a champion
  std::vector<core::Dataset::SegmentColumn> segments;  // codes: per compared row
  Evaluation evaluation;

  // Spans over this comparison's vectors (no features or predict functions).
  EvaluationInput Input(core::Task task) const;
};

// One metric of both models with the paired bootstrap interval of the difference.
struct MetricDelta {
  std::string metric;
  bool higher_is_better = true;
  double candidate = 0;
  std::optional<double> champion;
  std::optional<double> difference;  // candidate - champion
  std::optional<Interval> interval;  // of the difference
  std::string note;                  // why there is no interval, when there is none
};

// One bin of a reliability (calibration) curve: rows whose score is in [lower, upper).
struct CalibrationBin {
  double lower = 0, upper = 0;
  int64_t rows = 0;
  double mean_score = 0;     // the mean predicted probability in the bin
  double observed_rate = 0;  // the share of positives in the bin
};

// A binary classifier's decisions at score >= 0.5 against the labels.
struct Confusion {
  int64_t true_positive = 0, false_positive = 0, true_negative = 0, false_negative = 0;
};

// What an evaluation report shows beyond the gates.
struct ComparisonDetails {
  std::vector<MetricDelta> metrics;  // every metric of the task, the validation metric first
  // Binary only: 10 equal-width bins over [0, 1] (bins without rows left out).
  std::vector<CalibrationBin> candidate_calibration, champion_calibration;
  std::optional<Confusion> candidate_confusion, champion_confusion;
  // The validation metric per segment value, for every segment column.
  std::vector<SegmentMetric> segments;
  // Single-row latency: the latency gate's numbers, or measured for the report.
  std::optional<LatencyPair> latency;
};

// Computes the details of `comparison` for the report; intervals from a paired bootstrap
// with `resamples` and `seed` (stratified by label for a classifier). Metrics that cannot be
// computed (auc on one class) carry a note instead of numbers. Errors: only a caller's
// mistake (sizes that differ).
Result<ComparisonDetails> DescribeComparison(const config::ModelConfig& config,
                                             const Comparison& comparison, int resamples = 500,
                                             uint64_t seed = 0);

// One row at a time through `model`'s Predict (the serving path): for the latency gate and
// the report's latency. The function keeps its own output buffer, so two of them (candidate
// and champion) never share one. REQUIRES: `model` outlives the function.
PredictOne SingleRowPredict(const pipeline::XgbModel& model, size_t n_features);

// Scores `candidate` and, when given, `champion` on rows [begin, end) of `data` and
// evaluates config.validation's gates (a latency gate times single-row Predict calls of both
// on those rows; `candidate_bytes` is the serialised candidate's size for the sanity gate).
// Errors: InvalidArgument for an empty or out-of-range row range; a model's prediction
// error; Evaluate's errors (e.g. a gate names a segment column the data does not have).
Result<Comparison> CompareModels(const config::ModelConfig& config, const core::Dataset& data,
                                 size_t begin, size_t end, const pipeline::XgbModel& candidate,
                                 const pipeline::XgbModel* champion,
                                 std::optional<int64_t> candidate_bytes);

}  // namespace mlloop::validate
