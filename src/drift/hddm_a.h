// HDDM-A: detects a change of the mean of a bounded stream (typically an error rate) with
// Hoeffding's inequality on averages (the "A-test").
//
// What it detects: HDDM-A keeps the mean Z of all values since the last reset and a cut
// point: the prefix mean X whose upper Hoeffding bound X + eps(|X|) was smallest (for a rise;
// the largest lower bound for a fall). Drift is declared when
//   Z - X >= sqrt(m / 2 * ln(2 / drift_confidence)),  m = (n_Z - n_X) / (n_X n_Z),
// which is Hoeffding's bound for the difference between the prefix and the values after the
// cut; a warning when the same holds at warning_confidence. By default only a rise is
// monitored; two_sided_test adds falls.
// Input: a value in [0, 1] (0 = correct, 1 = error; proportions are fine, the bounds hold
// for any [0, 1] variable). Anything else, including NaN, is not observed (see detector.h).
// Warnings: yes, re-evaluated at every value.
// ChangeStart(): the first position after the cut point of the test that fired (for both
// tests at once, the earlier one): the estimated start of the new mean.
// Semantics: River's `drift.binary.HDDMA` (river/drift/binary/hddm_a.py, itself after MOA's
// HDDM_A_Test), defaults included; the cut points always move with drift_confidence's
// bound, as River's do.
// Paper: I. Frias-Blanco, J. del Campo-Avila, G. Ramos-Jimenez, R. Morales-Bueno,
// A. Ortiz-Diaz, Y. Caballero-Mota. Online and non-parametric drift detection methods based
// on Hoeffding's bounds. IEEE Transactions on Knowledge and Data Engineering 27(3), 2015,
// 810-823.
//
// Cost: O(1) time and memory per value.
//
// Example (also a test, HddmATest.HeaderExample):
//   auto hddm = HddmA::Create().value();
//   for (int i = 0; i < 2000; ++i) {
//     const bool error = (i * 7919) % 100 < (i < 1000 ? 10 : 40);  // 10% errors, then 40%
//     if (hddm->Update(error) == Verdict::kDrift) std::cout << "drift at " << i << "\n";
//   }
#pragma once

#include <memory>

#include "drift/detector.h"

namespace mlloop::drift {

struct HddmAOptions {
  double drift_confidence = 0.001;    // in (0, 1)
  double warning_confidence = 0.005;  // in (0, 1)
  bool two_sided_test = false;        // also detect a fall of the mean

  // InvalidArgument naming the first option out of range.
  Status Validate() const;
};

class HddmA final : public Detector {
 public:
  static Result<std::unique_ptr<HddmA>> Create(const HddmAOptions& options = {});

  std::string_view Name() const override { return "hddm_a"; }
  bool Accepts(double x) const override { return x >= 0.0 && x <= 1.0; }
  const HddmAOptions& options() const { return options_; }

  // Mean since the last reset.
  double mean() const { return z_.mean; }

 private:
  explicit HddmA(const HddmAOptions& options) : options_(options) { ResetAlgorithm(); }

  Verdict Step(double x, uint64_t position) override;
  uint64_t EstimateChangeStart() const override { return change_start_; }
  void ResetAlgorithm() override;
  void SaveAlgorithm(stats::wire::Writer* w) const override;
  Status RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) override;

  double HoeffdingBound(double n) const;
  bool MeanIncreased(double confidence) const;
  bool MeanDecreased(double confidence) const;

  HddmAOptions options_;
  internal::RiverMean z_;      // all values since the reset
  internal::RiverMean x_min_;  // prefix at the cut point for a rise
  internal::RiverMean x_max_;  // prefix at the cut point for a fall
  uint64_t min_cut_ = 0;       // position of the last value in x_min_
  uint64_t max_cut_ = 0;       // position of the last value in x_max_
  uint64_t change_start_ = 0;
};

}  // namespace mlloop::drift
