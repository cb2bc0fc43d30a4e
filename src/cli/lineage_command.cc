// `mlloop models lineage V`: everything recorded about where a version came from and what
// happened to it since, for people (default) or machines (--json).
#include <ostream>

#include "cli/commands.h"
#include "cli/registry_cli.h"
#include "core/format.h"
#include "core/time.h"

namespace mlloop::cli {
namespace {

using registry::StateChange;
using registry::VersionState;

// A period in which the version served: as canary or as champion.
struct Deployment {
  VersionState as = VersionState::kChampion;
  const StateChange* start = nullptr;
  const StateChange* end = nullptr;  // null while it lasts
};

std::vector<Deployment> Deployments(const std::vector<StateChange>& history) {
  std::vector<Deployment> out;
  for (const StateChange& c : history) {
    if (!out.empty() && out.back().end == nullptr) out.back().end = &c;
    if (c.to == VersionState::kCanary || c.to == VersionState::kChampion) {
      out.push_back({c.to, &c, nullptr});
    }
  }
  return out;
}

// The newest move into `approved`, or null.
const StateChange* Approval(const std::vector<StateChange>& history) {
  const StateChange* found = nullptr;
  for (const StateChange& c : history) {
    if (c.to == VersionState::kApproved) found = &c;
  }
  return found;
}

nlohmann::json ChangeJson(const StateChange& c) {
  return {{"audit_id", c.audit_id},
          {"time", core::FormatTimestamp(c.time)},
          {"actor", c.actor},
          {"action", c.action},
          {"from", c.from ? nlohmann::json(std::string(registry::VersionStateName(*c.from)))
                          : nlohmann::json(nullptr)},
          {"to", std::string(registry::VersionStateName(c.to))},
          {"reason", c.reason}};
}

// The trainer named in params_json ("xgboost" unless recorded otherwise).
std::string TrainerKind(const registry::Lineage& l) {
  auto params = nlohmann::json::parse(l.params_json.empty() ? "{}" : l.params_json, nullptr,
                                      /*allow_exceptions=*/false);
  if (params.is_object() && params.contains("trainer") && params["trainer"].is_string()) {
    return params["trainer"].get<std::string>();
  }
  return "xgboost";
}

std::string OrUnrecorded(const std::string& s) { return s.empty() ? "(not recorded)" : s; }

}  // namespace

Status RunModelsLineage(const ModelsArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_RETURN_IF_ERROR(
      Authorize(*reg, args.token, "", registry::Permission::kRead, "models lineage").status());
  MLLOOP_ASSIGN_OR_RETURN(std::string model, ResolveModel(*reg, args.model, args.store));
  MLLOOP_ASSIGN_OR_RETURN(registry::ModelVersion v, ResolveVersion(*reg, model, args.version));
  MLLOOP_ASSIGN_OR_RETURN(auto evals, reg->EvaluationsFor(v.id));
  MLLOOP_ASSIGN_OR_RETURN(std::vector<StateChange> history, reg->History(v));
  std::optional<registry::Decision> decision;
  if (v.decision_id) {
    MLLOOP_ASSIGN_OR_RETURN(decision, reg->GetDecision(*v.decision_id));
  }
  std::optional<registry::ModelVersion> target;
  if (v.rollback_target) {
    MLLOOP_ASSIGN_OR_RETURN(target, reg->GetVersionById(*v.rollback_target));
  }
  // The artifact is read back as a server would load it: hash and signature checked.
  const Status artifact = reg->LoadArtifact(v).status();
  const registry::Lineage& l = v.lineage;
  // Live-trained versions keep their training rows in the store (their snapshot).
  const bool snapshot_stored = reg->HasDataSnapshot(v);
  const StateChange* approval = Approval(history);
  const std::vector<Deployment> deployments = Deployments(history);
  const std::string trainer = TrainerKind(l);

  if (args.json) {
    nlohmann::json j = {
        {"id", v.id},
        {"model", v.model},
        {"version", v.version},
        {"state", std::string(registry::VersionStateName(v.state))},
        {"created_at", core::FormatTimestamp(v.created_at)},
        {"artifact_sha256", v.artifact_sha256},
        {"artifact_signature", v.artifact_signature},
        {"artifact_verified", artifact.ok()},
        {"artifact_problem", artifact.message()},
        {"data",
         {{"source", l.data_source},
          {"file_sha256", l.data_file_hash},
          {"snapshot_sha256", l.data_hash},
          {"snapshot_stored", snapshot_stored},
          {"row_begin", l.row_begin},
          {"row_end", l.row_end},
          {"time_begin", core::FormatTimestamp(l.time_begin)},
          {"time_end", core::FormatTimestamp(l.time_end)},
          {"window", l.training_window}}},
        {"code",
         {{"mlloop_version", l.mlloop_version},
          {"git_commit", l.git_commit},
          {"trainer", trainer},
          {"trainer_version", trainer == "xgboost" ? l.xgboost_version : l.trainer_version},
          {"trainer_command_sha256", l.trainer_command_hash}}},
        {"configuration",
         {{"sha256", l.config_hash},
          {"text", l.config_text},
          {"params", nlohmann::json::parse(l.params_json.empty() ? "{}" : l.params_json)},
          {"seed", l.seed},
          {"rounds", l.rounds}}},
        {"environment",
         {{"compiler", l.compiler},
          {"xgboost", l.xgboost_version},
          {"sqlite", l.sqlite_version},
          {"os", l.os}}},
        {"train_seconds", l.train_seconds},
        {"decision", decision ? DecisionJson(*decision) : nlohmann::json(nullptr)},
        {"evaluations", nlohmann::json::array()},
        {"approval", approval ? nlohmann::json{{"by", approval->actor},
                                               {"time", core::FormatTimestamp(approval->time)},
                                               {"reason", approval->reason}}
                              : nlohmann::json(nullptr)},
        {"deployments", nlohmann::json::array()},
        {"rollback_target", target ? nlohmann::json{{"id", target->id}, {"version", target->version}}
                                   : nlohmann::json(nullptr)},
        {"history", nlohmann::json::array()}};
    for (const auto& e : evals) j["evaluations"].push_back(EvaluationJson(e));
    for (const Deployment& d : deployments) {
      j["deployments"].push_back(
          {{"as", std::string(registry::VersionStateName(d.as))},
           {"from", core::FormatTimestamp(d.start->time)},
           {"by", d.start->actor},
           {"until", d.end ? nlohmann::json(core::FormatTimestamp(d.end->time)) : nlohmann::json(nullptr)},
           {"ended_as", d.end ? nlohmann::json(std::string(registry::VersionStateName(d.end->to)))
                              : nlohmann::json(nullptr)}});
    }
    for (const StateChange& c : history) j["history"].push_back(ChangeJson(c));
    out << j.dump(2) << "\n";
    return Status::Ok();
  }

  out << v.model << " v" << v.version << "  (" << registry::VersionStateName(v.state) << ")\n"
      << "  artifact       sha256:" << v.artifact_sha256 << "\n"
      << "                 "
      << (artifact.ok() ? "hash and signature verified" : "NOT VERIFIED: " + artifact.message())
      << "\n"
      << "  created        " << core::FormatTimestamp(v.created_at) << "\n"
      << "data\n"
      << "  source         " << OrUnrecorded(l.data_source) << "\n"
      << "  file sha256    " << OrUnrecorded(l.data_file_hash) << "\n"
      << "  snapshot       sha256:" << l.data_hash
      << (snapshot_stored ? " (its rows are stored: `mlloop reproduce` trains from them)" : "")
      << "\n"
      << "  rows           " << l.row_begin << ".." << l.row_end << " (" << l.training_window
      << ")\n"
      << "  time           " << core::FormatTimestamp(l.time_begin) << " .. "
      << core::FormatTimestamp(l.time_end) << "\n"
      << "code\n"
      << "  mlloop         " << l.mlloop_version << " (commit " << l.git_commit << ")\n"
      << "  trainer        " << trainer << " "
      << (trainer == "xgboost" ? l.xgboost_version : OrUnrecorded(l.trainer_version)) << "\n";
  if (!l.trainer_command_hash.empty()) {
    out << "  command sha256 " << l.trainer_command_hash << "\n";
  }
  out << "configuration\n"
      << "  sha256         " << l.config_hash << "\n"
      << "  parameters     " << l.params_json << "\n"
      << "  seed           " << l.seed << " (" << l.rounds << " rounds)\n"
      << "environment\n"
      << "  compiler       " << OrUnrecorded(l.compiler) << "\n"
      << "  libraries      xgboost " << l.xgboost_version << ", sqlite "
      << OrUnrecorded(l.sqlite_version) << "\n"
      << "  os             " << OrUnrecorded(l.os) << "\n"
      << "  train time     " << core::FormatFixed(l.train_seconds, 3) << " s\n";
  if (decision) {
    out << "decision         #" << decision->id << " " << decision->action << " ("
        << decision->policy << " policy, " << core::FormatTimestamp(decision->time)
        << "): " << decision->reason << "\n";
  } else {
    out << "decision         none (first model)\n";
  }
  for (const auto& e : evals) out << "evaluation       " << e.reason << "\n";
  if (approval) {
    out << "approval         " << approval->actor << " at " << core::FormatTimestamp(approval->time)
        << ": " << approval->reason << "\n";
  } else {
    out << "approval         " << (v.state == VersionState::kValidated ? "awaiting approval" : "none")
        << "\n";
  }
  for (const Deployment& d : deployments) {
    out << "deployed         " << registry::VersionStateName(d.as) << " from "
        << core::FormatTimestamp(d.start->time);
    if (d.end) {
      out << " until " << core::FormatTimestamp(d.end->time) << " (" << registry::VersionStateName(d.end->to)
          << ")";
    } else {
      out << ", serving";
    }
    out << "\n";
  }
  out << "rollback target  " << (target ? "v" + std::to_string(target->version) : "none") << "\n"
      << "history\n";
  for (const StateChange& c : history) {
    out << "  " << core::FormatTimestamp(c.time) << "  " << c.action << " -> "
        << registry::VersionStateName(c.to) << "  by " << c.actor;
    if (!c.reason.empty()) out << ": " << c.reason;
    out << "\n";
  }
  if (!l.config_text.empty()) {
    out << "configuration file (as trained)\n";
    size_t pos = 0;
    while (pos < l.config_text.size()) {
      size_t nl = l.config_text.find('\n', pos);
      if (nl == std::string::npos) nl = l.config_text.size();
      out << "  | " << l.config_text.substr(pos, nl - pos) << "\n";
      pos = nl + 1;
    }
  }
  return Status::Ok();
}

}  // namespace mlloop::cli
