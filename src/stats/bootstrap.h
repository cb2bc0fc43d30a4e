// Bootstrap intervals behind the validation gates: resample the evaluation rows with
// replacement B times, recompute a statistic on each resample, and read the percentile
// interval of the B values (Efron & Tibshirani, "An Introduction to the Bootstrap", 1993,
// ch. 13). PairedBootstrap applies it to the difference of a metric between two models that
// scored the same rows: each resample keeps a row's label and both models' scores together,
// so the correlation between the models is preserved (the "paired" bootstrap).
//
// Reproducibility. Results depend only on the inputs, the options and this contract, on
// every platform (integer PRNG, no std:: distributions):
//   rng = BootstrapRng(seed): xoshiro256** 1.0 (Blackman & Vigna, "Scrambled linear
//     pseudorandom number generators", ACM TOMS 47(4), 2021) whose four state words are
//     four successive outputs of splitmix64 (Steele, Lea & Flood, OOPSLA 2014) started at
//     `seed`. rng.Below(n) draws r = rng.Next() until r >= 2^64 mod n, then returns r mod n
//     (unbiased).
//   Strata: the distinct codes in ascending order (no strata: one stratum of all rows);
//     the rows of a stratum in ascending row order.
//   Resample b = 0 .. B-1: for each stratum S in order, |S| times: append S[rng.Below(|S|)].
//     So a stratified resample keeps every stratum's size.
//   The statistic gets the row indices in that order; the estimate is the statistic on all
//     rows in the order 0 .. n-1.
//   Interval: Quantile(replicates, (1 - level) / 2) and Quantile(replicates, (1 + level) / 2).
// tests/stats/fixtures/make_validation_fixtures.py implements this contract in Python and
// the tests compare every replicate.
//
// Thread-safety: pure functions; the statistic callback is called on the calling thread,
// sequentially. BootstrapRng is a value type without shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "core/status.h"

namespace mlloop::stats {

// The bootstrap's random numbers (see the file comment for the exact algorithm).
class BootstrapRng {
 public:
  explicit BootstrapRng(uint64_t seed);
  // The next 64 random bits.
  uint64_t Next();
  // Uniform integer in [0, n). REQUIRES: n >= 1 (aborts otherwise: a programmer error).
  uint64_t Below(uint64_t n);

 private:
  uint64_t s_[4];
};

struct BootstrapOptions {
  int resamples = 1000;  // B, the number of resamples: >= 1
  uint64_t seed = 0;     // the same seed gives the same resamples
  double level = 0.95;   // two-sided percentile interval level, in (0, 1)

  // InvalidArgument naming the field when resamples < 1 or level is outside (0, 1).
  Status Validate() const;
};

// A statistic of the rows `rows` (indices into the caller's arrays; a row drawn twice
// appears twice). It should not depend on the order of `rows` beyond rounding.
using RowStatistic = std::function<double(std::span<const size_t> rows)>;

struct BootstrapDistribution {
  double estimate = 0;             // the statistic on all rows
  std::vector<double> replicates;  // one per resample, in resample order
  double lower = 0;                // percentile interval of the replicates at `level`
  double upper = 0;
  double level = 0;
};

// Bootstraps `statistic` over `rows` rows. `strata` (one code per row, or empty for none)
// makes each resample keep every stratum's size.
// Errors (InvalidArgument): rows == 0; strata of another size; invalid options; the
// statistic is not finite on all rows or on some resample (the message names which).
// Cost: B * (rows + one statistic call); memory O(rows + B).
Result<BootstrapDistribution> BootstrapRows(size_t rows, std::span<const int32_t> strata,
                                            const RowStatistic& statistic,
                                            const BootstrapOptions& options);

// The q-quantile of `values` by linear interpolation between order statistics, h = (n-1) q,
// exactly as numpy.quantile(values, q, method="linear") (= numpy.percentile at 100 q)
// computes it in NumPy 1.24, including its two-sided lerp:
//   lo = floor(h), t = h - lo, d = x[lo+1] - x[lo],
//   result = x[lo] + d t when t < 1/2, else x[lo+1] - d (1 - t)   (x[n-1] when h >= n-1).
// Errors (InvalidArgument): no values; a non-finite value; q outside [0, 1].
Result<double> Quantile(std::span<const double> values, double q);

// Which way a metric improves.
enum class Better { kHigher, kLower };

// Ready-made metrics, computed by stats/metrics.h (classification: labels 0/1, scores the
// probability of class 1, class 1 when the score is >= 0.5).
enum class BootstrapMetric {
  kAccuracy,  // higher is better
  kF1,        // higher is better
  kRocAuc,    // higher is better; a resample with one class only is refused (stratify)
  kLogLoss,   // lower is better; scores must be in [0, 1]
  kRmse,      // lower is better; regression: labels are any finite values
  kMae,       // lower is better; regression
};

// kHigher or kLower for a ready-made metric.
Better BetterDirection(BootstrapMetric metric);

enum class BootstrapSampling {
  kRows,               // resample all rows together
  kStratifiedByLabel,  // resample positives and negatives apart (labels 0/1): every
                       // resample keeps the class counts; needed for ROC AUC on rare classes
};

// A metric of (labels, scores), the arrays gathered for the rows of a resample.
using ArrayMetric =
    std::function<double(std::span<const float> labels, std::span<const float> scores)>;

struct PairedBootstrapResult {
  double champion = 0;  // the metric of each model on all rows
  double candidate = 0;
  double difference = 0;  // candidate - champion on all rows: the point estimate
  double lower = 0;       // percentile interval of the resampled differences at `level`
  double upper = 0;
  double level = 0;
  double std_error = 0;     // standard deviation of the resampled differences (0 if B = 1)
  double share_better = 0;  // share of resamples where the candidate is strictly better
  double share_tied = 0;    // share where the two metrics are exactly equal
  // One-sided bootstrap p-value for H0 "the candidate is not better":
  // (1 + #resamples where it is not strictly better) / (B + 1), never 0.
  double p_value = 1;
  int resamples = 0;
  Better better = Better::kHigher;
  std::vector<double> replicates;  // the resampled differences, in resample order
};

// Paired bootstrap of metric(candidate) - metric(champion) on the same rows.
// Errors (InvalidArgument): sizes differ or no rows; a NaN label or score; labels not 0/1
// with kStratifiedByLabel; invalid options; the metric is not finite on all rows or on a
// resample.
Result<PairedBootstrapResult> PairedBootstrap(
    std::span<const float> labels, std::span<const float> champion_scores,
    std::span<const float> candidate_scores, const ArrayMetric& metric, Better better,
    const BootstrapOptions& options, BootstrapSampling sampling = BootstrapSampling::kRows);

// The same with a ready-made metric. Further errors (InvalidArgument): labels not 0/1 for a
// classification metric; scores outside [0, 1] for kLogLoss; a non-finite label or score;
// kRocAuc with one class only (on all rows, or in a resample: use kStratifiedByLabel).
Result<PairedBootstrapResult> PairedBootstrap(
    std::span<const float> labels, std::span<const float> champion_scores,
    std::span<const float> candidate_scores, BootstrapMetric metric,
    const BootstrapOptions& options, BootstrapSampling sampling = BootstrapSampling::kRows);

}  // namespace mlloop::stats
