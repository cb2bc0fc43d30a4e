#include "rollout/validation_predictions.h"

#include <algorithm>
#include <filesystem>

#include "config/model_config.h"
#include "io/csv_reader.h"

namespace mlloop::rollout {

Result<std::vector<float>> ValidationPredictions(const registry::ModelVersion& version,
                                                 const serve::ServedModel& model) {
  const std::string what =
      "validation predictions of " + version.model + " v" + std::to_string(version.version);
  const registry::Lineage& lineage = version.lineage;
  if (lineage.config_text.empty() || lineage.data_source.empty()) {
    return Status::NotFound(what + ": its lineage records no config or data file");
  }
  std::error_code ec;
  if (!std::filesystem::exists(lineage.data_source, ec)) {
    return Status::NotFound(what + ": the data file " + lineage.data_source + " is gone");
  }
  MLLOOP_ASSIGN_OR_RETURN(config::ModelConfig config,
                          config::ParseModelConfig(lineage.config_text, version.model + ".yaml"));
  auto data = io::ReadCsv(lineage.data_source, config.schema);
  if (!data.ok()) return data.status().WithContext(what);
  const size_t begin = static_cast<size_t>(std::max<int64_t>(lineage.row_end, 0));
  const size_t end =
      std::min(data->rows(), begin + static_cast<size_t>(config.validation.holdout_rows));
  if (begin >= end) {
    return Status::FailedPrecondition(what + ": " + lineage.data_source + " has no rows after row " +
                                      std::to_string(begin));
  }
  if (data->n_features != model.n_features()) {
    return Status::FailedPrecondition(what + ": the data has " + std::to_string(data->n_features) +
                                      " features, the model " + std::to_string(model.n_features()));
  }
  std::vector<float> predictions;
  MLLOOP_RETURN_IF_ERROR(model.Predict(data->Row(begin), end - begin, &predictions));
  return predictions;
}

}  // namespace mlloop::rollout
