#include "validate/comparison.h"

namespace mlloop::validate {

EvaluationInput Comparison::Input(core::Task task) const {
  EvaluationInput in;
  in.task = task;
  in.labels = labels;
  in.candidate = candidate;
  in.champion = champion;
  for (const core::Dataset::SegmentColumn& s : segments) in.segments.push_back({s.name, s.values, s.codes});
  return in;
}

PredictOne SingleRowPredict(const pipeline::XgbModel& model, size_t n_features) {
  return [&model, n_features, scores = std::vector<float>()](const float* row,
                                                             float* out) mutable -> Status {
    MLLOOP_RETURN_IF_ERROR(model.Predict(row, 1, n_features, &scores));
    *out = scores[0];
    return Status::Ok();
  };
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
    c.segments.push_back({s.name, s.values,
                          {s.codes.begin() + static_cast<std::ptrdiff_t>(begin),
                           s.codes.begin() + static_cast<std::ptrdiff_t>(end)}});
  }
  EvaluationInput in = c.Input(config.schema.label.task);
  in.features = n > 0 ? data.Row(begin) : nullptr;
  in.n_features = data.n_features;
  in.candidate_model_bytes = candidate_bytes;
  in.predict_candidate = SingleRowPredict(candidate, data.n_features);
  if (champion != nullptr) in.predict_champion = SingleRowPredict(*champion, data.n_features);
  MLLOOP_ASSIGN_OR_RETURN(c.evaluation, Evaluate(config.validation, in));
  return c;
}

}  // namespace mlloop::validate
