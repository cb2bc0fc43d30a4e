// EDDM (Early Drift Detection Method): detects a rise of a classifier's error rate through
// the distance between consecutive errors, which reacts earlier than DDM to slow drifts.
//
// What it detects: at every error, EDDM updates the mean p' and standard deviation s' of the
// number of values between consecutive errors, remembers the largest p' + 2 s' seen, and
// once more than warm_start values and more than warm_start errors have been seen, with
// level = (p' + 2 s') / max (p' + 2 s') it reports
//   drift    when level < beta,
//   warning  when beta <= level < alpha,
//   stable   when level >= alpha.
// Errors coming closer together make the level fall. The level is only evaluated at errors.
// Input: 0 (correct prediction) or 1 (error). Any other value, including NaN, is not
// observed (see detector.h).
// Warnings: yes. As in River, the warning (or its absence) is decided at errors only and
// holds through the correct predictions in between.
// ChangeStart(): the position where the warning zone in force before the drift began; the
// drift position when there was none.
// Semantics: River's `drift.binary.EDDM` (river/drift/binary/eddm.py): the distance is
// counted from the previous error (from the reset for the first error), its variance is
// River's stats.Var (ddof = 1), the running maximum starts at -1 and is only raised, never
// compared, on the value that raises it.
// Paper: M. Baena-Garcia, J. del Campo-Avila, R. Fidalgo, A. Bifet, R. Gavalda,
// R. Morales-Bueno. Early drift detection method. Fourth International Workshop on
// Knowledge Discovery from Data Streams, 2006.
//
// Cost: O(1) time and memory per value.
//
// Example (also a test, EddmTest.HeaderExample):
//   auto eddm = Eddm::Create().value();
//   for (int i = 0; i < 3000; ++i) {
//     const bool error = (i * 7919) % 100 < (i < 1500 ? 10 : 40);  // 10% errors, then 40%
//     if (eddm->Update(error) == Verdict::kDrift) std::cout << "drift at " << i << "\n";
//   }
#pragma once

#include <memory>
#include <optional>

#include "drift/detector.h"

namespace mlloop::drift {

struct EddmOptions {
  int warm_start = 30;  // values, and errors, before a warning or drift, >= 0
  double alpha = 0.95;  // warning below this level, in (0, 1]
  double beta = 0.9;    // drift below this level, in (0, alpha]

  // InvalidArgument naming the first option out of range.
  Status Validate() const;
};

class Eddm final : public Detector {
 public:
  static Result<std::unique_ptr<Eddm>> Create(const EddmOptions& options = {});

  std::string_view Name() const override { return "eddm"; }
  bool Accepts(double x) const override { return x == 0.0 || x == 1.0; }
  const EddmOptions& options() const { return options_; }

  // Mean distance between errors since the last reset (0 before the first error).
  double mean_distance() const { return distances_.m.mean; }

 private:
  explicit Eddm(const EddmOptions& options) : options_(options) { ResetAlgorithm(); }

  Verdict Step(double x, uint64_t position) override;
  uint64_t EstimateChangeStart() const override { return change_start_; }
  void ResetAlgorithm() override;
  void SaveAlgorithm(stats::wire::Writer* w) const override;
  Status RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) override;

  EddmOptions options_;
  internal::RiverVar distances_;  // values between consecutive errors
  uint64_t n_ = 0;                // values since the reset
  uint64_t last_error_ = 0;       // n_ at the last error (0: none yet)
  uint64_t n_errors_ = 0;
  double p2s_max_ = -1;  // largest p' + 2 s'
  bool warning_ = false;
  std::optional<uint64_t> warning_start_;
  uint64_t change_start_ = 0;
};

}  // namespace mlloop::drift
