#include "store/records.h"

#include <array>
#include <utility>

namespace mlloop::store {
namespace {

constexpr std::array<std::pair<VersionState, std::string_view>, 8> kStateNames = {{
    {VersionState::kCandidate, "candidate"},
    {VersionState::kValidated, "validated"},
    {VersionState::kApproved, "approved"},
    {VersionState::kCanary, "canary"},
    {VersionState::kChampion, "champion"},
    {VersionState::kRetired, "retired"},
    {VersionState::kRejected, "rejected"},
    {VersionState::kRolledBack, "rolled_back"},
}};

constexpr std::array<std::pair<Role, std::string_view>, 4> kRoleNames = {{
    {Role::kViewer, "viewer"},
    {Role::kOperator, "operator"},
    {Role::kApprover, "approver"},
    {Role::kAdmin, "admin"},
}};

// The entry of `table` named `name`, or InvalidArgument listing the valid names.
template <typename Enum, size_t N>
Result<Enum> ParseName(const std::array<std::pair<Enum, std::string_view>, N>& table,
                       std::string_view name, std::string_view what) {
  std::string valid;
  for (const auto& [value, n] : table) {
    if (n == name) return value;
    valid += valid.empty() ? "" : ", ";
    valid += n;
  }
  return Status::InvalidArgument("unknown " + std::string(what) + " '" + std::string(name) +
                                 "' (valid: " + valid + ")");
}

template <typename Enum, size_t N>
std::string_view NameOf(const std::array<std::pair<Enum, std::string_view>, N>& table,
                        Enum value) {
  for (const auto& [v, name] : table) {
    if (v == value) return name;
  }
  return "unknown";
}

}  // namespace

std::string_view RoleName(Role role) { return NameOf(kRoleNames, role); }

Result<Role> ParseRole(std::string_view name) { return ParseName(kRoleNames, name, "role"); }

std::string_view VersionStateName(VersionState state) { return NameOf(kStateNames, state); }

Result<VersionState> ParseVersionState(std::string_view name) {
  return ParseName(kStateNames, name, "version state");
}

}  // namespace mlloop::store
