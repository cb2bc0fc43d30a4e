// Tokens for the CLI tests, issued as an administrator issues them: `mlloop tokens create`.
#pragma once

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "testutil/testutil.h"

namespace mlloop::testutil {

// Issues a `role` token for `name` in `store` with `admin`'s token ("" for a store without
// tokens, whose local user administers it) and returns its secret ("" when it fails, which
// fails the test).
inline std::string IssueToken(const std::string& store, const std::string& admin,
                              const std::string& role, const std::string& name) {
  CommandResult r = RunMlloop("tokens create --role " + role + " --name " + name +
                              " --json --store " + store + (admin.empty() ? "" : " --token " + admin));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  auto j = nlohmann::json::parse(r.output, nullptr, false);
  return j.is_object() ? j.value("token", "") : "";
}

}  // namespace mlloop::testutil
