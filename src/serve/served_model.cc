#include "serve/served_model.h"

#include <mutex>
#include <utility>

#include "config/model_config.h"

namespace mlloop::serve {

ServedModel::ServedModel(std::string name, int64_t version,
                         std::vector<core::FeatureSpec> features,
                         std::shared_ptr<const pipeline::XgbModel> model,
                         std::shared_ptr<VersionMetrics> metrics)
    : name_(std::move(name)),
      version_(version),
      version_text_(std::to_string(version)),
      features_(std::move(features)),
      model_(std::move(model)),
      metrics_(std::move(metrics)) {}

Result<std::shared_ptr<const ServedModel>> ServedModel::Create(
    std::string name, int64_t version, std::vector<core::FeatureSpec> features,
    std::shared_ptr<const pipeline::XgbModel> model, std::shared_ptr<VersionMetrics> metrics) {
  if (model == nullptr) return Status::InvalidArgument("serving " + name + ": no model");
  if (features.size() != model->n_features()) {
    return Status::InvalidArgument("serving " + name + " v" + std::to_string(version) + ": " +
                                   std::to_string(features.size()) + " features named, model has " +
                                   std::to_string(model->n_features()));
  }
  if (metrics == nullptr) metrics = std::make_shared<VersionMetrics>(name, std::to_string(version));
  return std::shared_ptr<const ServedModel>(new ServedModel(
      std::move(name), version, std::move(features), std::move(model), std::move(metrics)));
}

Result<std::shared_ptr<const ServedModel>> ServedModel::LoadChampion(registry::Registry& registry,
                                                                     const std::string& name,
                                                                     ServerMetrics& metrics) {
  MLLOOP_ASSIGN_OR_RETURN(std::optional<registry::ModelVersion> champion, registry.Champion(name));
  if (!champion) {
    auto models = registry.ListModels();
    std::string known;
    if (models.ok()) {
      for (const auto& m : *models) known += (known.empty() ? "" : ", ") + m;
    }
    return Status::NotFound("model " + name + " has no champion to serve (models in the store: " +
                            (known.empty() ? "none" : known) + ")");
  }
  return LoadVersion(registry, *champion, metrics);
}

Result<std::shared_ptr<const ServedModel>> ServedModel::LoadVersion(
    registry::Registry& registry, const registry::ModelVersion& version, ServerMetrics& metrics) {
  const std::string& name = version.model;
  const registry::ModelVersion* champion = &version;
  const std::string what = "serving " + name + " v" + std::to_string(champion->version);
  auto bytes = registry.LoadArtifact(*champion);
  if (!bytes.ok()) return bytes.status().WithContext(what);

  core::Task task = core::Task::kBinaryClassification;
  std::vector<core::FeatureSpec> features;
  if (!champion->lineage.config_text.empty()) {
    auto config = config::ParseModelConfig(champion->lineage.config_text, name + ".yaml");
    if (!config.ok()) return config.status().WithContext(what + ": the config in its lineage");
    task = config->schema.label.task;
    features = config->schema.features;
  }
  auto model = pipeline::XgbModel::Load(*bytes, task);
  if (!model.ok() && champion->lineage.config_text.empty()) {
    model = pipeline::XgbModel::Load(*bytes, core::Task::kRegression);
  }
  if (!model.ok()) return model.status().WithContext(what);
  if (features.empty()) {
    for (size_t i = 0; i < (*model)->n_features(); ++i) {
      features.push_back(core::FeatureSpec{"f" + std::to_string(i), core::FeatureType::kNumeric, {}});
    }
  }
  auto served = Create(name, champion->version, std::move(features), std::move(*model),
                       metrics.ForVersion(name, std::to_string(champion->version)));
  if (!served.ok()) return served.status().WithContext(what);
  return served;
}

Status ServedModel::Predict(const float* x, size_t rows, std::vector<float>* out) const {
  if (uses_flat_forest()) return model_->Predict(x, rows, features_.size(), out);
  // One lock for every model that predicts through XGBoost: a model may be shared by
  // several ServedModels, and XgbModel allows one caller at a time.
  static std::mutex xgboost_mu;
  std::lock_guard lock(xgboost_mu);
  return model_->Predict(x, rows, features_.size(), out);
}

}  // namespace mlloop::serve
