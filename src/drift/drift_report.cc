#include "drift/drift_report.h"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <limits>
#include <nlohmann/json.hpp>
#include <atomic>
#include <span>
#include <thread>
#include <utility>

#include "core/buffer.h"
#include "core/format.h"
#include "drift/category_codes.h"
#include "drift/data_quality.h"
#include "drift/reference_profile.h"
#include "stats/anderson_darling.h"
#include "stats/chi_squared.h"
#include "stats/cramer_von_mises.h"
#include "stats/distances.h"
#include "stats/kll_sketch.h"
#include "stats/ks_test.h"
#include "stats/psi.h"
#include "stats/sort.h"
#include "stats/z_test.h"

namespace mlloop::drift {

namespace {

struct NamedMethod {
  Method method;
  std::string_view name;
};

constexpr std::array<NamedMethod, 11> kMethods = {{
    {Method::kAuto, "auto"},
    {Method::kKs, "ks"},
    {Method::kChiSquared, "chisquare"},
    {Method::kZTest, "z"},
    {Method::kWasserstein, "wasserstein"},
    {Method::kJensenShannon, "jensenshannon"},
    {Method::kPsi, "psi"},
    {Method::kHellinger, "hellinger"},
    {Method::kLInfinity, "linf"},
    {Method::kAndersonDarling, "anderson"},
    {Method::kCramerVonMises, "cvm"},
}};

// Numeric features with at most this many distinct values (both tables together) are
// compared as categories, as Evidently does.
constexpr size_t kCategoricalMaxDistinct = 5;
// Distribution charts: at most this many categories before the rest become "other"; numeric
// features with at most this many distinct values are drawn per value, others over bins.
constexpr size_t kChartMaxCategories = 20;
// Numeric columns' distinct values are counted up to this; every rule above needs less.
constexpr size_t kDistinctCap = 1000;
constexpr int kChartMinBins = 10, kChartMaxBins = 20;

bool IsTest(Method m) {
  return m == Method::kKs || m == Method::kChiSquared || m == Method::kZTest ||
         m == Method::kAndersonDarling || m == Method::kCramerVonMises;
}

// One column of one table: `rows` values `stride` floats apart. Categorical columns carry
// their dictionary (code -> text); the label's is {negative, positive}.
struct ColumnView {
  const float* data = nullptr;
  size_t rows = 0;
  size_t stride = 1;
  const std::vector<std::string>* dictionary = nullptr;
  float At(size_t i) const { return data[i * stride]; }
};

// Categories of both tables aligned by text (categorical) or by value (numeric with few
// values), in ascending order of text or value; only categories seen in either table.
struct Categories {
  std::vector<std::string> labels;
  std::vector<size_t> reference, current;
  size_t reference_total = 0, current_total = 0;

  void Clear() {
    labels.clear();
    reference.clear();
    current.clear();
    reference_total = current_total = 0;
  }
  size_t WithData() const { return labels.size(); }
};

// Buffers reused from feature to feature, so preparing a column allocates only when a
// table is larger than any before.
struct Workspace {
  core::Buffer<float> reference_values, current_values;
  std::vector<size_t> reference_codes, current_codes;
  std::vector<std::pair<std::string, size_t>> reference_text, current_text;
  Categories categories;
  std::vector<double> p, q;
  core::Buffer<uint32_t> sort_scratch;
  stats::KllSortedView sketch;
  // The last binning of this column (several methods and the chart share it); bins = 0
  // when there is none yet.
  int bins = 0;
  Result<stats::BinCounts> bin_counts = Status::Internal("no bins");
};

void SketchBinCounts(const stats::KllSortedView& v, stats::BinCounts* bins);

// The column's values in `bins` shared equal-width bins, computed once per column.
// With a sketch, `ref` is the reference's exact {min, max}: the edges and the current's
// counts are as on raw data, the reference's counts come from the sketch.
const Result<stats::BinCounts>& SharedBins(std::span<const float> ref, std::span<const float> cur,
                                           int bins, const stats::KllSortedView* sketch,
                                           Workspace* ws) {
  if (ws->bins != bins) {
    ws->bin_counts =
        stats::CountInSharedBinsSorted(ref.data(), ref.size(), cur.data(), cur.size(), bins);
    if (sketch && ws->bin_counts.ok()) SketchBinCounts(*sketch, &*ws->bin_counts);
    ws->bins = bins;
  }
  return ws->bin_counts;
}

// What ComputeDrift knows about one column before choosing a method.
struct Prepared {
  bool numeric = true;
  std::span<const float> reference, current;  // numeric: sorted non-missing values
  size_t reference_n = 0, current_n = 0;      // non-missing values
  size_t distinct = 0;  // both tables together; numeric: at most kDistinctCap + 1
  bool have_categories = false;               // `categories` filled
  const Categories* categories = nullptr;
  size_t nonfinite = 0;  // numeric: infinite values left out
  // Numeric reference from a profile's quantile sketch (ComputeDriftAgainstProfile):
  // `reference` then holds only the exact {min, max}, and the statistics read the sketch.
  const stats::KllSortedView* sketch = nullptr;
  double sketch_rank_error = 0;
  double reference_std = 0;  // exact, from the profile's moments (with `sketch`)
};

// The non-missing values of `column`, sorted (the one sort of this column).
void CollectNumeric(const ColumnView& column, core::Buffer<float>* values, size_t* missing,
                    size_t* nonfinite, core::Buffer<uint32_t>* sort_scratch) {
  // Branch-free: every value is written, the write position moves only for finite ones.
  values->resize(column.rows);
  float* out = values->data();
  size_t kept = 0, nan = 0;
  for (size_t i = 0; i < column.rows; ++i) {
    const float v = column.At(i);
    out[kept] = v;
    kept += std::fabs(v) <= std::numeric_limits<float>::max();
    nan += std::isnan(v);
  }
  values->resize(kept);
  *missing = nan;
  *nonfinite += column.rows - kept - nan;
  if (sort_scratch->size() < 2 * kept) sort_scratch->resize(2 * kept);
  stats::SortFloats(*values, std::span<uint32_t>(*sort_scratch));
}

// Counts per code; the text of each code comes later, once per code, not per value.
Status CountCodes(const ColumnView& column, std::vector<size_t>* counts, size_t* missing) {
  return internal::CountCategoryCodes(column.data, column.rows, column.stride,
                                      column.dictionary ? column.dictionary->size() : 0, counts,
                                      missing);
}

std::string CodeText(const ColumnView& column, core::FeatureType type, size_t code) {
  return internal::CategoryCodeText(column.dictionary, type, code);
}

// (text, count) of every code with a count, sorted by text, equal texts merged.
void TextCounts(const ColumnView& column, core::FeatureType type, const std::vector<size_t>& counts,
                std::vector<std::pair<std::string, size_t>>* out) {
  out->clear();
  for (size_t code = 0; code < counts.size(); ++code) {
    if (counts[code] > 0) out->emplace_back(CodeText(column, type, code), counts[code]);
  }
  std::sort(out->begin(), out->end());
  size_t w = 0;
  for (size_t r = 0; r < out->size(); ++r) {
    if (w > 0 && (*out)[w - 1].first == (*out)[r].first) {
      (*out)[w - 1].second += (*out)[r].second;
    } else {
      if (w != r) (*out)[w] = std::move((*out)[r]);  // never self-move: it empties the string
      ++w;
    }
  }
  out->resize(w);
}

// Merges two sorted (text, count) lists into aligned categories.
void AlignByText(const std::vector<std::pair<std::string, size_t>>& ref,
                 const std::vector<std::pair<std::string, size_t>>& cur, Categories* out) {
  out->Clear();
  size_t i = 0, j = 0;
  while (i < ref.size() || j < cur.size()) {
    size_t r = 0, c = 0;
    if (j == cur.size() || (i < ref.size() && ref[i].first < cur[j].first)) {
      out->labels.push_back(ref[i].first);
      r = ref[i++].second;
    } else if (i == ref.size() || cur[j].first < ref[i].first) {
      out->labels.push_back(cur[j].first);
      c = cur[j++].second;
    } else {
      out->labels.push_back(ref[i].first);
      r = ref[i++].second;
      c = cur[j++].second;
    }
    out->reference.push_back(r);
    out->current.push_back(c);
    out->reference_total += r;
    out->current_total += c;
  }
}

// Distinct values of two sorted samples together, counted up to `cap` + 1: callers only
// need to know whether a column has few values, and stopping early saves a branchy walk
// over millions.
size_t PooledDistinct(std::span<const float> a, std::span<const float> b, size_t cap) {
  size_t i = 0, j = 0, n = 0;
  bool have_last = false;
  float last = 0;
  while ((i < a.size() || j < b.size()) && n <= cap) {
    const float v = (j == b.size() || (i < a.size() && a[i] <= b[j])) ? a[i++] : b[j++];
    if (!have_last || v != last) {
      ++n;
      last = v;
      have_last = true;
    }
  }
  return n;
}

// ---------------------------------------------------------------------------------------
// A reference known by its quantile sketch against an exact, sorted current sample. The
// sketch is a weighted sorted sample (items with cumulative weights, total N), so each
// statistic is the raw-data one with the reference's CDF replaced by the sketch's.

// sup |F_sketch - G_current| over the pooled points. Between two consecutive distinct item
// values a < b the sketch's CDF is constant and the current's rises, so only the current's
// first and last point in (a, b), and a itself, can hold the largest gap: O(m log n) for m
// items, not a walk over the current sample.
double SketchKsStatistic(const stats::KllSortedView& v, std::span<const float> cur) {
  const auto& items = v.items();
  const double n_ref = static_cast<double>(v.n()), n_cur = static_cast<double>(cur.size());
  const auto count_le = [&](float x) {
    return static_cast<double>(std::upper_bound(cur.begin(), cur.end(), x) - cur.begin());
  };
  double d = 0, f = 0;  // f: the sketch's CDF on the current interval
  size_t k = 0;
  float a = -std::numeric_limits<float>::infinity();
  while (true) {
    // Current points in (a, b), b the next distinct item value (or +inf past the last).
    const bool last = k == items.size();
    const float b = last ? std::numeric_limits<float>::infinity() : items[k];
    const auto first = std::upper_bound(cur.begin(), cur.end(), a);
    const auto end = last ? cur.end() : std::lower_bound(first, cur.end(), b);
    if (first < end) {
      d = std::max(d, std::fabs(f - count_le(*first) / n_cur));
      d = std::max(d, std::fabs(f - static_cast<double>(end - cur.begin()) / n_cur));
    }
    if (last) break;
    while (k < items.size() && items[k] == b) ++k;  // the run of equal items
    f = static_cast<double>(v.cumulative_weights()[k - 1]) / n_ref;
    d = std::max(d, std::fabs(f - count_le(b) / n_cur));
    a = b;
  }
  return d;
}

// W1 as the integral of |Q_sketch(u) - Q_current(u)| du: the quantile walk of
// stats::WassersteinSorted with one side's steps at the sketch's cumulative weights. In
// units of 1 / (N n) every step width is an exact integer.
double SketchWasserstein(const stats::KllSortedView& v, std::span<const float> cur) {
  const auto& items = v.items();
  const auto& cum = v.cumulative_weights();
  const uint64_t n_ref = v.n(), n_cur = cur.size();
  long double total = 0;
  uint64_t prev = 0;
  size_t k = 0, j = 0;
  while (k < items.size() && j < cur.size()) {
    const uint64_t next_a = cum[k] * n_cur, next_b = (j + 1) * n_ref;
    const uint64_t next = std::min(next_a, next_b);
    total += std::fabs(static_cast<long double>(items[k]) - cur[j]) *
             static_cast<long double>(next - prev);
    prev = next;
    k += next_a <= next_b;
    j += next_b <= next_a;
  }
  return static_cast<double>(total / (static_cast<long double>(n_ref) * n_cur));
}

// The reference's counts in the shared bins, from the sketch (weights; they sum to N). Bin k
// holds edges[k] <= x < edges[k+1] (the last bin closed), compared in double as
// stats::CountInSharedBinsSorted does.
void SketchBinCounts(const stats::KllSortedView& v, stats::BinCounts* bins) {
  const auto& items = v.items();
  const size_t nbins = bins->reference.size();
  uint64_t below = 0;
  for (size_t k = 0; k < nbins; ++k) {
    uint64_t upto = v.n();
    if (k + 1 < nbins) {
      const double edge = bins->edges[k + 1];
      const auto i = static_cast<size_t>(
          std::lower_bound(items.begin(), items.end(), edge,
                           [](float x, double e) { return static_cast<double>(x) < e; }) -
          items.begin());
      upto = i == 0 ? 0 : v.cumulative_weights()[i - 1];
    }
    bins->reference[k] = static_cast<double>(upto - below);
    below = upto;
  }
}

// Few distinct values: the sketch's weight and the current's count per pooled value.
void SketchValueCategories(const stats::KllSortedView& v, std::span<const float> cur,
                           Categories* out) {
  out->Clear();
  const auto& items = v.items();
  size_t i = 0, j = 0;
  while (i < items.size() || j < cur.size()) {
    const float x = j == cur.size() ? items[i]
                    : i == items.size() ? cur[j]
                                        : std::min(items[i], cur[j]);
    const uint64_t before = i == 0 ? 0 : v.cumulative_weights()[i - 1];
    while (i < items.size() && items[i] == x) ++i;
    const uint64_t ref = (i == 0 ? 0 : v.cumulative_weights()[i - 1]) - before;
    const size_t start = j;
    while (j < cur.size() && cur[j] == x) ++j;
    out->labels.push_back(core::FormatShortest(x));
    out->reference.push_back(static_cast<size_t>(ref));
    out->current.push_back(j - start);
    out->reference_total += static_cast<size_t>(ref);
    out->current_total += j - start;
  }
}

// Numeric values as categories (few distinct values), in ascending value order.
Status ValueCategories(std::span<const float> ref, std::span<const float> cur, Categories* out) {
  out->Clear();
  MLLOOP_ASSIGN_OR_RETURN(
      auto counts, stats::CountCategoriesSorted(ref.data(), ref.size(), cur.data(), cur.size()));
  for (size_t k = 0; k < counts.codes.size(); ++k) {
    out->labels.push_back(core::FormatShortest(counts.codes[k]));
    out->reference.push_back(static_cast<size_t>(counts.reference[k]));
    out->current.push_back(static_cast<size_t>(counts.current[k]));
  }
  out->reference_total = ref.size();
  out->current_total = cur.size();
  return Status::Ok();
}

// "[0.10, 0.20)" with enough decimals to tell the edges of `width`-wide bins apart.
std::string BinLabel(double lo, double hi, double width, bool last) {
  int decimals = 0;
  if (width > 0) decimals = static_cast<int>(std::ceil(-std::log10(width))) + 1;
  decimals = std::clamp(decimals, 0, 8);
  char buf[96];
  std::snprintf(buf, sizeof(buf), "[%.*f, %.*f%c", decimals, lo, decimals, hi, last ? ']' : ')');
  return buf;
}

// Population Stability Index of two count vectors, shares floored as in stats/psi.h.
double PsiOfCounts(const std::vector<double>& ref, const std::vector<double>& cur) {
  double ref_total = 0, cur_total = 0;
  for (size_t k = 0; k < ref.size(); ++k) {
    ref_total += ref[k];
    cur_total += cur[k];
  }
  double psi = 0;
  for (size_t k = 0; k < ref.size(); ++k) {
    const double r = std::max(ref[k] / ref_total, stats::kPsiShareFloor);
    const double c = std::max(cur[k] / cur_total, stats::kPsiShareFloor);
    psi += (c - r) * std::log(c / r);
  }
  return psi;
}

void Append(std::string* note, std::string_view more) {
  if (!note->empty()) *note += "; ";
  *note += more;
}

void NotComputable(FeatureDrift* fd, std::string_view why) {
  fd->computable = false;
  fd->statistic.reset();
  fd->p_value.reset();
  fd->drift = false;
  Append(&fd->note, why);
}

// Shares for the chart from aligned categories: the kChartMaxCategories largest by combined
// share (all of them, in their own order, when `keep_order` and they fit), then "other".
void CategoryDistribution(const Categories& c, bool keep_order, Distribution* d) {
  const double rt = static_cast<double>(c.reference_total);
  const double ct = static_cast<double>(c.current_total);
  std::vector<size_t> order(c.labels.size());
  for (size_t k = 0; k < order.size(); ++k) order[k] = k;
  if (!(keep_order && order.size() <= kChartMaxCategories)) {
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      return static_cast<double>(c.reference[a]) / rt + static_cast<double>(c.current[a]) / ct >
             static_cast<double>(c.reference[b]) / rt + static_cast<double>(c.current[b]) / ct;
    });
  }
  double other_ref = 0, other_cur = 0;
  for (size_t i = 0; i < order.size(); ++i) {
    const size_t k = order[i];
    const double r = static_cast<double>(c.reference[k]) / rt;
    const double q = static_cast<double>(c.current[k]) / ct;
    if (i < kChartMaxCategories) {
      d->labels.push_back(c.labels[k]);
      d->reference.push_back(r);
      d->current.push_back(q);
    } else {
      other_ref += r;
      other_cur += q;
    }
  }
  if (order.size() > kChartMaxCategories) {
    d->labels.push_back("other");
    d->reference.push_back(other_ref);
    d->current.push_back(other_cur);
  }
}

void BinDistribution(const stats::BinCounts& b, size_t ref_n, size_t cur_n, Distribution* d) {
  const size_t bins = b.reference.size();
  const double width =
      bins > 0 ? (b.edges.back() - b.edges.front()) / static_cast<double>(bins) : 0;
  for (size_t k = 0; k < bins; ++k) {
    d->labels.push_back(BinLabel(b.edges[k], b.edges[k + 1], width, k + 1 == bins));
    d->reference.push_back(b.reference[k] / static_cast<double>(ref_n));
    d->current.push_back(b.current[k] / static_cast<double>(cur_n));
  }
}

// How the chosen method sees the data.
enum class Input { kValues, kCategories, kBins };

// Computes `method` (as requested or chosen) on the prepared column into `fd`.
void Evaluate(Method method, const Prepared& p, const DriftOptions& options,
              std::optional<double> threshold_override, Workspace* ws, FeatureDrift* fd) {
  // Fit the method to the data.
  Input input = Input::kValues;
  std::string caveat;
  const auto instead = [&](Method replacement, std::string_view why) {
    caveat = std::string(MethodName(method)) + " " + std::string(why) + "; " +
             std::string(MethodName(replacement)) + " used instead";
    method = replacement;
  };
  if (!p.numeric) {
    input = Input::kCategories;
    switch (method) {
      case Method::kKs:
      case Method::kAndersonDarling:
      case Method::kCramerVonMises:
        instead(Method::kChiSquared, "applies to numeric features only");
        break;
      case Method::kWasserstein:
        instead(Method::kJensenShannon, "applies to numeric features only");
        break;
      case Method::kZTest:
        if (p.distinct > 2) instead(Method::kChiSquared, "needs at most two categories");
        break;
      default:
        break;
    }
  } else {
    const bool few = p.distinct <= kCategoricalMaxDistinct && p.have_categories;
    switch (method) {
      case Method::kKs:
      case Method::kAndersonDarling:
      case Method::kCramerVonMises:
      case Method::kWasserstein:
        input = Input::kValues;
        break;
      case Method::kZTest:
        input = Input::kCategories;
        break;
      default:
        input = few ? Input::kCategories : Input::kBins;
        break;
    }
  }
  fd->method = std::string(MethodName(method));
  if (threshold_override) {
    fd->threshold = *threshold_override;
  } else if (IsTest(method)) {
    fd->threshold = options.p_threshold;
  } else {
    fd->threshold = options.distance_threshold.value_or(DefaultThreshold(method));
  }
  if (!caveat.empty()) Append(&fd->note, caveat);
  if (p.reference_n == 0 || p.current_n == 0) {
    NotComputable(fd, p.reference_n == 0 && p.current_n == 0
                          ? "no non-missing values in either table"
                      : p.reference_n == 0 ? "no non-missing values in the reference"
                                           : "no non-missing values in the current table");
    return;
  }
  if (method == Method::kZTest && p.numeric && p.distinct > 2) {
    NotComputable(fd, "z needs a feature with at most two values; this one has " +
                          (p.distinct > kDistinctCap ? "more than " + std::to_string(kDistinctCap)
                                                     : std::to_string(p.distinct)));
    return;
  }

  // Frequencies for the methods that compare them.
  std::vector<double>& ref_freq = ws->p;
  std::vector<double>& cur_freq = ws->q;
  ref_freq.clear();
  cur_freq.clear();
  if (input == Input::kCategories) {
    const Categories& c = *p.categories;
    for (size_t k = 0; k < c.WithData(); ++k) {
      ref_freq.push_back(static_cast<double>(c.reference[k]));
      cur_freq.push_back(static_cast<double>(c.current[k]));
    }
  } else if (input == Input::kBins) {
    const auto& bins = SharedBins(p.reference, p.current, options.bins, p.sketch, ws);
    if (!bins.ok()) {
      NotComputable(fd, "binning: " + bins.status().message());
      return;
    }
    ref_freq = bins->reference;
    cur_freq = bins->current;
    if (method == Method::kChiSquared || method == Method::kLInfinity) {
      Append(&fd->note, "on " + std::to_string(options.bins) + " shared equal-width bins");
    }
  }

  Status failed;
  // Every method ends in one of two shapes: a test (statistic and p-value) or a distance.
  auto take_test = [&](const auto& r) {
    if (!r.ok()) {
      failed = r.status();
      return;
    }
    fd->statistic = r->statistic;
    fd->p_value = r->p_value;
  };
  auto take_distance = [&](const Result<double>& r) {
    if (!r.ok()) {
      failed = r.status();
      return;
    }
    fd->statistic = *r;
  };
  if (p.sketch && (method == Method::kAndersonDarling || method == Method::kCramerVonMises)) {
    NotComputable(fd, fd->method +
                          " needs the reference's values; a reference profile keeps a quantile "
                          "sketch of this column (compare with the reference table instead)");
    return;
  }
  switch (method) {
    case Method::kKs: {
      if (p.sketch) {
        // D from the sketch is within +-eps of the exact D. At large n a p-value taken on it
        // would call sketch noise significant, so the p-value is that of the smallest D the
        // exact data could have, D - eps: a drift verdict then holds whatever the error.
        const double d = SketchKsStatistic(*p.sketch, p.current);
        auto r = stats::KsFromStatistic(static_cast<int64_t>(p.reference_n),
                                        static_cast<int64_t>(p.current_n),
                                        std::max(0.0, d - p.sketch_rank_error));
        if (r.ok()) r->statistic = d;
        take_test(r);
        Append(&fd->note, "reference CDF from its profile's sketch: D within +-" +
                              core::FormatFixed(p.sketch_rank_error, 4) +
                              ", p-value for D - " + core::FormatFixed(p.sketch_rank_error, 4));
        break;
      }
      take_test(stats::KsTwoSampleSorted(p.reference, p.current));
      break;
    }
    case Method::kAndersonDarling: {
      auto r = stats::AndersonDarlingSorted(p.reference.data(), p.reference.size(),
                                            p.current.data(), p.current.size());
      if (!r.ok()) {
        failed = r.status();
        break;
      }
      fd->statistic = r->statistic;
      fd->p_value = r->significance_level;
      if (r->capped) {
        Append(&fd->note, r->significance_level >= 0.25
                              ? "p-value capped as in SciPy: p >= 0.25"
                              : "p-value floored as in SciPy: p <= 0.001");
      }
      break;
    }
    case Method::kCramerVonMises: {
      take_test(stats::CramerVonMisesSorted(p.reference.data(), p.reference.size(),
                                            p.current.data(), p.current.size()));
      break;
    }
    case Method::kWasserstein: {
      auto r = p.sketch ? Result<double>(SketchWasserstein(*p.sketch, p.current) /
                                         std::max(p.reference_std, stats::kWassersteinStdFloor))
                        : stats::WassersteinNormalizedSorted(p.reference.data(), p.reference.size(),
                                                             p.current.data(), p.current.size());
      if (!r.ok()) {
        failed = r.status();
        break;
      }
      fd->statistic = *r;
      if (p.reference.front() == p.reference.back() && *r > 0) {
        Append(&fd->note, "the reference is constant: W1 is divided by the 0.001 floor");
      }
      break;
    }
    case Method::kZTest: {
      // Evidently's z test: the share of the first category (in sorted order) against the rest.
      const Categories& c = *p.categories;
      take_test(stats::TwoProportionZTest(c.reference[0], c.reference_total, c.current[0],
                                          c.current_total));
      break;
    }
    case Method::kChiSquared: {
      size_t with_data = 0;
      for (size_t k = 0; k < ref_freq.size(); ++k) with_data += (ref_freq[k] + cur_freq[k] > 0);
      if (with_data == 1) {
        // One category in both tables: identical distributions, no evidence of a change
        // (SciPy would refuse the 2 x 1 table; z_test.h treats its degenerate case alike).
        fd->statistic = 0.0;
        fd->p_value = 1.0;
        Append(&fd->note, "a single value in both tables");
        break;
      }
      std::vector<size_t>& rc = ws->reference_codes;
      std::vector<size_t>& cc = ws->current_codes;
      rc.clear();
      cc.clear();
      for (size_t k = 0; k < ref_freq.size(); ++k) {
        rc.push_back(static_cast<size_t>(ref_freq[k]));
        cc.push_back(static_cast<size_t>(cur_freq[k]));
      }
      take_test(stats::ChiSquaredIndependence(rc, cc));
      break;
    }
    case Method::kJensenShannon: {
      take_distance(stats::JensenShannonDistance(ref_freq, cur_freq, stats::LogBase::kTwo));
      break;
    }
    case Method::kHellinger: {
      take_distance(stats::HellingerDistance(ref_freq, cur_freq));
      break;
    }
    case Method::kLInfinity: {
      take_distance(stats::LInfinityDistance(ref_freq, cur_freq));
      break;
    }
    case Method::kPsi:
      fd->statistic = PsiOfCounts(ref_freq, cur_freq);
      break;
    case Method::kAuto:
      failed = Status::Internal("no method chosen");
      break;
  }
  if (!failed.ok()) {
    NotComputable(fd, fd->method + ": " + failed.message());
    return;
  }
  // Belt and braces: the stats promise finite results, the report promises no NaN.
  if ((fd->statistic && !std::isfinite(*fd->statistic)) ||
      (fd->p_value && !std::isfinite(*fd->p_value))) {
    NotComputable(fd, fd->method + ": the statistic is not finite");
    return;
  }
  fd->drift = fd->p_value ? *fd->p_value < fd->threshold : *fd->statistic >= fd->threshold;
}

// Compares one column of both tables. Appends its data-quality findings to `quality` when
// not null.
// The reference's side from a profile: sorted values (kept exactly, or the sketch's exact
// {min, max} with `p->sketch` set) and the missing and infinite counts.
void PrepareNumericReference(const ReferenceProfile::Column& column, Workspace* ws, Prepared* p,
                             FeatureDrift* fd, ColumnSummary* summary) {
  const auto& m = column.profile.moments();
  fd->reference_missing = m.missing_count();
  p->nonfinite += m.infinite_count();
  summary->reference_rows = m.total_count();
  ws->reference_values.clear();
  if (column.has_values) {
    ws->reference_values.assign(column.values.begin(), column.values.end());
  } else if (m.count() > 0) {
    ws->sketch = column.profile.kll().SortedView();
    p->sketch = &ws->sketch;
    p->sketch_rank_error = column.profile.kll().rank_error();
    p->reference_std = m.population_stddev();
    ws->reference_values.push_back(static_cast<float>(m.min()));
    if (m.max() > m.min()) ws->reference_values.push_back(static_cast<float>(m.max()));
  }
}

// The reference's categories from a profile's frequent items, (text, count) sorted by text.
// Past the profile's capacity the untracked mass and every current category the profile
// does not track are compared as one "(other)" category, and `note` says so.
void PrepareCategoricalReference(const ReferenceProfile::Column& column, Workspace* ws,
                                 FeatureDrift* fd, ColumnSummary* summary) {
  const auto& items = column.profile.frequent_items();
  fd->reference_missing = column.profile.missing_count();
  summary->reference_rows = column.profile.total_count();
  ws->reference_text.clear();
  for (auto& item : items.TopItems()) ws->reference_text.emplace_back(item.item, item.lower);
  std::sort(ws->reference_text.begin(), ws->reference_text.end());
  const uint64_t untracked = items.n() - items.tracked_total();
  if (untracked == 0) return;
  const std::string other = "(other)";
  size_t folded = 0;
  std::vector<std::pair<std::string, size_t>> kept;
  for (auto& [text, count] : ws->current_text) {
    const bool tracked = std::binary_search(
        ws->reference_text.begin(), ws->reference_text.end(), std::make_pair(text, size_t{0}),
        [](const auto& a, const auto& b) { return a.first < b.first; });
    if (tracked) {
      kept.emplace_back(std::move(text), count);
    } else {
      folded += count;
    }
  }
  kept.emplace_back(other, folded);
  std::sort(kept.begin(), kept.end());
  ws->current_text = std::move(kept);
  ws->reference_text.emplace_back(other, static_cast<size_t>(untracked));
  std::sort(ws->reference_text.begin(), ws->reference_text.end());
  Append(&fd->note, "the reference profile tracks its " + std::to_string(items.num_tracked()) +
                        " most frequent categories; the rest are compared as one");
}

// `profile`: compare against this column of a reference profile instead of `ref` (then
// unused).
FeatureDrift CompareColumn(const std::string& name, core::FeatureType type, const ColumnView& ref,
                           const ColumnView& cur, const DriftOptions& options, Workspace* ws,
                           std::vector<QualityFinding>* quality,
                           const ReferenceProfile::Column* profile = nullptr) {
  FeatureDrift fd;
  fd.name = name;
  fd.type = type;
  Method requested = options.method;
  if (auto it = options.per_feature.find(name); it != options.per_feature.end()) {
    requested = it->second;
  }
  std::optional<double> threshold_override;
  if (auto it = options.per_feature_threshold.find(name);
      it != options.per_feature_threshold.end()) {
    threshold_override = it->second;
  }

  Prepared p;
  p.numeric = type == core::FeatureType::kNumeric;
  ColumnSummary summary;
  summary.name = name;
  summary.type = type;
  summary.reference_rows = ref.rows;
  summary.current_rows = cur.rows;
  Categories& cats = ws->categories;
  cats.Clear();
  ws->bins = 0;  // a new column
  Status prepared;
  if (p.numeric) {
    if (profile) {
      PrepareNumericReference(*profile, ws, &p, &fd, &summary);
    } else {
      CollectNumeric(ref, &ws->reference_values, &fd.reference_missing, &p.nonfinite,
                     &ws->sort_scratch);
    }
    CollectNumeric(cur, &ws->current_values, &fd.current_missing, &p.nonfinite,
                   &ws->sort_scratch);
    p.reference = ws->reference_values;
    p.current = ws->current_values;
    p.reference_n = p.sketch ? profile->profile.moments().count() : p.reference.size();
    p.current_n = p.current.size();
    const std::span<const float> reference_points =
        p.sketch ? std::span<const float>(p.sketch->items()) : p.reference;
    p.distinct = PooledDistinct(reference_points, p.current, kDistinctCap);
    if (p.distinct <= kChartMaxCategories && p.reference_n > 0 && p.current_n > 0) {
      if (p.sketch) {
        SketchValueCategories(*p.sketch, p.current, &cats);
      } else {
        prepared = ValueCategories(p.reference, p.current, &cats);
      }
      p.have_categories = prepared.ok();
    }
    summary.reference_sorted = p.reference;
    summary.current_sorted = p.current;
  } else {
    if (!profile) prepared = CountCodes(ref, &ws->reference_codes, &fd.reference_missing);
    if (prepared.ok()) prepared = CountCodes(cur, &ws->current_codes, &fd.current_missing);
    if (prepared.ok()) {
      TextCounts(cur, type, ws->current_codes, &ws->current_text);
      if (profile) {
        PrepareCategoricalReference(*profile, ws, &fd, &summary);
      } else {
        TextCounts(ref, type, ws->reference_codes, &ws->reference_text);
      }
      AlignByText(ws->reference_text, ws->current_text, &cats);
      p.have_categories = true;
      p.reference_n = cats.reference_total;
      p.current_n = cats.current_total;
      p.distinct = cats.WithData();
      summary.categories = cats.labels;
      summary.reference_counts = cats.reference;
      summary.current_counts = cats.current;
    }
  }
  p.categories = &cats;
  fd.reference_rows = p.reference_n;
  fd.current_rows = p.current_n;
  summary.reference_missing = fd.reference_missing;
  summary.current_missing = fd.current_missing;

  const Method method = requested == Method::kAuto ? ChooseMethod(type, p.reference_n, p.distinct,
                                                                  options.small_sample_rows)
                                                   : requested;
  if (!prepared.ok()) {
    fd.method = std::string(MethodName(method));
    fd.threshold = threshold_override.value_or(
        IsTest(method) ? options.p_threshold
                       : options.distance_threshold.value_or(DefaultThreshold(method)));
    NotComputable(&fd, prepared.message());
    return fd;
  }
  if (p.nonfinite > 0) {
    Append(&fd.note, std::to_string(p.nonfinite) + " infinite values left out");
  }
  Evaluate(method, p, options, threshold_override, ws, &fd);
  for (Method extra : options.statistics) {
    if (extra == Method::kAuto) continue;
    FeatureDrift scratch;
    Evaluate(extra, p, options, std::nullopt, ws, &scratch);
    const bool repeated =
        scratch.method == fd.method ||
        std::any_of(fd.statistics.begin(), fd.statistics.end(),
                    [&](const ExtraStatistic& e) { return e.method == scratch.method; });
    if (repeated) continue;
    fd.statistics.push_back({std::move(scratch.method), scratch.computable,
                             std::move(scratch.note), scratch.statistic, scratch.p_value,
                             scratch.threshold, scratch.drift});
  }

  // The chart, when both sides have values.
  if (p.reference_n > 0 && p.current_n > 0) {
    if (p.have_categories) {
      CategoryDistribution(cats, p.numeric, &fd.distribution);
    } else {
      const int bins = std::clamp(options.bins, kChartMinBins, kChartMaxBins);
      const auto& b = SharedBins(p.reference, p.current, bins, p.sketch, ws);
      if (b.ok()) BinDistribution(*b, p.reference_n, p.current_n, &fd.distribution);
    }
  }
  if (quality) {
    for (auto& finding : CheckColumnQuality(summary)) quality->push_back(std::move(finding));
  }
  return fd;
}

// Tables of at least this many values are transposed before comparing (see ComputeDrift).
constexpr size_t kTransposeMinValues = size_t{1} << 18;

// The feature matrix column-major: column j at [j * rows, (j + 1) * rows). Rows are split
// between threads; each reads its rows in order and writes every column.
// The column copy is a core::Buffer: not zeroed first, huge pages where offered.
core::Buffer<float> Transpose(const core::Dataset& d, size_t rows, int threads_option) {
  const size_t nf = d.n_features;
  core::Buffer<float> columns(rows * nf);
  const auto copy_rows = [&](size_t begin, size_t end) {
    // Blocks of rows keep the nf output streams' lines in cache while they fill.
    constexpr size_t kBlock = 256;
    for (size_t b = begin; b < end; b += kBlock) {
      const size_t stop = std::min(end, b + kBlock);
      for (size_t j = 0; j < nf; ++j) {
        float* out = columns.data() + j * rows;
        const float* in = d.x.data() + j;
        for (size_t i = b; i < stop; ++i) out[i] = in[i * nf];
      }
    }
  };
  size_t threads = threads_option > 0 ? static_cast<size_t>(threads_option)
                                      : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, std::max<size_t>(1, rows / 65536));
  std::vector<std::jthread> pool;
  const size_t per = (rows + threads - 1) / threads;
  for (size_t t = 1; t < threads; ++t) {
    pool.emplace_back(copy_rows, std::min(rows, t * per), std::min(rows, (t + 1) * per));
  }
  copy_rows(0, std::min(rows, per));
  return columns;
}

size_t RowsOf(const core::Dataset& d) {
  return d.n_features > 0 ? d.x.size() / d.n_features : d.y.size();
}

Status CheckTable(const core::Dataset& d, const core::Schema& schema, std::string_view which) {
  const std::string prefix = std::string(which) + " table: ";
  if (d.n_features != schema.features.size()) {
    return Status::InvalidArgument(prefix + std::to_string(d.n_features) +
                                   " features, the schema has " +
                                   std::to_string(schema.features.size()));
  }
  if (d.n_features > 0 && d.x.size() % d.n_features != 0) {
    return Status::InvalidArgument(prefix + "feature matrix of " + std::to_string(d.x.size()) +
                                   " values is not whole rows of " + std::to_string(d.n_features));
  }
  const size_t rows = RowsOf(d);
  if (!d.y.empty() && d.y.size() != rows) {
    return Status::InvalidArgument(prefix + std::to_string(d.y.size()) + " labels for " +
                                   std::to_string(rows) + " rows");
  }
  if (!d.categories.empty() && d.categories.size() != d.n_features) {
    return Status::InvalidArgument(prefix + std::to_string(d.categories.size()) +
                                   " category dictionaries for " + std::to_string(d.n_features) +
                                   " features");
  }
  return Status::Ok();
}

nlohmann::ordered_json Number(std::optional<double> v) {
  if (!v || !std::isfinite(*v)) return nullptr;
  return *v;
}

nlohmann::ordered_json FeatureJson(const FeatureDrift& f) {
  nlohmann::ordered_json j;
  j["name"] = f.name;
  j["type"] = core::FeatureTypeName(f.type);
  j["method"] = f.method;
  j["statistic"] = Number(f.statistic);
  j["p_value"] = Number(f.p_value);
  j["threshold"] = Number(f.threshold);
  j["drift"] = f.drift;
  j["computable"] = f.computable;
  j["note"] = f.note;
  j["reference_rows"] = f.reference_rows;
  j["current_rows"] = f.current_rows;
  j["reference_missing"] = f.reference_missing;
  j["current_missing"] = f.current_missing;
  auto shares = [](const std::vector<double>& v) {
    auto a = nlohmann::ordered_json::array();
    for (double x : v) a.push_back(Number(x));
    return a;
  };
  j["distribution"] = {{"labels", f.distribution.labels},
                       {"reference", shares(f.distribution.reference)},
                       {"current", shares(f.distribution.current)}};
  auto extra = nlohmann::ordered_json::array();
  for (const auto& e : f.statistics) {
    extra.push_back({{"method", e.method},
                     {"statistic", Number(e.statistic)},
                     {"p_value", Number(e.p_value)},
                     {"threshold", Number(e.threshold)},
                     {"drift", e.drift},
                     {"computable", e.computable},
                     {"note", e.note}});
  }
  j["statistics"] = std::move(extra);
  return j;
}

nlohmann::ordered_json MultivariateJson(const MultivariateDrift& m) {
  const DomainClassifierDrift& dc = m.domain_classifier;
  auto folds = nlohmann::ordered_json::array();
  for (double auc : dc.fold_auc) folds.push_back(Number(auc));
  auto top = nlohmann::ordered_json::array();
  for (const auto& f : dc.top_features) {
    top.push_back({{"name", f.name}, {"gain_share", Number(f.gain_share)}});
  }
  nlohmann::ordered_json classifier;
  classifier["computable"] = dc.computable;
  classifier["note"] = dc.note;
  classifier["auc"] = Number(dc.auc);
  classifier["auc_std"] = Number(dc.auc_std);
  classifier["fold_auc"] = std::move(folds);
  classifier["threshold"] = Number(dc.threshold);
  classifier["drift"] = dc.drift;
  classifier["rows_per_side"] = dc.rows_per_side;
  classifier["folds"] = dc.folds;
  classifier["top_features"] = std::move(top);

  const PcaDrift& p = m.pca;
  nlohmann::ordered_json pca;
  pca["computable"] = p.computable;
  pca["note"] = p.note;
  pca["features"] = p.features;
  pca["components"] = p.components;
  pca["explained_variance"] = Number(p.explained_variance);
  pca["reference_rows"] = p.reference_rows;
  pca["current_rows"] = p.current_rows;
  pca["reference_mean"] = Number(p.reference_mean);
  pca["reference_std"] = Number(p.reference_std);
  pca["current_mean"] = Number(p.current_mean);
  pca["current_std"] = Number(p.current_std);
  pca["ratio"] = Number(p.ratio);
  pca["standard_error"] = Number(p.standard_error);
  pca["drift"] = p.drift;

  nlohmann::ordered_json j;
  j["drift"] = m.drift();
  j["domain_classifier"] = std::move(classifier);
  j["pca"] = std::move(pca);
  return j;
}

}  // namespace

std::string_view MethodName(Method method) {
  for (const auto& m : kMethods) {
    if (m.method == method) return m.name;
  }
  return "unknown";
}

Result<Method> ParseMethod(std::string_view name) {
  for (const auto& m : kMethods) {
    if (m.name == name) return m.method;
  }
  std::string valid;
  for (const auto& m : kMethods) {
    if (!valid.empty()) valid += ", ";
    valid += m.name;
  }
  return Status::InvalidArgument("unknown drift method '" + std::string(name) +
                                 "'; valid methods: " + valid);
}

double DefaultThreshold(Method method) {
  switch (method) {
    // Evidently's "wasserstein" stat test (wasserstein_distance_norm.py, default_threshold
    // 0.1): W1 in units of the reference's std.
    case Method::kWasserstein:
      return 0.1;
    // Evidently's "jensenshannon" (jensenshannon.py, default_threshold 0.1) calls
    // scipy.spatial.distance.jensenshannon with base None, i.e. natural logarithms. Ours is
    // in base 2 (stats/distances.h), and d_2 = d_e / sqrt(ln 2) (the divergence scales by
    // 1 / ln 2, the distance is its square root), so 0.1 in base e is
    // 0.1 / sqrt(ln 2) = 0.12011 here: the same verdict on the same data. (Some Evidently
    // releases defaulted to base 2 in between; the current one uses base e.)
    case Method::kJensenShannon:
      return 0.1 / std::sqrt(std::log(2.0));
    // Evidently's "psi" (psi.py, default_threshold 0.1), the lower edge of the credit-scoring
    // rule of thumb (< 0.1 stable, 0.1-0.25 moderate, > 0.25 major; see stats/psi.h).
    case Method::kPsi:
      return 0.1;
    // Evidently's "hellinger" (hellinger_distance.py, default_threshold 0.1).
    case Method::kHellinger:
      return 0.1;
    // TFDV's L-infinity skew/drift comparator has no default (the user sets one; its
    // examples use 0.01, which flags sampling noise on small batches). We use 0.1, the
    // threshold of the other distances, so that 10 points of share moving into or out of
    // one category is drift.
    case Method::kLInfinity:
      return 0.1;
    // Tests: the default p-value threshold (DriftOptions::p_threshold, Evidently's 0.05).
    case Method::kKs:
    case Method::kChiSquared:
    case Method::kZTest:
    case Method::kAndersonDarling:
    case Method::kCramerVonMises:
      return 0.05;
    case Method::kAuto:
      break;
  }
  return 0;
}

Method ChooseMethod(core::FeatureType type, size_t reference_rows, size_t distinct,
                    size_t small_sample_rows) {
  // Evidently's _get_default_stattest (calculations/stattests/registry.py).
  const bool categorical =
      type != core::FeatureType::kNumeric || distinct <= kCategoricalMaxDistinct;
  if (reference_rows <= small_sample_rows) {
    if (!categorical) return Method::kKs;
    return distinct <= 2 ? Method::kZTest : Method::kChiSquared;
  }
  return categorical ? Method::kJensenShannon : Method::kWasserstein;
}

namespace {

// ComputeDrift (reference rows) and ComputeDriftAgainstProfile (a reference profile):
// exactly one of `reference` and `profile` is set.
// `profile_columns[j]` is the profile's column of schema feature j.
Result<DriftReport> ComputeDriftImpl(const core::Dataset* reference,
                                     const ReferenceProfile* profile,
                                     const std::vector<const ReferenceProfile::Column*>& profile_columns,
                                     const core::Dataset& current, const core::Schema& schema,
                                     const DriftOptions& options, const ReadFindings& findings) {
  if (reference) MLLOOP_RETURN_IF_ERROR(CheckTable(*reference, schema, "reference"));
  MLLOOP_RETURN_IF_ERROR(CheckTable(current, schema, "current"));
  if (options.bins < 1) return Status::InvalidArgument("drift options: bins must be >= 1");
  if (!(options.p_threshold > 0 && options.p_threshold <= 1)) {
    return Status::InvalidArgument("drift options: p_threshold must be in (0, 1]");
  }
  if (!(options.dataset_drift_share >= 0 && options.dataset_drift_share <= 1)) {
    return Status::InvalidArgument("drift options: dataset_drift_share must be in [0, 1]");
  }
  if (options.distance_threshold && !std::isfinite(*options.distance_threshold)) {
    return Status::InvalidArgument("drift options: distance_threshold must be finite");
  }
  for (const auto& [name, t] : options.per_feature_threshold) {
    if (!std::isfinite(t)) {
      return Status::InvalidArgument("drift options: threshold of '" + name + "' must be finite");
    }
  }

  DriftReport report;
  report.reference_rows = reference ? RowsOf(*reference) : profile->rows();
  report.current_rows = RowsOf(current);
  report.dataset_drift_threshold = options.dataset_drift_share;
  report.quality = ReadQualityFindings(findings, report.current_rows);

  // One task per feature, then the target; each thread has its own workspace, each task
  // its own output slot, so the result does not depend on scheduling.
  const size_t nf = schema.features.size();
  const bool reference_labelled =
      reference ? reference->y.size() == report.reference_rows
                : profile->target().has_value() && profile->label().name == schema.label.name;
  const bool labelled = !schema.label.name.empty() && report.reference_rows > 0 &&
                        report.current_rows > 0 && reference_labelled &&
                        current.y.size() == report.current_rows;
  const bool binary = schema.label.task == core::Task::kBinaryClassification;
  const std::vector<std::string> classes = {schema.label.negative, schema.label.positive};
  const size_t tasks = nf + (labelled ? 1 : 0);
  std::vector<FeatureDrift> results(tasks);
  std::vector<std::vector<QualityFinding>> findings_of(nf);
  // Each column is read several times (values, categories, quality checks); from a
  // row-major table every read of one column touches every row's cache line, so on big
  // tables the columns are first copied out contiguously, all of them in one pass.
  const size_t rows_max = std::max(report.reference_rows, report.current_rows);
  const bool transpose = nf > 1 && rows_max * nf >= kTransposeMinValues;
  core::Buffer<float> ref_columns, cur_columns;
  if (transpose) {
    if (reference) ref_columns = Transpose(*reference, report.reference_rows, options.threads);
    cur_columns = Transpose(current, report.current_rows, options.threads);
  }
  const core::Dataset no_rows;
  const core::Dataset& ref_table = reference ? *reference : no_rows;
  const size_t ref_rows = reference ? report.reference_rows : 0;
  const auto run_task = [&](size_t j, Workspace* ws) {
    if (j == nf) {
      const ColumnView ref{ref_table.y.data(), ref_rows, 1, binary ? &classes : nullptr};
      const ColumnView cur{current.y.data(), report.current_rows, 1, binary ? &classes : nullptr};
      results[j] = CompareColumn(
          schema.label.name,
          binary ? core::FeatureType::kCategorical : core::FeatureType::kNumeric, ref, cur,
          options, ws, nullptr, profile ? &*profile->target() : nullptr);
      return;
    }
    const auto column = [&](const core::Dataset& d, size_t rows,
                            const core::Buffer<float>& columns) {
      const std::vector<std::string>* dictionary =
          j < d.categories.size() ? &d.categories[j] : nullptr;
      if (rows == 0) return ColumnView{nullptr, 0, 1, dictionary};
      if (transpose) return ColumnView{columns.data() + j * rows, rows, 1, dictionary};
      return ColumnView{d.x.data() + j, rows, d.n_features, dictionary};
    };
    results[j] = CompareColumn(schema.features[j].name, schema.features[j].type,
                               column(ref_table, ref_rows, ref_columns),
                               column(current, report.current_rows, cur_columns), options, ws,
                               &findings_of[j], profile ? profile_columns[j] : nullptr);
  };
  size_t threads = options.threads > 0 ? static_cast<size_t>(options.threads)
                                       : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, tasks);
  std::atomic<size_t> next{0};
  const auto worker = [&] {
    Workspace ws;
    for (size_t j = next++; j < tasks; j = next++) run_task(j, &ws);
  };
  if (threads <= 1) {
    worker();
  } else {
    std::vector<std::jthread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
  }
  if (labelled) {
    report.target = std::move(results[nf]);
    results.pop_back();
  }
  report.features = std::move(results);
  for (auto& column_findings : findings_of) {
    for (auto& finding : column_findings) report.quality.push_back(std::move(finding));
  }

  for (const auto& f : report.features) {
    if (!f.computable) continue;
    ++report.features_computable;
    if (f.drift) ++report.features_drifted;
  }
  report.drift_share = report.features_computable == 0
                           ? 0
                           : static_cast<double>(report.features_drifted) /
                                 static_cast<double>(report.features_computable);
  report.dataset_drift =
      report.features_computable > 0 && report.drift_share >= options.dataset_drift_share;
  report.mostly_data_quality = IsMostlyDataQuality(report.features, report.quality);
  if (options.multivariate) {
    MLLOOP_ASSIGN_OR_RETURN(
        report.multivariate,
        ComputeMultivariateDrift(*reference, current, schema, options.multivariate_options));
  }
  return report;
}

}  // namespace

Result<DriftReport> ComputeDrift(const core::Dataset& reference, const core::Dataset& current,
                                 const core::Schema& schema, const DriftOptions& options,
                                 const ReadFindings& findings) {
  return ComputeDriftImpl(&reference, nullptr, {}, current, schema, options, findings);
}

Result<FeatureDrift> ComparePredictions(std::span<const float> reference,
                                        std::span<const float> current,
                                        const DriftOptions& options) {
  const auto check = [](std::span<const float> p, const char* which) -> Status {
    if (p.empty()) return Status::InvalidArgument(std::string("no predictions on the ") + which);
    for (size_t i = 0; i < p.size(); ++i) {
      if (std::isnan(p[i])) {
        return Status::InvalidArgument(std::string("prediction ") + std::to_string(i) +
                                       " on the " + which + " is NaN");
      }
    }
    return Status::Ok();
  };
  MLLOOP_RETURN_IF_ERROR(check(reference, "reference"));
  MLLOOP_RETURN_IF_ERROR(check(current, "current table"));
  Workspace ws;
  return CompareColumn("prediction", core::FeatureType::kNumeric,
                       ColumnView{reference.data(), reference.size(), 1, nullptr},
                       ColumnView{current.data(), current.size(), 1, nullptr}, options, &ws,
                       nullptr);
}

Result<DriftReport> ComputeDriftAgainstProfile(const ReferenceProfile& reference,
                                               const core::Dataset& current,
                                               const core::Schema& schema,
                                               const DriftOptions& options,
                                               const ReadFindings& findings) {
  // Features are matched by name: a profile may hold more columns than the schema compares.
  std::vector<const ReferenceProfile::Column*> columns;
  for (const auto& f : schema.features) {
    const auto it = std::find_if(reference.features().begin(), reference.features().end(),
                                 [&](const ReferenceProfile::Column& c) { return c.name == f.name; });
    if (it == reference.features().end()) {
      return Status::InvalidArgument("the reference profile has no feature '" + f.name + "'");
    }
    if (it->type != f.type) {
      return Status::InvalidArgument(
          "feature '" + f.name + "' is " + std::string(core::FeatureTypeName(f.type)) +
          " in the schema but " + std::string(core::FeatureTypeName(it->type)) +
          " in the reference profile");
    }
    columns.push_back(&*it);
  }
  if (options.multivariate) {
    return Status::InvalidArgument(
        "multivariate drift needs the reference rows, not a profile (use the reference table)");
  }
  return ComputeDriftImpl(nullptr, &reference, columns, current, schema, options, findings);
}



std::string DriftReport::ToJson() const {
  nlohmann::ordered_json j;
  j["dataset_drift"] = dataset_drift;
  j["drift_share"] = Number(drift_share);
  j["dataset_drift_threshold"] = Number(dataset_drift_threshold);
  j["features_drifted"] = features_drifted;
  j["features_computable"] = features_computable;
  j["reference_rows"] = reference_rows;
  j["current_rows"] = current_rows;
  j["mostly_data_quality"] = mostly_data_quality;
  auto features_json = nlohmann::ordered_json::array();
  for (const auto& f : features) features_json.push_back(FeatureJson(f));
  j["features"] = std::move(features_json);
  j["target"] = target ? FeatureJson(*target) : nlohmann::ordered_json(nullptr);
  j["prediction"] = prediction ? FeatureJson(*prediction) : nlohmann::ordered_json(nullptr);
  auto quality_json = nlohmann::ordered_json::array();
  for (const auto& q : quality) {
    quality_json.push_back(
        {{"column", q.column}, {"kind", q.kind}, {"detail", q.detail}, {"value", Number(q.value)}});
  }
  j["quality"] = std::move(quality_json);
  j["multivariate"] =
      multivariate ? MultivariateJson(*multivariate) : nlohmann::ordered_json(nullptr);
  // Category text comes from the data and need not be UTF-8: replace, never throw.
  return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace);
}

}  // namespace mlloop::drift
