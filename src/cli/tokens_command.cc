// `mlloop tokens create | list | revoke`: access tokens for the registry, administered by
// an admin (or, in a store that never had a token, by its local user).
#include <ostream>

#include "cli/commands.h"
#include "cli/registry_cli.h"
#include "cli/table.h"
#include "core/clock.h"
#include "core/time.h"

namespace mlloop::cli {
namespace {

using registry::Permission;

nlohmann::json TokenJson(const registry::Token& t) {
  return {{"id", t.id},
          {"name", t.name},
          {"role", std::string(registry::RoleName(t.role))},
          {"created_at", core::FormatTimestamp(t.created_at)},
          {"created_by", t.created_by},
          {"revoked_at", t.revoked_at ? nlohmann::json(core::FormatTimestamp(*t.revoked_at))
                                      : nlohmann::json(nullptr)},
          {"revoked_by", t.revoked_at ? nlohmann::json(t.revoked_by) : nlohmann::json(nullptr)}};
}

}  // namespace

Status RunTokensCreate(const TokensArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_ASSIGN_OR_RETURN(registry::Role role, registry::ParseRole(args.role));
  MLLOOP_ASSIGN_OR_RETURN(registry::Principal admin,
                          Authorize(*reg, args.token, "", Permission::kAdminister,
                                    "tokens create " + args.name));
  MLLOOP_ASSIGN_OR_RETURN(registry::IssuedToken issued,
                          reg->CreateToken(args.name, role, admin.name, core::RealClock().Now()));
  if (args.json) {
    nlohmann::json j = TokenJson(issued.token);
    j["token"] = issued.secret;
    out << j.dump(2) << "\n";
    return Status::Ok();
  }
  out << "token " << issued.token.id << " for " << issued.token.name << " ("
      << registry::RoleName(role) << "):\n\n    " << issued.secret
      << "\n\nIt is shown only this once; the store keeps its SHA-256. Use it with\n"
         "MLLOOP_TOKEN=... or --token.\n";
  return Status::Ok();
}

Status RunTokensList(const TokensArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_RETURN_IF_ERROR(
      Authorize(*reg, args.token, "", Permission::kAdminister, "tokens list").status());
  MLLOOP_ASSIGN_OR_RETURN(std::vector<registry::Token> tokens, reg->ListTokens());
  if (args.json) {
    nlohmann::json arr = nlohmann::json::array();
    for (const auto& t : tokens) arr.push_back(TokenJson(t));
    out << arr.dump(2) << "\n";
    return Status::Ok();
  }
  if (tokens.empty()) {
    out << "no tokens in " << args.store
        << ": its local user administers it (create an admin token first)\n";
    return Status::Ok();
  }
  Table table({"id", "name", "role", "created", "by", "revoked"});
  for (const auto& t : tokens) {
    table.AddRow({std::to_string(t.id), t.name, std::string(registry::RoleName(t.role)),
                  core::FormatTimestamp(t.created_at), t.created_by,
                  t.revoked_at ? core::FormatTimestamp(*t.revoked_at) + " by " + t.revoked_by
                               : "-"});
  }
  out << table.Render();
  return Status::Ok();
}

Status RunTokensRevoke(const TokensArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_ASSIGN_OR_RETURN(registry::Principal admin,
                          Authorize(*reg, args.token, "", Permission::kAdminister,
                                    "tokens revoke " + args.name));
  MLLOOP_ASSIGN_OR_RETURN(registry::Token revoked,
                          reg->RevokeToken(args.name, admin.name, core::RealClock().Now()));
  if (args.json) {
    out << TokenJson(revoked).dump(2) << "\n";
  } else {
    out << "revoked token " << revoked.id << " of " << revoked.name << " ("
        << registry::RoleName(revoked.role) << ")\n";
  }
  return Status::Ok();
}

}  // namespace mlloop::cli
