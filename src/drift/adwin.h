// ADWIN (ADaptive WINdowing): detects a change in the mean of a real-valued stream.
//
// What it detects: ADWIN keeps a window of recent values, compressed into exponential
// histogram buckets (ADWIN2; at most max_buckets buckets of each size 2^i). Every `clock`
// values it tries every bucket boundary as a cut between an older sub-window W0 and a newer
// W1 and declares drift when their means differ by more than
//   eps = sqrt(2 m var ln(2 ln(n) / delta)) + 2/3 m ln(2 ln(n) / delta),
//   m = 1 / (n0 - min_window_length + 1) + 1 / (n1 - min_window_length + 1),
// var the window's population variance and n its length (Bifet and Gavalda's bound, in the
// form River uses). On a cut it drops the oldest bucket and tries again, so the window
// shrinks to the values after the change.
// Input: any finite value (NaN and +-inf are not observed). Typical inputs: a feature, a
// loss, a 0/1 error indicator.
// Warnings: none.
// ChangeStart(): the start of W1 at ADWIN's most significant cut: of all bucket boundaries
// in the window when the drift is found, the one where |mu0 - mu1| / eps is largest. (River
// reports no cut point; this estimate is ours. The oldest value ADWIN keeps after shrinking
// is no good estimate: it stops shrinking as soon as no cut is significant, which can leave
// hundreds of old values in the window.)
// Semantics: River's `drift.ADWIN` (river/drift/adwin.py and adwin_c.pyx), including the
// defaults, the checks only every `clock` values and only once the window holds more than
// `grace_period` values, and the reset of the whole window at the first value after a drift
// (River's `if self.drift_detected: self._reset()`), not only of W0.
// Paper: A. Bifet, R. Gavalda. Learning from time-changing data with adaptive windowing.
// SIAM International Conference on Data Mining (SDM), 2007, 443-448.
//
// Cost: O(1) amortised per value, plus O(max_buckets log n) every `clock` values; memory
// O(max_buckets log n).
//
// Example (also a test, AdwinTest.HeaderExample):
//   auto adwin = Adwin::Create().value();
//   for (int i = 0; i < 2000; ++i) {
//     if (adwin->Update(i < 1000 ? 0.0 : 1.0) == Verdict::kDrift)
//       std::cout << "drift at " << i << ", began at " << *adwin->ChangeStart() << "\n";
//   }
#pragma once

#include <cmath>
#include <memory>
#include <vector>

#include "drift/detector.h"

namespace mlloop::drift {

struct AdwinOptions {
  double delta = 0.002;       // significance of the cut test, in (0, 1)
  int clock = 32;             // test for a cut every `clock` values, >= 1
  int max_buckets = 5;        // buckets of each size before two are merged, in [1, 4096]
  int min_window_length = 5;  // shortest sub-window a cut may leave, >= 1
  int grace_period = 10;      // no test until the window holds more values than this, >= 0

  // InvalidArgument naming the first option out of range.
  Status Validate() const;
};

class Adwin final : public Detector {
 public:
  // InvalidArgument when the options are invalid.
  static Result<std::unique_ptr<Adwin>> Create(const AdwinOptions& options = {});

  std::string_view Name() const override { return "adwin"; }
  bool Accepts(double x) const override { return std::isfinite(x); }
  const AdwinOptions& options() const { return options_; }

  // Values in the window (River's `width`).
  double width() const { return width_; }
  // Mean of the window; 0 when empty (River's `estimation`).
  double estimation() const { return width_ == 0 ? 0.0 : total_ / width_; }
  // Population variance of the window; 0 when empty.
  double window_variance() const { return width_ == 0 ? 0.0 : m2_ / width_; }

 private:
  explicit Adwin(const AdwinOptions& options);

  Verdict Step(double x, uint64_t position) override;
  uint64_t EstimateChangeStart() const override { return cut_start_; }
  void ResetAlgorithm() override;
  void SaveAlgorithm(stats::wire::Writer* w) const override;
  Status RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) override;

  // One row of buckets: all hold 2^row values. Slot 0 is the oldest.
  struct Row {
    int count = 0;
    std::vector<double> total;     // sum of the bucket's values
    std::vector<double> variance;  // sum of squared deviations from the bucket's mean
    std::vector<uint64_t> first;   // position of the bucket's oldest value
  };

  Row NewRow() const;
  void Insert(double x, uint64_t position);
  void CompressBuckets();
  void DropOldestBucket();
  bool DetectChange();
  // The epsilon a cut into W0 (n0 values) and W1 (n1) must exceed.
  double CutEpsilon(double n0, double n1) const;
  // First position of W1 at the bucket boundary with the largest |mu0 - mu1| / epsilon.
  uint64_t MostSignificantCut() const;

  AdwinOptions options_;
  std::vector<Row> rows_;   // rows_[i] holds buckets of 2^i values; higher rows are older
  uint64_t tick_ = 0;       // values since the last reset, for `clock`
  double width_ = 0;        // values in the window
  double total_ = 0;        // their sum
  double m2_ = 0;           // their sum of squared deviations (River's `variance`)
  uint64_t cut_start_ = 0;  // set by DetectChange() on a drift, read right after
};

}  // namespace mlloop::drift
