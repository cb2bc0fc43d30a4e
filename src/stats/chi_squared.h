// Chi-squared test of independence for a categorical feature: are the category frequencies
// of the reference and current samples the same?
//
// The counts form a 2 x k contingency table (row 0 = reference, row 1 = current, one column
// per category). Expected counts come from the margins, E_ij = row_i * col_j / total, and
//   statistic = sum_ij (O_ij - E_ij)^2 / E_ij,   dof = k - 1,
// p-value = chi-squared survival function at the statistic (ChiSquaredSf).
// With dof == 1 (a 2 x 2 table) Yates' continuity correction moves each O_ij toward E_ij by
// min(0.5, |O_ij - E_ij|) first; SciPy applies it only then, and so do we.
// Matches scipy.stats.chi2_contingency(table, correction=True) in SciPy 1.10.
//
// This is deliberately NOT the goodness-of-fit test (scipy.stats.chisquare) that treats the
// reference shares as exact: the reference is a sample too, and the independence test
// accounts for its noise, so a small reference window does not inflate drift alarms.
//
// Categories with zero count in both samples are dropped before anything else (SciPy would
// refuse the table: a zero expected count); they carry no evidence either way.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <span>

#include "core/status.h"
#include "stats/test_result.h"

namespace mlloop::stats {

struct ChiSquaredResult : TestResult {
  int dof = 0;  // degrees of freedom: categories with data - 1
};

// Test on per-category counts; reference_counts[c] and current_counts[c] count category c.
// Errors (InvalidArgument): the two spans differ in length; a sample with no observations;
// fewer than 2 categories with data (the test is not computable: with one category both
// samples are identical in distribution by construction).
Result<ChiSquaredResult> ChiSquaredIndependence(std::span<const size_t> reference_counts,
                                                std::span<const size_t> current_counts);

}  // namespace mlloop::stats
