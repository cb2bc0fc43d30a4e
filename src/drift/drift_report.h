// Batch drift report: a reference table (the training data) against a current one (last
// week's traffic), feature by feature, with the method, statistic, threshold and verdict of
// each, whether the dataset as a whole drifted, and the data-quality findings that tell a
// broken pipeline from real drift. The same functions feed the loop's drift trigger.
//
// Thread-safety: pure functions over immutable inputs.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"
#include "drift/multivariate.h"

namespace mlloop::drift {

// How one feature is compared. kAuto picks as the best-known tool's defaults do (see
// ChooseMethod); the others force one method.
enum class Method {
  kAuto,
  kKs,               // numeric; p-value test
  kChiSquared,       // categorical; p-value test
  kZTest,            // categorical with two values; p-value test
  kWasserstein,      // numeric; normalised by the reference's std; distance
  kJensenShannon,    // categorical (numeric: on shared bins); distance
  kPsi,              // either; distance-like
  kHellinger,        // either; distance
  kLInfinity,        // categorical; distance
  kAndersonDarling,  // numeric; p-value (significance level) test
  kCramerVonMises,   // numeric; p-value test
};
std::string_view MethodName(Method method);  // "ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi", "hellinger", "linf", "anderson", "cvm"
// InvalidArgument listing the valid names for an unknown one. kAuto is named "auto", both ways.
Result<Method> ParseMethod(std::string_view name);

struct DriftOptions {
  Method method = Method::kAuto;            // for every feature unless overridden below
  std::map<std::string, Method> per_feature;
  // Thresholds: a p-value test flags drift when p < p_threshold; a distance when it is
  // >= its threshold (unless overridden per feature).
  double p_threshold = 0.05;
  std::optional<double> distance_threshold;  // default per method, see DefaultThreshold
  std::map<std::string, double> per_feature_threshold;
  // kAuto uses tests when the reference has at most this many rows, distances above.
  size_t small_sample_rows = 1000;
  // Dataset drift: at least this share of the features drifted.
  double dataset_drift_share = 0.5;
  int bins = 10;  // for binned methods on numeric features (PSI, JS, Hellinger on numeric)
  // Also run the multivariate detectors (multivariate.h: a domain classifier and PCA
  // reconstruction error). Off by default: it costs `folds` XGBoost trainings.
  bool multivariate = false;
  MultivariateOptions multivariate_options;
  // Also compute these methods for every feature (FeatureDrift::statistics), each fitted to
  // the feature as `method` is (a categorical feature gets chisquare for ks, ...); a method
  // that lands on one already listed for the feature is not repeated. They do not change
  // the feature's verdict. All of them come from the one sort of the column.
  std::vector<Method> statistics;
  // Columns are compared in parallel on this many threads; 0 = the hardware's.
  int threads = 0;
};

// One more statistic of a feature (DriftOptions::statistics), with the default threshold of
// its method and the verdict that threshold gives.
struct ExtraStatistic {
  std::string method;
  bool computable = true;
  std::string note;
  std::optional<double> statistic;
  std::optional<double> p_value;
  double threshold = 0;
  bool drift = false;
};

// A category or bin of a drawn distribution.
struct Distribution {
  std::vector<std::string> labels;    // category values, or bin ranges "[0.1, 0.2)"
  std::vector<double> reference;      // share of the reference's non-missing rows
  std::vector<double> current;        // share of the current's non-missing rows
};

struct FeatureDrift {
  std::string name;
  core::FeatureType type = core::FeatureType::kNumeric;
  std::string method;                 // MethodName of the method used
  bool computable = true;             // false: see `note`; statistic/p_value are then unset
  std::string note;                   // why not computable, or a caveat
  std::optional<double> statistic;
  std::optional<double> p_value;      // tests only
  double threshold = 0;
  bool drift = false;
  size_t reference_rows = 0, current_rows = 0;        // non-missing values compared
  size_t reference_missing = 0, current_missing = 0;
  Distribution distribution;          // for the report's overlaid charts
  std::vector<ExtraStatistic> statistics;  // DriftOptions::statistics, in their order
};

// A data-quality problem: a sign of a broken pipeline rather than of a changed world.
struct QualityFinding {
  std::string column;
  // missing_rate_jump | type_violation | out_of_range | unseen_category | became_constant |
  // column_missing | column_added
  std::string kind;
  std::string detail;  // one readable sentence with the numbers
  double value = 0;    // the share or count behind it
};

// What the CSV reader saw beyond the typed values (filled by the caller that read the data;
// empty when not known).
struct ReadFindings {
  std::vector<std::string> columns_missing;  // in the reference, absent from the current
  std::vector<std::string> columns_added;    // in the current, absent from the reference
  std::map<std::string, size_t> type_violations;  // current column -> values that were not of its type
  std::map<std::string, std::string> type_violation_example;
};

struct DriftReport {
  std::vector<FeatureDrift> features;         // schema order
  std::optional<FeatureDrift> target;         // when both tables have the label
  // The model's predictions on both tables (ComparePredictions), when a model was given.
  std::optional<FeatureDrift> prediction;
  size_t features_drifted = 0;
  size_t features_computable = 0;
  double drift_share = 0;                     // drifted / computable
  double dataset_drift_threshold = 0.5;
  bool dataset_drift = false;
  std::vector<QualityFinding> quality;
  // True when the data-quality findings, not distribution change, explain most of what is
  // wrong; the loop then alerts instead of retraining.
  bool mostly_data_quality = false;
  size_t reference_rows = 0, current_rows = 0;
  // Set when DriftOptions::multivariate. It does not change dataset_drift (the per-feature
  // rule); a caller that acts on drift should also act on multivariate->drift() — `mlloop
  // drift` exits 10 when either says drift (AnyDrift()).
  std::optional<MultivariateDrift> multivariate;

  // dataset_drift, or a multivariate detector flagged drift.
  bool AnyDrift() const { return dataset_drift || (multivariate && multivariate->drift()); }

  // {"dataset_drift", "drift_share", "dataset_drift_threshold", "features_drifted",
  //  "features": [{"name", "type", "method", "statistic", "p_value", "threshold", "drift",
  //  "computable", "note", "reference_rows", "current_rows", ..., "statistics": [{"method",
  //  "statistic", "p_value", "threshold", "drift", "computable", "note"}]}], "target": {...},
  //  "prediction": {...} or null,
  //  "quality": [{"column", "kind", "detail", "value"}], "mostly_data_quality",
  //  "multivariate": null or {"drift", "domain_classifier": {"computable", "note", "auc",
  //  "auc_std", "fold_auc", "threshold", "drift", "rows_per_side", "folds",
  //  "top_features": [{"name", "gain_share"}]}, "pca": {"computable", "note", "features",
  //  "components", "explained_variance", "reference_rows", "current_rows", "reference_mean",
  //  "reference_std", "current_mean", "current_std", "ratio", "standard_error", "drift"}}}
  // Values that are not computable are null, never NaN.
  std::string ToJson() const;
};

// The default threshold of a distance method (Wasserstein 0.1 as normalised, Jensen-Shannon
// 0.1, PSI 0.1, Hellinger 0.1, L-infinity 0.1 — each documented where defined). Jensen-Shannon
// is Evidently's 0.1 in natural-log units, i.e. 0.1 / sqrt(ln 2) = 0.1201 in our base 2.
// Tests give 0.05 (the default p_threshold); kAuto gives 0.
double DefaultThreshold(Method method);

// The method kAuto picks for a feature of `type` with `reference_rows` non-missing values
// and `distinct` distinct non-missing values in both tables together (Evidently counts
// pd.concat([reference, current]).nunique(), so a category new in the current table
// counts; its Z-test needs it): numeric -> KS when small, normalised
// Wasserstein when large; categorical -> Z-test for two values and chi-squared otherwise
// when small, Jensen-Shannon when large. Numeric features with at most 5 distinct values are
// treated as categorical, as the best-known tool does.
Method ChooseMethod(core::FeatureType type, size_t reference_rows, size_t distinct,
                    size_t small_sample_rows);

// Compares `current` with `reference`, both read under `schema` (categorical codes may
// differ between the two tables: values are matched by their text through
// Dataset::categories). InvalidArgument when the tables disagree on the features.
//
// Per feature: missing values are dropped, each numeric column is sorted once (radix sort,
// stats/sort.h) and every statistic and the chart come from that sort. Columns are compared
// in parallel (options.threads); the report is the same whatever the number of threads. The method fits the data as follows:
//  - categorical/boolean features: a numeric-only method is replaced by its categorical
//    counterpart and `note` says so (ks, anderson, cvm -> chisquare; wasserstein ->
//    jensenshannon); z with more than two categories -> chisquare.
//  - numeric features: chisquare, jensenshannon, psi, hellinger and linf compare the values
//    as categories when there are at most 5 distinct values, else `bins` shared equal-width
//    bins over the pooled range (PSI there is Evidently's binning, shares floored at
//    stats::kPsiShareFloor); z on more than two values is not computable.
// Not computable (computable = false, a note, no statistic): no non-missing value on one
// side, a stats function refusing the input (too few values for the test, ...), an invalid
// category code. Never NaN. per_feature_threshold replaces the feature's threshold whatever
// its method (for a test, the p-value threshold). The target (label on both tables; binary as categorical,
// regression as numeric) is compared the same way, honours per_feature[label name], and
// does not count towards dataset drift. With options.multivariate, `multivariate` is filled
// by ComputeMultivariateDrift (an XGBoost failure there is returned as its Internal status).
// Distribution: categorical shares per category (the
// 20 largest, then "other"); numeric per value when both tables together have at most 20
// distinct values, else clamp(bins, 10, 20) shared bins; empty when a side has no value.
Result<DriftReport> ComputeDrift(const core::Dataset& reference, const core::Dataset& current,
                                 const core::Schema& schema, const DriftOptions& options,
                                 const ReadFindings& findings = {});

// Prediction drift: the model's outputs on the reference and on the current table (scores
// or probabilities for classifiers, values for regression), compared as a numeric feature
// named "prediction" under `options` (per_feature["prediction"] may force a method). It does
// not count towards dataset drift; a drifted prediction with no drifted feature points at
// interactions the per-feature tests cannot see. InvalidArgument for an empty side or NaN.
Result<FeatureDrift> ComparePredictions(std::span<const float> reference,
                                        std::span<const float> current,
                                        const DriftOptions& options);

class ReferenceProfile;

// The same report against a saved profile of the reference (reference_profile.h) instead of
// its rows: the usual case, where the training data was profiled once. Exact wherever the
// profile is (categorical columns within its capacity, numeric columns that kept their
// values); elsewhere the reference's CDF is its quantile sketch's: ks's D within the
// sketch's rank error (said in the note) and its p-value computed from that D,
// wasserstein within about 0.025 (normalised), binned methods (psi, jensenshannon,
// hellinger, linf, chisquare on bins) with the reference's bin shares from the sketch;
// anderson and cvm are not computable without the values. Features are matched by name;
// InvalidArgument when the profile lacks one of the schema's features or has it with another
// type, or with options.multivariate (it needs rows).
Result<DriftReport> ComputeDriftAgainstProfile(const ReferenceProfile& reference,
                                               const core::Dataset& current,
                                               const core::Schema& schema,
                                               const DriftOptions& options,
                                               const ReadFindings& findings = {});

}  // namespace mlloop::drift
