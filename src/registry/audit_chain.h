// The audit log's hash chain: each entry's hash covers the previous entry's hash and the
// entry's own fields, so editing, deleting or reordering any entry but the newest breaks
// every hash after it. (Removing the newest entries is only caught against a head hash
// kept elsewhere; `mlloop audit verify` may add that later.)
//
// hash = hex(SHA-256(
//   "mlloop-audit-v1\n" prev_hash "\n" id "\n" time "\n"
//   len(actor) ":" actor "\n" len(action) ":" action "\n"
//   len(subject) ":" subject "\n" len(details_json) ":" details_json "\n"))
// with integers in decimal and lengths in bytes; prev_hash is "" for the first entry.
#pragma once

#include <optional>
#include <string>

#include "store/records.h"

namespace mlloop::registry {

// The hash `e` should carry, given its prev_hash and fields (its `hash` is ignored).
std::string AuditEntryHash(const store::AuditEntry& e);

// Checks one entry against the hash of the entry before it ("" for the first). Returns
// DataLoss naming the entry id and what does not match.
Status CheckAuditEntry(const store::AuditEntry& e, const std::string& expected_prev_hash);

}  // namespace mlloop::registry
