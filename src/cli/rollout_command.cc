// `mlloop rollout status|promote|abort`: an operator's view of and word on the rollout of an
// approved version, through the registry alone (rollout/rollout_record.h), so they work from
// any machine that reaches the store, with or without `mlloop serve` running; a running
// server's rollout controller follows a promote or abort at its next tick.
//
// `rollout status --json` prints one object with these keys (stable):
//   model                 the model's name
//   state                 "idle", "rolling" or "watching"
//   champion              the champion's version number, or null
//   rolling               null, or the version in canary: {version, strategy, step, steps,
//                         weight (its share of traffic), step_started (ISO 8601 or null),
//                         last_entry (the audit action that began the step, or null),
//                         champion (the version it is judged against), decision_id (of
//                         the newest rollout decision about it, or null), guards: {name:
//                         {value, threshold, fired, note}} from that decision}
//   watching              null, or the version watched after its promotion: {version,
//                         strategy, promoted (ISO 8601), promoted_by, previous_champion
//                         (version number or null), watch_seconds (null when its lineage
//                         records no config), watch_ends (ISO 8601 or null), decision_id,
//                         guards}
//   approved              versions waiting for a rollout: [{version, created_at}]
//   recent_decisions      the newest rollout decisions, oldest first: [{id, time, version,
//                         policy, action, reason}]
// `rollout promote|abort --json` prints {model, version, state, champion, decision_id,
// message}.
#include <cstdio>
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/commands.h"
#include "cli/registry_cli.h"
#include "cli/table.h"
#include "core/clock.h"
#include "core/format.h"
#include "core/time.h"
#include "rollout/rollout_record.h"

namespace mlloop::cli {
namespace {

using registry::Permission;
using rollout::RegistryRollout;
using rollout::VersionLabel;

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g%%", share * 100);
  return buf;
}

nlohmann::json VersionNumber(const std::optional<registry::ModelVersion>& v) {
  return v ? nlohmann::json(v->version) : nlohmann::json(nullptr);
}

// The guards of a rollout decision, {name: {value, threshold, fired, note}}.
nlohmann::json Guards(const std::optional<registry::Decision>& d) {
  if (!d) return nlohmann::json::object();
  auto j = nlohmann::json::parse(d->signals_json, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json::object();
}

std::string StateOf(const RegistryRollout& r) {
  return r.canary ? "rolling" : r.watched ? "watching" : "idle";
}

Result<Acting> Prepare(const DecideArgs& args, Permission permission, const std::string& verb) {
  return OpenActing(args.store, args.token, args.as, args.model, permission,
                    "rollout " + verb + (args.model.empty() ? "" : " " + args.model));
}

nlohmann::json StatusJson(registry::Registry& reg, const RegistryRollout& r) {
  nlohmann::json j = {{"model", r.model},
                      {"state", StateOf(r)},
                      {"champion", VersionNumber(r.champion)},
                      {"rolling", nullptr},
                      {"watching", nullptr},
                      {"approved", nlohmann::json::array()},
                      {"recent_decisions", nlohmann::json::array()}};
  const nlohmann::json decision_id =
      r.decision ? nlohmann::json(r.decision->id) : nlohmann::json(nullptr);
  if (r.canary) {
    j["rolling"] = {
        {"version", r.canary->version},
        {"strategy", r.entry ? nlohmann::json(r.entry->strategy) : nlohmann::json(nullptr)},
        {"step", r.entry ? nlohmann::json(r.entry->step) : nlohmann::json(nullptr)},
        {"steps", r.entry ? nlohmann::json(r.entry->steps) : nlohmann::json(nullptr)},
        {"weight", r.entry ? nlohmann::json(r.entry->weight) : nlohmann::json(nullptr)},
        {"step_started",
         r.entry ? nlohmann::json(core::FormatTimestamp(r.entry->time)) : nlohmann::json(nullptr)},
        {"last_entry", r.entry ? nlohmann::json(r.entry->action) : nlohmann::json(nullptr)},
        {"champion", VersionNumber(r.champion)},
        {"decision_id", decision_id},
        {"guards", Guards(r.decision)}};
  }
  if (r.watched) {
    std::optional<registry::ModelVersion> previous;
    if (r.watched->rollback_target) {
      auto v = reg.GetVersionById(*r.watched->rollback_target);
      if (v.ok()) previous = *v;
    }
    j["watching"] = {
        {"version", r.watched->version},
        {"strategy", r.entry->strategy},
        {"promoted", core::FormatTimestamp(r.entry->time)},
        {"promoted_by", r.entry->actor},
        {"previous_champion", VersionNumber(previous)},
        {"watch_seconds",
         r.watch_seconds ? nlohmann::json(*r.watch_seconds) : nlohmann::json(nullptr)},
        {"watch_ends", r.watch_seconds
                           ? nlohmann::json(core::FormatTimestamp(r.entry->time + *r.watch_seconds))
                           : nlohmann::json(nullptr)},
        {"decision_id", decision_id},
        {"guards", Guards(r.decision)}};
  }
  for (const auto& v : r.approved) {
    j["approved"].push_back(
        {{"version", v.version}, {"created_at", core::FormatTimestamp(v.created_at)}});
  }
  for (const auto& d : r.recent) {
    // Decisions name version ids; users read version numbers.
    nlohmann::json version = nullptr;
    if (d.version_id) {
      auto v = reg.GetVersionById(*d.version_id);
      if (v.ok()) version = v->version;
    }
    j["recent_decisions"].push_back({{"id", d.id},
                                     {"time", core::FormatTimestamp(d.time)},
                                     {"version", version},
                                     {"policy", d.policy},
                                     {"action", d.action},
                                     {"reason", d.reason}});
  }
  return j;
}

void PrintGuards(const std::optional<registry::Decision>& d, std::ostream& out) {
  const nlohmann::json guards = Guards(d);
  if (!d) return;
  out << "  guards       decision #" << d->id << " at " << core::FormatTimestamp(d->time);
  if (guards.empty()) {
    out << ": none judged yet\n";
    return;
  }
  out << "\n";
  Table table({"    guard", "value", "threshold", "verdict", "note"});
  for (const auto& [name, g] : guards.items()) {
    table.AddRow({"    " + name, core::FormatShortest(g.value("value", 0.0)),
                  core::FormatShortest(g.value("threshold", 0.0)),
                  g.value("fired", false) ? "FIRED" : "held", g.value("note", std::string())});
  }
  out << table.Render();
}

void PrintStatus(const RegistryRollout& r, int64_t now, std::ostream& out) {
  out << r.model << ": " << (r.idle() ? "no rollout in progress" : StateOf(r)) << "\n";
  out << "  champion     " << (r.champion ? VersionLabel(*r.champion) : "none") << "\n";
  if (r.canary) {
    out << "  rolling out  " << VersionLabel(*r.canary);
    if (r.entry) {
      out << " (" << r.entry->strategy << "), step " << r.entry->step << "/" << r.entry->steps
          << ", " << Percent(r.entry->weight) << " of traffic, since "
          << core::FormatTimestamp(r.entry->time) << " (" << r.entry->action << " by "
          << r.entry->actor << ")";
    } else {
      out << " (no rollout step recorded yet)";
    }
    out << "\n";
    PrintGuards(r.decision, out);
  }
  if (r.watched) {
    out << "  watching     " << VersionLabel(*r.watched) << ", promoted "
        << core::FormatTimestamp(r.entry->time) << " by " << r.entry->actor;
    if (r.watch_seconds) {
      const int64_t ends = r.entry->time + *r.watch_seconds;
      out << "; the watch ends " << core::FormatTimestamp(ends)
          << (ends > now ? " (in " + core::FormatDuration(ends - now) + ")"
                         : " (overdue: no server has ended it)");
    } else {
      out << "; watch length unknown (its lineage records no config)";
    }
    out << "\n";
    PrintGuards(r.decision, out);
  }
  for (const auto& v : r.approved) {
    out << "  approved     " << VersionLabel(v) << ", waiting for a rollout\n";
  }
  if (r.recent.empty()) return;
  out << "recent rollout decisions\n";
  Table table({"  time", "action", "reason"});
  for (const auto& d : r.recent) {
    table.AddRow({"  " + core::FormatTimestamp(d.time), d.action, d.reason});
  }
  out << table.Render();
}

// Prints what a promote or abort did, for people or as JSON.
void Report(const DecideArgs& args, const rollout::OperatorStep& step, std::ostream& out) {
  const std::string message =
      step.reason + "; " +
      (step.champion ? VersionLabel(*step.champion) + " is champion" : "the model has no champion") +
      " (a running `mlloop serve` follows at its next rollout tick)";
  if (args.json) {
    out << nlohmann::json{{"model", step.version.model},
                          {"version", step.version.version},
                          {"state", std::string(registry::VersionStateName(step.version.state))},
                          {"champion", VersionNumber(step.champion)},
                          {"decision_id", step.decision_id},
                          {"message", message}}
               .dump(2)
        << "\n";
  } else {
    out << message << "\n";
  }
}

}  // namespace

Status RunRolloutStatus(const DecideArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(Acting o, Prepare(args, Permission::kRead, "status"));
  MLLOOP_ASSIGN_OR_RETURN(RegistryRollout r, rollout::ReadRollout(*o.reg, o.model));
  if (args.json) {
    out << StatusJson(*o.reg, r).dump(2) << "\n";
  } else {
    PrintStatus(r, core::RealClock().Now(), out);
  }
  return Status::Ok();
}

Status RunRolloutPromote(const DecideArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(Acting o, Prepare(args, Permission::kApprove, "promote"));
  MLLOOP_ASSIGN_OR_RETURN(
      rollout::OperatorStep step,
      rollout::PromoteCanary(*o.reg, o.model, o.who.name, args.reason, core::RealClock().Now()));
  Report(args, step, out);
  return Status::Ok();
}

Status RunRolloutAbort(const DecideArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(Acting o, Prepare(args, Permission::kRollback, "abort"));
  MLLOOP_ASSIGN_OR_RETURN(
      rollout::OperatorStep step,
      rollout::AbortRollout(*o.reg, o.model, o.who.name, args.reason, core::RealClock().Now()));
  Report(args, step, out);
  return Status::Ok();
}

}  // namespace mlloop::cli
