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
  struct Segment {
    std::string name;
    std::vector<std::string> values;
    std::vector<uint32_t> codes;  // per compared row
  };
  std::vector<Segment> segments;
  Evaluation evaluation;

  // Spans over this comparison's vectors (no features or predict functions).
  EvaluationInput Input(core::Task task) const;
};

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
