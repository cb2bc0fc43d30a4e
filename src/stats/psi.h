// Population Stability Index between a reference sample (the training window) and a
// current sample (the recent window), one feature at a time.
//
// Binning (numeric features): the edges are the reference's quantiles at k/B for
// k = 1..B-1 (B = `bins`), with repeated edges dropped, so a constant reference gives one
// edge and two bins. Bins are (-inf, e1], (e1, e2], ..., (e_last, +inf). Missing values
// (NaN) get a bin of their own, so a jump in missingness shows up as drift too.
// Categorical features: one bin per code plus the missing bin; codes unseen in the
// reference still count (their reference share is the floor below).
//
//   PSI = sum over bins of (c_i - r_i) * ln(c_i / r_i)
//
// where r_i and c_i are the reference and current shares. Empty bins would make the log
// infinite, so every share is floored at 1e-4 (the convention of Evidently and of most
// credit-scoring practice). Rules of thumb: < 0.1 stable, 0.1-0.25 moderate, > 0.25 major.
//
// Thread-safety: PsiReference is immutable after Build and may be shared.
#pragma once

#include <cstddef>
#include <vector>

#include "core/status.h"

namespace mlloop::stats {

inline constexpr double kPsiShareFloor = 1e-4;

class PsiReference {
 public:
  // Numeric: quantile edges of `values` (NaN ignored for the edges, counted as missing).
  // REQUIRES: bins >= 2.
  static PsiReference BuildNumeric(const std::vector<float>& values, int bins);
  // Categorical: `values` are codes (NaN = missing).
  static PsiReference BuildCategorical(const std::vector<float>& values);

  // PSI of `current` against this reference. An empty `current` gives 0.
  double Psi(const std::vector<float>& current) const;

  // For callers that keep counts themselves (the monitor's sliding window): the number of
  // count slots, the slot of a value, and PSI from per-slot counts. Slots are the value
  // bins, then missing, then "unseen" (a category the reference never had; numeric values
  // never land there).
  size_t slots() const { return shares_.size() + 1; }
  size_t Slot(float v) const;
  // REQUIRES: counts has slots() entries summing to total.
  double PsiOfCounts(const size_t* counts, size_t total) const;

  const std::vector<double>& edges() const { return edges_; }
  // Reference shares per bin, the missing bin last.
  const std::vector<double>& shares() const { return shares_; }

 private:
  bool categorical_ = false;
  std::vector<double> edges_;   // numeric: sorted unique edges
  std::vector<double> shares_;  // per bin, last = missing
};

// PSI between two raw samples with `bins` quantile bins of the reference.
double Psi(const std::vector<float>& reference, const std::vector<float>& current, int bins);

}  // namespace mlloop::stats
