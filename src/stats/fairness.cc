#include "stats/fairness.h"

#include <algorithm>
#include <cmath>
#include <string>

#include "core/format.h"

namespace mlloop::stats {

namespace {

// Rows encoded against the sorted group codes.
struct Encoded {
  std::vector<int32_t> codes;      // ascending
  std::vector<int32_t> index;      // per row: position of its group in `codes`
  std::vector<uint8_t> chosen;     // per row: predicted favourable
  std::vector<uint8_t> deserving;  // per row: labelled favourable (empty without labels)
};

Status CheckBinary(const char* function, const char* what, std::span<const float> values) {
  for (size_t i = 0; i < values.size(); ++i) {
    if (values[i] != 0.0f && values[i] != 1.0f) {
      return Status::InvalidArgument(std::string(function) + ": " + what + " at row " +
                                     std::to_string(i) + " is " + core::FormatShortest(values[i]) +
                                     "; expected 0 or 1");
    }
  }
  return Status::Ok();
}

// Validates the inputs and encodes them. `labels` may be empty (no labels needed).
Result<Encoded> Encode(const char* function, std::span<const float> labels,
                       std::span<const float> predictions, std::span<const int32_t> groups,
                       const FairnessOptions& options, bool need_labels) {
  const std::string where = std::string(function) + ": ";
  MLLOOP_RETURN_IF_ERROR(options.Validate().WithContext(function));
  const size_t n = predictions.size();
  if (groups.size() != n || (need_labels && labels.size() != n)) {
    return Status::InvalidArgument(where + "predictions, groups" +
                                   (need_labels ? " and labels" : "") + " differ in size (" +
                                   std::to_string(n) + ", " + std::to_string(groups.size()) +
                                   (need_labels ? ", " + std::to_string(labels.size()) : "") + ")");
  }
  if (n == 0) return Status::InvalidArgument(where + "no rows; expected at least one");
  MLLOOP_RETURN_IF_ERROR(CheckBinary(function, "prediction", predictions));
  if (need_labels) MLLOOP_RETURN_IF_ERROR(CheckBinary(function, "label", labels));

  Encoded e;
  e.codes.assign(groups.begin(), groups.end());
  std::sort(e.codes.begin(), e.codes.end());
  e.codes.erase(std::unique(e.codes.begin(), e.codes.end()), e.codes.end());
  if (!options.expected_groups.empty()) {
    std::vector<int32_t> expected = options.expected_groups;
    std::sort(expected.begin(), expected.end());
    expected.erase(std::unique(expected.begin(), expected.end()), expected.end());
    for (const int32_t code : e.codes) {
      if (!std::binary_search(expected.begin(), expected.end(), code)) {
        const size_t row =
            static_cast<size_t>(std::find(groups.begin(), groups.end(), code) - groups.begin());
        return Status::InvalidArgument(where + "row " + std::to_string(row) + " has group " +
                                       std::to_string(code) +
                                       ", which is not among the expected groups");
      }
    }
    for (const int32_t code : expected) {
      if (!std::binary_search(e.codes.begin(), e.codes.end(), code)) {
        return Status::InvalidArgument(where + "group " + std::to_string(code) +
                                       " has no rows: its rates are not computable");
      }
    }
  }
  if (e.codes.size() < 2) {
    return Status::InvalidArgument(where + "only group " + std::to_string(e.codes[0]) +
                                   " has rows; a gap needs at least 2 groups");
  }
  e.index.resize(n);
  e.chosen.resize(n);
  for (size_t i = 0; i < n; ++i) {
    e.index[i] = static_cast<int32_t>(std::lower_bound(e.codes.begin(), e.codes.end(), groups[i]) -
                                      e.codes.begin());
    e.chosen[i] = predictions[i] == options.favourable_label;
  }
  if (need_labels) {
    e.deserving.resize(n);
    for (size_t i = 0; i < n; ++i) e.deserving[i] = labels[i] == options.favourable_label;
  }
  return e;
}

// Lowest and highest rate and where they are (first index on ties).
struct Spread {
  double low = 0, high = 0;
  size_t low_at = 0, high_at = 0;
};

Spread SpreadOf(const std::vector<double>& rates) {
  Spread s{rates[0], rates[0], 0, 0};
  for (size_t g = 1; g < rates.size(); ++g) {
    if (rates[g] < s.low) s = {rates[g], s.high, g, s.high_at};
    if (rates[g] > s.high) s = {s.low, rates[g], s.low_at, g};
  }
  return s;
}

enum class Gap { kSelectionDifference, kSelectionRatio, kTprDifference };

// The per-group rates over `rows`: selection rates, or true positive rates (NaN for a group
// with no favourable label among `rows`).
void RatesOver(const Encoded& e, Gap gap, std::span<const size_t> rows, std::vector<size_t>& count,
               std::vector<size_t>& hits, std::vector<double>& rates) {
  count.assign(e.codes.size(), 0);
  hits.assign(e.codes.size(), 0);
  if (gap == Gap::kTprDifference) {
    for (const size_t r : rows) {
      if (!e.deserving[r]) continue;
      ++count[static_cast<size_t>(e.index[r])];
      hits[static_cast<size_t>(e.index[r])] += e.chosen[r];
    }
  } else {
    for (const size_t r : rows) {
      ++count[static_cast<size_t>(e.index[r])];
      hits[static_cast<size_t>(e.index[r])] += e.chosen[r];
    }
  }
  rates.resize(e.codes.size());
  for (size_t g = 0; g < rates.size(); ++g) {
    rates[g] =
        count[g] == 0 ? std::nan("") : static_cast<double>(hits[g]) / static_cast<double>(count[g]);
  }
}

double GapOf(Gap gap, const Spread& s) {
  if (gap == Gap::kSelectionRatio) return s.high == 0 ? std::nan("") : s.low / s.high;
  return s.high - s.low;
}

Result<FairnessGap> Compute(const char* function, const Encoded& e, Gap gap,
                            const FairnessOptions& options) {
  const std::string where = std::string(function) + ": ";
  const size_t n = e.index.size();
  std::vector<size_t> count, hits;
  std::vector<double> rates;
  std::vector<size_t> all(n);
  for (size_t i = 0; i < n; ++i) all[i] = i;
  RatesOver(e, gap, all, count, hits, rates);
  for (size_t g = 0; g < rates.size(); ++g) {
    if (count[g] == 0) {  // only possible for the true positive rate
      return Status::InvalidArgument(
          where + "group " + std::to_string(e.codes[g]) + " has no row labelled favourable (" +
          core::FormatShortest(options.favourable_label) + "): its true positive rate is not computable");
    }
  }
  const Spread spread = SpreadOf(rates);
  if (gap == Gap::kSelectionRatio && spread.high == 0) {
    return Status::InvalidArgument(where + "no row is predicted favourable (" +
                                   core::FormatShortest(options.favourable_label) +
                                   "): the ratio of selection rates is 0 / 0, not computable");
  }

  // Strata: the group, and for the true positive rate also whether the label is favourable.
  std::vector<int32_t> strata(n);
  for (size_t i = 0; i < n; ++i) {
    strata[i] = gap == Gap::kTprDifference ? 2 * e.index[i] + e.deserving[i] : e.index[i];
  }
  const RowStatistic statistic = [&](std::span<const size_t> rows) {
    RatesOver(e, gap, rows, count, hits, rates);
    return GapOf(gap, SpreadOf(rates));
  };
  auto dist = BootstrapRows(n, strata, statistic, options.bootstrap);
  if (!dist.ok()) return dist.status().WithContext(function);

  FairnessGap out;
  out.value = dist->estimate;
  out.lower = dist->lower;
  out.upper = dist->upper;
  out.level = options.bootstrap.level;
  out.lowest_group = e.codes[spread.low_at];
  out.highest_group = e.codes[spread.high_at];
  out.resamples = options.bootstrap.resamples;
  return out;
}

}  // namespace

Status FairnessOptions::Validate() const {
  if (favourable_label != 0.0f && favourable_label != 1.0f) {
    return Status::InvalidArgument("favourable_label must be 0 or 1, got " +
                                   core::FormatShortest(favourable_label));
  }
  return bootstrap.Validate();
}

Result<std::vector<GroupRates>> RatesByGroup(std::span<const float> labels,
                                             std::span<const float> predictions,
                                             std::span<const int32_t> groups,
                                             const FairnessOptions& options) {
  MLLOOP_ASSIGN_OR_RETURN(const Encoded e,
                          Encode("RatesByGroup", labels, predictions, groups, options, true));
  std::vector<GroupRates> out(e.codes.size());
  for (size_t g = 0; g < out.size(); ++g) out[g].group = e.codes[g];
  for (size_t i = 0; i < e.index.size(); ++i) {
    GroupRates& r = out[static_cast<size_t>(e.index[i])];
    ++r.rows;
    r.selected += e.chosen[i];
    r.favourable += e.deserving[i];
    r.true_favourable += e.chosen[i] & e.deserving[i];
  }
  for (GroupRates& r : out) {
    r.selection_rate = static_cast<double>(r.selected) / static_cast<double>(r.rows);
    if (r.favourable > 0) {
      r.true_positive_rate =
          static_cast<double>(r.true_favourable) / static_cast<double>(r.favourable);
    }
  }
  return out;
}

Result<FairnessGap> DemographicParityDifference(std::span<const float> predictions,
                                                std::span<const int32_t> groups,
                                                const FairnessOptions& options) {
  constexpr const char* kName = "demographic parity difference";
  MLLOOP_ASSIGN_OR_RETURN(const Encoded e, Encode(kName, {}, predictions, groups, options, false));
  return Compute(kName, e, Gap::kSelectionDifference, options);
}

Result<FairnessGap> DisparateImpactRatio(std::span<const float> predictions,
                                         std::span<const int32_t> groups,
                                         const FairnessOptions& options) {
  constexpr const char* kName = "disparate impact ratio";
  MLLOOP_ASSIGN_OR_RETURN(const Encoded e, Encode(kName, {}, predictions, groups, options, false));
  return Compute(kName, e, Gap::kSelectionRatio, options);
}

Result<FairnessGap> EqualOpportunityDifference(std::span<const float> labels,
                                               std::span<const float> predictions,
                                               std::span<const int32_t> groups,
                                               const FairnessOptions& options) {
  constexpr const char* kName = "equal opportunity difference";
  MLLOOP_ASSIGN_OR_RETURN(const Encoded e,
                          Encode(kName, labels, predictions, groups, options, true));
  return Compute(kName, e, Gap::kTprDifference, options);
}

}  // namespace mlloop::stats
