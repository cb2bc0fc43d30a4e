#include "registry/crash_point.h"

#include <signal.h>
#include <unistd.h>

#include <cstdlib>
#include <string>

namespace mlloop::registry {
namespace {

struct Armed {
  std::string name;  // empty: no crash point armed
  long remaining = 1;
};

Armed& FromEnvironment() {
  static Armed armed = [] {
    Armed a;
    const char* spec = std::getenv("MLLOOP_TEST_CRASH_AT");
    if (spec == nullptr) return a;
    std::string s = spec;
    const size_t colon = s.rfind(':');
    // "register:before_commit:3": the count follows the last colon when it is a number.
    if (colon != std::string::npos && colon + 1 < s.size() &&
        s.find_first_not_of("0123456789", colon + 1) == std::string::npos) {
      a.remaining = std::strtol(s.c_str() + colon + 1, nullptr, 10);
      s.resize(colon);
    }
    a.name = s;
    return a;
  }();
  return armed;
}

}  // namespace

void CrashPoint(std::string_view name) {
  Armed& armed = FromEnvironment();
  if (armed.name.empty() || armed.name != name) return;
  if (--armed.remaining > 0) return;
  ::kill(::getpid(), SIGKILL);
}

}  // namespace mlloop::registry
