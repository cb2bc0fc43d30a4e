#include "stats/z_test.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "stats/special_functions.h"

namespace mlloop::stats {

Result<TestResult> TwoProportionZTest(size_t k_a, size_t n_a, size_t k_b, size_t n_b) {
  if (n_a == 0 || n_b == 0) {
    return Status::InvalidArgument("two-proportion z-test: a sample has no observations");
  }
  if (k_a > n_a || k_b > n_b) {
    return Status::InvalidArgument("two-proportion z-test: more successes than observations (" +
                                   std::to_string(k_a) + "/" + std::to_string(n_a) + ", " +
                                   std::to_string(k_b) + "/" + std::to_string(n_b) + ")");
  }
  // In statsmodels' order of operations, so the statistic agrees to the last bits.
  const double na = static_cast<double>(n_a), nb = static_cast<double>(n_b);
  const double diff = static_cast<double>(k_a) / na - static_cast<double>(k_b) / nb;
  const double pooled = static_cast<double>(k_a + k_b) / static_cast<double>(n_a + n_b);
  const double variance = pooled * (1 - pooled) * (1.0 / na + 1.0 / nb);
  if (variance == 0) return TestResult{0.0, 1.0};  // both shares 0 or both 1: no change
  const double z = diff / std::sqrt(variance);
  return TestResult{z, std::min(1.0, 2 * NormalSf(std::fabs(z)))};
}

}  // namespace mlloop::stats
