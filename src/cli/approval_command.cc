// `mlloop approve V`, `mlloop reject V` and `mlloop rollback`: a person's decision about a
// model version, checked against their role and recorded with their name and reason in the
// audit log.
#include <ostream>

#include "cli/commands.h"
#include "cli/registry_cli.h"
#include "core/clock.h"

namespace mlloop::cli {
namespace {

using registry::Permission;
using registry::VersionState;

std::string Label(const registry::ModelVersion& v) {
  return v.model + " v" + std::to_string(v.version);
}

// The registry, the version named by the arguments (the champion for a rollback), and who
// acts — after the access check for `permission`.
struct Decision {
  std::unique_ptr<registry::Registry> reg;
  registry::ModelVersion version;
  registry::Principal who;
};

Result<Decision> Prepare(const DecideArgs& args, Permission permission, const std::string& verb) {
  const std::string version = permission == Permission::kRollback ? "champion" : args.version;
  MLLOOP_ASSIGN_OR_RETURN(
      Acting a, OpenActing(args.store, args.token, args.as, args.model, permission,
                           verb + " " + (args.model.empty() ? "" : args.model + " ") + version));
  Decision d;
  d.reg = std::move(a.reg);
  d.who = std::move(a.who);
  MLLOOP_ASSIGN_OR_RETURN(d.version, ResolveVersion(*d.reg, a.model, version));
  return d;
}

// Prints the outcome, for people or as JSON.
Status Report(registry::Registry& reg, const DecideArgs& args, int64_t version_id,
              const std::string& message, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(registry::ModelVersion v, reg.GetVersionById(version_id));
  if (args.json) {
    out << nlohmann::json{{"model", v.model},
                          {"version", v.version},
                          {"state", std::string(registry::VersionStateName(v.state))},
                          {"message", message}}
               .dump(2)
        << "\n";
  } else {
    out << message << "\n";
  }
  return Status::Ok();
}

}  // namespace

Status RunApprove(const DecideArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(Decision d, Prepare(args, Permission::kApprove, "approve"));
  MLLOOP_RETURN_IF_ERROR(
      d.reg->Approve(d.version.id, d.who.name, args.reason, core::RealClock().Now()));
  return Report(*d.reg, args, d.version.id,
                "approved " + Label(d.version) + " as " + d.who.name +
                    "; the controller promotes it at its next tick (under `mlloop serve`, the rollout "
                    "deploys it)",
                out);
}

Status RunReject(const DecideArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(Decision d, Prepare(args, Permission::kApprove, "reject"));
  MLLOOP_RETURN_IF_ERROR(
      d.reg->Reject(d.version.id, d.who.name, args.reason, core::RealClock().Now()));
  return Report(*d.reg, args, d.version.id, "rejected " + Label(d.version) + " as " + d.who.name,
                out);
}

Status RunRollback(const DecideArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(Decision d, Prepare(args, Permission::kRollback, "rollback"));
  const registry::ModelVersion& champion = d.version;
  // Only a rollback that leaves a champion serving: the previous one must still be there.
  std::optional<registry::ModelVersion> target;
  if (champion.rollback_target) {
    MLLOOP_ASSIGN_OR_RETURN(target, d.reg->GetVersionById(*champion.rollback_target));
  }
  if (!target || target->state != VersionState::kRetired) {
    return Status::FailedPrecondition(
        Label(champion) + " has no previous champion to go back to" +
        (target ? " (" + Label(*target) + " is " +
                      std::string(registry::VersionStateName(target->state)) + ")"
                : "") +
        "; nothing was changed");
  }
  // The model it goes back to must load, as the server will load it.
  Status loads = d.reg->LoadArtifact(*target).status();
  if (!loads.ok()) {
    return Status::FailedPrecondition("cannot roll back to " + Label(*target) + ": " +
                                      loads.message() + "; nothing was changed");
  }
  MLLOOP_RETURN_IF_ERROR(d.reg->Transition(champion.id, VersionState::kRolledBack, d.who.name,
                                           args.reason, core::RealClock().Now()));
  return Report(*d.reg, args, target->id,
                "rolled back " + Label(champion) + "; " + Label(*target) + " is champion again",
                out);
}

}  // namespace mlloop::cli
