#include "core/clock.h"

#include <chrono>

#include "core/status.h"

namespace mlloop::core {

int64_t RealClock::Now() const {
  return std::chrono::duration_cast<std::chrono::seconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void VirtualClock::AdvanceTo(int64_t t) {
  MLLOOP_CHECK(t >= now_, "virtual clock moved backwards");
  now_ = t;
}

double MonotonicSeconds() {
  return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace mlloop::core
