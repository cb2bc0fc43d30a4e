// ServedModel: one registered model version ready to answer requests (its predictor, its
// features as the config names them, its metrics), and ModelSlot, the place where the live
// version of one model name sits behind an atomic shared_ptr.
//
// Swapping: ModelSlot::Swap() publishes a new version with one atomic store. A request takes
// its own reference with Get() (one atomic load) and keeps answering with that version even
// if a swap happens meanwhile; the old version is freed when its last request ends. So a swap
// never fails or blocks a request, and every response names the version that computed it.
//
// Thread-safety: ServedModel is immutable after Load; Predict() may be called from any
// number of threads (see Predict). ModelSlot is safe for concurrent Get() and Swap().
#pragma once

#include <atomic>
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

// The live version of one model name. Empty until the first Swap().
class ModelSlot {
 public:
  explicit ModelSlot(std::string name) : name_(std::move(name)) {}

  // The live version, or null. Never blocks on a Swap() beyond an atomic load.
  std::shared_ptr<const ServedModel> Get() const { return live_.load(std::memory_order_acquire); }
  // Publishes `model` (whose name() must be name()) and returns the version it replaced.
  std::shared_ptr<const ServedModel> Swap(std::shared_ptr<const ServedModel> model);

  const std::string& name() const { return name_; }
  uint64_t swaps() const { return swaps_.load(std::memory_order_relaxed); }

 private:
  const std::string name_;
  std::atomic<std::shared_ptr<const ServedModel>> live_;
  std::atomic<uint64_t> swaps_{0};
};

}  // namespace mlloop::serve
