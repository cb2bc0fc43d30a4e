// SplitMix64 (Steele, Lea & Flood, OOPSLA 2014): a tiny, fully specified generator, so the
// same seed gives the same numbers on every platform and standard library. Used where the
// state must serialise with its owner (KLL sketches), to seed larger generators (the
// bootstrap's xoshiro256**), and for the fixed input streams of tests and benchmarks.
//
// Thread-safety: value types; a generator belongs to one thread.
#pragma once

#include <cmath>
#include <cstdint>
#include <numbers>

namespace mlloop::core {

// Advances `state` and returns the next output.
inline uint64_t SplitMix64(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

// SplitMix64 with the draws tests and benchmarks need.
class SplitMixRng {
 public:
  explicit SplitMixRng(uint64_t seed) : state_(seed) {}
  uint64_t Next() { return SplitMix64(state_); }
  // In [0, 1), 53 random bits.
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  // Standard normal by Box-Muller (one of the pair).
  double Normal() {
    const double u = Uniform(), v = Uniform();
    return std::sqrt(-2 * std::log1p(-u)) * std::cos(2 * std::numbers::pi * v);
  }
  bool Bernoulli(double p) { return Uniform() < p; }

 private:
  uint64_t state_;
};

}  // namespace mlloop::core
