#include "stats/distances.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string>

namespace mlloop::stats {

namespace {

// Neumaier's compensated sum: the error stays O(eps) instead of growing with the number of
// terms, so the distance of a million-row window is as exact as that of a small one.
class CompensatedSum {
 public:
  void Add(double x) {
    const double t = sum_ + x;
    if (std::abs(sum_) >= std::abs(x)) {
      compensation_ += (sum_ - t) + x;
    } else {
      compensation_ += (x - t) + sum_;
    }
    sum_ = t;
  }
  double Total() const { return sum_ + compensation_; }

 private:
  double sum_ = 0;
  double compensation_ = 0;
};

// Shared checks for the frequency-vector distances; returns the two sums.
Status CheckFrequencies(const double* p, const double* q, size_t n, double* sum_p, double* sum_q) {
  if (n == 0) return Status::InvalidArgument("frequency vectors are empty");
  *sum_p = 0;
  *sum_q = 0;
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(p[i]) || !std::isfinite(q[i]) || p[i] < 0 || q[i] < 0) {
      return Status::InvalidArgument("frequencies must be finite and >= 0 (bin " +
                                     std::to_string(i) + ")");
    }
    *sum_p += p[i];
    *sum_q += q[i];
  }
  if (!(*sum_p > 0) || !(*sum_q > 0) || !std::isfinite(*sum_p) || !std::isfinite(*sum_q)) {
    return Status::InvalidArgument("each frequency vector needs a positive, finite sum");
  }
  return Status::Ok();
}

Status CheckSameSize(size_t a, size_t b) {
  if (a != b) {
    return Status::InvalidArgument("frequency vectors differ in size (" + std::to_string(a) +
                                   " vs " + std::to_string(b) + ")");
  }
  return Status::Ok();
}

// scipy.special.rel_entr(x, y) = x ln(x / y) for x > 0, 0 for x == 0. Here y >= x / 2 > 0
// whenever x > 0, so the infinite branch cannot occur.
double RelativeEntropyTerm(double x, double y) { return x > 0 ? x * std::log(x / y) : 0.0; }

}  // namespace

Status CheckSortedSample(const float* values, size_t n, std::string_view what) {
  if (n == 0) return Status::InvalidArgument(std::string(what) + " sample is empty");
  // One branch-free pass (it vectorises; the drift report calls this on every column),
  // then a second, exact pass only to name the first bad index.
  // (v - v is 0 for finite v, NaN for +-inf and NaN.)
  int bad = !(values[0] - values[0] == 0.0f);
  for (size_t i = 1; i < n; ++i) {
    const float v = values[i];
    bad |= (v < values[i - 1]) | !(v - v == 0.0f);
  }
  if (bad == 0) return Status::Ok();
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(values[i])) {
      return Status::InvalidArgument(std::string(what) + " sample has a non-finite value (" +
                                     (std::isnan(values[i]) ? "NaN" : "inf") + ") at index " +
                                     std::to_string(i) + "; drop missing values first");
    }
    if (i > 0 && values[i] < values[i - 1]) {
      return Status::InvalidArgument(
          std::string(what) + " sample is not sorted ascending at index " + std::to_string(i));
    }
  }
  return Status::Ok();
}

Result<std::vector<float>> SortSample(std::vector<float> values, std::string_view what) {
  // Check finiteness before sorting: NaN breaks std::sort's strict weak ordering.
  if (values.empty()) return Status::InvalidArgument(std::string(what) + " sample is empty");
  for (size_t i = 0; i < values.size(); ++i) {
    if (!std::isfinite(values[i])) {
      return Status::InvalidArgument(std::string(what) + " sample has a non-finite value (" +
                                     (std::isnan(values[i]) ? "NaN" : "inf") + ") at index " +
                                     std::to_string(i) + "; drop missing values first");
    }
  }
  std::sort(values.begin(), values.end());
  return values;
}

// ---------------------------------------------------------------------------------------

Result<double> WassersteinSorted(const float* a, size_t na, const float* b, size_t nb) {
  MLLOOP_RETURN_IF_ERROR(CheckSortedSample(a, na, "first"));
  MLLOOP_RETURN_IF_ERROR(CheckSortedSample(b, nb, "second"));
  // In one dimension W1 is also the integral over u in (0, 1) of |A^-1(u) - B^-1(u)|, the
  // gap between the two quantile functions (the same number SciPy's _cdf_distance gets by
  // integrating |F_a - F_b| over x). Both quantile functions are steps that change at
  // u = i / na and u = j / nb; in units of 1 / (na nb) those breakpoints are the integers
  // i nb and j na, so every step width is exact. The walk is branch-free and, unlike the
  // walk over x, does not care about ties.
  const uint64_t una = na, unb = nb;
  CompensatedSum total;
  double block = 0;  // plain sums of up to 256 terms, then one compensated add
  uint64_t prev = 0;
  size_t i = 0, j = 0, in_block = 0;
  while (i < na && j < nb) {
    const uint64_t next_a = (i + 1) * unb, next_b = (j + 1) * una;
    const uint64_t next = std::min(next_a, next_b);
    block += std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[j])) *
             static_cast<double>(next - prev);
    prev = next;
    i += next_a <= next_b;
    j += next_b <= next_a;
    if (++in_block == 256) {
      total.Add(block);
      block = 0;
      in_block = 0;
    }
  }
  total.Add(block);
  return total.Total() / (static_cast<double>(na) * static_cast<double>(nb));
}

Result<double> Wasserstein(const std::vector<float>& a, const std::vector<float>& b) {
  MLLOOP_ASSIGN_OR_RETURN(auto sa, SortSample(a, "first"));
  MLLOOP_ASSIGN_OR_RETURN(auto sb, SortSample(b, "second"));
  return WassersteinSorted(sa.data(), sa.size(), sb.data(), sb.size());
}

double PopulationStdDev(const float* values, size_t n) {
  if (n == 0) return 0;
  // Compensated sums of plain four-way partial sums over blocks of 256 values: as accurate
  // as compensating every value for these sizes, and about four times faster.
  const auto sum_of = [&](auto term) {
    CompensatedSum total;
    for (size_t b = 0; b < n; b += 256) {
      const size_t stop = std::min(n, b + 256);
      double s[4] = {0, 0, 0, 0};
      size_t i = b;
      for (; i + 4 <= stop; i += 4) {
        s[0] += term(values[i]);
        s[1] += term(values[i + 1]);
        s[2] += term(values[i + 2]);
        s[3] += term(values[i + 3]);
      }
      for (; i < stop; ++i) s[0] += term(values[i]);
      total.Add((s[0] + s[1]) + (s[2] + s[3]));
    }
    return total.Total();
  };
  const double mean = sum_of([](float v) { return static_cast<double>(v); }) /
                      static_cast<double>(n);
  const double squares = sum_of([mean](float v) {
    const double d = static_cast<double>(v) - mean;
    return d * d;
  });
  return std::sqrt(squares / static_cast<double>(n));
}

Result<double> WassersteinNormalizedSorted(const float* reference, size_t n_reference,
                                           const float* current, size_t n_current) {
  MLLOOP_ASSIGN_OR_RETURN(const double w,
                          WassersteinSorted(reference, n_reference, current, n_current));
  const double scale = std::max(PopulationStdDev(reference, n_reference), kWassersteinStdFloor);
  return w / scale;
}

Result<double> WassersteinNormalized(const std::vector<float>& reference,
                                     const std::vector<float>& current) {
  MLLOOP_ASSIGN_OR_RETURN(auto sr, SortSample(reference, "reference"));
  MLLOOP_ASSIGN_OR_RETURN(auto sc, SortSample(current, "current"));
  return WassersteinNormalizedSorted(sr.data(), sr.size(), sc.data(), sc.size());
}

// ---------------------------------------------------------------------------------------

Result<double> JensenShannonDistance(const double* p, const double* q, size_t n, LogBase base) {
  double sum_p = 0, sum_q = 0;
  MLLOOP_RETURN_IF_ERROR(CheckFrequencies(p, q, n, &sum_p, &sum_q));
  // As scipy.spatial.distance.jensenshannon (SciPy 1.10): normalise, m = (p + q) / 2,
  // js = sum rel_entr(p, m) + sum rel_entr(q, m), divide by ln(base), sqrt(js / 2).
  CompensatedSum left, right;
  for (size_t i = 0; i < n; ++i) {
    const double pi = p[i] / sum_p;
    const double qi = q[i] / sum_q;
    const double mi = (pi + qi) / 2.0;
    left.Add(RelativeEntropyTerm(pi, mi));
    right.Add(RelativeEntropyTerm(qi, mi));
  }
  double js = left.Total() + right.Total();
  if (base == LogBase::kTwo) js /= std::log(2.0);
  // The divergence is >= 0 mathematically; a rounding residue of -1e-17 must not become NaN.
  return std::sqrt(std::max(js, 0.0) / 2.0);
}

Result<double> JensenShannonDistance(const std::vector<double>& p, const std::vector<double>& q,
                                     LogBase base) {
  MLLOOP_RETURN_IF_ERROR(CheckSameSize(p.size(), q.size()));
  return JensenShannonDistance(p.data(), q.data(), p.size(), base);
}

Result<double> HellingerDistance(const double* p, const double* q, size_t n) {
  double sum_p = 0, sum_q = 0;
  MLLOOP_RETURN_IF_ERROR(CheckFrequencies(p, q, n, &sum_p, &sum_q));
  CompensatedSum squares;
  for (size_t i = 0; i < n; ++i) {
    const double d = std::sqrt(p[i] / sum_p) - std::sqrt(q[i] / sum_q);
    squares.Add(d * d);
  }
  // Disjoint supports give exactly sqrt(2 / 2) up to rounding; keep the documented bound.
  return std::min(std::sqrt(squares.Total() / 2.0), 1.0);
}

Result<double> HellingerDistance(const std::vector<double>& p, const std::vector<double>& q) {
  MLLOOP_RETURN_IF_ERROR(CheckSameSize(p.size(), q.size()));
  return HellingerDistance(p.data(), q.data(), p.size());
}

Result<double> LInfinityDistance(const double* p, const double* q, size_t n) {
  double sum_p = 0, sum_q = 0;
  MLLOOP_RETURN_IF_ERROR(CheckFrequencies(p, q, n, &sum_p, &sum_q));
  double max_gap = 0;
  for (size_t i = 0; i < n; ++i) {
    max_gap = std::max(max_gap, std::abs(p[i] / sum_p - q[i] / sum_q));
  }
  return max_gap;
}

Result<double> LInfinityDistance(const std::vector<double>& p, const std::vector<double>& q) {
  MLLOOP_RETURN_IF_ERROR(CheckSameSize(p.size(), q.size()));
  return LInfinityDistance(p.data(), q.data(), p.size());
}

// ---------------------------------------------------------------------------------------

Result<CategoryCounts> CountCategoriesSorted(const float* reference, size_t n_reference,
                                             const float* current, size_t n_current) {
  MLLOOP_RETURN_IF_ERROR(CheckSortedSample(reference, n_reference, "reference"));
  MLLOOP_RETURN_IF_ERROR(CheckSortedSample(current, n_current, "current"));
  CategoryCounts out;
  size_t i = 0, j = 0;
  while (i < n_reference || j < n_current) {
    const float code = (j == n_current || (i < n_reference && reference[i] <= current[j]))
                           ? reference[i]
                           : current[j];
    size_t cr = 0, cc = 0;
    while (i + cr < n_reference && reference[i + cr] == code) ++cr;
    while (j + cc < n_current && current[j + cc] == code) ++cc;
    i += cr;
    j += cc;
    out.codes.push_back(code);
    out.reference.push_back(static_cast<double>(cr));
    out.current.push_back(static_cast<double>(cc));
  }
  return out;
}

Result<CategoryCounts> CountCategories(const std::vector<float>& reference,
                                       const std::vector<float>& current) {
  MLLOOP_ASSIGN_OR_RETURN(auto sr, SortSample(reference, "reference"));
  MLLOOP_ASSIGN_OR_RETURN(auto sc, SortSample(current, "current"));
  return CountCategoriesSorted(sr.data(), sr.size(), sc.data(), sc.size());
}

Result<BinCounts> CountInSharedBinsSorted(const float* reference, size_t n_reference,
                                          const float* current, size_t n_current, int bins) {
  if (bins < 1) return Status::InvalidArgument("bins must be >= 1, got " + std::to_string(bins));
  MLLOOP_RETURN_IF_ERROR(CheckSortedSample(reference, n_reference, "reference"));
  MLLOOP_RETURN_IF_ERROR(CheckSortedSample(current, n_current, "current"));
  double lo = std::min(reference[0], current[0]);
  double hi = std::max(reference[n_reference - 1], current[n_current - 1]);
  if (lo == hi) {  // numpy.lib.histograms._get_outer_edges
    lo -= 0.5;
    hi += 0.5;
  }
  const size_t nbins = static_cast<size_t>(bins);
  BinCounts out;
  out.edges.resize(nbins + 1);
  // np.linspace(lo, hi, bins + 1): i * step + lo, the last edge set to hi exactly.
  const double step = (hi - lo) / static_cast<double>(nbins);
  for (size_t k = 0; k < nbins; ++k) out.edges[k] = static_cast<double>(k) * step + lo;
  out.edges[nbins] = hi;

  // Bin k holds edges[k] <= x < edges[k+1]; the last bin is closed. With sorted data the
  // count of bin k is (first index >= edges[k+1]) - (first index >= edges[k]).
  auto count = [&](const float* v, size_t n, std::vector<double>* counts) {
    counts->assign(nbins, 0.0);
    size_t start = 0;
    for (size_t k = 0; k < nbins; ++k) {
      size_t end = n;
      if (k + 1 < nbins) {
        const double edge = out.edges[k + 1];
        end = static_cast<size_t>(
            std::lower_bound(v + start, v + n, edge,
                             [](float x, double e) { return static_cast<double>(x) < e; }) -
            v);
      }
      (*counts)[k] = static_cast<double>(end - start);
      start = end;
    }
  };
  count(reference, n_reference, &out.reference);
  count(current, n_current, &out.current);
  return out;
}

Result<BinCounts> CountInSharedBins(const std::vector<float>& reference,
                                    const std::vector<float>& current, int bins) {
  MLLOOP_ASSIGN_OR_RETURN(auto sr, SortSample(reference, "reference"));
  MLLOOP_ASSIGN_OR_RETURN(auto sc, SortSample(current, "current"));
  return CountInSharedBinsSorted(sr.data(), sr.size(), sc.data(), sc.size(), bins);
}

}  // namespace mlloop::stats
