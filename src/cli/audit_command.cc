// `mlloop audit`: the audit log, filtered; `mlloop audit verify`: is it intact?
#include <ostream>

#include "cli/commands.h"
#include "cli/registry_cli.h"
#include "cli/table.h"
#include "core/clock.h"
#include "core/time.h"

namespace mlloop::cli {
namespace {

constexpr size_t kDetailsWidth = 100;

// --since: an ISO 8601 time, or a duration back from now ("7d").
Result<int64_t> ParseSince(const std::string& text) {
  if (text.empty()) return int64_t{0};
  auto time = core::ParseTimestamp(text);
  if (time.ok()) return time;
  auto ago = core::ParseDuration(text);
  if (ago.ok()) return core::RealClock().Now() - *ago;
  return Status::InvalidArgument("--since '" + text +
                                 "' is neither a time (2026-11-01T00:00:00Z) nor a duration (7d)");
}

nlohmann::json EntryJson(const registry::AuditEntry& e) {
  auto details = nlohmann::json::parse(e.details_json, nullptr, /*allow_exceptions=*/false);
  return {{"id", e.id},
          {"time", core::FormatTimestamp(e.time)},
          {"actor", e.actor},
          {"action", e.action},
          {"subject", e.subject},
          {"details", details.is_discarded() ? nlohmann::json(e.details_json) : details},
          {"prev_hash", e.prev_hash},
          {"hash", e.hash}};
}

}  // namespace

Status RunAudit(const AuditArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_RETURN_IF_ERROR(
      Authorize(*reg, args.token, "", registry::Permission::kRead, "audit").status());
  store::AuditFilter filter;
  filter.model = args.model;
  filter.actor = args.actor;
  filter.action = args.action;
  MLLOOP_ASSIGN_OR_RETURN(filter.since, ParseSince(args.since));
  MLLOOP_ASSIGN_OR_RETURN(std::vector<registry::AuditEntry> entries,
                          reg->FindAudit(filter, static_cast<size_t>(args.limit)));
  if (args.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& e : entries) arr.push_back(EntryJson(e));
    out << arr.dump(2) << "\n";
    return Status::Ok();
  }
  if (entries.empty()) {
    out << "no audit entries match\n";
    return Status::Ok();
  }
  Table table({"id", "time", "actor", "action", "subject", "details"});
  for (const auto& e : entries) {
    std::string details = e.details_json;
    if (details.size() > kDetailsWidth) details = details.substr(0, kDetailsWidth - 3) + "...";
    table.AddRow({std::to_string(e.id), core::FormatTimestamp(e.time), e.actor, e.action,
                  e.subject, details});
  }
  out << table.Render();
  return Status::Ok();
}

Status RunAuditVerify(const AuditArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_RETURN_IF_ERROR(
      Authorize(*reg, args.token, "", registry::Permission::kRead, "audit verify").status());
  MLLOOP_ASSIGN_OR_RETURN(std::optional<int64_t> bad, reg->FirstBrokenAuditEntry());
  MLLOOP_ASSIGN_OR_RETURN(std::string public_key, reg->PublicKey());
  auto head = reg->VerifyAudit();
  if (args.json) {
    out << nlohmann::json{{"intact", head.ok()},
                          {"first_bad_entry", bad ? nlohmann::json(*bad) : nlohmann::json(nullptr)},
                          {"problem", head.ok() ? "" : head.status().message()},
                          {"entries", head.ok() ? head->entries : 0},
                          {"head_hash", head.ok() ? head->last_hash : ""},
                          {"public_key", public_key}}
               .dump(2)
        << "\n";
  } else if (head.ok()) {
    out << "audit log intact: " << head->entries << " entries, chained and ending at the head"
        << (head->entries > 0 ? " (entry " + std::to_string(head->last_id) + ", hash " +
                                    head->last_hash + ")"
                              : "")
        << "\n"
        << "store key (Ed25519, compare with the one noted when the store was made): "
        << (public_key.empty() ? "none" : public_key) << "\n";
  }
  return head.status();
}

}  // namespace mlloop::cli
