// The named validation gates of a model's config (config::GateConfig): a candidate and the
// champion, scored on the same labelled holdout rows that neither trained on, are held
// against each gate in turn, and every gate passes or fails with its numbers.
//
//   margin        the v1 gate: `metric` no worse than the champion's by more than `margin`
//   value         the candidate's metric against fixed bounds (auc >= 0.8)
//   change        the change against the champion, absolute and relative, in the metric's
//                 direction (a "loss" is a change for the worse)
//   significance  the improvement holds at a confidence: DeLong (auc), McNemar (accuracy)
//                 or a seeded paired bootstrap (any metric), with the interval reported
//   segments      per-segment metrics; fails when a segment with enough rows loses more
//                 than max_loss against the champion, or the best-worst gap exceeds max_gap
//   bias          demographic parity difference, disparate impact ratio and equal
//                 opportunity difference over a protected column, with bootstrap intervals
//   latency       p50 / p99 single-row prediction time, against a budget and the champion
//   sanity        no NaN predictions, predictions not collapsed, model size
//
// Gates work on scores, not on models: the caller scores both models through the code path
// that serves them, and hands in single-row predict functions for the latency gate.
// A gate whose numbers cannot be computed on the holdout (DeLong without two positives,
// say) fails and says why: a rejection is the safe answer to "we could not tell".
//
// Thread-safety: pure functions (the predict functions are called on the calling thread).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "config/model_config.h"
#include "core/schema.h"
#include "core/status.h"
#include "stats/bootstrap.h"
#include "validate/latency.h"

namespace mlloop::validate {

// A two-sided interval at `level` (e.g. 0.95).
struct Interval {
  double lower = 0;
  double upper = 0;
  double level = 0;
};

// One segment's metric for both models.
struct SegmentMetric {
  std::string column;
  std::string value;
  int64_t rows = 0;
  std::optional<double> candidate;  // empty: not computable (auc on one class)
  std::optional<double> champion;   // empty: no champion, or not computable
  bool judged = false;              // rows >= the gate's min_rows, and computable
  bool failed = false;              // lost more than max_loss against the champion
};

// One fairness measure of the bias gate.
struct FairnessMeasure {
  std::string name;  // parity_difference, impact_ratio, opportunity_difference
  double candidate = 0;
  Interval interval;                // the candidate's bootstrap interval
  std::optional<double> champion;   // for the report; not judged
  std::optional<double> limit;      // empty: reported, not judged
  bool limit_is_minimum = false;    // impact_ratio: the value must reach the limit
  bool failed = false;
};

struct GateOutcome {
  std::string name;
  std::string kind;  // config::GateKindName, or "holdout" for the rows precondition
  bool passed = false;
  std::string reason;  // one line with the numbers, "passed: ..." or "rejected: ..."

  std::string metric;  // margin, value, change, significance, segments
  std::optional<double> candidate_value;
  std::optional<double> champion_value;
  // significance: the test, the difference candidate - champion, its interval, p-value.
  std::string test;
  std::optional<double> difference;
  std::optional<Interval> interval;
  std::optional<double> p_value;
  std::vector<SegmentMetric> segments;     // segments
  std::vector<FairnessMeasure> fairness;   // bias
  std::optional<LatencyStats> candidate_latency;  // latency
  std::optional<LatencyStats> champion_latency;
  std::optional<int64_t> model_bytes;      // sanity
};

struct Evaluation {
  bool passed = false;
  int64_t rows = 0;
  std::vector<GateOutcome> gates;

  // The first gate that failed, or nullptr.
  const GateOutcome* FirstFailure() const;
  // "all 3 gates passed (margin, segments_accuracy, sanity)" or
  // "gate segments_accuracy rejected: segment day=6 ..." (the first failure; "+1 more
  // gate failed: bias_sex" when others failed too).
  std::string Summary() const;
  // {"passed", "rows", "summary", "gates": [{name, kind, passed, reason, ...numbers}]}.
  std::string ToJson() const;
};

// A segment column over the holdout rows.
struct SegmentCodes {
  std::string name;
  std::span<const std::string> values;  // code -> value
  std::span<const uint32_t> codes;      // per holdout row
};

struct EvaluationInput {
  core::Task task = core::Task::kBinaryClassification;
  std::span<const float> labels;
  std::span<const float> candidate;  // scores (binary: probability of class 1)
  std::span<const float> champion;   // empty: there is no champion
  std::vector<SegmentCodes> segments;
  // The holdout's features, rows x n_features row-major, for the latency gate.
  const float* features = nullptr;
  size_t n_features = 0;
  PredictOne predict_candidate;  // needed by a latency gate
  PredictOne predict_champion;   // optional: the ratio is skipped without it
  std::optional<int64_t> candidate_model_bytes;  // needed by a sanity gate with a size limit
};

// Holds `input` against every gate of `config`, in order. With fewer holdout rows than
// config.min_rows no gate runs: the evaluation fails with one "holdout" outcome.
// Errors (InvalidArgument), all mistakes of the caller rather than of the data: label and
// score sizes differ; a segment column a gate names is not in input.segments (or has the
// wrong size); a latency gate without predict_candidate or features; a size limit without
// candidate_model_bytes.
Result<Evaluation> Evaluate(const config::ValidationConfig& config, const EvaluationInput& input);

// Per-segment metric of both models for every value of `column` (ascending code; values
// without rows left out). `min_rows` decides `judged`. For the report and the segments gate.
Result<std::vector<SegmentMetric>> SegmentMetrics(const EvaluationInput& input,
                                                  const std::string& metric,
                                                  const SegmentCodes& column, int64_t min_rows);

// The seeded paired bootstrap of `metric` on `input`'s candidate and champion scores, in the
// metric's better direction, stratified by label for a classifier (so every resample keeps
// both classes). For the significance gate and the report's metric intervals.
// REQUIRES: input.champion is not empty. Errors: stats::PairedBootstrap's.
Result<stats::PairedBootstrapResult> MetricBootstrap(const EvaluationInput& input,
                                                     const std::string& metric,
                                                     const stats::BootstrapOptions& options);

// The gates one at a time (Evaluate calls them; exposed for tests and the report).
Result<GateOutcome> SignificanceGate(const config::GateConfig& gate, const EvaluationInput& input);
Result<GateOutcome> SegmentsGate(const config::GateConfig& gate, const EvaluationInput& input);
Result<GateOutcome> BiasGate(const config::GateConfig& gate, const EvaluationInput& input);
Result<GateOutcome> LatencyGate(const config::GateConfig& gate, const EvaluationInput& input);

}  // namespace mlloop::validate
