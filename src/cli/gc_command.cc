// `mlloop gc [--apply]`: the artifacts no live, approved or rollback-target version needs,
// and the disk each model uses; removed only with --apply.
#include <ostream>

#include "cli/commands.h"
#include "cli/registry_cli.h"
#include "cli/table.h"
#include "core/clock.h"
#include "core/format.h"

namespace mlloop::cli {
namespace {

std::string Bytes(uint64_t n) {
  if (n < 1000) return std::to_string(n) + " B";
  if (n < 1000 * 1000) return core::FormatFixed(static_cast<double>(n) / 1e3, 1) + " kB";
  return core::FormatFixed(static_cast<double>(n) / 1e6, 1) + " MB";
}

}  // namespace

Status RunGc(const GcArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_ASSIGN_OR_RETURN(
      registry::Principal who,
      Authorize(*reg, args.token, "",
                args.apply ? registry::Permission::kAdminister : registry::Permission::kRead,
                args.apply ? "gc --apply" : "gc"));
  // The disk use reported is the state before removal either way.
  MLLOOP_ASSIGN_OR_RETURN(registry::GarbagePlan before, reg->PlanGarbageCollection());
  registry::GarbagePlan plan = before;
  if (args.apply) {
    MLLOOP_ASSIGN_OR_RETURN(plan, reg->CollectGarbage(who.name, core::RealClock().Now()));
  }

  if (args.json) {
    nlohmann::json models = nlohmann::json::array();
    for (const auto& m : before.models) {
      models.push_back({{"model", m.model},
                        {"versions", m.versions},
                        {"bytes", m.bytes},
                        {"collectable_versions", m.collectable_versions},
                        {"collectable_bytes", m.collectable_bytes},
                        {"snapshot_bytes", m.snapshot_bytes}});
    }
    nlohmann::json versions = nlohmann::json::array();
    for (const auto& v : plan.versions) versions.push_back(v.model + " v" + std::to_string(v.version));
    out << nlohmann::json{{"applied", args.apply},
                          {"total_bytes", before.total_bytes},
                          {"bytes", plan.bytes},
                          {"blobs", plan.blobs.size()},
                          {"versions", versions},
                          {"models", models}}
               .dump(2)
        << "\n";
    return Status::Ok();
  }
  if (before.models.empty()) {
    out << "no artifacts in " << args.store << "\n";
  } else {
    Table table({"model", "versions", "on disk", "collectable versions", "collectable",
                 "data snapshots (kept)"});
    for (const auto& m : before.models) {
      table.AddRow({m.model, std::to_string(m.versions), Bytes(m.bytes),
                    std::to_string(m.collectable_versions), Bytes(m.collectable_bytes),
                    Bytes(m.snapshot_bytes)});
    }
    out << table.Render();
  }
  out << (args.apply ? "removed " : "would remove ") << plan.blobs.size() << " artifact files ("
      << Bytes(plan.bytes) << " of " << Bytes(before.total_bytes) << ") no live, approved or "
      << "rollback-target version needs; " << plan.versions.size() << " versions "
      << (args.apply ? "marked collected" : "affected")
      << (args.apply ? "\n" : "\ndry run: nothing was removed; `mlloop gc --apply` removes it\n");
  return Status::Ok();
}

}  // namespace mlloop::cli
