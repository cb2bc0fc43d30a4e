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

}  // namespace

std::string_view VersionStateName(VersionState state) {
  for (const auto& [s, name] : kStateNames) {
    if (s == state) return name;
  }
  return "unknown";
}

Result<VersionState> ParseVersionState(std::string_view name) {
  std::string valid;
  for (const auto& [s, n] : kStateNames) {
    if (n == name) return s;
    valid += valid.empty() ? "" : ", ";
    valid += n;
  }
  return Status::InvalidArgument("unknown version state '" + std::string(name) +
                                 "' (valid: " + valid + ")");
}

}  // namespace mlloop::store
