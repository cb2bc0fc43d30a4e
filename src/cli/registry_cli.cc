#include "cli/registry_cli.h"

#include <cstdlib>
#include <filesystem>

#include "core/clock.h"
#include "core/time.h"

namespace mlloop::cli {

Result<std::unique_ptr<registry::Registry>> OpenExistingRegistry(const std::string& dir) {
  if (!std::filesystem::exists(std::filesystem::path(dir) / "registry.db")) {
    return Status::NotFound("no registry in '" + dir +
                            "' (create one with `mlloop simulate CONFIG --store " + dir + "`)");
  }
  return registry::Registry::Open(dir);
}

Result<std::string> ResolveModel(registry::Registry& reg, const std::string& model,
                                 const std::string& store) {
  if (!model.empty()) return model;
  MLLOOP_ASSIGN_OR_RETURN(std::vector<std::string> models, reg.ListModels());
  if (models.empty()) return Status::NotFound("no model versions in " + store);
  if (models.size() > 1) {
    std::string names;
    for (const std::string& m : models) names += (names.empty() ? "" : ", ") + m;
    return Status::InvalidArgument("the registry in " + store + " holds several models (" +
                                   names + "); name one with --model");
  }
  return models.front();
}

Result<registry::ModelVersion> ResolveVersion(registry::Registry& reg, const std::string& model,
                                              const std::string& text) {
  if (text == "champion") {
    MLLOOP_ASSIGN_OR_RETURN(auto champion, reg.Champion(model));
    if (!champion) return Status::NotFound("model '" + model + "' has no champion");
    return *champion;
  }
  std::string digits = !text.empty() && text[0] == 'v' ? text.substr(1) : text;
  int64_t number = 0;
  const bool numeric = !digits.empty() && digits.size() < 18 &&
                       digits.find_first_not_of("0123456789") == std::string::npos;
  if (numeric) number = std::stoll(digits);
  if (!numeric || number <= 0) {
    return Status::InvalidArgument("'" + text + "' is not a version (expected 3, v3 or champion)");
  }
  return reg.GetVersion(model, number);
}

registry::Credentials CliCredentials(const std::string& token_flag, const std::string& as) {
  registry::Credentials c;
  c.token = token_flag;
  if (c.token.empty()) {
    if (const char* env = std::getenv("MLLOOP_TOKEN")) c.token = env;
  }
  c.claimed_name = as;
  if (const char* user = std::getenv("USER")) c.local_name = user;
  return c;
}

Result<registry::Principal> Authorize(registry::Registry& reg, const std::string& token_flag,
                                      const std::string& as, registry::Permission permission,
                                      const std::string& what) {
  return reg.Authorize(CliCredentials(token_flag, as), permission, what, core::RealClock().Now());
}

Result<Acting> OpenActing(const std::string& store, const std::string& token_flag,
                          const std::string& as, const std::string& model,
                          registry::Permission permission, const std::string& what) {
  Acting a;
  MLLOOP_ASSIGN_OR_RETURN(a.reg, OpenExistingRegistry(store));
  MLLOOP_ASSIGN_OR_RETURN(a.who, Authorize(*a.reg, token_flag, as, permission, what));
  MLLOOP_ASSIGN_OR_RETURN(a.model, ResolveModel(*a.reg, model, store));
  return a;
}

Status CheckMayTrain(const std::string& store, const std::string& token_flag,
                     const std::string& what) {
  if (!std::filesystem::exists(std::filesystem::path(store) / "registry.db")) return Status::Ok();
  MLLOOP_ASSIGN_OR_RETURN(auto reg, registry::Registry::Open(store));
  return Authorize(*reg, token_flag, "", registry::Permission::kTrain, what).status();
}

nlohmann::json OptionalJson(const std::optional<int64_t>& v) {
  return v ? nlohmann::json(*v) : nlohmann::json(nullptr);
}

nlohmann::json LineageJson(const registry::Lineage& l) {
  return {{"data_hash", l.data_hash},
          {"data_source", l.data_source},
          {"data_file_hash", l.data_file_hash},
          {"row_begin", l.row_begin},
          {"row_end", l.row_end},
          {"time_begin", core::FormatTimestamp(l.time_begin)},
          {"time_end", core::FormatTimestamp(l.time_end)},
          {"training_window", l.training_window},
          {"config_hash", l.config_hash},
          {"params", nlohmann::json::parse(l.params_json.empty() ? "{}" : l.params_json)},
          {"seed", l.seed},
          {"rounds", l.rounds},
          {"mlloop_version", l.mlloop_version},
          {"git_commit", l.git_commit},
          {"trainer_version", l.trainer_version},
          {"trainer_command_hash", l.trainer_command_hash},
          {"xgboost_version", l.xgboost_version},
          {"sqlite_version", l.sqlite_version},
          {"compiler", l.compiler},
          {"os", l.os},
          {"train_seconds", l.train_seconds}};
}

nlohmann::json VersionJson(const registry::ModelVersion& v) {
  return {{"id", v.id},
          {"model", v.model},
          {"version", v.version},
          {"state", std::string(registry::VersionStateName(v.state))},
          {"created_at", core::FormatTimestamp(v.created_at)},
          {"artifact_sha256", v.artifact_sha256},
          {"lineage", LineageJson(v.lineage)},
          {"decision_id", OptionalJson(v.decision_id)},
          {"rollback_target", OptionalJson(v.rollback_target)}};
}

nlohmann::json DecisionJson(const registry::Decision& d) {
  nlohmann::json j = {
      {"id", d.id},
      {"policy", d.policy},
      {"time", core::FormatTimestamp(d.time)},
      {"action", d.action},
      {"reason", d.reason},
      {"budget_left", d.budget_left},
      {"signals", nlohmann::json::parse(d.signals_json).value("signals", nlohmann::json())}};
  if (!d.outcome.empty()) j["outcome"] = d.outcome;
  return j;
}

nlohmann::json EvaluationJson(const registry::Evaluation& e) {
  return {{"metric", e.metric},
          {"candidate", e.candidate_value},
          {"champion", e.champion_value ? nlohmann::json(*e.champion_value) : nlohmann::json(nullptr)},
          {"rows", e.rows},
          {"margin", e.margin},
          {"passed", e.passed},
          {"reason", e.reason},
          {"time", core::FormatTimestamp(e.time)},
          // Every gate with its numbers; null for evaluations from before gates.
          {"report", e.report_json.empty() ? nlohmann::json(nullptr)
                                           : nlohmann::json::parse(e.report_json)}};
}

}  // namespace mlloop::cli
