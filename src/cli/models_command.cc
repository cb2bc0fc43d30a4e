#include <cstdio>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/registry_cli.h"
#include "cli/table.h"
#include "core/format.h"
#include "core/time.h"
#include "registry/registry.h"

namespace mlloop::cli {


Status RunModelsList(const ModelsArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_RETURN_IF_ERROR(
      Authorize(*reg, args.token, "", registry::Permission::kRead, "models list").status());
  MLLOOP_ASSIGN_OR_RETURN(auto versions, reg->ListVersions(args.model));
  if (args.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& v : versions) arr.push_back(VersionJson(v));
    out << arr.dump(2) << "\n";
    return Status::Ok();
  }
  if (versions.empty()) {
    out << "no model versions" << (args.model.empty() ? "" : " of '" + args.model + "'") << " in "
        << args.store << "\n";
    return Status::Ok();
  }
  Table table({"model", "version", "state", "created", "trained on rows", "data", "evaluation"});
  for (const auto& v : versions) {
    std::string eval = "-";
    MLLOOP_ASSIGN_OR_RETURN(auto evals, reg->EvaluationsFor(v.id));
    if (!evals.empty()) {
      const auto& e = evals.back();
      eval = e.metric + " " + core::FormatFixed(e.candidate_value, 4);
      if (e.champion_value) eval += " vs " + core::FormatFixed(*e.champion_value, 4);
    }
    table.AddRow({v.model, "v" + std::to_string(v.version),
                  std::string(registry::VersionStateName(v.state)),
                  core::FormatTimestamp(v.created_at),
                  std::to_string(v.lineage.row_begin) + ".." + std::to_string(v.lineage.row_end),
                  v.lineage.data_hash.substr(0, 12), eval});
  }
  out << table.Render();
  return Status::Ok();
}

Status RunModelsShow(const ModelsArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_RETURN_IF_ERROR(
      Authorize(*reg, args.token, "", registry::Permission::kRead, "models show").status());
  MLLOOP_ASSIGN_OR_RETURN(std::string model, ResolveModel(*reg, args.model, args.store));
  MLLOOP_ASSIGN_OR_RETURN(auto v, ResolveVersion(*reg, model, args.version));
  MLLOOP_ASSIGN_OR_RETURN(auto evals, reg->EvaluationsFor(v.id));
  std::optional<registry::Decision> decision;
  if (v.decision_id) {
    MLLOOP_ASSIGN_OR_RETURN(decision, reg->GetDecision(*v.decision_id));
  }

  if (args.json) {
    nlohmann::json j = VersionJson(v);
    nlohmann::json ej = nlohmann::json::array();
    for (const auto& e : evals) ej.push_back(EvaluationJson(e));
    j["evaluations"] = ej;
    if (decision) j["decision"] = DecisionJson(*decision);
    out << j.dump(2) << "\n";
    return Status::Ok();
  }

  const auto& l = v.lineage;
  out << v.model << " v" << v.version << "  (" << registry::VersionStateName(v.state) << ")\n"
      << "  created        " << core::FormatTimestamp(v.created_at) << "\n"
      << "  artifact       sha256:" << v.artifact_sha256 << "\n";
  if (v.rollback_target) {
    MLLOOP_ASSIGN_OR_RETURN(auto target, reg->GetVersionById(*v.rollback_target));
    out << "  rollback to    v" << target.version << "\n";
  }
  out << "lineage\n"
      << "  data           " << l.data_source << "\n"
      << "  rows           " << l.row_begin << ".." << l.row_end << " (" << l.training_window
      << ")\n"
      << "  time           " << core::FormatTimestamp(l.time_begin) << " .. "
      << core::FormatTimestamp(l.time_end) << "\n"
      << "  data sha256    " << l.data_hash << "\n"
      << "  config sha256  " << l.config_hash << "\n"
      << "  parameters     " << l.params_json << "\n"
      << "  seed           " << l.seed << "\n"
      << "  xgboost        " << l.xgboost_version << "\n"
      << "  mlloop         " << l.mlloop_version << " (" << l.git_commit << ")\n"
      << "  train time     " << core::FormatFixed(l.train_seconds, 3) << " s\n";
  if (decision) {
    out << "decision #" << decision->id << " (" << decision->policy << " policy, "
        << core::FormatTimestamp(decision->time) << ")\n"
        << "  action         " << decision->action << "\n"
        << "  reason         " << decision->reason << "\n";
    if (!decision->outcome.empty()) out << "  outcome        " << decision->outcome << "\n";
    auto signals = nlohmann::json::parse(decision->signals_json)["signals"];
    for (const auto& s : signals) {
      out << "  signal         " << s["path"].get<std::string>() << " "
          << s["name"].get<std::string>() << " = " << core::FormatFixed(s["value"].get<double>(), 4)
          << " " << s["comparison"].get<std::string>() << " "
          << core::FormatFixed(s["threshold"].get<double>(), 4)
          << (s["available"].get<bool>() ? (s["fired"].get<bool>() ? "  fired" : "  quiet")
                                         : "  n/a");
      const auto detail = s["detail"].get<std::string>();
      if (!detail.empty()) out << "  (" << detail << ")";
      out << "\n";
    }
  } else {
    out << "decision       none (first model)\n";
  }
  for (const auto& e : evals) {
    out << "evaluation (" << core::FormatTimestamp(e.time) << ")\n"
        << "  " << e.reason << "\n";
    if (e.report_json.empty()) continue;
    // One line per gate: its verdict with the numbers.
    const auto report = nlohmann::json::parse(e.report_json);
    for (const auto& g : report.value("gates", nlohmann::json::array())) {
      out << "  gate " << g.value("name", "?") << ": " << g.value("reason", "") << "\n";
    }
    if (v.state == registry::VersionState::kValidated) {
      // What an approver reads before `mlloop approve` (approval: manual).
      out << "  the full report: mlloop evaluate " << v.version << " --html v" << v.version
          << ".html --store " << args.store << "\n";
    }
  }
  return Status::Ok();
}

}  // namespace mlloop::cli
