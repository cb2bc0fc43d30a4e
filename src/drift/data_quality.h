// Data-quality checks of the drift report: the signs of a broken pipeline (a column that
// went missing, values the reference never had, a feed stuck on one value) as opposed to a
// world that changed. ComputeDrift (drift_report.h) runs them on the columns it has already
// prepared, so no check sorts or scans a column again; they are public for the tests and
// for callers that keep their own per-column summaries.
//
// The rules (each finding's `value` is the number behind it):
//  - missing_rate_jump: the current missing share minus the reference's is >= 0.1 (absolute),
//    or the reference had no missing value at all and the current has >= 1%: a column that
//    was always filled starting to come in empty is a pipeline symptom even at low rates.
//    value = current missing share.
//  - out_of_range (numeric features): >= 1% of the current non-missing values lie outside
//    the reference's [min, max]. value = that share. Covers a reference that was constant
//    (Elec2's imputed Victorian columns): every current value that moved is outside.
//  - unseen_category (categorical and boolean features): >= 1% of the current non-missing
//    values are in categories the reference never had (matched by text); the detail names
//    up to 5, most frequent first. value = that share.
//  - became_constant: the reference has at least two distinct non-missing values, the
//    current has at least two non-missing values and all of them are equal.
//    value = the current non-missing count.
//  - column_missing / column_added: from ReadFindings, value = 1 (the whole column).
//  - type_violation: from ReadFindings, value = the number of bad values.
// A side with no rows, or no non-missing values where a rule needs some, yields no finding
// for that rule (the drift entry of the feature says it is not computable instead).
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "drift/drift_report.h"

namespace mlloop::drift {

inline constexpr double kMissingJumpShare = 0.1;  // absolute rise of the missing share
inline constexpr double kMissingNewShare = 0.01;  // when the reference had none missing
inline constexpr double kOutOfRangeShare = 0.01;
inline constexpr double kUnseenCategoryShare = 0.01;
inline constexpr size_t kUnseenCategoriesNamed = 5;

// One feature of both tables, as the drift report has prepared it. Views only: the caller
// owns the data, which must outlive the call.
struct ColumnSummary {
  std::string_view name;
  core::FeatureType type = core::FeatureType::kNumeric;
  size_t reference_rows = 0, current_rows = 0;        // all rows of each table
  size_t reference_missing = 0, current_missing = 0;  // NaN among them
  // Numeric features: the non-missing values, sorted ascending.
  std::span<const float> reference_sorted, current_sorted;
  // Categorical and boolean features: category text and the counts of each table, aligned
  // (same length; categories with no value in either table may be left out).
  std::span<const std::string> categories;
  std::span<const size_t> reference_counts, current_counts;
};

// The findings for one column under the rules above, in the order missing_rate_jump,
// out_of_range, unseen_category, became_constant.
std::vector<QualityFinding> CheckColumnQuality(const ColumnSummary& column);

// column_missing, column_added and type_violation findings from what the reader saw.
// `current_rows` (all rows of the current table) puts the violations in proportion in the
// detail; 0 leaves the proportion out.
std::vector<QualityFinding> ReadQualityFindings(const ReadFindings& findings, size_t current_rows);

// DriftReport::mostly_data_quality: true when
//  (a) a column_missing or type_violation finding exists (the current table is not what
//      the model reads, whatever the distributions say), or
//  (b) a missing_rate_jump finding has value 1: a feature entirely missing in the current
//      table is a missing column in all but name, or
//  (c) at least one feature drifted and more than half of the drifted features also have a
//      missing_rate_jump, became_constant, unseen_category or out_of_range finding, so that
//      the drift is mostly the broken pipeline's doing.
// column_added alone never makes it true: the model does not read the new column. The
// target does not take part (its drift is not a pipeline symptom).
bool IsMostlyDataQuality(const std::vector<FeatureDrift>& features,
                         const std::vector<QualityFinding>& quality);

}  // namespace mlloop::drift
