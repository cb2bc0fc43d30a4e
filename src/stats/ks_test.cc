#include "stats/ks_test.h"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdint>
#include <limits>
#include <numeric>
#include <optional>
#include <string>

#include "stats/special_functions.h"

namespace mlloop::stats {

namespace {

// P(D_{n,n} >= h/n) = 2 (A0 - A0 A1 + A0 A1 A2 - ...) with A_k = binom(2n, n-kh)-ratio
// terms, evaluated Horner-like from the innermost term to avoid subtractive cancellation
// (SciPy's _compute_prob_outside_square).
double ProbOutsideSquare(int64_t n, int64_t h) {
  double p = 0.0;
  for (int64_t k = n / h; k >= 0; --k) {
    double p1 = 1.0;
    for (int64_t j = 0; j < h; ++j) {
      p1 = static_cast<double>(n - k * h - j) * p1 / static_cast<double>(n + k * h + j + 1);
    }
    p = p1 * (1.0 - p);
  }
  return 2 * p;
}

// The proportion of lattice paths from (0,0) to (m,n) that leave the band
// |x/m - y/n| < h / lcm(m,n), computed column by column over a sliding window of the band
// with Viehmann's recursion for 1 - p, so no binomial coefficient is ever formed
// (SciPy's _compute_outer_prob_inside_method, scipy/stats/_stats_pythran.py).
double ProbOutsideBand(int64_t m, int64_t n, int64_t g, int64_t h) {
  if (m < n) std::swap(m, n);  // symmetric; the window logic assumes m >= n
  const int64_t mg = m / g;
  const int64_t ng = n / g;
  const double mgd = static_cast<double>(mg);
  int64_t minj = 0;
  int64_t maxj = std::min(static_cast<int64_t>(std::ceil(static_cast<double>(h) / mgd)), n + 1);
  int64_t curlen = maxj - minj;
  const int64_t len_a = std::min(2 * maxj + 2, n + 1);
  std::vector<double> a(static_cast<size_t>(len_a), 1.0);
  std::fill(a.begin() + minj, a.begin() + maxj, 0.0);
  for (int64_t i = 1; i <= m; ++i) {
    const int64_t lastminj = minj, lastlen = curlen;
    minj = std::max(static_cast<int64_t>(std::floor(static_cast<double>(ng * i - h) / mgd)) + 1,
                    int64_t{0});
    minj = std::min(minj, n);
    maxj = std::min(static_cast<int64_t>(std::ceil(static_cast<double>(ng * i + h) / mgd)), n + 1);
    if (maxj <= minj) return 1.0;
    double val = minj == 0 ? 0.0 : 1.0;
    const double di = static_cast<double>(i);
    for (int64_t jj = 0; jj < maxj - minj; ++jj) {
      const int64_t j = jj + minj;
      const size_t from = static_cast<size_t>(jj + minj - lastminj);
      assert(from < a.size());
      val = (a[from] * di + val * static_cast<double>(j)) / static_cast<double>(i + j);
      a[static_cast<size_t>(jj)] = val;
    }
    curlen = maxj - minj;
    if (lastlen > curlen) {
      const int64_t begin = std::min(maxj - minj, len_a);
      const int64_t end = std::min(maxj - minj + (lastlen - curlen), len_a);
      std::fill(a.begin() + begin, a.begin() + end, 1.0);
    }
  }
  return a[static_cast<size_t>(maxj - minj - 1)];
}

// SciPy's _attempt_exact_2kssamp, two-sided: rounds d to the lattice (d = h / lcm) and
// returns the exact p-value, or nullopt when it came out of [0, 1] (the caller falls back).
std::optional<double> ExactPValue(int64_t n1, int64_t n2, double& d) {
  const int64_t g = std::gcd(n1, n2);
  const int64_t lcm = (n1 / g) * n2;
  // np.round: ties to even, which nearbyint does in the default rounding mode.
  const int64_t h = static_cast<int64_t>(std::nearbyint(d * static_cast<double>(lcm)));
  d = static_cast<double>(h) / static_cast<double>(lcm);
  if (h == 0) return 1.0;
  const double p = n1 == n2 ? ProbOutsideSquare(n1, h) : ProbOutsideBand(n1, n2, g, h);
  if (!(p >= 0 && p <= 1)) return std::nullopt;
  return p;
}

Status CheckSample(std::span<const float> x, const char* name) {
  if (x.empty()) {
    return Status::InvalidArgument(std::string("KS test: sample ") + name + " is empty");
  }
  bool nan = false;
  for (float v : x) nan |= std::isnan(v);  // branch-free: it vectorises
  if (nan) {
    return Status::InvalidArgument(std::string("KS test: sample ") + name +
                                   " has NaN; remove missing values first");
  }
  return Status::Ok();
}


// The KS statistic's walk: D = max |i / n1 - j / n2| over the pooled distinct values x,
// i and j counting the values <= x of each sample, between positions [i0, i1) of `a` and
// [j0, j1) of `b` (i0 values of `a` and j0 of `b` lie below the range). Gaps are compared
// as exact integers |i n2 - j n1| (the gap times n1 n2), cheaper than two divisions a
// step; the double form SciPy uses is computed only where the integer gap reaches the
// maximum so far, and the largest of those is kept in `d`, the integer one in `best`.
void WalkCdfGap(std::span<const float> a, std::span<const float> b, size_t i, size_t i1,
                size_t j, size_t j1, uint64_t* best, double* d) {
  const double n1d = static_cast<double>(a.size()), n2d = static_cast<double>(b.size());
  const auto n1u = static_cast<uint64_t>(a.size()), n2u = static_cast<uint64_t>(b.size());
  while (i < i1 || j < j1) {
    const float x = j == j1 ? a[i] : i == i1 ? b[j] : std::min(a[i], b[j]);
    while (i < i1 && a[i] == x) ++i;
    while (j < j1 && b[j] == x) ++j;
    const uint64_t u = i * n2u, v = j * n1u;
    const uint64_t gap = u > v ? u - v : v - u;
    if (gap >= *best) [[unlikely]] {
      const double exact = std::fabs(static_cast<double>(i) / n1d - static_cast<double>(j) / n2d);
      *d = gap > *best ? exact : std::max(*d, exact);
      *best = gap;
    }
  }
}

// D = max |F_a - G_b|. On big samples the pooled range is cut at every kSegment-th value
// of `a` (and the end); at each cut t both CDFs are known exactly (counts <= t), and inside
// a segment (t', t] F stays within [F(t'), F(t)] and G within [G(t'), G(t)], so no gap there
// exceeds max(F(t) - G(t'), G(t) - F(t')). Only segments whose bound reaches the largest
// gap seen at the cuts are walked value by value: the result is exact, and on a million
// values per side a few percent of them are visited (the walk mispredicts a branch on
// about every value, so it is the cost that matters).
double MaxCdfGap(std::span<const float> a, std::span<const float> b) {
  constexpr size_t kSegment = 512;
  uint64_t best = 0;
  double d = 0;
  if (a.size() + b.size() < 8 * kSegment) {
    WalkCdfGap(a, b, 0, a.size(), 0, b.size(), &best, &d);
    return d;
  }
  const auto n1u = static_cast<uint64_t>(a.size()), n2u = static_cast<uint64_t>(b.size());
  // Cut positions: counts of values <= t in each sample.
  std::vector<std::pair<size_t, size_t>> cuts;
  cuts.reserve(a.size() / kSegment + 2);
  size_t pa = 0, pb = 0;
  for (size_t k = kSegment; k < a.size(); k += kSegment) {
    const float t = a[k];
    if (k < pa) continue;  // inside a run of ties already passed
    pa = static_cast<size_t>(std::upper_bound(a.begin() + k, a.end(), t) - a.begin());
    pb = static_cast<size_t>(std::upper_bound(b.begin() + pb, b.end(), t) - b.begin());
    cuts.emplace_back(pa, pb);
  }
  cuts.emplace_back(a.size(), b.size());
  const auto gap_of = [&](size_t i, size_t j) {
    const uint64_t u = i * n2u, v = j * n1u;
    return u > v ? u - v : v - u;
  };
  // Walk the segments that could hold a larger gap than the cuts' largest (or an equal
  // one: the double form of an equal integer gap may round differently, and D must be
  // SciPy's). A walked segment measures its own end cut again, in double.
  uint64_t bound_to_beat = 0;
  for (const auto& [i, j] : cuts) bound_to_beat = std::max(bound_to_beat, gap_of(i, j));
  size_t i0 = 0, j0 = 0;
  for (const auto& [i1, j1] : cuts) {
    const uint64_t up = std::max(i1 * n2u - std::min(i1 * n2u, j0 * n1u),
                                 j1 * n1u - std::min(j1 * n1u, i0 * n2u));
    if (up >= bound_to_beat) WalkCdfGap(a, b, i0, i1, j0, j1, &best, &d);
    i0 = i1;
    j0 = j1;
  }
  return d;
}
}  // namespace

Result<TestResult> KsTwoSample(std::vector<float> a, std::vector<float> b, KsMethod method) {
  MLLOOP_RETURN_IF_ERROR(CheckSample(a, "a"));
  MLLOOP_RETURN_IF_ERROR(CheckSample(b, "b"));
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return KsTwoSampleSorted(a, b, method);
}

Result<TestResult> KsTwoSampleSorted(std::span<const float> a, std::span<const float> b,
                                     KsMethod method) {
  MLLOOP_RETURN_IF_ERROR(CheckSample(a, "a"));
  MLLOOP_RETURN_IF_ERROR(CheckSample(b, "b"));
  const auto sorted = [](std::span<const float> x) {
    bool descent = false;
    for (size_t k = 1; k < x.size(); ++k) descent |= x[k] < x[k - 1];
    return !descent;
  };
  if (!sorted(a) || !sorted(b)) {
    return Status::InvalidArgument("KS test: KsTwoSampleSorted needs ascending data");
  }
  const int64_t n1 = static_cast<int64_t>(a.size());
  const int64_t n2 = static_cast<int64_t>(b.size());

  // D = max |F_a - G_b| over every observed value, both CDFs counting values <= x (SciPy's
  // searchsorted(side='right')). Each CDF is i / n in double, as SciPy forms it, so D is
  // bit-identical; -(u - v) == v - u exactly, so the sign of the extreme does not matter.
  return KsFromStatistic(n1, n2, MaxCdfGap(a, b), method);
}

double KsStatisticSorted(std::span<const float> a, std::span<const float> b) {
  return MaxCdfGap(a, b);
}

Result<TestResult> KsFromStatistic(int64_t n1, int64_t n2, double d, KsMethod method) {
  if (n1 < 1 || n2 < 1 || !(d >= 0 && d <= 1)) {
    return Status::InvalidArgument("KS test: needs n1, n2 >= 1 and D in [0, 1]");
  }
  const double n1d = static_cast<double>(n1), n2d = static_cast<double>(n2);
  if (method == KsMethod::kAuto) {
    method = static_cast<size_t>(std::max(n1, n2)) <= kKsMaxAutoExactN ? KsMethod::kExact
                                                                       : KsMethod::kAsymptotic;
  } else if (method == KsMethod::kExact) {
    // SciPy gives up on the exact path (with a warning) when lcm(n1, n2) may overflow int32.
    const int64_t g = std::gcd(n1, n2);
    if (static_cast<double>(n1 / g) >=
        static_cast<double>(std::numeric_limits<int32_t>::max()) / static_cast<double>(n2 / g)) {
      method = KsMethod::kAsymptotic;
    }
  }
  if (method == KsMethod::kExact) {
    if (std::optional<double> p = ExactPValue(n1, n2, d)) return TestResult{d, *p};
    // Otherwise fall through with d already rounded to the lattice, as SciPy does.
  }
  // Asymptotic: kstwo.sf(d, round(en)), en = n1 n2 / (n1 + n2) in double.
  const double m = std::max(n1d, n2d), n = std::min(n1d, n2d);
  const double en = std::nearbyint(m * n / (m + n));
  if (en < 1) {
    return Status::InvalidArgument(
        "KS test: asymptotic p-value undefined for two samples of one value each "
        "(SciPy returns NaN); use the exact method");
  }
  return TestResult{d, std::clamp(KolmogorovSmirnovSf(static_cast<int64_t>(en), d), 0.0, 1.0)};
}

}  // namespace mlloop::stats
