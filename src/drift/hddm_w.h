// HDDM-W: detects a change of the mean of a bounded stream (typically an error rate) with
// McDiarmid's inequality on exponentially weighted moving averages (the "W-test"), which
// favours recent values and so reacts faster than HDDM-A to abrupt changes.
//
// What it detects: an EWMA of all values since the last reset is kept together with its
// "independent bound condition" ibc = sum of squared weights. The cut point for a rise is
// where EWMA + sqrt(ibc ln(1 / drift_confidence) / 2) was smallest; a second EWMA runs over
// the values after it, and drift is declared when
//   EWMA_after - EWMA_cut > sqrt((ibc_cut + ibc_after) ln(1 / drift_confidence) / 2),
// a warning when the same holds at warning_confidence. By default only a rise is monitored;
// two_sided_test adds falls (the mirror-image cut point and test).
// Input: a value in [0, 1] (0 = correct, 1 = error; the bound holds for any [0, 1]
// variable). Anything else, including NaN, is not observed (see detector.h).
// Warnings: yes, re-evaluated at every value.
// ChangeStart(): the first position after the cut point of the test that fired (for both at
// once, the earlier one).
// Semantics: River's `drift.binary.HDDMW` (river/drift/binary/hddm_w.py, after MOA's
// HDDM_W_Test), defaults included, with River's EWMA quirk kept: stats.EWMean treats a
// current mean of exactly 0 as "no value yet" and restarts from the next value, so a run
// of leading 0s does not count. The EWMA weight on the newest value is lambda_val.
// Paper: I. Frias-Blanco et al. Online and non-parametric drift detection methods based on
// Hoeffding's bounds. IEEE Transactions on Knowledge and Data Engineering 27(3), 2015,
// 810-823.
//
// Cost: O(1) time and memory per value.
//
// Example (also a test, HddmWTest.HeaderExample):
//   auto hddm = HddmW::Create().value();
//   for (int i = 0; i < 2000; ++i) {
//     const bool error = (i * 7919) % 100 < (i < 1000 ? 10 : 60);  // 10% errors, then 60%
//     if (hddm->Update(error) == Verdict::kDrift) std::cout << "drift at " << i << "\n";
//   }
#pragma once

#include <limits>
#include <memory>

#include "drift/detector.h"

namespace mlloop::drift {

struct HddmWOptions {
  double drift_confidence = 0.001;    // in (0, 1)
  double warning_confidence = 0.005;  // in (0, 1)
  double lambda_val = 0.05;           // EWMA weight of the newest value, in (0, 1]
  bool two_sided_test = false;        // also detect a fall of the mean

  // InvalidArgument naming the first option out of range.
  Status Validate() const;
};

class HddmW final : public Detector {
 public:
  static Result<std::unique_ptr<HddmW>> Create(const HddmWOptions& options = {});

  std::string_view Name() const override { return "hddm_w"; }
  bool Accepts(double x) const override { return x >= 0.0 && x <= 1.0; }
  const HddmWOptions& options() const { return options_; }

  // EWMA of all values since the last reset.
  double ewma() const { return total_.ewma; }

 private:
  explicit HddmW(const HddmWOptions& options) : options_(options) { ResetAlgorithm(); }

  // River's SampleInfo: an EWMA, whether it has seen a value, and its bound condition.
  struct Sample {
    double ewma = 0;
    bool initialised = false;
    double ibc = 1.0;
  };

  Verdict Step(double x, uint64_t position) override;
  uint64_t EstimateChangeStart() const override { return change_start_; }
  void ResetAlgorithm() override;
  void SaveAlgorithm(stats::wire::Writer* w) const override;
  Status RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) override;

  void Add(Sample* s, double x) const;
  double McDiarmidBound(double ibc, double confidence) const;
  // Whether `after`'s EWMA exceeds `before`'s by more than the bound at `confidence`.
  bool MeanChanged(const Sample& before, const Sample& after, double confidence) const;

  HddmWOptions options_;
  Sample total_;
  Sample before_rise_, after_rise_;  // River's _s1_incr, _s2_incr
  Sample before_fall_, after_fall_;  // River's _s1_decr, _s2_decr
  double rise_cut_ = std::numeric_limits<double>::infinity();
  double fall_cut_ = -std::numeric_limits<double>::infinity();
  uint64_t rise_cut_position_ = 0;  // position of the last value in before_rise_
  uint64_t fall_cut_position_ = 0;
  uint64_t change_start_ = 0;
};

}  // namespace mlloop::drift
