// DDM (Drift Detection Method): detects a rise of a classifier's error rate.
//
// What it detects: with p_i the error rate since the last reset and s_i = sqrt(p_i (1 - p_i)
// / i) its binomial standard deviation, DDM remembers p_min and s_min at the point where
// p_i + s_i was smallest, and after warm_start values reports
//   warning  when p_i + s_i > p_min + warning_threshold * s_min,
//   drift    when p_i + s_i > p_min + drift_threshold * s_min.
// Only a rise is detected: the error rate falling is good news.
// Input: 0 (correct prediction) or 1 (error), as River's river/drift/binary/ detectors take.
// Any other value, including NaN and 0.5, is not observed (see detector.h).
// Warnings: yes; the warning is re-evaluated at every value and cleared on drift.
// ChangeStart(): the position where the warning zone that led to the drift began (the warning
// run that was on at the previous value); the drift position itself when the drift came
// without a warning before it. Gama et al. keep the examples of that warning zone to train
// the new model.
// Semantics: River's `drift.binary.DDM` (river/drift/binary/ddm.py), defaults included;
// p_i is River's running mean (n += 1; p += (1 / n)(x - p)), so thresholds tip at the same
// values.
// Paper: J. Gama, P. Medas, G. Castillo, P. Rodrigues. Learning with drift detection.
// Brazilian Symposium on Artificial Intelligence (SBIA), 2004, 286-295.
//
// Cost: O(1) time and memory per value.
//
// Example (also a test, DdmTest.HeaderExample):
//   auto ddm = Ddm::Create().value();
//   for (int i = 0; i < 2000; ++i) {
//     const bool error = (i * 7919) % 100 < (i < 1000 ? 10 : 30);  // 10% errors, then 30%
//     if (ddm->Update(error) == Verdict::kDrift) std::cout << "drift at " << i << "\n";
//   }
#pragma once

#include <limits>
#include <memory>
#include <optional>

#include "drift/detector.h"

namespace mlloop::drift {

struct DdmOptions {
  int warm_start = 30;             // values before a warning or drift can be reported, >= 0
  double warning_threshold = 2.0;  // in standard deviations, > 0
  double drift_threshold = 3.0;    // in standard deviations, >= warning_threshold

  // InvalidArgument naming the first option out of range.
  Status Validate() const;
};

class Ddm final : public Detector {
 public:
  static Result<std::unique_ptr<Ddm>> Create(const DdmOptions& options = {});

  std::string_view Name() const override { return "ddm"; }
  bool Accepts(double x) const override { return x == 0.0 || x == 1.0; }
  const DdmOptions& options() const { return options_; }

  // Error rate since the last reset.
  double error_rate() const { return p_.mean; }

 private:
  explicit Ddm(const DdmOptions& options) : options_(options) { ResetAlgorithm(); }

  Verdict Step(double x, uint64_t position) override;
  uint64_t EstimateChangeStart() const override { return change_start_; }
  void ResetAlgorithm() override;
  void SaveAlgorithm(stats::wire::Writer* w) const override;
  Status RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) override;

  DdmOptions options_;
  internal::RiverMean p_;
  double p_min_ = std::numeric_limits<double>::infinity();
  double s_min_ = std::numeric_limits<double>::infinity();
  double ps_min_ = std::numeric_limits<double>::infinity();
  bool warning_ = false;
  std::optional<uint64_t> warning_start_;  // start of the warning run in progress
  uint64_t change_start_ = 0;
};

}  // namespace mlloop::drift
