#include "stats/isotonic.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>

namespace mlloop::stats {

namespace {

// np.finfo(np.float64).resolution: sklearn's _make_unique starts a new x value only when
// it is at least this far above the first x of the current run.
constexpr double kUniqueResolution = 1e-15;

}  // namespace

void PoolAdjacentViolators(std::vector<double>* y_values, std::span<const double> weights) {
  std::vector<double>& y = *y_values;
  const size_t n = y.size();
  if (n < 2) return;
  std::vector<double> w(weights.begin(), weights.end());
  // Blocks are runs [i, last_of[i]] with last_of[last] == i as well; at a block's first index
  // y and w hold the block's weighted mean and total weight. Following sklearn's
  // _inplace_contiguous_isotonic_regression: a whole decreasing (non-increasing) run of blocks
  // is pooled at once, then the scan steps back one block, which keeps it one pass, O(n).
  std::vector<size_t> last_of(n);
  std::iota(last_of.begin(), last_of.end(), size_t{0});
  size_t i = 0;
  while (i < n) {
    size_t k = last_of[i] + 1;
    if (k == n) break;
    if (y[i] < y[k]) {
      i = k;
      continue;
    }
    double sum_wy = w[i] * y[i];
    double sum_w = w[i];
    while (true) {
      const double prev_y = y[k];
      sum_wy += w[k] * y[k];
      sum_w += w[k];
      k = last_of[k] + 1;
      if (k == n || prev_y < y[k]) {
        y[i] = sum_wy / sum_w;
        w[i] = sum_w;
        last_of[i] = k - 1;
        last_of[k - 1] = i;
        if (i > 0) i = last_of[i - 1];  // the first index of the block before
        break;
      }
    }
  }
  for (i = 0; i < n;) {
    const size_t end = last_of[i] + 1;
    std::fill(y.begin() + static_cast<std::ptrdiff_t>(i) + 1,
              y.begin() + static_cast<std::ptrdiff_t>(end), y[i]);
    i = end;
  }
}

Result<IsotonicRegression> IsotonicRegression::Fit(std::span<const double> x,
                                                   std::span<const double> y,
                                                   std::span<const double> weights) {
  if (x.empty()) return Status::InvalidArgument("isotonic regression: no rows");
  if (y.size() != x.size()) {
    return Status::InvalidArgument("isotonic regression: " + std::to_string(x.size()) +
                                   " x values but " + std::to_string(y.size()) + " y values");
  }
  if (!weights.empty() && weights.size() != x.size()) {
    return Status::InvalidArgument("isotonic regression: " + std::to_string(x.size()) +
                                   " rows but " + std::to_string(weights.size()) + " weights");
  }
  std::vector<size_t> order;
  order.reserve(x.size());
  for (size_t row = 0; row < x.size(); ++row) {
    if (!std::isfinite(x[row]) || !std::isfinite(y[row])) {
      return Status::InvalidArgument("isotonic regression: row " + std::to_string(row) +
                                     " has a non-finite x or y");
    }
    const double wr = weights.empty() ? 1.0 : weights[row];
    if (!std::isfinite(wr) || wr < 0) {
      return Status::InvalidArgument("isotonic regression: row " + std::to_string(row) +
                                     " has a negative or non-finite weight");
    }
    if (wr > 0) order.push_back(row);  // sklearn drops zero-weight rows first
  }
  if (order.empty()) return Status::InvalidArgument("isotonic regression: every weight is 0");
  // np.lexsort((y, x)): by x, then y, then input position.
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return x[a] < x[b] || (x[a] == x[b] && y[a] < y[b]);
  });

  // sklearn's _make_unique: one point per run of (nearly) equal x, at the run's first x.
  std::vector<double> ux, uy, uw;
  double run_x = x[order[0]];
  double run_w = 0, run_wy = 0;
  for (size_t row : order) {
    const double wr = weights.empty() ? 1.0 : weights[row];
    if (x[row] - run_x >= kUniqueResolution) {
      ux.push_back(run_x);
      uw.push_back(run_w);
      uy.push_back(run_wy / run_w);
      run_x = x[row];
      run_w = wr;
      run_wy = y[row] * wr;
    } else {
      run_w += wr;
      run_wy += y[row] * wr;
    }
  }
  ux.push_back(run_x);
  uw.push_back(run_w);
  uy.push_back(run_wy / run_w);

  PoolAdjacentViolators(&uy, uw);

  // Keep the first and last point and every point whose y differs from a neighbour's.
  std::vector<double> tx, ty;
  const size_t n = ux.size();
  for (size_t j = 0; j < n; ++j) {
    const bool keep = j == 0 || j + 1 == n || uy[j] != uy[j - 1] || uy[j] != uy[j + 1];
    if (!keep) continue;
    tx.push_back(ux[j]);
    ty.push_back(uy[j]);
  }
  return IsotonicRegression(std::move(tx), std::move(ty));
}

Result<IsotonicRegression> IsotonicRegression::FromThresholds(std::vector<double> x,
                                                              std::vector<double> y) {
  if (x.empty() || x.size() != y.size()) {
    return Status::InvalidArgument("isotonic thresholds: " + std::to_string(x.size()) + " x and " +
                                   std::to_string(y.size()) +
                                   " y values (need the same number, at least one)");
  }
  for (size_t j = 0; j < x.size(); ++j) {
    if (!std::isfinite(x[j]) || !std::isfinite(y[j])) {
      return Status::InvalidArgument("isotonic thresholds: point " + std::to_string(j) +
                                     " is not finite");
    }
    if (j > 0 && (x[j] <= x[j - 1] || y[j] < y[j - 1])) {
      return Status::InvalidArgument("isotonic thresholds: point " + std::to_string(j) +
                                     " breaks the order (x must increase, y not decrease)");
    }
  }
  return IsotonicRegression(std::move(x), std::move(y));
}

double IsotonicRegression::Predict(double x) const {
  if (std::isnan(x)) return x;
  const size_t n = x_.size();
  if (n == 1) return y_[0];
  x = std::clamp(x, x_.front(), x_.back());
  // scipy.interpolate.interp1d(kind="linear"), which sklearn 1.2 predicts with: the segment
  // [lo, hi] with hi = searchsorted(x_, x, side="left") clipped to [1, n - 1].
  size_t hi = static_cast<size_t>(std::lower_bound(x_.begin(), x_.end(), x) - x_.begin());
  hi = std::clamp<size_t>(hi, 1, n - 1);
  const size_t lo = hi - 1;
  const double slope = (y_[hi] - y_[lo]) / (x_[hi] - x_[lo]);
  return slope * (x - x_[lo]) + y_[lo];
}

}  // namespace mlloop::stats
