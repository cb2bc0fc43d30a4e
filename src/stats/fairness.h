// Fairness gaps of a binary classifier across the groups of a protected attribute: does the
// model hand out the favourable outcome (a loan granted, a claim approved) at different
// rates to different groups?
//
// Definitions as in fairlearn.metrics (0.10), with pos_label = the favourable label:
//   selection rate of g      = P(prediction favourable | group g)
//   true positive rate of g  = P(prediction favourable | label favourable, group g)
//   demographic parity difference = max_g - min_g of the selection rate
//                                   (fairlearn's demographic_parity_difference)
//   disparate impact ratio        = min_g / max_g of the selection rate
//                                   (fairlearn's demographic_parity_ratio; the "four-fifths
//                                   rule" of the US EEOC flags values below 0.8)
//   equal opportunity difference  = max_g - min_g of the true positive rate
//                                   (Hardt, Price & Srebro 2016; the TPR half of fairlearn's
//                                   equalized_odds_difference)
// Each comes with a percentile bootstrap interval (bootstrap.h) that resamples the rows
// within each group (for the true positive rate: within each group and label), so every
// resample keeps each group's size and positives and every rate stays defined. The
// interval is therefore conditional on the group sizes, which are fixed by the evaluation
// set rather than being the quantity of interest.
//
// Where fairlearn would return NaN or a comparison of one group with itself, we refuse:
// a group without rows, a group without favourable labels (for the true positive rate),
// no favourable prediction at all (for the ratio), or fewer than two groups.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "core/status.h"
#include "stats/bootstrap.h"

namespace mlloop::stats {

struct FairnessOptions {
  float favourable_label = 1;  // 0 or 1: the label (and prediction) that benefits the person
  // The groups that must be present, e.g. every value of the attribute in the schema. Empty:
  // the groups that occur in the data. With a list, a listed group without rows and a row
  // whose group is not listed are errors.
  std::vector<int32_t> expected_groups;
  BootstrapOptions bootstrap;

  // InvalidArgument when favourable_label is not 0 or 1 or the bootstrap options are invalid.
  Status Validate() const;
};

// Counts and rates of one group.
struct GroupRates {
  int32_t group = 0;
  size_t rows = 0;
  size_t selected = 0;                       // rows predicted favourable
  size_t favourable = 0;                     // rows labelled favourable
  size_t true_favourable = 0;                // labelled and predicted favourable
  double selection_rate = 0;                 // selected / rows
  std::optional<double> true_positive_rate;  // true_favourable / favourable; none if 0 / 0
};

// A gap between the groups with the lowest and the highest rate (ties: the lowest code).
struct FairnessGap {
  double value = 0;  // on all rows
  double lower = 0;  // bootstrap percentile interval at `level`
  double upper = 0;
  double level = 0;
  int32_t lowest_group = 0;
  int32_t highest_group = 0;
  int resamples = 0;
};

// Arguments shared below: `predictions` and `labels` are 0 or 1, `groups` is the protected
// attribute's code per row. Common errors (InvalidArgument): sizes differ; no rows; a value
// other than 0 or 1; invalid options; fewer than 2 groups; a group listed in
// expected_groups without rows, or a row whose group is not listed.

// Per-group counts and rates, ascending group code.
Result<std::vector<GroupRates>> RatesByGroup(std::span<const float> labels,
                                             std::span<const float> predictions,
                                             std::span<const int32_t> groups,
                                             const FairnessOptions& options);

// max - min selection rate, in [0, 1]; 0 is parity.
Result<FairnessGap> DemographicParityDifference(std::span<const float> predictions,
                                                std::span<const int32_t> groups,
                                                const FairnessOptions& options);

// min / max selection rate, in [0, 1]; 1 is parity. Further error: no row is predicted
// favourable (0 / 0), on all rows or in a resample.
Result<FairnessGap> DisparateImpactRatio(std::span<const float> predictions,
                                         std::span<const int32_t> groups,
                                         const FairnessOptions& options);

// max - min true positive rate, in [0, 1]; 0 is parity. Further error: a group without a
// row labelled favourable (its true positive rate is 0 / 0).
Result<FairnessGap> EqualOpportunityDifference(std::span<const float> labels,
                                               std::span<const float> predictions,
                                               std::span<const int32_t> groups,
                                               const FairnessOptions& options);

}  // namespace mlloop::stats
