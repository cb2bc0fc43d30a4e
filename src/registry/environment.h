// What a version was built with, for its lineage: the compiler, the SQLite library, the
// operating system, and mlloop's own version and git commit. The XGBoost version is filled
// in by the trainer (registry does not depend on pipeline).
//
// Thread-safety: reentrant.
#pragma once

#include <string>

#include "store/records.h"

namespace mlloop::registry {

// "GCC 12.2.0" or "Clang 15.0.6": the compiler that built this mlloop.
std::string CompilerVersion();

// "Debian GNU/Linux 12 (bookworm); Linux 6.1.0-13-amd64 x86_64": /etc/os-release's
// PRETTY_NAME (when readable) and uname(2).
std::string OsDescription();

// Sets lineage->mlloop_version, git_commit, compiler, sqlite_version and os.
void RecordEnvironment(store::Lineage* lineage);

}  // namespace mlloop::registry
