#include "registry/audit_chain.h"

#include "core/hash.h"

namespace mlloop::registry {
namespace {

void AddField(core::Sha256& h, std::string_view field) {
  h.Update(std::to_string(field.size()));
  h.Update(":");
  h.Update(field);
  h.Update("\n");
}

}  // namespace

std::string AuditEntryHash(const store::AuditEntry& e) {
  core::Sha256 h;
  h.Update("mlloop-audit-v1\n");
  h.Update(e.prev_hash);
  h.Update("\n");
  h.Update(std::to_string(e.id));
  h.Update("\n");
  h.Update(std::to_string(e.time));
  h.Update("\n");
  AddField(h, e.actor);
  AddField(h, e.action);
  AddField(h, e.subject);
  AddField(h, e.details_json);
  return h.HexDigest();
}

Status CheckAuditEntry(const store::AuditEntry& e, const std::string& expected_prev_hash) {
  std::string where = "audit entry " + std::to_string(e.id) + ": ";
  if (e.prev_hash != expected_prev_hash) {
    return Status::DataLoss(where + "prev_hash " + e.prev_hash +
                            " does not match the entry before it (" + expected_prev_hash +
                            "); an entry was removed, reordered or edited");
  }
  std::string actual = AuditEntryHash(e);
  if (actual != e.hash) {
    return Status::DataLoss(where + "hash " + e.hash + " does not match its content (" + actual +
                            "); the entry was edited");
  }
  return Status::Ok();
}

}  // namespace mlloop::registry
