// Isotonic regression: the non-decreasing function of x closest to y in weighted least
// squares, fitted by the pool-adjacent-violators algorithm (PAVA; Ayer et al. 1955, Barlow
// et al. 1972, "Statistical inference under order restrictions"). It is the default
// probability calibrator of NannyML's CBPE (drift/cbpe.h), which uses
// sklearn.isotonic.IsotonicRegression(increasing=True, out_of_bounds="clip").
//
// Semantics follow scikit-learn 1.2's IsotonicRegression with increasing=True,
// out_of_bounds="clip", no y bounds, step for step:
//  - rows with weight 0 are dropped; the rest are sorted by (x, y);
//  - runs of x values less than 1e-15 above the run's first x (sklearn's _make_unique with
//    float64's resolution; in practice "equal x", except for scores below ~1e-8) are merged
//    into one point at that first x: the weighted mean of their y, the sum of their weights;
//  - PAVA pools a block with its successor whenever the block's mean is >= the successor's
//    (equal means are pooled too, as sklearn's `if y[i] < y[k]` does), with weighted means;
//  - the fitted points are trimmed to the first and last point of each constant run
//    (sklearn's `trim_duplicates`), which does not change any prediction;
//  - Predict() clips x to [min x, max x] and interpolates linearly between those points
//    (np.interp / scipy's interp1d), so between two steps the prediction is a ramp, not a
//    step.
// tests/stats/isotonic_test.cc compares thresholds and predictions with sklearn's
// (tests/drift/fixtures/cbpe_make_fixtures.py) to 1e-12.
//
// Thread-safety: an immutable value after Fit(); share const instances freely.
//
// Example:
//   MLLOOP_ASSIGN_OR_RETURN(auto iso, stats::IsotonicRegression::Fit(scores, labels));
//   double p = iso.Predict(0.73);  // calibrated probability of class 1
#pragma once

#include <cstddef>
#include <span>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mlloop::stats {

class IsotonicRegression {
 public:
  // Fits y on x. `weights` may be empty (every row weighs 1); otherwise one per row.
  // Returns InvalidArgument when x and y (or weights) differ in size, x is empty, an x or y
  // is NaN or infinite, a weight is negative, NaN or infinite, or no weight is positive.
  static Result<IsotonicRegression> Fit(std::span<const double> x, std::span<const double> y,
                                        std::span<const double> weights = {});

  // Rebuilds a fitted regression from its thresholds (what x_thresholds()/y_thresholds()
  // returned), e.g. after deserialisation. InvalidArgument unless both are non-empty, of the
  // same size, finite, x strictly increasing and y non-decreasing.
  static Result<IsotonicRegression> FromThresholds(std::vector<double> x, std::vector<double> y);

  // The fitted value at x: x clipped to [x_thresholds().front(), x_thresholds().back()], then
  // linear interpolation between the thresholds. NaN gives NaN.
  double Predict(double x) const;

  // The interpolation points after trimming (sklearn's X_thresholds_ and y_thresholds_):
  // x strictly increasing, y non-decreasing, the same size (>= 1).
  const std::vector<double>& x_thresholds() const { return x_; }
  const std::vector<double>& y_thresholds() const { return y_; }

 private:
  IsotonicRegression(std::vector<double> x, std::vector<double> y)
      : x_(std::move(x)), y_(std::move(y)) {}

  std::vector<double> x_;
  std::vector<double> y_;
};

// Pool adjacent violators on y in the given order, in place: afterwards y is the
// non-decreasing sequence closest to the input in least squares weighted by `weights`
// (sklearn.isotonic.isotonic_regression with increasing=True and no bounds).
// REQUIRES: weights.size() == y->size(), every weight > 0 and finite, every y finite.
void PoolAdjacentViolators(std::vector<double>* y, std::span<const double> weights);

}  // namespace mlloop::stats
