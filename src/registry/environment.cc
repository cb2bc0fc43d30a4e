#include "registry/environment.h"

#include <sys/utsname.h>

#include <fstream>

#include "core/version.h"
#include "store/sqlite_db.h"

namespace mlloop::registry {

std::string CompilerVersion() {
#if defined(__clang__)
  return std::string("Clang ") + __clang_version__;
#elif defined(__GNUC__)
  return std::string("GCC ") + __VERSION__;
#else
  return "unknown compiler";
#endif
}

std::string OsDescription() {
  std::string out;
  std::ifstream release("/etc/os-release");
  std::string line;
  while (std::getline(release, line)) {
    if (line.rfind("PRETTY_NAME=", 0) != 0) continue;
    out = line.substr(12);
    if (out.size() >= 2 && out.front() == '"' && out.back() == '"') {
      out = out.substr(1, out.size() - 2);
    }
    break;
  }
  struct utsname u;
  if (::uname(&u) == 0) {
    if (!out.empty()) out += "; ";
    out += std::string(u.sysname) + " " + u.release + " " + u.machine;
  }
  return out.empty() ? "unknown" : out;
}

void RecordEnvironment(store::Lineage* lineage) {
  lineage->mlloop_version = core::kMlloopVersion;
  lineage->git_commit = core::kGitCommit;
  lineage->compiler = CompilerVersion();
  lineage->sqlite_version = store::SqliteVersion();
  lineage->os = OsDescription();
}

}  // namespace mlloop::registry
