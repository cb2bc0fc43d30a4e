// Two-proportion Z-test: has the share of one outcome (a binary feature's positive code, an
// error rate, a class share) changed between the reference and current samples?
//
//   p_a = k_a / n_a,  p_b = k_b / n_b,  p = (k_a + k_b) / (n_a + n_b)   (pooled under H0)
//   z = (p_a - p_b) / sqrt(p (1 - p) (1/n_a + 1/n_b)),   p-value = 2 * NormalSf(|z|)
//
// Matches statsmodels.stats.proportion.proportions_ztest([k_a, k_b], [n_a, n_b]) with its
// defaults (value=0, alternative='two-sided', prop_var=False), whose formula the fixture
// script evaluates with SciPy. For large n it agrees with the chi-squared test of the 2 x 2
// table without Yates' correction (z^2 equals that statistic).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>

#include "core/status.h"
#include "stats/test_result.h"

namespace mlloop::stats {

// Z-test of k_a successes out of n_a (reference) against k_b out of n_b (current).
// statistic = z (positive when the reference share is higher); p_value two-sided.
// Zero pooled variance (both shares 0, or both 1) means there is no evidence of a change:
// statistic 0, p-value 1 (statsmodels would return NaN there).
// Errors (InvalidArgument): n_a or n_b is 0; k_a > n_a or k_b > n_b.
Result<TestResult> TwoProportionZTest(size_t k_a, size_t n_a, size_t k_b, size_t n_b);

}  // namespace mlloop::stats
