// Two-sample Cramer-von Mises test: are two samples drawn from the same continuous
// distribution? The statistic integrates the squared gap between the two empirical CDFs
// over the pooled sample, so it reacts to differences anywhere in the distribution, not
// only at the largest gap (KS) and without KS's insensitivity in the tails.
//
// Matches scipy.stats.cramervonmises_2samp(x, y, method) of SciPy 1.10:
//   statistic T = U / (nx ny N) - (4 nx ny - 1) / (6 N),  N = nx + ny,
//   U = nx sum_i (r_i - i)^2 + ny sum_j (s_j - j)^2
// (Anderson 1962, eq. 9-10), with r and s the ranks of the sorted x and y in the pooled
// sample; ties get midranks, as SciPy does. The p-value is
//   - kExact: P(T >= t) over all C(N, nx) equally likely splits of the pooled ranks, by the
//     lattice-path recursion of Xiao, Gordon and Yakovlev, "A C++ Program for the
//     Cramer-Von Mises Two-Sample Test", J. Stat. Soft. 17(8), 2006 (SciPy's
//     _pval_cvm_2samp_exact). We count the splits in exact 64-bit integers.
//   - kAsymptotic: T standardised by its exact mean and variance (Anderson 1962, eq. 11, 14,
//     15) and referred to the limiting distribution of the one-sample statistic
//     (Csorgo and Faraway 1996, eq. 1.2, a series in the Bessel function K_{1/4}); SciPy's
//     _cdf_cvm_inf, including its stopping rule (terms below 1e-7) and its shortcut
//     p = 1 when the standardised statistic is below 0.003.
//   - kAuto: SciPy's choice, exact when max(nx, ny) <= 20, asymptotic otherwise.
//
// Degenerate inputs: when every value in both samples is the same, all midranks are
// (N + 1) / 2 and the result is what SciPy gives, finite and never NaN: T = 0 and p = 1 for
// equal sizes, a small positive T with a large p-value for unequal sizes (the midrank
// formula is not exactly zero there; e.g. 30 vs 25 tied values give T = 0.1527, p = 0.391).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <vector>

#include "core/status.h"

namespace mlloop::stats {

enum class CvmMethod {
  kAuto,        // SciPy's 'auto': exact when max(nx, ny) <= kCvmExactMaxSize
  kExact,       // enumerate the permutation distribution (small samples only, see below)
  kAsymptotic,  // limiting distribution
};

// SciPy 1.10 uses the exact distribution under 'auto' while max(nx, ny) <= 20.
inline constexpr size_t kCvmExactMaxSize = 20;

struct CramerVonMisesResult {
  double statistic = 0;                       // T, as SciPy's `statistic`
  double p_value = 1;                         // in [0, 1]
  CvmMethod method = CvmMethod::kAsymptotic;  // the method actually used: never kAuto
};

// The method kAuto resolves to for these sample sizes (kExact or kAsymptotic).
CvmMethod ResolveCvmMethod(size_t nx, size_t ny, CvmMethod requested = CvmMethod::kAuto);

// The two-sample test on samples sorted ascending.
// REQUIRES (else InvalidArgument): both samples finite, sorted ascending, with at least two
// values each (SciPy raises below two). kExact requested explicitly also needs C(N, nx) and
// the recursion's path sums to fit in 63 bits (about N <= 60 for balanced samples). Its cost
// grows quickly with the sizes and with lcm(nx, ny), which is why kAuto uses it only up to
// 20 per side: 20 vs 20 takes ~3 ms, 19 vs 20 ~150 ms, 5 vs 500 ~9 s (one core).
Result<CramerVonMisesResult> CramerVonMisesSorted(const float* x, size_t nx, const float* y,
                                                  size_t ny, CvmMethod method = CvmMethod::kAuto);
// Same on unsorted samples (sorts copies).
Result<CramerVonMisesResult> CramerVonMises(const std::vector<float>& x,
                                            const std::vector<float>& y,
                                            CvmMethod method = CvmMethod::kAuto);

// The limiting CDF of the Cramer-von Mises statistic, P(W^2 <= w) for n = infinity
// (Csorgo and Faraway 1996, eq. 1.2), summed as SciPy's _cdf_cvm_inf. Exposed for tests;
// like SciPy's, it is not meant for w > 4, where it is 1 to double precision anyway.
// REQUIRES: w > 0.
double CramerVonMisesLimitingCdf(double w);

}  // namespace mlloop::stats
