#include "drift/data_quality.h"

#include <algorithm>

#include "core/format.h"

namespace mlloop::drift {

namespace {

std::string Percent(double share) { return core::FormatFixed(100 * share, 1) + "%"; }

std::string Count(size_t n) { return std::to_string(n); }

void CheckMissing(const ColumnSummary& c, std::vector<QualityFinding>* out) {
  if (c.reference_rows == 0 || c.current_rows == 0) return;
  const double ref_share =
      static_cast<double>(c.reference_missing) / static_cast<double>(c.reference_rows);
  const double cur_share =
      static_cast<double>(c.current_missing) / static_cast<double>(c.current_rows);
  // The slack keeps an exact 0.1 rise a jump despite rounding (0.15 - 0.05 < 0.1 in double).
  const bool jump = cur_share - ref_share >= kMissingJumpShare - 1e-12;
  const bool newly = c.reference_missing == 0 && cur_share >= kMissingNewShare;
  if (!jump && !newly) return;
  std::string detail = Percent(cur_share) + " of current values are missing (" +
                       Count(c.current_missing) + " of " + Count(c.current_rows) + ") against " +
                       Percent(ref_share) + " in the reference";
  if (newly && !jump) detail += ", which had none";
  out->push_back({std::string(c.name), "missing_rate_jump", detail + ".", cur_share});
}

void CheckRange(const ColumnSummary& c, std::vector<QualityFinding>* out) {
  if (c.type != core::FeatureType::kNumeric) return;
  const auto& ref = c.reference_sorted;
  const auto& cur = c.current_sorted;
  if (ref.empty() || cur.empty()) return;
  const float lo = ref.front(), hi = ref.back();
  const size_t below =
      static_cast<size_t>(std::lower_bound(cur.begin(), cur.end(), lo) - cur.begin());
  const size_t above =
      static_cast<size_t>(cur.end() - std::upper_bound(cur.begin(), cur.end(), hi));
  const double share = static_cast<double>(below + above) / static_cast<double>(cur.size());
  if (share < kOutOfRangeShare) return;
  const std::string where =
      lo == hi ? "differ from the reference's single value " + core::FormatShortest(lo)
               : "are outside the reference's range [" + core::FormatShortest(lo) + ", " + core::FormatShortest(hi) + "]";
  out->push_back({std::string(c.name), "out_of_range",
                  Percent(share) + " of current values (" + Count(below + above) + " of " +
                      Count(cur.size()) + ") " + where + ": " + Count(below) + " below, " +
                      Count(above) + " above.",
                  share});
}

void CheckUnseen(const ColumnSummary& c, std::vector<QualityFinding>* out) {
  if (c.type == core::FeatureType::kNumeric) return;
  const size_t n =
      std::min({c.categories.size(), c.reference_counts.size(), c.current_counts.size()});
  size_t ref_total = 0, cur_total = 0, unseen_total = 0;
  std::vector<size_t> unseen;  // category indices
  for (size_t k = 0; k < n; ++k) {
    ref_total += c.reference_counts[k];
    cur_total += c.current_counts[k];
    if (c.reference_counts[k] == 0 && c.current_counts[k] > 0) {
      unseen.push_back(k);
      unseen_total += c.current_counts[k];
    }
  }
  if (ref_total == 0 || cur_total == 0 || unseen.empty()) return;
  const double share = static_cast<double>(unseen_total) / static_cast<double>(cur_total);
  if (share < kUnseenCategoryShare) return;
  std::stable_sort(unseen.begin(), unseen.end(),
                   [&](size_t a, size_t b) { return c.current_counts[a] > c.current_counts[b]; });
  std::string names;
  for (size_t i = 0; i < unseen.size() && i < kUnseenCategoriesNamed; ++i) {
    if (i > 0) names += ", ";
    names += "'" + c.categories[unseen[i]] + "' (" + Count(c.current_counts[unseen[i]]) + ")";
  }
  if (unseen.size() > kUnseenCategoriesNamed) {
    names += " and " + Count(unseen.size() - kUnseenCategoriesNamed) + " more";
  }
  out->push_back({std::string(c.name), "unseen_category",
                  Percent(share) + " of current values (" + Count(unseen_total) + " of " +
                      Count(cur_total) + ") are in " + Count(unseen.size()) +
                      " categories the reference never had: " + names + ".",
                  share});
}

void CheckConstant(const ColumnSummary& c, std::vector<QualityFinding>* out) {
  if (c.type == core::FeatureType::kNumeric) {
    const auto& ref = c.reference_sorted;
    const auto& cur = c.current_sorted;
    if (ref.size() < 2 || cur.size() < 2 || ref.front() == ref.back() ||
        cur.front() != cur.back()) {
      return;
    }
    out->push_back({std::string(c.name), "became_constant",
                    "All " + Count(cur.size()) + " current values are " + core::FormatShortest(cur.front()) +
                        "; the reference ranged over [" + core::FormatShortest(ref.front()) + ", " +
                        core::FormatShortest(ref.back()) + "].",
                    static_cast<double>(cur.size())});
    return;
  }
  const size_t n =
      std::min({c.categories.size(), c.reference_counts.size(), c.current_counts.size()});
  size_t ref_categories = 0, cur_categories = 0, cur_total = 0, last = 0;
  for (size_t k = 0; k < n; ++k) {
    if (c.reference_counts[k] > 0) ++ref_categories;
    if (c.current_counts[k] > 0) {
      ++cur_categories;
      cur_total += c.current_counts[k];
      last = k;
    }
  }
  if (ref_categories < 2 || cur_categories != 1 || cur_total < 2) return;
  out->push_back({std::string(c.name), "became_constant",
                  "All " + Count(cur_total) + " current values are '" + c.categories[last] +
                      "'; the reference had " + Count(ref_categories) + " categories.",
                  static_cast<double>(cur_total)});
}

}  // namespace

std::vector<QualityFinding> CheckColumnQuality(const ColumnSummary& column) {
  std::vector<QualityFinding> out;
  CheckMissing(column, &out);
  CheckRange(column, &out);
  CheckUnseen(column, &out);
  CheckConstant(column, &out);
  return out;
}

std::vector<QualityFinding> ReadQualityFindings(const ReadFindings& findings, size_t current_rows) {
  std::vector<QualityFinding> out;
  for (const auto& name : findings.columns_missing) {
    out.push_back({name, "column_missing",
                   "Column '" + name + "' is in the reference but absent from the current table.",
                   1});
  }
  for (const auto& name : findings.columns_added) {
    out.push_back({name, "column_added",
                   "Column '" + name + "' is in the current table but not in the reference.", 1});
  }
  for (const auto& [name, count] : findings.type_violations) {
    if (count == 0) continue;
    std::string detail = Count(count) + " current values of '" + name + "' are not of its type";
    if (current_rows > 0) {
      detail += " (" + Percent(static_cast<double>(count) / static_cast<double>(current_rows)) +
                " of " + Count(current_rows) + " rows)";
    }
    if (auto it = findings.type_violation_example.find(name);
        it != findings.type_violation_example.end()) {
      detail += ", e.g. '" + it->second + "'";
    }
    out.push_back({name, "type_violation", detail + ".", static_cast<double>(count)});
  }
  return out;
}

bool IsMostlyDataQuality(const std::vector<FeatureDrift>& features,
                         const std::vector<QualityFinding>& quality) {
  for (const auto& q : quality) {
    if (q.kind == "column_missing" || q.kind == "type_violation") return true;
    if (q.kind == "missing_rate_jump" && q.value >= 1) return true;
  }
  size_t drifted = 0, explained = 0;
  for (const auto& f : features) {
    if (!f.computable || !f.drift) continue;
    ++drifted;
    const bool has_finding =
        std::any_of(quality.begin(), quality.end(), [&](const QualityFinding& q) {
          return q.column == f.name &&
                 (q.kind == "missing_rate_jump" || q.kind == "became_constant" ||
                  q.kind == "unseen_category" || q.kind == "out_of_range");
        });
    if (has_finding) ++explained;
  }
  return drifted > 0 && 2 * explained > drifted;
}

}  // namespace mlloop::drift
