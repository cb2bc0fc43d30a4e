// CUSUM: the tabular cumulative-sum chart, for a sustained shift of the mean of a stream.
//
// What it detects: with target mean mu0 and standard deviation sigma, each value is
// standardised, z = (x - mu0) / sigma, and two one-sided sums are kept (Page 1954, in the
// tabular form of Montgomery, Introduction to Statistical Quality Control, section 9.1):
//   C+_i = max(0, C+_{i-1} + z_i - k)      (evidence that the mean rose)
//   C-_i = max(0, C-_{i-1} - z_i - k)      (evidence that the mean fell)
// Drift is declared when C+ > h or C- > h (only the enabled sides). k, the reference value,
// is half the shift (in sigmas) the chart is tuned to catch fastest; h is the decision
// interval. Both are in units of sigma, as Montgomery's K = k sigma and H = h sigma.
// Input: any finite value (NaN and +-inf are not observed).
// Warnings: none.
// ChangeStart(): one past the last position where the sum that fired was 0 (Montgomery's
// estimate of the last in-control period); for both at once, the earlier.
//
// mu0 and sigma: given as options, or (NaN, the default) estimated from the first
// warm_start values after creation and after every drift: their mean and sample standard
// deviation (stats::Moments). No drift is declared during the warm-up; when both are given
// there is none. If the warm-up values
// are all equal (sigma would be 0), the warm-up goes on until a different value arrives, so a
// constant stream never alarms on its first wobble with an infinite z.
// After a drift the sums restart at 0 and, unless given, mu0 and sigma are re-estimated from
// the next warm_start values: the new regime becomes the new target (River's reset semantics).
// With both given the target stays, so a shift that persists is reported again every time
// the sums, restarted from 0, pass h.
//
// Why these defaults. k = 0.5 tunes the chart to a 1-sigma shift, Montgomery's standard choice.
// Montgomery's h = 5 gives a two-sided in-control average run length (ARL) of about 465
// values, i.e. some 200 false alarms per 100,000 values: fine for a control chart read by a
// person, too many for a monitor that retrains a model at every drift. h = 10 raises the
// in-control ARL to about 70,000 values (Siegmund's approximation, b = h + 1.166) at the cost of
// detecting a 1-sigma shift after about 20 values instead of 10 (a 2-sigma shift: 7 instead
// of 4). warm_start = 100 puts the standard error of the estimated mu0 at 0.1 sigma, small
// against k. Measured rates: docs/benchmarks/detectors.md.
//
// Cost: O(1) time and memory per value.
//
// Example (also a test, CusumTest.HeaderExample):
//   auto cusum = Cusum::Create({.warm_start = 50}).value();
//   for (int i = 0; i < 400; ++i) {
//     if (cusum->Update(0.1 * (i % 5) + (i < 200 ? 0.0 : 0.5)) == Verdict::kDrift)
//       std::cout << "drift at " << i << ", shift began at " << *cusum->ChangeStart() << "\n";
//   }
#pragma once

#include <cmath>
#include <limits>
#include <memory>

#include "drift/detector.h"
#include "stats/moments.h"

namespace mlloop::drift {

struct CusumOptions {
  double k = 0.5;        // reference value, in sigmas, finite and >= 0
  double h = 10.0;       // decision interval, in sigmas, finite and > 0
  int warm_start = 100;  // values used to estimate mu0 and/or sigma; unused if both given
  double mean = std::numeric_limits<double>::quiet_NaN();   // mu0; NaN: estimate
  double sigma = std::numeric_limits<double>::quiet_NaN();  // > 0; NaN: estimate
  bool detect_increase = true;
  bool detect_decrease = true;

  // InvalidArgument naming the first option out of range. warm_start must be >= 2 when sigma
  // is estimated, >= 1 when only mu0 is, >= 0 when both are given.
  Status Validate() const;
};

class Cusum final : public Detector {
 public:
  static Result<std::unique_ptr<Cusum>> Create(const CusumOptions& options = {});

  std::string_view Name() const override { return "cusum"; }
  bool Accepts(double x) const override { return std::isfinite(x); }
  const CusumOptions& options() const { return options_; }

  // Whether mu0 and sigma are known (given, or the warm-up is over).
  bool monitoring() const { return monitoring_; }
  double target_mean() const { return mu0_; }
  double target_sigma() const { return sigma_; }
  double upper_sum() const { return c_plus_; }
  double lower_sum() const { return c_minus_; }

 private:
  explicit Cusum(const CusumOptions& options) : options_(options) { ResetAlgorithm(); }

  Verdict Step(double x, uint64_t position) override;
  uint64_t EstimateChangeStart() const override { return change_start_; }
  void ResetAlgorithm() override;
  void SaveAlgorithm(stats::wire::Writer* w) const override;
  Status RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) override;

  CusumOptions options_;
  stats::Moments warm_up_;  // values seen during the warm-up
  bool monitoring_ = false;
  double mu0_ = 0;
  double sigma_ = 0;
  double c_plus_ = 0;
  double c_minus_ = 0;
  uint64_t rise_start_ = 0;  // one past the last position where C+ was 0
  uint64_t fall_start_ = 0;  // one past the last position where C- was 0
  uint64_t change_start_ = 0;
};

}  // namespace mlloop::drift
