#include "stats/cramer_von_mises.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <numbers>
#include <numeric>
#include <string>
#include <utility>

#include "stats/distances.h"

namespace mlloop::stats {

namespace {

// U of Anderson (1962, eq. 10) with midranks for ties, from sorted samples in one merge:
// a tie group occupying pooled positions pos+1..pos+c has midrank pos + (c + 1) / 2.
// Every term is a multiple of 1/4, so the sums are exact in double for any realistic size.
double RankStatisticU(const float* x, size_t nx, const float* y, size_t ny) {
  double sum_x = 0, sum_y = 0;
  size_t i = 0, j = 0;
  while (i < nx || j < ny) {
    const float z = (j == ny || (i < nx && x[i] <= y[j])) ? x[i] : y[j];
    size_t cx = 0, cy = 0;
    while (i + cx < nx && x[i + cx] == z) ++cx;
    while (j + cy < ny && y[j + cy] == z) ++cy;
    const double midrank = static_cast<double>(i + j) + static_cast<double>(cx + cy + 1) / 2.0;
    for (size_t t = 1; t <= cx; ++t) {
      const double d = midrank - static_cast<double>(i + t);
      sum_x += d * d;
    }
    for (size_t t = 1; t <= cy; ++t) {
      const double d = midrank - static_cast<double>(j + t);
      sum_y += d * d;
    }
    i += cx;
    j += cy;
  }
  return static_cast<double>(nx) * sum_x + static_cast<double>(ny) * sum_y;
}

// C(n, k) in 64 bits, or false on overflow. c * (n - k + i) / i is an integer at every step;
// dividing i's common factor with c out first keeps the intermediate small.
bool Binomial(uint64_t n, uint64_t k, uint64_t* out) {
  if (k > n - k) k = n - k;
  uint64_t c = 1;
  for (uint64_t i = 1; i <= k; ++i) {
    const uint64_t g = std::gcd(c, i);
    const uint64_t factor = (n - k + i) / (i / g);
    if (__builtin_mul_overflow(c / g, factor, &c)) return false;
  }
  *out = c;
  return true;
}

// NumPy's float floor division (npy_divmod), which SciPy's `//` on float64 uses: not always
// floor(a / b), since a / b may round up to an integer.
double PythonFloorDivide(double a, double b) {
  const double mod = std::fmod(a, b);
  double div = (a - mod) / b;
  if (mod != 0 && ((b < 0) != (mod < 0))) div -= 1.0;
  if (div == 0) return std::copysign(0.0, a / b);
  double floordiv = std::floor(div);
  if (div - floordiv > 0.5) floordiv += 1.0;
  return floordiv;
}

// One lattice cell of the exact recursion: the distribution of path sums, as (sum, count)
// pairs sorted by sum.
using PathSums = std::vector<std::pair<int64_t, uint64_t>>;

PathSums MergeAdd(const PathSums& a, const PathSums& b) {
  PathSums out;
  out.reserve(a.size() + b.size());
  size_t i = 0, j = 0;
  while (i < a.size() || j < b.size()) {
    if (j == b.size() || (i < a.size() && a[i].first < b[j].first)) {
      out.push_back(a[i++]);
    } else if (i == a.size() || b[j].first < a[i].first) {
      out.push_back(b[j++]);
    } else {
      out.emplace_back(a[i].first, a[i].second + b[j].second);
      ++i;
      ++j;
    }
  }
  return out;
}

// P(U >= u) under the permutation null (Xiao, Gordon and Yakovlev 2006, Algorithm 1, via
// Anderson 1962 eq. 9). With L = lcm(m, n), a = L / m, b = L / n, every split of the pooled
// ranks is a monotone lattice path from (0, 0) to (n, m) and
//   zeta = sum over the path's points (u, v) of (a v - b u)^2
// is an affine function of U. g(u, v) is the distribution of partial sums over paths to
// (u, v): g(u, v) = (g(u - 1, v) merged with g(u, v - 1)) shifted by (a v - b u)^2.
Result<double> ExactPValue(double u_stat, uint64_t m, uint64_t n) {
  uint64_t combinations = 0;
  if (!Binomial(m + n, m, &combinations) || combinations > (uint64_t{1} << 62)) {
    return Status::InvalidArgument("exact Cramer-von Mises p-value: C(" + std::to_string(m + n) +
                                   ", " + std::to_string(m) +
                                   ") splits do not fit in 63 bits; use the asymptotic method");
  }
  const uint64_t lcm = std::lcm(m, n);
  // Path sums are at most lcm^2 * (m + n + 1); keep them exact as doubles (2^53).
  const double max_sum =
      static_cast<double>(lcm) * static_cast<double>(lcm) * static_cast<double>(m + n + 1);
  if (max_sum >= 9007199254740992.0) {
    return Status::InvalidArgument(
        "exact Cramer-von Mises p-value: path sums exceed 2^53; use the asymptotic method");
  }
  const int64_t a = static_cast<int64_t>(lcm / m);
  const int64_t b = static_cast<int64_t>(lcm / n);
  const double mn = static_cast<double>(m) * static_cast<double>(n);
  // SciPy: zeta = lcm**2 * (m + n) * (6 * s - mn * (4 * mn - 1)) // (6 * mn**2), in float64.
  const double zeta = PythonFloorDivide(
      static_cast<double>(lcm * lcm * (m + n)) * (6.0 * u_stat - mn * (4.0 * mn - 1.0)),
      6.0 * mn * mn);

  std::vector<PathSums> g(m + 1);
  g[0] = {{0, 1}};
  for (int64_t u = 0; u <= static_cast<int64_t>(n); ++u) {
    PathSums from_left;  // g(u, v - 1), already shifted
    for (int64_t v = 0; v <= static_cast<int64_t>(m); ++v) {
      PathSums cell = MergeAdd(from_left, g[static_cast<size_t>(v)]);
      const int64_t shift = (a * v - b * u) * (a * v - b * u);
      for (auto& entry : cell) entry.first += shift;
      g[static_cast<size_t>(v)] = cell;
      from_left = std::move(cell);
    }
  }
  uint64_t at_least = 0;
  for (const auto& [sum, count] : g[m]) {
    if (static_cast<double>(sum) >= zeta) at_least += count;
  }
  return static_cast<double>(at_least) / static_cast<double>(combinations);
}

// Asymptotic p-value as SciPy 1.10: standardise T with its exact mean and variance under
// the null (Anderson 1962, eq. 11 and 14) into tn (eq. 15), then 1 - limiting CDF.
double AsymptoticPValue(double t, double nx, double ny) {
  const double k = nx * ny;
  const double big_n = nx + ny;
  const double et = (1.0 + 1.0 / big_n) / 6.0;
  const double vt = (big_n + 1.0) * (4.0 * k * big_n - 3.0 * (nx * nx + ny * ny) - 2.0 * k) /
                    (45.0 * big_n * big_n * 4.0 * k);
  const double tn = 1.0 / 6.0 + (t - et) / std::sqrt(45.0 * vt);
  // SciPy: below 0.003 the limiting CDF is < 1.28e-18, so p = 1 without the series.
  if (tn < 0.003) return 1.0;
  return std::max(0.0, 1.0 - CramerVonMisesLimitingCdf(tn));
}

}  // namespace

double CramerVonMisesLimitingCdf(double w) {
  // Csorgo and Faraway (1996), eq. 1.2, second line of (1.3); terms are added until one is
  // below 1e-7 in magnitude (that one included), exactly SciPy's _cdf_cvm_inf loop.
  const double pi_to_1_5 = std::pow(std::numbers::pi, 1.5);
  double total = 0;
  for (int k = 0; k < 1000000; ++k) {
    const double u =
        std::exp(std::lgamma(k + 0.5) - std::lgamma(k + 1.0)) / (pi_to_1_5 * std::sqrt(w));
    const double y = 4.0 * k + 1.0;
    const double q = y * y / (16.0 * w);
    // exp(-q) K_{1/4}(q) underflows to 0 long before q = 700; skip the Bessel call there.
    const double term =
        q > 700.0 ? 0.0 : u * std::sqrt(y) * std::exp(-q) * std::cyl_bessel_k(0.25, q);
    total += term;
    if (!(std::abs(term) >= 1e-7)) break;
  }
  return total;
}

CvmMethod ResolveCvmMethod(size_t nx, size_t ny, CvmMethod requested) {
  if (requested != CvmMethod::kAuto) return requested;
  return std::max(nx, ny) > kCvmExactMaxSize ? CvmMethod::kAsymptotic : CvmMethod::kExact;
}

Result<CramerVonMisesResult> CramerVonMisesSorted(const float* x, size_t nx, const float* y,
                                                  size_t ny, CvmMethod method) {
  MLLOOP_RETURN_IF_ERROR(CheckSortedSample(x, nx, "first"));
  MLLOOP_RETURN_IF_ERROR(CheckSortedSample(y, ny, "second"));
  if (nx < 2 || ny < 2) {
    return Status::InvalidArgument("Cramer-von Mises needs at least two values per sample");
  }
  CramerVonMisesResult result;
  result.method = ResolveCvmMethod(nx, ny, method);
  const double u = RankStatisticU(x, nx, y, ny);
  const double k = static_cast<double>(nx) * static_cast<double>(ny);
  const double big_n = static_cast<double>(nx + ny);
  result.statistic = u / (k * big_n) - (4.0 * k - 1.0) / (6.0 * big_n);  // Anderson eq. 9
  if (result.method == CvmMethod::kExact) {
    MLLOOP_ASSIGN_OR_RETURN(result.p_value, ExactPValue(u, nx, ny));
  } else {
    result.p_value =
        AsymptoticPValue(result.statistic, static_cast<double>(nx), static_cast<double>(ny));
  }
  return result;
}

Result<CramerVonMisesResult> CramerVonMises(const std::vector<float>& x,
                                            const std::vector<float>& y, CvmMethod method) {
  MLLOOP_ASSIGN_OR_RETURN(auto sx, SortSample(x, "first"));
  MLLOOP_ASSIGN_OR_RETURN(auto sy, SortSample(y, "second"));
  return CramerVonMisesSorted(sx.data(), sx.size(), sy.data(), sy.size(), method);
}

}  // namespace mlloop::stats
