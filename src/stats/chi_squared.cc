#include "stats/chi_squared.h"

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "stats/special_functions.h"

namespace mlloop::stats {

Result<ChiSquaredResult> ChiSquaredIndependence(std::span<const size_t> reference_counts,
                                                std::span<const size_t> current_counts) {
  if (reference_counts.size() != current_counts.size()) {
    return Status::InvalidArgument("chi-squared test: " + std::to_string(reference_counts.size()) +
                                   " reference categories but " +
                                   std::to_string(current_counts.size()) + " current ones");
  }
  // The 2 x k table without the categories neither sample has.
  std::vector<double> ref, cur;
  for (size_t c = 0; c < reference_counts.size(); ++c) {
    if (reference_counts[c] == 0 && current_counts[c] == 0) continue;
    ref.push_back(static_cast<double>(reference_counts[c]));
    cur.push_back(static_cast<double>(current_counts[c]));
  }
  double ref_total = 0, cur_total = 0;
  for (size_t c = 0; c < ref.size(); ++c) {
    ref_total += ref[c];
    cur_total += cur[c];
  }
  if (ref_total == 0 || cur_total == 0) {
    return Status::InvalidArgument("chi-squared test: the " +
                                   std::string(ref_total == 0 ? "reference" : "current") +
                                   " sample has no observations");
  }
  if (ref.size() < 2) {
    return Status::InvalidArgument(
        "chi-squared test not computable: fewer than 2 categories have data");
  }
  const double total = ref_total + cur_total;
  const int dof = static_cast<int>(ref.size()) - 1;

  // Term for one cell. Yates' correction (dof == 1 only, as SciPy) moves the observed count
  // toward the expected one by at most 0.5 and never past it (SciPy gh-13875).
  auto term = [dof](double observed, double expected) {
    if (dof == 1) {
      const double diff = expected - observed;
      const double direction = diff > 0 ? 1.0 : (diff < 0 ? -1.0 : 0.0);
      observed += std::min(0.5, std::fabs(diff)) * direction;
    }
    const double dev = observed - expected;
    return dev * dev / expected;
  };
  // Row-major order, row margin times column margin over the total, as SciPy's
  // expected_freq; then the terms are summed in the same order.
  double statistic = 0;
  for (size_t c = 0; c < ref.size(); ++c) {
    statistic += term(ref[c], ref_total * (ref[c] + cur[c]) / total);
  }
  for (size_t c = 0; c < ref.size(); ++c) {
    statistic += term(cur[c], cur_total * (ref[c] + cur[c]) / total);
  }
  ChiSquaredResult result;
  result.statistic = statistic;
  result.p_value = ChiSquaredSf(statistic, dof);
  result.dof = dof;
  return result;
}

}  // namespace mlloop::stats
