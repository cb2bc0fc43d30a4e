// ServedModel: one registered model version ready to answer requests (its predictor, its
// features as the config names them, its metrics). Where the live versions of a model name
// sit and how requests are shared among them: ModelSlot and TrafficRoute
// (serve/traffic_router.h).
//
// Thread-safety: ServedModel is immutable after Load; Predict() may be called from any
// number of threads (see Predict).
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"
#include "pipeline/xgb/xgb_model.h"
#include "registry/registry.h"
#include "serve/server_metrics.h"

namespace mlloop::serve {

class ServedModel {
 public:
  // A served version from its parts. `features` gives the row layout (names, types,
  // categories) and must have model->n_features() entries; `metrics` may be null (then a
  // private one is made). The model may be shared with other ServedModels (e.g. the same
  // artifact reloaded). InvalidArgument for a null model or a feature count mismatch.
  static Result<std::shared_ptr<const ServedModel>> Create(
      std::string name, int64_t version, std::vector<core::FeatureSpec> features,
      std::shared_ptr<const pipeline::XgbModel> model, std::shared_ptr<VersionMetrics> metrics);

  // The champion of `name` in `registry`: artifact (re-hashed), features from the config
  // recorded in its lineage (positional names f0, f1, ... when it recorded none), metrics
  // registered in `metrics`. NotFound when the model has no champion.
  static Result<std::shared_ptr<const ServedModel>> LoadChampion(registry::Registry& registry,
                                                                 const std::string& name,
                                                                 ServerMetrics& metrics);
  // Any stored version (a challenger, a previous champion), loaded as LoadChampion loads
  // the champion. The registry's errors when its artifact is gone or fails its checks.
  static Result<std::shared_ptr<const ServedModel>> LoadVersion(
      registry::Registry& registry, const registry::ModelVersion& version, ServerMetrics& metrics);

  // One prediction per row of the row-major rows x n_features() matrix `x`, into *out
  // (resized). Through XgbModel::Predict: the flat forest when the model allows it (reads
  // only immutable state, so callers run in parallel), XGBoost otherwise (then all such
  // calls in the process are serialised by one mutex, as XgbModel's contract asks; models
  // the flat forest cannot take are the rare case).
  Status Predict(const float* x, size_t rows, std::vector<float>* out) const;

  const std::string& name() const { return name_; }
  int64_t version() const { return version_; }
  // The version as responses carry it: "3".
  const std::string& version_text() const { return version_text_; }
  const std::vector<core::FeatureSpec>& features() const { return features_; }
  size_t n_features() const { return features_.size(); }
  core::Task task() const { return model_->task(); }
  bool uses_flat_forest() const { return model_->flat_forest_status().ok(); }
  VersionMetrics& metrics() const { return *metrics_; }

 private:
  ServedModel(std::string name, int64_t version, std::vector<core::FeatureSpec> features,
              std::shared_ptr<const pipeline::XgbModel> model,
              std::shared_ptr<VersionMetrics> metrics);

  std::string name_;
  int64_t version_;
  std::string version_text_;
  std::vector<core::FeatureSpec> features_;
  std::shared_ptr<const pipeline::XgbModel> model_;
  std::shared_ptr<VersionMetrics> metrics_;
};

}  // namespace mlloop::serve
