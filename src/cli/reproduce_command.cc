// `mlloop reproduce V`: trains a version again from what its lineage recorded — the
// configuration text, the data file and the rows it selected (or, for a version trained on
// live traffic, its stored snapshot of them), the parameters and the seed —
// and says whether the new artifact is byte-identical, or exactly which recorded input is
// no longer available or has changed.
#include <algorithm>
#include <filesystem>
#include <ostream>

#include "cli/commands.h"
#include "cli/registry_cli.h"
#include "config/model_config.h"
#include "core/clock.h"
#include "core/format.h"
#include "core/hash.h"
#include "io/csv_reader.h"
#include "io/snapshot.h"
#include "loop/controller.h"
#include "pipeline/xgb/xgb_model.h"
#include "registry/environment.h"
#include "store/artifact_store.h"

namespace mlloop::cli {
namespace {

enum class Check { kOk, kChanged, kUnavailable };

std::string_view CheckName(Check c) {
  switch (c) {
    case Check::kOk:
      return "ok";
    case Check::kChanged:
      return "changed";
    case Check::kUnavailable:
      return "unavailable";
  }
  return "?";
}

struct Input {
  std::string name;
  Check check = Check::kOk;
  std::string detail;
};

// What reproducing found: every recorded input checked, in order, until one fails.
struct Reproduction {
  std::vector<Input> inputs;
  std::vector<std::string> environment;  // differences that may explain a different artifact
  std::string artifact_sha256;           // "" unless it was trained
  double train_seconds = 0;

  const Input* Failed() const {
    for (const Input& i : inputs) {
      if (i.check != Check::kOk) return &i;
    }
    return nullptr;
  }
  // Adds an input; returns whether it is ok (so callers stop at the first failure).
  bool Add(std::string name, Check check, std::string detail) {
    inputs.push_back({std::move(name), check, std::move(detail)});
    return check == Check::kOk;
  }
};

std::string Short(const std::string& sha) { return sha.substr(0, 12); }

// "rows 4000..8000": the rows a lineage names.
std::string RowsOf(const registry::Lineage& l) {
  return "rows " + std::to_string(l.row_begin) + ".." + std::to_string(l.row_end);
}

// The rows `v` trained on, as the stored snapshot holds them (a version trained on live
// traffic: see registry::Registry::Register), into `data`; false, with the input recorded in
// `r`, when there is no usable snapshot.
bool ReadStoredRows(registry::Registry& reg, const registry::ModelVersion& v, Reproduction& r,
                    core::Dataset* data) {
  const registry::Lineage& l = v.lineage;
  auto bytes = reg.LoadDataSnapshot(v);
  if (!bytes.ok()) {
    r.Add("training rows", Check::kChanged, bytes.status().message());
    return false;
  }
  auto read = io::ReadSnapshot(*bytes);
  if (!read.ok()) {
    r.Add("training rows", Check::kChanged, "the stored snapshot no longer reads: " +
                                                read.status().message());
    return false;
  }
  *data = std::move(read).value();
  return r.Add("training rows", Check::kOk,
               "the stored snapshot of " + RowsOf(l) + " of " + l.data_source + " (" +
                   std::to_string(data->rows()) + " labelled rows), sha256 " + Short(l.data_hash));
}

// The rows `l` names in the data file at `path` (the recorded one, or --data), into `data`
// as rows [*begin, *end); false, with the failed input recorded in `r`, when the file is
// gone, no longer reads, lacks the rows or holds other values in them.
Result<bool> ReadFileRows(const registry::Lineage& l, const std::string& path,
                          const core::Schema& schema, Reproduction& r, core::Dataset* data,
                          size_t* begin, size_t* end) {
  std::error_code ec;
  if (!path.empty() && std::filesystem::is_directory(path, ec)) {
    // An inference log: its labelled rows are not a function of the log alone (a label
    // that came after newer rows were taken was left out), so only a snapshot will do.
    r.Add("training rows", Check::kUnavailable,
          RowsOf(l) + " came from live traffic (" + path +
              ") and no snapshot of them is stored (versions trained live before snapshots "
              "were stored have none)");
    return false;
  }
  // The data file: present, and the same bytes (when its hash was recorded).
  if (path.empty() || !std::filesystem::exists(path, ec)) {
    r.Add("data file", Check::kUnavailable,
          path.empty() ? "no data file was recorded" : path + " no longer exists");
    return false;
  }
  MLLOOP_ASSIGN_OR_RETURN(std::string file_hash, store::Sha256OfFile(path));
  if (!l.data_file_hash.empty() && file_hash != l.data_file_hash) {
    // The rows it trained on may still be there (a file that grew): the snapshot decides.
    r.environment.push_back("the data file " + path + " changed since (sha256 " +
                            Short(l.data_file_hash) + " then, " + Short(file_hash) + " now)");
  }
  r.Add("data file", Check::kOk, path + ", sha256 " + Short(file_hash));

  auto read = io::ReadCsv(path, schema);
  if (!read.ok()) {
    r.Add("training rows", Check::kChanged,
          "the file no longer reads under the recorded schema: " + read.status().message());
    return false;
  }
  *data = std::move(read).value();
  const auto& rows = data->row;
  *begin = static_cast<size_t>(std::lower_bound(rows.begin(), rows.end(), l.row_begin) -
                               rows.begin());
  *end = static_cast<size_t>(std::lower_bound(rows.begin(), rows.end(), l.row_end) -
                             rows.begin());
  if (*begin >= *end || rows[*begin] != l.row_begin || rows[*end - 1] != l.row_end - 1) {
    r.Add("training rows", Check::kUnavailable,
          RowsOf(l) + " are not in " + path + " (it has rows 0.." +
              std::to_string(rows.empty() ? 0 : rows.back() + 1) + ")");
    return false;
  }
  const std::string snapshot = io::SnapshotHash(*data, *begin, *end);
  return r.Add("training rows", snapshot == l.data_hash ? Check::kOk : Check::kChanged,
               RowsOf(l) + ", snapshot sha256 " + Short(snapshot) +
                   (snapshot == l.data_hash ? "" : ", recorded " + Short(l.data_hash)));
}

// Retrains `v` from its lineage into `r`; stops at the first input that fails.
Status Retrain(registry::Registry& reg, const registry::ModelVersion& v,
               const std::string& data_override, Reproduction& r) {
  const registry::Lineage& l = v.lineage;
  // Configuration: the recorded text, which must still hash to the recorded hash.
  if (l.config_text.empty()) {
    r.Add("configuration", Check::kUnavailable,
          "the configuration text was not recorded (the version predates it); only its sha256 " +
              Short(l.config_hash) + " is known");
    return Status::Ok();
  }
  if (core::Sha256Hex(l.config_text) != l.config_hash) {
    r.Add("configuration", Check::kChanged,
          "the recorded text hashes to " + Short(core::Sha256Hex(l.config_text)) +
              ", not the recorded " + Short(l.config_hash));
    return Status::Ok();
  }
  auto config = config::ParseModelConfig(l.config_text, v.model + " v" + std::to_string(v.version) +
                                                            " (recorded configuration)");
  if (!config.ok()) {
    r.Add("configuration", Check::kChanged,
          "the recorded text no longer parses: " + config.status().message());
    return Status::Ok();
  }
  r.Add("configuration", Check::kOk, "recorded text, sha256 " + Short(l.config_hash));
  const std::string params = loop::TrainerParamsJson(*config);
  if (!r.Add("parameters", params == l.params_json ? Check::kOk : Check::kChanged,
             params == l.params_json ? params
                                     : "the configuration now gives " + params +
                                           ", the version recorded " + l.params_json)) {
    return Status::Ok();
  }

  // The training rows: a stored snapshot (a version trained on live traffic), or the same
  // rows of the data file, hashing to the recorded snapshot.
  core::Dataset data;
  size_t begin = 0, end = 0;
  if (data_override.empty() && reg.HasDataSnapshot(v)) {
    if (!ReadStoredRows(reg, v, r, &data)) return Status::Ok();
    end = data.rows();
  } else {
    const std::string path = data_override.empty() ? l.data_source : data_override;
    MLLOOP_ASSIGN_OR_RETURN(bool read, ReadFileRows(l, path, config->schema, r, &data, &begin, &end));
    if (!read) return Status::Ok();
  }

  // What else differs and could change the bytes.
  registry::Lineage now;
  registry::RecordEnvironment(&now);
  now.xgboost_version = pipeline::XgboostVersion();
  auto differ = [&](const std::string& what, const std::string& then, const std::string& current) {
    if (then != current) r.environment.push_back(what + " " + then + " then, " + current + " now");
  };
  differ("xgboost", l.xgboost_version, now.xgboost_version);
  differ("mlloop commit", l.git_commit, now.git_commit);
  differ("compiler", l.compiler, now.compiler);

  const double start = core::MonotonicSeconds();
  MLLOOP_ASSIGN_OR_RETURN(auto model,
                          pipeline::XgbModel::Train(data, begin, end, loop::TrainOptionsFor(*config)));
  MLLOOP_ASSIGN_OR_RETURN(std::string artifact, model->Serialize());
  r.train_seconds = core::MonotonicSeconds() - start;
  r.artifact_sha256 = core::Sha256Hex(artifact);
  return Status::Ok();
}

}  // namespace

Status RunReproduce(const ReproduceArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_RETURN_IF_ERROR(Authorize(*reg, args.token, "", registry::Permission::kTrain,
                                   "reproduce " + (args.model.empty() ? "" : args.model + " ") +
                                       args.version)
                             .status());
  MLLOOP_ASSIGN_OR_RETURN(std::string model, ResolveModel(*reg, args.model, args.store));
  MLLOOP_ASSIGN_OR_RETURN(registry::ModelVersion v, ResolveVersion(*reg, model, args.version));
  const std::string label = v.model + " v" + std::to_string(v.version);

  Reproduction r;
  MLLOOP_RETURN_IF_ERROR(Retrain(*reg, v, args.data, r).WithContext("reproducing " + label));
  const Input* failed = r.Failed();
  const bool identical = failed == nullptr && r.artifact_sha256 == v.artifact_sha256;

  Status result = Status::Ok();
  if (failed != nullptr) {
    const std::string message = "cannot reproduce " + label + ": " + failed->name + " " +
                                std::string(CheckName(failed->check)) + ": " + failed->detail;
    result = failed->check == Check::kUnavailable ? Status::NotFound(message)
                                                  : Status::FailedPrecondition(message);
  } else if (!identical) {
    std::string message = "reproduced " + label + " differs: sha256 " + r.artifact_sha256 +
                          ", recorded " + v.artifact_sha256;
    if (!r.environment.empty()) message += " (" + r.environment.front() + ")";
    result = Status::FailedPrecondition(message);
  }

  if (args.json) {
    nlohmann::json inputs = nlohmann::json::array();
    for (const Input& i : r.inputs) {
      inputs.push_back({{"name", i.name}, {"check", std::string(CheckName(i.check))},
                        {"detail", i.detail}});
    }
    out << nlohmann::json{{"model", v.model},
                          {"version", v.version},
                          {"identical", identical},
                          {"recorded_artifact_sha256", v.artifact_sha256},
                          {"reproduced_artifact_sha256", r.artifact_sha256},
                          {"inputs", inputs},
                          {"environment_differences", r.environment},
                          {"train_seconds", r.train_seconds},
                          {"problem", result.message()}}
               .dump(2)
        << "\n";
    return result;
  }
  out << "reproducing " << label << " from its lineage\n";
  for (const Input& i : r.inputs) {
    out << "  " << i.name << std::string(i.name.size() < 15 ? 15 - i.name.size() : 1, ' ')
        << CheckName(i.check) << ": " << i.detail << "\n";
  }
  for (const std::string& d : r.environment) out << "  note           " << d << "\n";
  if (!r.artifact_sha256.empty()) {
    out << "  trained        in " << core::FormatFixed(r.train_seconds, 2) << " s: sha256 "
        << r.artifact_sha256 << "\n";
  }
  if (identical) {
    out << "identical: the new artifact's sha256 equals the recorded one\n";
  }
  return result;
}

}  // namespace mlloop::cli
