// Two-sample Kolmogorov-Smirnov test: does a current sample of a numeric feature come from
// the same continuous distribution as the reference sample?
//
// The statistic is D = sup_x |F_a(x) - G_b(x)| over the two empirical CDFs (ties handled by
// evaluating both CDFs at every observed value, right-continuous). The two-sided p-value is
// computed exactly as scipy.stats.ks_2samp(a, b, alternative='two-sided', method=...) does
// in SciPy 1.10:
//  - kExact: the probability that a random lattice path from (0,0) to (n1,n2) leaves the
//    band |x/n1 - y/n2| < D, by Hodges' (1958) recursion in the form that computes 1 - p
//    directly (Viehmann 2021, arXiv:2102.08037); for n1 == n2 a closed alternating sum.
//    SciPy reports D rounded to the lattice, h / lcm(n1, n2), on this path; so do we.
//    If lcm(n1, n2) does not fit in int32, SciPy (and we) switch to kAsymptotic; if the
//    recursion yields a value outside [0, 1], both switch to kAsymptotic with that D.
//  - kAsymptotic: the exact one-sample two-sided KS survival function at
//    n = round(n1 n2 / (n1 + n2)) (ties to even), i.e. scipy.stats.kstwo.sf(D, n); see
//    KolmogorovSmirnovSf in special_functions.h. (Not the limiting Kolmogorov law.)
//  - kAuto: kExact when max(n1, n2) <= 10000, else kAsymptotic.
// The p-value is clipped to [0, 1].
//
// Thread-safety: pure functions.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "core/status.h"
#include "stats/test_result.h"

namespace mlloop::stats {

enum class KsMethod { kAuto, kExact, kAsymptotic };

// Largest sample size for which kAuto uses the exact p-value (SciPy's MAX_AUTO_N).
inline constexpr size_t kKsMaxAutoExactN = 10000;

// KS test of `a` (reference) against `b` (current). Sorts both copies.
// Returns statistic D in [0, 1] and the two-sided p-value.
// Errors (InvalidArgument): an empty sample; a NaN value (remove missing values first);
// kAsymptotic with n1 = n2 = 1, where round(n1 n2 / (n1 + n2)) = 0 and SciPy returns NaN.
// Infinite values are ordinary values.
Result<TestResult> KsTwoSample(std::vector<float> a, std::vector<float> b,
                               KsMethod method = KsMethod::kAuto);

// The same on data already sorted ascending (the drift code sorts each column once); no
// copies. Unsorted input or a NaN gives InvalidArgument (checked in O(n)).
// Cost: exact O(n1 n2 D) at worst (~0.5 s for 10000 x 9999 with D = 0.39); asymptotic O(1)
// except the Smirnov-sum branch (p below ~0.1 at large n), O(n1 n2 / (n1 + n2)).
Result<TestResult> KsTwoSampleSorted(std::span<const float> a, std::span<const float> b,
                                     KsMethod method = KsMethod::kAuto);

// D alone, on data sorted ascending (no checks: REQUIRES both non-empty, sorted, no NaN), for
// callers that run many tests of one size and keep p-values by D (KSWIN).
double KsStatisticSorted(std::span<const float> a, std::span<const float> b);

// The p-value of a statistic D found otherwise (e.g. from a reference's quantile sketch), for
// samples of n1 and n2 values, by SciPy's rules as above. InvalidArgument for n < 1 or D
// outside [0, 1], and as KsTwoSample for n1 = n2 = 1 asymptotic.
Result<TestResult> KsFromStatistic(int64_t n1, int64_t n2, double d,
                                   KsMethod method = KsMethod::kAuto);

}  // namespace mlloop::stats
