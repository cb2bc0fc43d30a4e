#include "registry/access.h"

#include <sodium.h>

#include <array>

#include "core/hash.h"

namespace mlloop::registry {

std::string_view PermissionName(Permission p) {
  switch (p) {
    case Permission::kRead:
      return "read";
    case Permission::kTrain:
      return "train";
    case Permission::kRollback:
      return "roll back";
    case Permission::kApprove:
      return "approve";
    case Permission::kAdminister:
      return "administer";
  }
  return "?";
}

bool RoleAllows(Role role, Permission p) {
  switch (role) {
    case Role::kAdmin:
      return true;
    case Role::kViewer:
      return p == Permission::kRead;
    case Role::kOperator:
      return p == Permission::kRead || p == Permission::kTrain || p == Permission::kRollback;
    case Role::kApprover:
      return p == Permission::kRead || p == Permission::kApprove;
  }
  return false;
}

std::string RolesAllowing(Permission p) {
  std::string out;
  for (Role r : {Role::kViewer, Role::kOperator, Role::kApprover, Role::kAdmin}) {
    if (!RoleAllows(r, p)) continue;
    if (!out.empty()) out += r == Role::kAdmin ? " or " : ", ";
    out += RoleName(r);
  }
  return out;
}

std::string NewTokenSecret() {
  if (sodium_init() < 0) std::abort();  // no CSPRNG: nothing safe can be issued
  std::array<unsigned char, 32> bytes;
  randombytes_buf(bytes.data(), bytes.size());
  std::array<char, 2 * 32 + 1> hex;
  sodium_bin2hex(hex.data(), hex.size(), bytes.data(), bytes.size());
  sodium_memzero(bytes.data(), bytes.size());
  return "mlloop_" + std::string(hex.data(), 2 * 32);
}

std::string TokenHash(std::string_view secret) { return core::Sha256Hex(secret); }

}  // namespace mlloop::registry
