// k-sample Anderson-Darling test: were k samples drawn from one common continuous
// distribution? Like Cramer-von Mises it integrates the squared gap between empirical CDFs,
// but weights it by 1 / (H (1 - H)), so differences in the tails count more: the test to
// use when a drift in rare extreme values matters.
//
// Matches scipy.stats.anderson_ksamp(samples, midrank=True) of SciPy 1.10:
//   - statistic: Scholz and Stephens (1987), "K-Sample Anderson-Darling Tests", JASA 82,
//     eq. 7 (A2akN, the midrank version for data with ties), standardised as
//     (A2akN - (k - 1)) / sigma_N with sigma_N^2 from their eq. 4. SciPy's `statistic`.
//   - critical_values: their Table 2 interpolation b0 + b1 / sqrt(m) + b2 / m, m = k - 1, at
//     the significance levels kAndersonDarlingSignificanceLevels.
//   - significance_level: SciPy's approximate p-value. Inside the range of the critical
//     values it is exp(quadratic least-squares fit of log(level) on the critical values,
//     evaluated at the statistic) (np.polyfit(critical, log(sig), 2)); outside it SciPy
//     does not extrapolate: it returns 0.25 ("capped": the true p-value is larger) below
//     the smallest critical value, and 0.001 ("floored": the true p-value is smaller) above
//     the largest, with a warning. We return the same numbers and set `capped` instead of
//     warning.
//
// Degenerate input: when every value of every sample is the same, SciPy raises ("needs more
// than one distinct observation"). We return statistic 0 (A2akN equal to its null mean:
// no evidence of a difference), significance_level 0.25 and capped = true; never NaN.
// Fewer than 4 values in total is InvalidArgument: sigma_N divides by (N-1)(N-2)(N-3), and
// SciPy returns NaN at N = 3 and fails at N = 2.
//
// Thread-safety: pure functions.
#pragma once

#include <array>
#include <cstddef>
#include <span>
#include <vector>

#include "core/status.h"

namespace mlloop::stats {

// The significance levels of Scholz and Stephens' Table 2, in SciPy's order.
inline constexpr std::array<double, 7> kAndersonDarlingSignificanceLevels = {
    0.25, 0.1, 0.05, 0.025, 0.01, 0.005, 0.001};

struct AndersonDarlingResult {
  double statistic = 0;  // standardised A2akN (SciPy's `statistic`); may be negative
  std::array<double, 7> critical_values{};  // at kAndersonDarlingSignificanceLevels
  // Approximate p-value, in [0.001, 0.25] (SciPy's `pvalue` / `significance_level`).
  double significance_level = 0.25;
  // True when the statistic is outside the critical values' range, so that
  // significance_level is a bound, not an estimate: 0.25 means "p >= 0.25", 0.001 means
  // "p <= 0.001". SciPy warns in these cases.
  bool capped = false;
};

// The test on k >= 2 samples, each sorted ascending.
// REQUIRES (else InvalidArgument): at least two samples; each non-empty, finite and sorted
// ascending; at least 4 values in total.
Result<AndersonDarlingResult> AndersonDarlingKSampleSorted(
    std::span<const std::span<const float>> sorted_samples);
// Same on unsorted samples (sorts copies).
Result<AndersonDarlingResult> AndersonDarlingKSample(
    const std::vector<std::vector<float>>& samples);

// The two-sample case (reference vs current), the one the drift report uses.
Result<AndersonDarlingResult> AndersonDarlingSorted(const float* a, size_t na, const float* b,
                                                    size_t nb);
Result<AndersonDarlingResult> AndersonDarling(const std::vector<float>& a,
                                              const std::vector<float>& b);

}  // namespace mlloop::stats
