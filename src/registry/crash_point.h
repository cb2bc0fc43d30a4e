// Test hook: named points where a test can make the process die as `kill -9` would, to
// show that no crash leaves the registry inconsistent.
//
// With the environment variable MLLOOP_TEST_CRASH_AT=NAME or NAME:N, the process sends
// itself SIGKILL the N-th time (default: the first) it reaches CrashPoint(NAME): no
// destructor, rollback or flush runs. Without the variable a crash point costs one branch.
// Points: register:after_artifact, register:before_commit, promote:after_retire,
// promote:before_commit, rollback:after_demote.
//
// Thread-safety: the hit counter is not synchronized; crash tests run one thread.
#pragma once

#include <string_view>

namespace mlloop::registry {

void CrashPoint(std::string_view name);

}  // namespace mlloop::registry
