#include "validate/comparison.h"

namespace mlloop::validate {

EvaluationInput Comparison::Input(core::Task task) const {
  EvaluationInput in;
  in.task = task;
  in.labels = labels;
  in.candidate = candidate;
  in.champion = champion;
  for (const Segment& s : segments) in.segments.push_back({s.name, s.values, s.codes});
  return in;
}

Result<Comparison> CompareModels(const config::ModelConfig& config, const core::Dataset& data,
                                 size_t begin, size_t end, const pipeline::XgbModel& candidate,
                                 const pipeline::XgbModel* champion,
                                 std::optional<int64_t> candidate_bytes) {
  if (begin > end || end > data.rows()) {
    return Status::InvalidArgument("comparing models on rows [" + std::to_string(begin) + ", " +
                                   std::to_string(end) + ") of data with " +
                                   std::to_string(data.rows()) + " rows");
  }
  Comparison c;
  c.begin = begin;
  c.end = end;
  const size_t n = end - begin;
  c.labels.assign(data.y.begin() + static_cast<std::ptrdiff_t>(begin),
                  data.y.begin() + static_cast<std::ptrdiff_t>(end));
  if (n > 0) {
    MLLOOP_RETURN_IF_ERROR(candidate.Predict(data.Row(begin), n, data.n_features, &c.candidate)
                               .WithContext("scoring the candidate"));
    if (champion != nullptr) {
      MLLOOP_RETURN_IF_ERROR(champion->Predict(data.Row(begin), n, data.n_features, &c.champion)
                                 .WithContext("scoring the champion"));
    }
  }
  for (const core::Dataset::SegmentColumn& s : data.segments) {
    Comparison::Segment seg;
    seg.name = s.name;
    seg.values = s.values;
    seg.codes.assign(s.codes.begin() + static_cast<std::ptrdiff_t>(begin),
                     s.codes.begin() + static_cast<std::ptrdiff_t>(end));
    c.segments.push_back(std::move(seg));
  }
  EvaluationInput in = c.Input(config.schema.label.task);
  in.features = n > 0 ? data.Row(begin) : nullptr;
  in.n_features = data.n_features;
  in.candidate_model_bytes = candidate_bytes;
  // One row at a time through the serving path, each model with its own output buffer.
  std::vector<float> candidate_out, champion_out;
  const size_t n_features = data.n_features;
  in.predict_candidate = [&](const float* row, float* out) {
    MLLOOP_RETURN_IF_ERROR(candidate.Predict(row, 1, n_features, &candidate_out));
    *out = candidate_out[0];
    return Status::Ok();
  };
  if (champion != nullptr) {
    in.predict_champion = [&](const float* row, float* out) {
      MLLOOP_RETURN_IF_ERROR(champion->Predict(row, 1, n_features, &champion_out));
      *out = champion_out[0];
      return Status::Ok();
    };
  }
  MLLOOP_ASSIGN_OR_RETURN(c.evaluation, Evaluate(config.validation, in));
  return c;
}

}  // namespace mlloop::validate
