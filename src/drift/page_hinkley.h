// Page-Hinkley test: detects a shift of the mean of a real-valued stream, up, down or both.
//
// What it detects: with x̄_t the running mean since the last reset, two faded cumulative
// sums of deviations are kept,
//   U_t = alpha U_{t-1} + (x_t - x̄_t) - delta     (drifts down while the mean holds)
//   L_t = alpha L_{t-1} + (x_t - x̄_t) + delta     (drifts up while the mean holds)
// and drift is declared when U_t - min U > threshold (the mean rose) or max L - L_t >
// threshold (the mean fell), once min_instances values have been seen.
// Input: any finite value (NaN and +-inf are not observed).
// Warnings: none.
// ChangeStart(): one past the position where the statistic that fired was at its extreme
// (min U for a rise, max L for a fall): the first value of the rise. If both fire at once,
// the earlier of the two.
// Semantics: River's `drift.PageHinkley` (river/drift/page_hinkley.py) with its defaults and
// quirks, notably that max L starts at -1 rather than -inf and that the running mean includes
// the current value. River's `mode` ("up", "down", "both") is the pair detect_increase /
// detect_decrease, because the registry's parameters are numbers.
// Paper: E. S. Page. Continuous inspection schemes. Biometrika 41(1/2), 1954, 100-115;
// two-sided form after R. Sebastiao, J. M. Fernandes, ISMIS 2017, 492-498.
//
// Cost: O(1) time and memory per value.
//
// Example (also a test, PageHinkleyTest.HeaderExample):
//   auto ph = PageHinkley::Create({.threshold = 20}).value();
//   for (int i = 0; i < 400; ++i) {
//     if (ph->Update(i < 200 ? 0.0 : 1.0) == Verdict::kDrift)
//       std::cout << "drift at " << i << ", rise began at " << *ph->ChangeStart() << "\n";
//   }
#pragma once

#include <cmath>
#include <limits>
#include <memory>

#include "drift/detector.h"

namespace mlloop::drift {

struct PageHinkleyOptions {
  int min_instances = 30;       // values seen before drift can be declared, >= 1
  double delta = 0.005;         // tolerated deviation per value, >= 0
  double threshold = 50.0;      // lambda, > 0
  double alpha = 1 - 0.0001;    // fading factor of the sums, in (0, 1]
  bool detect_increase = true;  // River mode "up" or "both"
  bool detect_decrease = true;  // River mode "down" or "both"

  // InvalidArgument naming the first option out of range (also when neither direction is on).
  Status Validate() const;
};

class PageHinkley final : public Detector {
 public:
  static Result<std::unique_ptr<PageHinkley>> Create(const PageHinkleyOptions& options = {});

  std::string_view Name() const override { return "page_hinkley"; }
  bool Accepts(double x) const override { return std::isfinite(x); }
  const PageHinkleyOptions& options() const { return options_; }

  double mean() const { return mean_.mean; }
  // The two test statistics (U - min U and max L - L); 0 before the first value.
  double increase_statistic() const { return mean_.n == 0 ? 0.0 : sum_increase_ - min_increase_; }
  double decrease_statistic() const { return mean_.n == 0 ? 0.0 : max_decrease_ - sum_decrease_; }

 private:
  explicit PageHinkley(const PageHinkleyOptions& options) : options_(options) { ResetAlgorithm(); }

  Verdict Step(double x, uint64_t position) override;
  uint64_t EstimateChangeStart() const override { return change_start_; }
  void ResetAlgorithm() override;
  void SaveAlgorithm(stats::wire::Writer* w) const override;
  Status RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) override;

  PageHinkleyOptions options_;
  internal::RiverMean mean_;
  double sum_increase_ = 0;
  double sum_decrease_ = 0;
  double min_increase_ = std::numeric_limits<double>::infinity();
  double max_decrease_ = -1;  // River starts it at -1, not -inf
  uint64_t rise_start_ = 0;   // one past the position of min U
  uint64_t fall_start_ = 0;   // one past the position of max L (first position while still -1)
  uint64_t change_start_ = 0;
};

}  // namespace mlloop::drift
