// Who may do what with a registry: roles, permissions, and the one check that the CLI (and
// the HTTP admin API) run before acting — Registry::Authorize (registry.h).
//
// Least privilege, by role:
//   viewer    read (models, lineage, audit, gc dry run)
//   operator  read, train (retrain, simulate into a store, reproduce), roll back
//   approver  read, approve and reject
//   admin     everything, and administer (tokens, gc --apply)
// No role includes another: an operator cannot approve, an approver cannot roll back.
//
// Tokens: 32 random bytes from the OS's CSPRNG (libsodium), shown once as
// "mlloop_<64 hex digits>", stored only as their SHA-256 (a fast hash suffices: the secret
// has 256 bits of entropy, so there is nothing to guess).
//
// Bootstrap: a store in which no token was ever created trusts its local user as admin
// (anyone who can write the database file could do anything anyway). The first token must
// be an admin's; from then on every command needs a token, and revoking every token does
// not reopen the store.
//
// Thread-safety: plain values and pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "store/records.h"

namespace mlloop::registry {

using store::ParseRole;
using store::Role;
using store::RoleName;
using store::Token;

enum class Permission { kRead, kTrain, kRollback, kApprove, kAdminister };

// "read", "train", "roll back", "approve", "administer".
std::string_view PermissionName(Permission p);

// Whether `role` holds `p` (the table above).
bool RoleAllows(Role role, Permission p);

// "operator or admin": the roles that hold `p`, for messages.
std::string RolesAllowing(Permission p);

// What a caller presents.
struct Credentials {
  std::string token;         // the secret; empty: none given
  std::string claimed_name;  // a name the caller says it acts as (--as); empty: none
  std::string local_name;    // the local user, for a store without tokens (bootstrap)
};

// Whom a check let through.
struct Principal {
  std::string name;
  Role role = Role::kViewer;
  std::optional<int64_t> token_id;  // nullopt: the bootstrap local admin
};

// A token just created: its secret is in `secret` and nowhere else.
struct IssuedToken {
  Token token;
  std::string secret;
};

// A new random secret "mlloop_<64 hex digits>".
std::string NewTokenSecret();

// The stored form of a secret: lower-case hex SHA-256.
std::string TokenHash(std::string_view secret);

}  // namespace mlloop::registry
