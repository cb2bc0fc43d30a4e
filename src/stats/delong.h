// DeLong's test: is the candidate's ROC AUC different from the champion's, when both models
// scored the same labelled rows (so their AUCs are correlated)? And a confidence interval
// for one model's AUC.
//
// DeLong, DeLong & Clarke-Pearson (1988, Biometrics 44(3):837-845): with m positives X_i and
// n negatives Y_j, the AUC is the Mann-Whitney statistic
//   AUC = 1/(m n) sum_ij psi(X_i, Y_j),  psi = 1 if X > Y, 1/2 if X == Y, 0 otherwise
// (ties count one half, as sklearn.metrics.roc_auc_score counts them). Its structural
// components V10_i = 1/n sum_j psi(X_i, Y_j) (per positive) and V01_j = 1/m sum_i psi(X_i, Y_j)
// (per negative) give the variance
//   Var(AUC) = S10 / m + S01 / n,   S10, S01 the sample variances (divisor m - 1, n - 1),
// and for two models the same with covariances; for the difference
//   Var(AUC_b - AUC_a) = Var_i(V10_b - V10_a) / m + Var_j(V01_b - V01_a) / n.
// The components come from mid-ranks in O(N log N), N = m + n, by Sun & Xu (2014, "Fast
// implementation of DeLong's algorithm for comparing the areas under correlated receiver
// operating characteristic curves", IEEE Signal Process. Lett. 21(11):1389-1393):
//   V10_i = (Z_i - X_i^rank) / n,   V01_j = 1 - (Z_j - Y_j^rank) / m,
// Z the mid-rank of a score among all N, X^rank / Y^rank its mid-rank within its class.
// We form the difference's components first and take one variance, which is the same as
// Sun & Xu's l S l' up to rounding but keeps its accuracy when the two models nearly agree.
//
//   z = (AUC_b - AUC_a) / sqrt(Var),  p = 2 (1 - Phi(|z|)),
//   interval = difference +- z_(1+level)/2 sqrt(Var), clipped to [-1, 1]
// (a single AUC's interval is clipped to [0, 1], as pROC's ci.auc does).
// Matches the reference NumPy implementation of Sun & Xu (fastDeLong, calc_pvalue) written
// in tests/stats/fixtures/make_validation_fixtures.py, whose AUCs match sklearn's.
//
// Labels are 0 or 1 (1 = positive); a higher score means "more likely positive". Scores are
// compared as floats, so two scores tie only when they are the same float.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <span>

#include "core/status.h"
#include "stats/test_result.h"

namespace mlloop::stats {

// statistic = z; p_value two-sided. "champion" is the model in place, "candidate" the one
// that would replace it; every difference is candidate - champion.
struct DeLongResult : TestResult {
  double champion_auc = 0;
  double candidate_auc = 0;
  double difference = 0;  // candidate_auc - champion_auc
  double variance = 0;    // DeLong variance of the difference
  double std_error = 0;   // sqrt(variance)
  double lower = 0;       // confidence interval of the difference at `level`
  double upper = 0;
  double level = 0;
  size_t positives = 0;
  size_t negatives = 0;
};

// A model's AUC with its DeLong variance and a normal confidence interval at `level`.
struct AucInterval {
  double auc = 0;
  double variance = 0;
  double std_error = 0;
  double lower = 0;  // clipped to [0, 1]
  double upper = 0;
  double level = 0;
  size_t positives = 0;
  size_t negatives = 0;
};

// DeLong's test of candidate_scores against champion_scores on the same rows, and the
// confidence interval of the difference at `level` (e.g. 0.95).
// When the two models' components agree exactly (the same scores, or scores in the same
// order) the variance is 0 and so is the difference: statistic 0, p-value 1, interval
// [0, 0].
// Errors (InvalidArgument): sizes differ; fewer than 2 positives or 2 negatives (the
// sample variances need two of each); a label other than 0 or 1; a NaN score; `level`
// outside (0, 1); a zero variance with a non-zero difference (the test is not computable:
// e.g. a perfect champion against a candidate whose scores are all equal).
// Cost: O(N log N) time, O(N) memory.
Result<DeLongResult> DeLongTest(std::span<const float> labels,
                                std::span<const float> champion_scores,
                                std::span<const float> candidate_scores, double level = 0.95);

// The AUC of `scores` with its DeLong variance and interval at `level`. A variance of 0
// (e.g. a model that separates the classes perfectly) gives the interval [auc, auc].
// Errors (InvalidArgument): as DeLongTest.
Result<AucInterval> AucConfidenceInterval(std::span<const float> labels,
                                          std::span<const float> scores, double level = 0.95);

}  // namespace mlloop::stats
