// McNemar's test: on the same rows, is the candidate right more (or less) often than the
// champion? Only the discordant rows carry evidence:
//   b = rows where only the champion is right,   c = rows where only the candidate is right.
// Under H0 (equal accuracy) each discordant row is b or c with probability 1/2
// (McNemar 1947, Psychometrika 12(2):153-157).
//
//  - kExact: the two-sided binomial test of min(b, c) among b + c at p = 1/2,
//      p = min(1, 2 P(X <= min(b, c))),  X ~ Binomial(b + c, 1/2),
//    as statsmodels' mcnemar(table, exact=True) (and scipy.stats.binomtest, which agrees
//    because the distribution is symmetric); statistic = min(b, c).
//  - kChiSquared: statistic (b - c)^2 / (b + c), p from chi-squared with 1 dof, as
//    statsmodels' mcnemar(table, exact=False, correction=False).
//  - kChiSquaredCorrected: Edwards' continuity correction, max(|b - c| - 1, 0)^2 / (b + c).
//    statsmodels (correction=True) does not clamp at 0, so for b == c it reports
//    1 / (b + c) where we report 0 (p-value 1: equal counts are no evidence of a change).
// The binomial probabilities are summed in double from P(X = min(b, c)), which is formed by
// Loader's saddle-point expansion (C. Loader, "Fast and accurate computation of binomial
// probabilities", 2000; R's dbinom), accurate to ~1e-15 relative for any b + c.
// With no discordant rows (b + c == 0) every method gives statistic 0, p-value 1.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>

#include "core/status.h"
#include "stats/test_result.h"

namespace mlloop::stats {

// The 2 x 2 table of paired correctness.
struct PairedCorrectness {
  size_t both_right = 0;
  size_t only_champion_right = 0;   // b
  size_t only_candidate_right = 0;  // c
  size_t both_wrong = 0;
};

// Counts the table from per-row correctness (1 = right, 0 = wrong) of the two models.
// Errors (InvalidArgument): sizes differ; no rows; a value other than 0 or 1.
Result<PairedCorrectness> CountPairedCorrectness(std::span<const uint8_t> champion_correct,
                                                 std::span<const uint8_t> candidate_correct);

enum class McNemarMethod { kExact, kChiSquared, kChiSquaredCorrected };

// statistic: min(b, c) for kExact, the chi-squared value otherwise; p_value two-sided.
struct McNemarResult : TestResult {
  McNemarMethod method = McNemarMethod::kExact;
  size_t discordant = 0;  // b + c
  // (c - b) / (b + c + concordant): the candidate's accuracy minus the champion's.
  double accuracy_difference = 0;
};

// McNemar's test on a table. Errors (InvalidArgument): an empty table (no rows at all).
Result<McNemarResult> McNemarTest(const PairedCorrectness& table,
                                  McNemarMethod method = McNemarMethod::kExact);

}  // namespace mlloop::stats
