// Clock: where "now" comes from. `serve` runs on RealClock, `simulate` on VirtualClock, and
// the controller cannot tell the difference — one code path, two clocks (DESIGN.md).
//
// Thread-safety: RealClock is safe to share; VirtualClock belongs to the simulation thread.
#pragma once

#include <cstdint>

namespace mlloop::core {

class Clock {
 public:
  virtual ~Clock() = default;
  // Unix seconds, UTC.
  virtual int64_t Now() const = 0;
};

class RealClock final : public Clock {
 public:
  int64_t Now() const override;
};

class VirtualClock final : public Clock {
 public:
  explicit VirtualClock(int64_t start = 0) : now_(start) {}
  int64_t Now() const override { return now_; }
  // REQUIRES: t >= Now(); time never runs backwards.
  void AdvanceTo(int64_t t);

 private:
  int64_t now_;
};

// Seconds on a monotonic clock, for measuring durations (training time, overhead).
double MonotonicSeconds();

}  // namespace mlloop::core
