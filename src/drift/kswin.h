// KSWIN (Kolmogorov-Smirnov WINdowing): detects a change in the distribution of a stream.
//
// What it detects: KSWIN keeps the last window_size values. Once the window is full, after
// every value it compares the newest stat_size values R with stat_size values W drawn at
// random, without replacement, from the older window_size - stat_size, using the
// two-sample Kolmogorov-Smirnov test (stats::KsTwoSample, SciPy's ks_2samp with
// method="auto"), and declares drift when p <= alpha and D > 0.1. Any change of shape
// counts, not only of the mean.
// Input: any finite value (NaN and +-inf are not observed). The KS test works in float:
// values that differ only beyond float precision count as ties.
// Warnings: none.
// ChangeStart(): the position of the oldest value of R (the recent stat_size values).
// Semantics: River's `drift.KSWIN` (river/drift/kswin.py), with the same defaults and the
// same random sample: W is drawn by CPython's random.Random(seed).sample(range(window_size -
// stat_size), stat_size), reproduced exactly (Mersenne Twister, init_by_array seeding,
// getrandbits-based randbelow and sample's two branches), and the generator is re-seeded at
// every reset, as River's `_reset()` does. River's default seed=None draws fresh OS entropy at
// every reset; ours (seed < 0) draws one seed when the detector is created and re-uses it at
// every reset, so that a saved detector resumes identically. River's `window` argument
// (pre-filled data) is not offered.
// Paper: C. Raab, M. Heusinger, F.-M. Schleif. Reactive soft prototype computing for concept
// drift streams. Neurocomputing 416, 2020, 340-351.
//
// Cost: O(window_size) per value once the window is full (the sample, plus sorting two
// samples of stat_size and the exact KS p-value); memory O(window_size).
//
// Example (also a test, KswinTest.HeaderExample):
//   auto kswin = Kswin::Create({.seed = 42}).value();
//   for (int i = 0; i < 400; ++i) {
//     if (kswin->Update(i < 200 ? i % 7 : 10 + i % 7) == Verdict::kDrift)
//       std::cout << "drift at " << i << ", new regime from " << *kswin->ChangeStart() << "\n";
//   }
#pragma once

#include <array>
#include <cmath>
#include <cstdint>
#include <deque>
#include <memory>
#include <vector>

#include "drift/detector.h"

namespace mlloop::drift {

struct KswinOptions {
  double alpha = 0.005;   // p-value at or below which (with D > 0.1) drift is declared, [0, 1]
  int window_size = 100;  // values kept, in [2, 100000]
  int stat_size = 30;     // size of R and W, >= 1 and at most window_size / 2
  int64_t seed = -1;      // seed of the sampler, as random.Random(seed); < 0: drawn at creation

  // InvalidArgument naming the first option out of range.
  Status Validate() const;
};

namespace internal {

// The parts of CPython's random.Random (Modules/_randommodule.c, Lib/random.py) that KSWIN
// needs, bit for bit: MT19937 seeded from a non-negative integer by init_by_array over its
// 32-bit words, getrandbits(k) for k <= 32, _randbelow_with_getrandbits, and sample() of a
// range.
class PythonRandom {
 public:
  explicit PythonRandom(uint64_t seed = 0) { Seed(seed); }

  // As random.Random(seed) / rng.seed(seed).
  void Seed(uint64_t seed);
  // As rng.getrandbits(k). REQUIRES: 1 <= k <= 32.
  uint32_t GetRandBits(int k);
  // As rng._randbelow(n): uniform in [0, n). REQUIRES: 1 <= n < 2^32.
  uint32_t RandBelow(uint32_t n);
  // As rng.sample(range(n), k). REQUIRES: k <= n < 2^32.
  std::vector<uint32_t> SampleRange(uint32_t n, uint32_t k);
  // The same draws into *out (resized to k), reusing *pool: no allocation once they are
  // large enough (KSWIN samples at every value).
  void SampleRange(uint32_t n, uint32_t k, std::vector<uint32_t>* out,
                   std::vector<uint32_t>* pool);

  void Save(stats::wire::Writer* w) const;
  // False on truncation or an out-of-range index; *this is unchanged then.
  bool Load(stats::wire::Reader* r);

 private:
  static constexpr int kN = 624;
  uint32_t Next();
  std::array<uint32_t, kN> mt_{};
  uint32_t index_ = kN;
};

}  // namespace internal

class Kswin final : public Detector {
 public:
  static Result<std::unique_ptr<Kswin>> Create(const KswinOptions& options = {});

  std::string_view Name() const override { return "kswin"; }
  bool Accepts(double x) const override { return std::isfinite(x); }
  const KswinOptions& options() const { return options_; }

  // The seed actually used (options().seed, or the one drawn at creation).
  uint64_t seed() const { return seed_; }
  // Of the last test; p = 0 and D = 0 (River's initial p_value) before the window fills.
  double p_value() const { return p_value_; }
  double statistic() const { return statistic_; }
  size_t window_length() const { return window_length_; }

 private:
  Kswin(const KswinOptions& options, uint64_t seed);

  Verdict Step(double x, uint64_t position) override;
  uint64_t EstimateChangeStart() const override { return change_start_; }
  void ResetAlgorithm() override;
  void SaveAlgorithm(stats::wire::Writer* w) const override;
  Status RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) override;

  KswinOptions options_;
  uint64_t seed_;
  internal::PythonRandom rng_;
  // The window as a ring of window_size values, oldest at window_head_, and the position
  // of each value.
  std::vector<double> window_;
  std::vector<uint64_t> positions_;
  size_t window_head_ = 0, window_length_ = 0;
  double At(size_t i) const {
    const size_t slot = window_head_ + i;
    return window_[slot < window_.size() ? slot : slot - window_.size()];
  }
  double p_value_ = 0;
  double statistic_ = 0;
  // Both samples always hold stat_size values, so D is k / stat_size and its p-value depends
  // on k alone: computed once per k (NaN until then), then looked up.
  std::vector<double> p_of_k_;
  // The sample of the older values (sorted at each test), and the stat_size most recent
  // values kept sorted as the window slides: one insertion and one removal per value.
  std::vector<float> sampled_, recent_sorted_;
  std::vector<uint32_t> sample_index_, sample_pool_;
  // With at most kRankedOlder older values (River's default has 70), the sample comes out
  // sorted without a sort: each older value keeps its rank among the older ones (by value,
  // then position), updated in one pass as the window slides; the sampled ranks are set in a
  // bitmap and read back in order.
  static constexpr size_t kRankedOlder = 256;
  bool ranks_valid_ = false;
  std::vector<uint16_t> rank_;     // per ring slot, for the older values
  std::vector<double> by_rank_;    // the older values in rank order
  void BuildRanks();
  // The oldest value (slot `leaving`) leaves the older values and the value at slot
  // `entering` joins them.
  void SlideRanks(size_t leaving, size_t entering);
  void SortedSample();
  uint64_t change_start_ = 0;
};

}  // namespace mlloop::drift
