// `mlloop approve V`, `mlloop reject V` and `mlloop rollback`: a person's decision about a
// model version, recorded with their name and reason in the audit log.
#include <ostream>

#include "cli/commands.h"
#include "cli/registry_cli.h"
#include "core/clock.h"

namespace mlloop::cli {
namespace {

using registry::VersionState;

std::string Label(const registry::ModelVersion& v) {
  return v.model + " v" + std::to_string(v.version);
}

// Prints the version's new state, for people or as JSON.
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
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_ASSIGN_OR_RETURN(std::string model, ResolveModel(*reg, args.model, args.store));
  MLLOOP_ASSIGN_OR_RETURN(registry::ModelVersion v, ResolveVersion(*reg, model, args.version));
  MLLOOP_RETURN_IF_ERROR(reg->Approve(v.id, args.as, args.reason, core::RealClock().Now()));
  return Report(*reg, args, v.id,
                "approved " + Label(v) + " as " + args.as +
                    "; the controller promotes it at its next tick",
                out);
}

Status RunReject(const DecideArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_ASSIGN_OR_RETURN(std::string model, ResolveModel(*reg, args.model, args.store));
  MLLOOP_ASSIGN_OR_RETURN(registry::ModelVersion v, ResolveVersion(*reg, model, args.version));
  MLLOOP_RETURN_IF_ERROR(reg->Reject(v.id, args.as, args.reason, core::RealClock().Now()));
  return Report(*reg, args, v.id, "rejected " + Label(v) + " as " + args.as, out);
}

Status RunRollback(const DecideArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_ASSIGN_OR_RETURN(std::string model, ResolveModel(*reg, args.model, args.store));
  MLLOOP_ASSIGN_OR_RETURN(registry::ModelVersion champion, ResolveVersion(*reg, model, "champion"));
  // Only a rollback that leaves a champion serving: the previous one must still be there.
  std::optional<registry::ModelVersion> target;
  if (champion.rollback_target) {
    MLLOOP_ASSIGN_OR_RETURN(target, reg->GetVersionById(*champion.rollback_target));
  }
  if (!target || target->state != VersionState::kRetired) {
    return Status::FailedPrecondition(
        Label(champion) + " has no previous champion to go back to" +
        (target ? " (" + Label(*target) + " is " +
                      std::string(registry::VersionStateName(target->state)) + ")"
                : "") +
        "; nothing was changed");
  }
  MLLOOP_RETURN_IF_ERROR(reg->Transition(champion.id, VersionState::kRolledBack, args.as,
                                         args.reason, core::RealClock().Now()));
  return Report(*reg, args, target->id,
                "rolled back " + Label(champion) + "; " + Label(*target) + " is champion again",
                out);
}

}  // namespace mlloop::cli
