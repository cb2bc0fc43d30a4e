#include "rollout/rollout_record.h"

#include <nlohmann/json.hpp>

#include "config/model_config.h"

namespace mlloop::rollout {
namespace {

using registry::ModelVersion;
using registry::VersionState;

bool StartsWith(std::string_view s, std::string_view prefix) {
  return s.substr(0, prefix.size()) == prefix;
}

// The rollout section of the config recorded in `v`'s lineage; nullopt when it records none
// (or one that no longer parses).
std::optional<config::RolloutConfig> RecordedConfig(const ModelVersion& v) {
  if (v.lineage.config_text.empty()) return std::nullopt;
  auto config = config::ParseModelConfig(v.lineage.config_text, v.model + ".yaml");
  if (!config.ok()) return std::nullopt;
  return config->rollout;
}

Result<RolloutEntry> ParseEntry(const registry::AuditEntry& e) {
  auto details = nlohmann::json::parse(e.details_json, nullptr, /*allow_exceptions=*/false);
  if (!details.is_object()) {
    return Status::DataLoss("audit entry #" + std::to_string(e.id) + " (" + e.action +
                            ") does not hold the JSON of a rollout step");
  }
  RolloutEntry r;
  r.audit_id = e.id;
  r.time = e.time;
  r.actor = e.actor;
  r.action = e.action;
  try {
    r.decision_id = details.value("decision_id", int64_t{0});
    r.strategy = details.value("strategy", std::string("canary"));
    r.step = details.value("step", size_t{0});
    r.steps = details.value("steps", size_t{0});
    r.weight = details.value("weight", 0.0);
    r.champion = details.value("champion", std::string());
    r.reason = details.value("reason", std::string());
  } catch (const nlohmann::json::exception& ex) {
    return Status::DataLoss("audit entry #" + std::to_string(e.id) + " (" + e.action +
                            "): " + ex.what());
  }
  return r;
}

// Where the rollout of `version` stands for a step recorded now: from its newest rollout
// entry, or, before any, step 1 of the rollout its recorded config describes.
void StepOf(const ModelVersion& version, const std::optional<RolloutEntry>& entry,
            RolloutStep* step) {
  if (entry) {
    step->strategy = entry->strategy;
    step->step = entry->step;
    step->steps = entry->steps;
    step->weight = entry->weight;
    return;
  }
  const config::RolloutConfig c = RecordedConfig(version).value_or(config::RolloutConfig{});
  step->strategy = std::string(config::RolloutStrategyName(c.strategy));
  step->step = 1;
  step->steps = StepCount(c);
  step->weight = StepWeight(c, 0);
}

std::string StepText(const RolloutStep& s) {
  return std::to_string(s.step) + "/" + std::to_string(s.steps);
}

// Runs `body` inside one registry transaction (which also takes the store's write lock, so
// what it reads cannot change before it writes); rolled back when it fails.
template <typename Body>
auto InTransaction(registry::Registry& registry, Body body) -> decltype(body()) {
  MLLOOP_RETURN_IF_ERROR(registry.Begin());
  auto result = body();
  if (!result.ok()) {
    (void)registry.Rollback();
    return result;
  }
  if (Status s = registry.Commit(); !s.ok()) {
    (void)registry.Rollback();
    return s;
  }
  return result;
}

// Records `step` and reads back the version and champion it leaves.
Result<OperatorStep> Apply(registry::Registry& registry, const RolloutStep& step) {
  OperatorStep out;
  MLLOOP_ASSIGN_OR_RETURN(out.decision_id, RecordRolloutStep(registry, step));
  MLLOOP_ASSIGN_OR_RETURN(out.version, registry.GetVersionById(step.version.id));
  MLLOOP_ASSIGN_OR_RETURN(out.champion, registry.Champion(step.version.model));
  out.reason = step.reason;
  return out;
}

}  // namespace

std::string VersionLabel(const ModelVersion& v) {
  return v.model + " v" + std::to_string(v.version);
}

Result<int64_t> RecordRolloutStep(registry::Registry& registry, const RolloutStep& step) {
  const ModelVersion& version = step.version;
  nlohmann::json signals = nlohmann::json::object();
  for (const GuardReading& g : step.guards) {
    signals[g.name] = {{"value", g.value}, {"threshold", g.threshold}, {"fired", g.fired}};
    if (!g.note.empty()) signals[g.name]["note"] = g.note;
  }
  registry::Decision decision;
  decision.model = version.model;
  decision.policy = "rollout:" + step.strategy;
  decision.time = step.time;
  decision.signals_json = signals.dump();
  decision.action = step.action;
  decision.reason = step.reason;
  decision.version_id = version.id;

  return InTransaction(registry, [&]() -> Result<int64_t> {
    MLLOOP_ASSIGN_OR_RETURN(int64_t id, registry.RecordDecision(decision));
    registry::AuditEntry entry;
    entry.time = step.time;
    entry.actor = step.actor;
    entry.action = step.audit_action;
    entry.subject = VersionLabel(version);
    entry.details_json = nlohmann::json{{"decision_id", id},
                                        {"strategy", step.strategy},
                                        {"step", step.step},
                                        {"steps", step.steps},
                                        {"weight", step.weight},
                                        {"champion", step.champion},
                                        {"reason", step.reason}}
                             .dump();
    MLLOOP_RETURN_IF_ERROR(registry.Append(entry));
    if (step.to) {
      MLLOOP_RETURN_IF_ERROR(
          registry.Transition(version.id, *step.to, step.actor, step.reason, step.time));
    }
    return id;
  });
}

Result<RegistryRollout> ReadRollout(registry::Registry& registry, const std::string& model,
                                    size_t recent) {
  RegistryRollout r;
  r.model = model;
  MLLOOP_ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, registry.ListVersions(model));
  if (versions.empty()) return Status::NotFound("the registry has no model named '" + model + "'");
  for (const ModelVersion& v : versions) {  // by version: the newest canary wins
    if (v.state == VersionState::kChampion) r.champion = v;
    if (v.state == VersionState::kCanary) r.canary = v;
    if (v.state == VersionState::kApproved) r.approved.push_back(v);
  }
  const std::optional<ModelVersion>& subject = r.canary ? r.canary : r.champion;
  if (subject) {
    // Only this version's entries ("elec2 v61"), not the model's whole history.
    const std::string label = VersionLabel(*subject);
    store::AuditFilter filter;
    filter.model = label;
    MLLOOP_ASSIGN_OR_RETURN(std::vector<registry::AuditEntry> audit, registry.FindAudit(filter));
    for (auto it = audit.rbegin(); it != audit.rend(); ++it) {
      if (!StartsWith(it->action, "rollout_")) continue;
      MLLOOP_ASSIGN_OR_RETURN(r.entry, ParseEntry(*it));
      break;
    }
  }
  if (!r.canary && r.entry) {
    // The champion: watched when its rollout promoted it last and its config has a watch.
    std::optional<config::RolloutConfig> config = RecordedConfig(*r.champion);
    if (r.entry->action == "rollout_promote" && (!config || config->watch > 0)) {
      r.watched = r.champion;
      if (config) r.watch_seconds = config->watch;
    } else {
      r.entry.reset();
    }
  }
  // The rollout's decisions only: the loop's (one a tick) are most of a model's.
  MLLOOP_ASSIGN_OR_RETURN(std::vector<registry::Decision> decisions,
                          registry.ListDecisions(model, 0, "rollout:"));
  const std::optional<ModelVersion>& current = r.canary ? r.canary : r.watched;
  for (const registry::Decision& d : decisions) {
    if (current && d.version_id == current->id) r.decision = d;
    r.recent.push_back(d);
  }
  if (r.recent.size() > recent) r.recent.erase(r.recent.begin(), r.recent.end() - recent);
  return r;
}

Result<OperatorStep> PromoteCanary(registry::Registry& registry, const std::string& model,
                                   const std::string& actor, const std::string& reason,
                                   int64_t now) {
  return InTransaction(registry, [&]() -> Result<OperatorStep> {
    MLLOOP_ASSIGN_OR_RETURN(RegistryRollout rollout, ReadRollout(registry, model, 0));
    if (!rollout.canary) {
      return Status::FailedPrecondition(
          "no version of " + model + " is in canary, so there is nothing to promote" +
          (rollout.watched ? " (" + VersionLabel(*rollout.watched) +
                                 " was promoted already and is being watched)"
                           : ""));
    }
    RolloutStep step;
    step.version = *rollout.canary;
    StepOf(step.version, rollout.entry, &step);
    step.champion = rollout.champion ? VersionLabel(*rollout.champion) : "";
    step.actor = actor;
    step.action = "none";
    step.reason = "promoted " + VersionLabel(step.version) + " by " + actor + " at step " +
                  StepText(step) + (reason.empty() ? "" : ": " + reason);
    step.audit_action = "rollout_promote";
    step.to = VersionState::kChampion;
    step.time = now;
    return Apply(registry, step);
  });
}

Result<OperatorStep> AbortRollout(registry::Registry& registry, const std::string& model,
                                  const std::string& actor, const std::string& reason,
                                  int64_t now) {
  return InTransaction(registry, [&]() -> Result<OperatorStep> {
    MLLOOP_ASSIGN_OR_RETURN(RegistryRollout rollout, ReadRollout(registry, model, 0));
    if (rollout.idle()) {
      return Status::FailedPrecondition("no rollout of " + model +
                                        " in progress to abort: no version is in canary or "
                                        "being watched after its promotion");
    }
    RolloutStep step;
    step.actor = actor;
    step.action = "rollback";
    step.reason = "aborted by " + actor + (reason.empty() ? "" : ": " + reason);
    step.audit_action = "rollout_rollback";
    step.to = VersionState::kRolledBack;
    step.time = now;
    if (rollout.canary) {
      step.version = *rollout.canary;
      StepOf(step.version, rollout.entry, &step);
      step.champion = rollout.champion ? VersionLabel(*rollout.champion) : "";
      return Apply(registry, step);
    }
    // Watching: the champion before the promotion must still be there to serve again.
    step.version = *rollout.watched;
    std::optional<ModelVersion> previous;
    if (step.version.rollback_target) {
      MLLOOP_ASSIGN_OR_RETURN(previous, registry.GetVersionById(*step.version.rollback_target));
    }
    if (!previous || previous->state != VersionState::kRetired) {
      return Status::FailedPrecondition(
          VersionLabel(step.version) + " has no previous champion to go back to" +
          (previous ? " (" + VersionLabel(*previous) + " is " +
                          std::string(registry::VersionStateName(previous->state)) + ")"
                    : "") +
          "; nothing was changed");
    }
    if (Status loads = registry.LoadArtifact(*previous).status(); !loads.ok()) {
      return Status::FailedPrecondition("cannot go back to " + VersionLabel(*previous) + ": " +
                                        loads.message() + "; nothing was changed");
    }
    StepOf(step.version, rollout.entry, &step);
    step.step = 0;
    step.weight = 0;
    step.champion = VersionLabel(*previous);
    return Apply(registry, step);
  });
}

}  // namespace mlloop::rollout
