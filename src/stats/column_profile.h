// ColumnProfile: a small, mergeable summary of what one server replica saw of one column,
// and drift statistics computed from two profiles without the raw rows.
//
// Numeric column:     Moments (exact count, missing, mean, variance, min, max) + KLL sketch.
// Categorical column: Misra-Gries frequent items + HyperLogLog distinct count + missing.
// Merge(profile(A), profile(B)) is a profile of A ∪ B: exactly for counts, missing, min and
// max; up to double rounding for mean and variance; within each sketch's documented error
// for quantiles, frequencies and distinct counts (merging does not widen the bounds).
//
// Drift from profiles, and how far each may be from the same statistic on the raw rows
// (stats/ks_test.h, psi.h, distances.h, chi_squared.h). "eps" is a KLL sketch's uniform
// normalised rank error, rank_error(): 0 while the sketch still holds every value (fewer
// than k = 200), KllRankErrorBound(200) ~ 0.0165 beyond. Each bound is asserted in
// column_profile_test.cc on normal, lognormal, uniform, shifted, rescaled and heavily tied
// columns of 1e4 to 1e6 values; the worst case measured there is in brackets.
//  - ProfileKsStatistic: |D - D_exact| <= eps_ref + eps_cur (~0.033), which follows from
//    the uniform rank bound (each estimated CDF is within its eps everywhere).
//    [worst 0.0083]. Note the noise floor: two sketches of the SAME data may differ by ~0.01.
//  - ProfilePsi (10 bins): the reference's sketch quantiles as bin edges, both sides' shares
//    from their sketches, the missing bin exact. |PSI - PSI_exact| <= 0.02 + 0.1 PSI_exact,
//    against psi.h's formula on the raw rows with the same edges [worst excess over
//    0.1 PSI_exact: 0.0033], and against stats::Psi itself (its edges interpolated on the
//    raw reference) [0.0032].
//  - ProfileWasserstein: W1 between the sketches' step CDFs. Loose proven bound
//    (eps_ref + eps_cur) * (pooled max - pooled min); documented practical bound
//    |W - W_exact| <= 0.025 std_ref + 0.02 W_exact [worst 0.0107 std_ref, on heavy ties].
//    ProfileWassersteinNormalized divides by the exact std: error <= 0.025 + 0.02 W_exact.
//  - ProfileJensenShannon / ProfileChiSquared: on the frequent-item counters, with each
//    side's untracked mass folded into one "other" slot. EXACT (equal, up to summation
//    order, to JensenShannonDistance / ChiSquaredIndependence on the raw category counts)
//    when each column has at most `frequent_items_capacity` distinct values (then
//    max_error() == 0; distinct().Estimate() tells whether a column is past that). Past
//    capacity the distance is taken on a coarser partition, so it is LOWER than the
//    all-categories value (a long tail of rare categories is noise the profile does not
//    see, and so is drift confined to that tail): on Zipf columns of 5000 categories,
//    capacity 128, |JS - JS on the profile's partition| <= 0.1 [worst 0.076], and
//    JS <= JS_exact + 0.02. Raise the capacity above the cardinality when exactness matters.
//
// Thread-safety: none; a profile belongs to one thread. Drift functions are pure.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "stats/chi_squared.h"
#include "stats/distances.h"
#include "stats/distinct_count.h"
#include "stats/frequent_items.h"
#include "stats/kll_sketch.h"
#include "stats/moments.h"

namespace mlloop::stats {

enum class ColumnKind : uint8_t { kNumeric = 1, kCategorical = 2 };

struct ProfileOptions {
  uint16_t kll_k = kKllDefaultK;                                   // numeric
  uint32_t frequent_items_capacity = kFrequentItemsDefaultCapacity;  // categorical
  int hll_precision = kHllDefaultPrecision;                         // categorical
  uint64_t seed = kKllDefaultSeed;  // KLL coin flips; fixes the sketch given the input

  // InvalidArgument naming the field: kll_k < 8, capacity outside [1, 2^20], precision
  // outside [4, 18].
  Status Validate() const;
};

class ColumnProfile {
 public:
  // An empty profile. InvalidArgument for invalid options.
  static Result<ColumnProfile> Create(ColumnKind kind, const ProfileOptions& options = {});
  // Numeric column; NaN is missing.
  static Result<ColumnProfile> FromNumeric(std::span<const float> values,
                                           const ProfileOptions& options = {});
  // Categorical column of category values (none missing; use AddMissing for those).
  static Result<ColumnProfile> FromCategories(std::span<const std::string> values,
                                              const ProfileOptions& options = {});
  // Categorical column as io/ reads it: codes into `dictionary`, NaN = missing.
  // InvalidArgument for a code that is not an index of `dictionary`.
  static Result<ColumnProfile> FromCodes(std::span<const float> codes,
                                         const std::vector<std::string>& dictionary,
                                         const ProfileOptions& options = {});

  // REQUIRES: kind() == kNumeric (aborts otherwise). NaN counts as missing; +-inf goes to
  // the sketch (as KsTwoSample and Psi treat it) and to moments().infinite_count().
  void AddNumeric(float value);
  // REQUIRES: kind() == kCategorical.
  // `count` occurrences of `value` at once (a column whose categories were counted first).
  void AddCategory(std::string_view value, uint64_t count = 1);
  void AddMissing(uint64_t count = 1);

  // Becomes the profile of the union. InvalidArgument when kind or options (other than the
  // seed) differ; this profile is unchanged then.
  Status Merge(const ColumnProfile& other);

  ColumnKind kind() const { return kind_; }
  const ProfileOptions& options() const { return options_; }
  uint64_t count() const;  // non-missing values (including +-inf)
  uint64_t missing_count() const;
  uint64_t total_count() const { return count() + missing_count(); }
  // Numeric only (REQUIRES kind() == kNumeric).
  const Moments& moments() const;
  const KllSketch& kll() const;
  // Categorical only (REQUIRES kind() == kCategorical).
  const FrequentItems& frequent_items() const;
  const HyperLogLog& distinct() const;

  // Versioned bytes ("MLCP", version 1) holding the options and each part's own bytes.
  // Deserialize: DataLoss for truncated, trailing or inconsistent bytes (including parts
  // that disagree with each other or with the options), FailedPrecondition for another
  // version; never crashes.
  std::string Serialize() const;
  static Result<ColumnProfile> Deserialize(std::string_view bytes);

 private:
  ColumnProfile(ColumnKind kind, const ProfileOptions& options);

  ColumnKind kind_;
  ProfileOptions options_;
  // Numeric.
  std::optional<Moments> moments_;
  std::optional<KllSketch> kll_;
  // Categorical.
  uint64_t categorical_missing_ = 0;
  std::optional<FrequentItems> frequent_;
  std::optional<HyperLogLog> distinct_;
};

// Every function below: InvalidArgument when a profile has the wrong kind or no non-missing
// values. Bounds: see the file comment.

// Approximate KS statistic D between two numeric profiles.
Result<double> ProfileKsStatistic(const ColumnProfile& reference, const ColumnProfile& current);
// The bound on |ProfileKsStatistic - D_exact|: the sum of both sketches' rank_error().
Result<double> ProfileKsErrorBound(const ColumnProfile& reference,
                                   const ColumnProfile& current);

// Approximate PSI with `bins` quantile bins of the reference plus the missing bin, with
// psi.h's formula and share floor. REQUIRES (else InvalidArgument): bins >= 2.
Result<double> ProfilePsi(const ColumnProfile& reference, const ColumnProfile& current,
                          int bins);
// The bin edges ProfilePsi uses: reference sketch quantiles at i/bins, repeats dropped.
Result<std::vector<double>> ProfilePsiEdges(const ColumnProfile& reference, int bins);

// Approximate Wasserstein-1, and W1 / max(population std of reference, 1e-3) as
// WassersteinNormalized (the std is exact, from the moments). InvalidArgument also when a
// profile saw +-inf (the raw distances reject it too).
Result<double> ProfileWasserstein(const ColumnProfile& reference, const ColumnProfile& current);
Result<double> ProfileWassersteinNormalized(const ColumnProfile& reference,
                                            const ColumnProfile& current);

// Aligned counts of two categorical profiles: the union of tracked items (ascending), each
// side's counter (0 when that side does not track it), then one last "other" slot with each
// side's untracked mass n() - tracked_total().
struct ProfileCategoryCounts {
  std::vector<std::string> items;  // without the "other" slot
  std::vector<double> reference;   // items.size() + 1 entries
  std::vector<double> current;
};
Result<ProfileCategoryCounts> AlignProfileCategories(const ColumnProfile& reference,
                                                     const ColumnProfile& current);

Result<double> ProfileJensenShannon(const ColumnProfile& reference, const ColumnProfile& current,
                                    LogBase base = LogBase::kTwo);
Result<ChiSquaredResult> ProfileChiSquared(const ColumnProfile& reference,
                                           const ColumnProfile& current);

}  // namespace mlloop::stats
