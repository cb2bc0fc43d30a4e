// Distances between a reference sample (the training window) and a current sample (the
// recent window): Wasserstein-1 on numeric values, and Jensen-Shannon, Hellinger and
// L-infinity on frequency vectors, plus the helpers that build aligned frequency vectors.
//
// Each numeric function comes in two forms. The *Sorted form takes samples already sorted
// ascending, because the drift report sorts each column once and derives every statistic
// (KS, Wasserstein, Anderson-Darling, Cramer-von Mises, bins) from that one sort. The
// convenience form takes unsorted vectors and sorts copies.
//
// Input contract shared by every function here and in anderson_darling.h and
// cramer_von_mises.h: samples must be non-empty and finite. NaN (a missing value: callers
// drop missing values first) or +-inf gives InvalidArgument, as does an unsorted input to a
// *Sorted function. Results are never NaN.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mlloop::stats {

// OK when `values[0..n)` is non-empty, finite and sorted ascending; otherwise
// InvalidArgument naming `what` ("reference", "current", ...) and the offending index.
// O(n). Every *Sorted function here calls it, so callers need not.
Status CheckSortedSample(const float* values, size_t n, std::string_view what);

// `values` sorted ascending, after the same checks (non-finite is rejected before sorting,
// since NaN breaks the ordering std::sort needs).
Result<std::vector<float>> SortSample(std::vector<float> values, std::string_view what);

// ---------------------------------------------------------------------------------------
// Wasserstein-1 (earth mover's) distance.

// W1 = integral over x of |F_a(x) - F_b(x)|, with F the empirical CDFs: the mass that must
// move times how far, in the units of the data. Matches
// scipy.stats.wasserstein_distance(a, b) (unweighted; SciPy 1.10 `_cdf_distance` with p=1).
// Two identical samples, or two constant samples at the same value, give exactly 0.
// The sum is compensated (Neumaier), so the result does not drift with sample size.
// REQUIRES (else InvalidArgument): both samples non-empty, finite, sorted ascending.
Result<double> WassersteinSorted(const float* a, size_t na, const float* b, size_t nb);
Result<double> Wasserstein(const std::vector<float>& a, const std::vector<float>& b);

// Floor on the reference standard deviation in WassersteinNormalized, as in Evidently.
inline constexpr double kWassersteinStdFloor = 1e-3;

// W1(reference, current) / max(std(reference), kWassersteinStdFloor): a scale-free
// distance, "how many reference standard deviations the mass moved".
//
// Which std: the population std of the reference (ddof = 0, i.e. divide by n), exactly
// Evidently's "wasserstein" stat test (`max(np.std(reference_data), 0.001)`,
// evidently/calculations/stattests/wasserstein_distance_norm.py). We chose it so that
// Evidently's default drift threshold (0.1) means the same thing here, and because the
// reference is the fixed side of the comparison: its spread is the natural unit.
// A constant reference (std 0) divides by the floor 1e-3 instead of 0: identical constant
// samples give 0; a constant reference and a current sample that moved give a large,
// finite value (W1 * 1000), never NaN or inf.
// REQUIRES (else InvalidArgument): both samples non-empty, finite, sorted ascending.
Result<double> WassersteinNormalizedSorted(const float* reference, size_t n_reference,
                                           const float* current, size_t n_current);
Result<double> WassersteinNormalized(const std::vector<float>& reference,
                                     const std::vector<float>& current);

// Population standard deviation (ddof = 0) of a sample, computed in double with two passes
// (mean, then squared deviations), as np.std. REQUIRES: n > 0 (an empty sample gives 0).
double PopulationStdDev(const float* values, size_t n);

// ---------------------------------------------------------------------------------------
// Distances between discrete distributions over the same bins.
//
// `p` and `q` are counts or probabilities over the same n bins (slot i of p and slot i of q
// describe the same category or bin). Each is normalised to sum 1 first, so raw counts of
// different totals are fine. REQUIRES (else InvalidArgument): n > 0, every entry finite and
// >= 0, and each vector with a positive sum.

// Base of the logarithm in the Jensen-Shannon divergence.
enum class LogBase {
  kTwo,      // bits: the distance lies in [0, 1]; our default
  kNatural,  // nats: the distance lies in [0, sqrt(ln 2)] ~ [0, 0.8326]; SciPy's default
};

// Jensen-Shannon DISTANCE, the square root of the JS divergence:
//   JSD(p, q) = 1/2 KL(p || m) + 1/2 KL(q || m),  m = (p + q) / 2,  distance = sqrt(JSD),
// with KL in the logarithm `base`. Matches scipy.spatial.distance.jensenshannon(p, q,
// base=2) for kTwo (our default: a bounded [0, 1] score reads the same on every feature)
// and jensenshannon(p, q) (base None = natural log, SciPy's default) for kNatural.
// Bins where both are 0 contribute 0. Identical distributions give exactly 0; rounding
// cannot make the divergence negative here (it is clamped at 0 before the square root,
// where SciPy would return NaN).
Result<double> JensenShannonDistance(const double* p, const double* q, size_t n,
                                     LogBase base = LogBase::kTwo);
Result<double> JensenShannonDistance(const std::vector<double>& p, const std::vector<double>& q,
                                     LogBase base = LogBase::kTwo);

// Hellinger distance H(p, q) = (1 / sqrt 2) * || sqrt(p) - sqrt(q) ||_2, in [0, 1]: 0 for
// identical distributions, 1 for disjoint supports. No logarithm. (SciPy has no Hellinger
// function; the fixtures compute it with NumPy from this formula.) Computed from the
// differences of square roots rather than as sqrt(1 - sum sqrt(p q)), which cancels
// catastrophically for close distributions.
Result<double> HellingerDistance(const double* p, const double* q, size_t n);
Result<double> HellingerDistance(const std::vector<double>& p, const std::vector<double>& q);

// L-infinity distance max_i |p_i - q_i| of the normalised frequencies, in [0, 1]: the
// categorical skew/drift measure of TensorFlow Data Validation
// (tensorflow_data_validation, "L-infinity distance" in the skew comparator). No logarithm.
Result<double> LInfinityDistance(const double* p, const double* q, size_t n);
Result<double> LInfinityDistance(const std::vector<double>& p, const std::vector<double>& q);

// ---------------------------------------------------------------------------------------
// Aligned frequency vectors. Counts are doubles so they feed the distances above directly.

// Counts per category over the union of the categories of both samples.
struct CategoryCounts {
  std::vector<float> codes;       // every distinct code of either sample, ascending
  std::vector<double> reference;  // reference count per code (0 when only current has it)
  std::vector<double> current;    // current count per code (0 when only reference has it)
};

// Categories are the distinct float codes (as in psi.h's categorical features; -0 and +0
// are one code). A code present in one sample only gets a 0 count in the other, which is
// what makes an unseen category show up as drift.
// REQUIRES (else InvalidArgument): both non-empty, finite (missing values dropped first);
// the Sorted form also needs ascending order. O(na + nb) for the Sorted form.
Result<CategoryCounts> CountCategoriesSorted(const float* reference, size_t n_reference,
                                             const float* current, size_t n_current);
Result<CategoryCounts> CountCategories(const std::vector<float>& reference,
                                       const std::vector<float>& current);

// Counts per bin of `bins` equal-width bins shared by both samples.
struct BinCounts {
  std::vector<double> edges;      // bins + 1 edges, ascending
  std::vector<double> reference;  // reference count per bin
  std::vector<double> current;    // current count per bin
};

// The binning is NumPy's np.histogram_bin_edges(concatenate([reference, current]), bins)
// followed by np.histogram of each sample (what Evidently does before its Jensen-Shannon
// test): `bins` equal-width bins spanning the POOLED range [lo, hi], lo = min of both,
// hi = max of both; edge i = lo + i * (hi - lo) / bins (edge `bins` is exactly hi). Bin i
// holds edge_i <= x < edge_{i+1}; the last bin also holds x == hi, so every value lands in
// exactly one bin. When every value is the same (lo == hi) the range becomes
// [lo - 0.5, hi + 0.5], as in NumPy. Pooled edges mean the current sample is never outside
// the bins; pass a reference-only binning elsewhere if that is what is wanted.
// REQUIRES (else InvalidArgument): bins >= 1; both samples non-empty, finite; the Sorted
// form also needs ascending order. O(bins * log(n)) for the Sorted form (binary searches).
Result<BinCounts> CountInSharedBinsSorted(const float* reference, size_t n_reference,
                                          const float* current, size_t n_current, int bins);
Result<BinCounts> CountInSharedBins(const std::vector<float>& reference,
                                    const std::vector<float>& current, int bins);

}  // namespace mlloop::stats
