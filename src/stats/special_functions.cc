#include "stats/special_functions.h"

#include <algorithm>
#include <cassert>
#include <cfloat>
#include <cmath>
#include <limits>
#include <numbers>
#include <tuple>
#include <utility>
#include <vector>

namespace mlloop::stats {

namespace {

constexpr double kNaN = std::numeric_limits<double>::quiet_NaN();
constexpr double kPi = std::numbers::pi;
constexpr double kSqrt1_2 = 0.70710678118654752440;  // 1 / sqrt(2), as Cephes' NPY_SQRT1_2
// Cephes MINLOG = log(2^-1075): exp() of anything below it is 0.
constexpr double kCephesMinLog = -7.451332191019412076235e2;

double Clip01(double p) { return std::clamp(p, 0.0, 1.0); }

// log Gamma(x) for x > 0, reentrant (lgammal writes the global signgam).
long double LogGamma(long double x) {
  int sign = 0;
  return ::lgammal_r(x, &sign);
}

// ---------------------------------------------------------------------------------------
// Two-sided one-sample KS, after scipy/stats/_ksstats.py (SciPy 1.10), which follows
// Simard & L'Ecuyer (2011). The helpers return the CDF P(D_n <= d).

constexpr double kTwoPow128 = 3.4028236692093846346e38;    // 2^128, _EP128
constexpr double kTwoPowM128 = 2.9387358770557187699e-39;  // 2^-128, _EM128

// log(n! / n^n) by Stirling's series with n log n removed up front (_log_nfactorial_div_n_pow_n).
double LogNFactorialDivNPowN(double n) {
  // B_{2j} / (2j (2j-1)) for j = 8, ..., 1, highest order first.
  static constexpr double kStirling[] = {-2.955065359477124183e-2,  6.4102564102564102564e-3,
                                         -1.9175269175269175269e-3, 8.4175084175084175084e-4,
                                         -5.952380952380952381e-4,  7.9365079365079365079e-4,
                                         -2.7777777777777777778e-3, 8.3333333333333333333e-2};
  const double rn = 1.0 / n;
  const double rn2 = rn / n;
  double poly = 0;
  for (double c : kStirling) poly = poly * rn2 + c;
  return std::log(n) / 2 - n + std::log(2 * kPi) / 2 + rn * poly;
}

using Matrix = std::vector<double>;  // square, row-major

Matrix MatMul(const Matrix& a, const Matrix& b, int m) {
  Matrix c(static_cast<size_t>(m) * m, 0.0);
  for (int i = 0; i < m; ++i) {
    for (int k = 0; k < m; ++k) {
      const double aik = a[static_cast<size_t>(i) * m + k];
      if (aik == 0) continue;
      for (int j = 0; j < m; ++j) {
        c[static_cast<size_t>(i) * m + j] += aik * b[static_cast<size_t>(k) * m + j];
      }
    }
  }
  return c;
}

// Durbin's matrix algorithm as Marsaglia, Tsang & Wang (2003, J. Stat. Softw. 8(18)) evaluate
// it: write d = (k - h)/n, then P(D_n < d) = n!/n^n (H^n)_{kk} for a (2k-1)^2 matrix H,
// raised by squaring with explicit exponent bookkeeping (_kolmogn_DMTW).
double KolmogornDurbinCdf(int64_t n, double d) {
  if (d >= 1.0) return 1.0;
  const double nd = static_cast<double>(n) * d;
  if (nd <= 0.5) return 0.0;
  const int k = static_cast<int>(std::ceil(nd));
  const double h = k - nd;
  const int m = 2 * k - 1;
  auto at = [m](Matrix& a, int r, int c) -> double& { return a[static_cast<size_t>(r) * m + c]; };

  std::vector<double> v(static_cast<size_t>(m)), w(static_cast<size_t>(m));
  double fac = 1.0;
  for (int j = 1; j <= m; ++j) {
    w[j - 1] = fac;
    fac /= j;  // may underflow; harmless
    v[j - 1] = (1.0 - std::pow(h, j)) * fac;
  }
  const double tt = std::pow(std::max(2 * h - 1.0, 0.0), m) - 2 * std::pow(h, m);
  v[m - 1] = (1.0 + tt) * fac;

  Matrix hm(static_cast<size_t>(m) * m, 0.0);
  for (int i = 1; i < m; ++i) {
    for (int r = i - 1; r < m; ++r) at(hm, r, i) = w[r - (i - 1)];
  }
  for (int r = 0; r < m; ++r) at(hm, r, 0) = v[r];
  for (int c = 0; c < m; ++c) at(hm, m - 1, c) = v[m - 1 - c];

  Matrix power(static_cast<size_t>(m) * m, 0.0);
  for (int i = 0; i < m; ++i) at(power, i, i) = 1.0;
  int64_t expnt = 0, h_expnt = 0;
  for (int64_t nn = n; nn > 0; nn /= 2) {
    if (nn % 2) {
      power = MatMul(power, hm, m);
      expnt += h_expnt;
    }
    hm = MatMul(hm, hm, m);
    h_expnt *= 2;
    if (std::fabs(at(hm, k - 1, k - 1)) > kTwoPow128) {
      for (double& x : hm) x /= kTwoPow128;
      h_expnt += 128;
    }
  }
  // Multiply by n!/n^n. NumPy promotes p to long double at the first rescale; doing the
  // whole product in long double is at least as accurate.
  long double p = at(power, k - 1, k - 1);
  for (int64_t i = 1; i <= n; ++i) {
    p = static_cast<long double>(i) * p / static_cast<long double>(n);
    if (std::fabs(p) < kTwoPowM128) {
      p *= kTwoPow128;
      expnt -= 128;
    }
  }
  if (expnt != 0) p = std::ldexp(p, static_cast<int>(expnt));
  return Clip01(static_cast<double>(p));
}

// Column range of row i in Pomeranz's recursion (_pomeranz_compute_j1j2).
std::pair<int64_t, int64_t> PomeranzRange(int64_t i, int64_t n, int64_t ll, int64_t ceilf,
                                          int64_t roundf) {
  int64_t j1 = 0, j2 = 0;
  if (i == 0) {
    j1 = -ll - ceilf - 1;
    j2 = ll + ceilf - 1;
  } else {
    const int64_t half = (i + 1) / 2;
    if ((i + 1) % 2 == 0) {  // i odd
      if (half == n + 1) {
        j1 = n - ll - ceilf - 1;
        j2 = n + ll + ceilf - 1;
      } else {
        j1 = half - 1 - ll - roundf - 1;
        j2 = half + ll - 1 + ceilf - 1;
      }
    } else {
      j1 = half - 1 - ll - 1;
      j2 = half + ll + roundf - 1;
    }
  }
  return {std::max<int64_t>(j1 + 2, 0), std::min(j2, n)};
}

// Pomeranz's recursion (1974, CACM Algorithm 487): each row is the previous one convolved
// with (almost) Poisson probabilities; P(D_n <= d) = n! V[2n+1][n] (_kolmogn_Pomeranz).
double KolmogornPomeranzCdf(int64_t n, double x) {
  const double t = static_cast<double>(n) * x;
  const int64_t ll = static_cast<int64_t>(std::floor(t));
  const double f = t - static_cast<double>(ll);
  const double g = std::min(f, 1.0 - f);
  const int64_t ceilf = f > 0 ? 1 : 0;
  const int64_t roundf = f > 0.5 ? 1 : 0;
  const int64_t npwrs = 2 * (ll + 1);
  const size_t len = static_cast<size_t>(npwrs);
  // (g/n)^m/m!, (2g/n)^m/m!, ((1-2g)/n)^m/m!: Poisson probabilities without the e^-lambda.
  std::vector<double> gpower(len), twogpower(len), onem2gpower(len);
  gpower[0] = twogpower[0] = onem2gpower[0] = 1.0;
  const double nd = static_cast<double>(n);
  const double g_over_n = g / nd, two_g_over_n = 2 * g / nd,
               one_minus_two_g_over_n = (1 - 2 * g) / nd;
  for (size_t m = 1; m < len; ++m) {
    gpower[m] = gpower[m - 1] * g_over_n / static_cast<double>(m);
    twogpower[m] = twogpower[m - 1] * two_g_over_n / static_cast<double>(m);
    onem2gpower[m] = onem2gpower[m - 1] * one_minus_two_g_over_n / static_cast<double>(m);
  }

  std::vector<double> v0(len, 0.0), v1(len, 0.0);
  v1[0] = 1;
  int64_t v0s = 0, v1s = 0;  // column index of each row's first stored entry
  int64_t expnt = 0;
  auto [j1, j2] = PomeranzRange(0, n, ll, ceilf, roundf);
  for (int64_t i = 1; i < 2 * n + 2; ++i) {
    const int64_t k1 = j1;
    std::swap(v0, v1);
    std::swap(v0s, v1s);
    std::fill(v1.begin(), v1.end(), 0.0);
    std::tie(j1, j2) = PomeranzRange(i, n, ll, ceilf, roundf);
    const std::vector<double>& pwrs =
        (i == 1 || i == 2 * n + 1) ? gpower : (i % 2 ? twogpower : onem2gpower);
    const int64_t ln2 = j2 - k1 + 1;
    if (ln2 > 0) {
      // conv = numpy.convolve(v0[k1 - v0s : k1 - v0s + ln2], pwrs[:ln2]); keep entries
      // j1 - k1 .. j2 - k1. Slices past the end are shorter, i.e. zero beyond.
      const int64_t a0 = k1 - v0s;
      assert(a0 >= 0);
      const int64_t a_len = std::min(ln2, npwrs - a0);
      const int64_t b_len = std::min(ln2, npwrs);
      const int64_t conv_start = j1 - k1, conv_len = j2 - j1 + 1;
      double vmax = 0;
      for (int64_t c = 0; c < conv_len; ++c) {
        const int64_t kk = conv_start + c;
        double s = 0;
        for (int64_t a = std::max<int64_t>(0, kk - b_len + 1); a <= std::min(kk, a_len - 1); ++a) {
          s += v0[static_cast<size_t>(a0 + a)] * pwrs[static_cast<size_t>(kk - a)];
        }
        v1[static_cast<size_t>(c)] = s;
        vmax = std::max(vmax, s);
      }
      if (0 < vmax && vmax < kTwoPowM128) {  // rescale to avoid underflow
        for (double& e : v1) e *= kTwoPow128;
        expnt -= 128;
      }
      v1s = v0s + j1 - k1;
    }
  }
  long double ans = v1[static_cast<size_t>(n - v1s)];
  for (int64_t m = 1; m <= n; ++m) {  // times n!
    if (std::fabs(ans) > kTwoPow128) {
      ans *= kTwoPowM128;
      expnt += 128;
    }
    ans *= static_cast<long double>(m);
  }
  if (expnt != 0) ans = std::ldexp(ans, static_cast<int>(expnt));
  return Clip01(static_cast<double>(ans));
}

// Pelz & Good (1976, JRSS B 38(2)): Li-Chien/Korolyuk's expansion
// K0(z) + K1(z)/sqrt(n) + K2(z)/n + K3(z)/n^1.5, z = sqrt(n) x, with each K_i transformed by
// the Jacobi theta identity into a series that converges fast for small z (_kolmogn_PelzGood).
double KolmogornPelzGoodCdf(int64_t n, double x) {
  if (x <= 0.0) return 0.0;
  if (x >= 1.0) return 1.0;
  const double nd = static_cast<double>(n);
  const double z = std::sqrt(nd) * x;
  const double z2 = z * z, z3 = z2 * z, z4 = z2 * z2, z6 = z4 * z2;
  const double pi2 = kPi * kPi, pi4 = pi2 * pi2, pi6 = pi4 * pi2;

  const double qlog = -pi2 / 8 / z2;
  if (qlog < -708) return 0.0;  // z < ~0.0417
  double q = std::exp(qlog);

  const double k1a = -z2, k1b = pi2 / 4;
  const double k2a = 6 * z6 + 2 * z4, k2b = (2 * z4 - 5 * z2) * pi2 / 4,
               k2c = pi4 * (1 - 2 * z2) / 16;
  const double k3d = pi6 * (5 - 30 * z2) / 64, k3c = pi4 * (-60 * z2 + 212 * z4) / 16,
               k3b = pi2 * (135 * z4 - 96 * z6) / 4, k3a = -30 * z6 - 90 * std::pow(z, 8);

  double k[4] = {0, 0, 0, 0};
  // Horner over odd m = 2k-1 of c_m q^(m^2).
  const int64_t maxk = static_cast<int64_t>(std::ceil(16 * z / kPi));
  for (int64_t kk = maxk; kk > 0; --kk) {
    const double m = static_cast<double>(2 * kk - 1);
    const double m2 = m * m, m4 = m2 * m2, m6 = m4 * m2;
    const double qpower = std::pow(q, static_cast<double>(8 * kk));
    const double coeffs[4] = {1.0, k1a + k1b * m2, k2a + k2b * m2 + k2c * m4,
                              k3a + k3b * m2 + k3c * m4 + k3d * m6};
    for (int i = 0; i < 4; ++i) k[i] = k[i] * qpower + coeffs[i];
  }
  const double sqrt2pi = std::sqrt(2 * kPi);
  const double denom[4] = {z, 6 * z4, 72 * std::pow(z, 7), 6480 * std::pow(z, 10)};
  for (int i = 0; i < 4; ++i) k[i] = k[i] * q * sqrt2pi / denom[i];

  // The sums over all integers k for K2 and K3 (no cancellation to fear).
  q = std::exp(-pi2 / 2 / z2);
  const double sqrt3z = std::sqrt(3.0) * z;
  double k2extra = 0, k3extra = 0;
  for (int64_t kk = maxk; kk > 0; --kk) {
    const double kd = static_cast<double>(kk);
    const double qp = std::pow(q, kd * kd);
    const double kspi = kPi * kd;
    k2extra += kd * kd * qp;
    k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * kd * kd * qp;
  }
  k[2] += k2extra * pi2 * sqrt2pi / (-36 * z3);
  k[3] += k3extra * pi2 * sqrt2pi / (216 * z6);
  double sum = 0;
  for (int i = 0; i < 4; ++i) sum += k[i] / std::pow(nd, i / 2.0);
  return sum;
}

// Smirnov's sum term's log|.| and sign: C(n,v) (x + v/n)^(v-1) (1 - x - v/n)^(n-v), with
// n x = nxfl + alpha split exactly so the bases lose nothing to cancellation.
long double SmirnovTerm(int64_t n, int64_t v, int64_t nxfl, long double alpha,
                        long double log_n_factorial) {
  const long double nd = static_cast<long double>(n);
  const long double base1 = (static_cast<long double>(nxfl + v) + alpha) / nd;      // x + v/n
  const long double base2 = (static_cast<long double>(n - v - nxfl) - alpha) / nd;  // 1-x-v/n
  long double log_term = log_n_factorial - LogGamma(static_cast<long double>(v + 1)) -
                         LogGamma(static_cast<long double>(n - v + 1));
  double sign = 1;
  if (v - 1 != 0) log_term += static_cast<long double>(v - 1) * std::log(std::fabs(base1));
  if (n - v != 0) {
    log_term += static_cast<long double>(n - v) * std::log(std::fabs(base2));
    if (base2 < 0 && (n - v) % 2 == 1) sign = -1;
  }
  return sign * std::exp(log_term);
}

}  // namespace

double NormalCdf(double x) {
  if (std::isnan(x)) return kNaN;
  // Cephes ndtr: erf near 0, erfc elsewhere so the lower tail is never 1 - (1 - tiny).
  const double t = x * kSqrt1_2;
  const double z = std::fabs(t);
  if (z < kSqrt1_2) return 0.5 + 0.5 * std::erf(t);
  const double y = 0.5 * std::erfc(z);
  return t > 0 ? 1.0 - y : y;
}

double NormalSf(double x) { return NormalCdf(-x); }

double RegularizedGammaQ(double a, double x) {
  if (std::isnan(a) || std::isnan(x) || !(a > 0) || std::isinf(a) || x < 0) return kNaN;
  if (x == 0) return 1.0;
  if (std::isinf(x)) return 0.0;
  constexpr int kMaxIterations = 10'000'000;  // both loops need O(sqrt(a)) steps
  constexpr long double kEps = LDBL_EPSILON;
  const long double al = a, xl = x;
  // log(x^a e^-x / Gamma(a)); in long double because its terms cancel when x ~ a is large.
  const long double log_prefactor = al * std::log(xl) - xl - LogGamma(al);
  if (x < a + 1) {
    // P(a, x) = prefactor * sum_{k>=0} x^k / (a (a+1) ... (a+k)); then Q = 1 - P, which is
    // at least ~0.4 here, so the subtraction costs no relative accuracy.
    long double ap = al, term = 1 / al, sum = term;
    for (int i = 0; i < kMaxIterations; ++i) {
      ap += 1;
      term *= xl / ap;
      sum += term;
      if (std::fabs(term) < std::fabs(sum) * kEps) break;
    }
    return Clip01(static_cast<double>(1 - sum * std::exp(log_prefactor)));
  }
  // Q(a, x) = prefactor / (x + 1 - a - 1 (1 - a) / (x + 3 - a - 2 (2 - a) / (x + 5 - a - ...)))
  // by the modified Lentz method.
  constexpr long double kTiny = LDBL_MIN / LDBL_EPSILON;
  long double b = xl + 1 - al, c = 1 / kTiny, d = 1 / b, h = d;
  for (int i = 1; i < kMaxIterations; ++i) {
    const long double an = -static_cast<long double>(i) * (static_cast<long double>(i) - al);
    b += 2;
    d = an * d + b;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = b + an / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1 / d;
    const long double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1) < kEps) break;
  }
  // exp of the sum of logs, so a result in the subnormal range keeps what precision it can.
  return Clip01(static_cast<double>(std::exp(log_prefactor + std::log(h))));
}

double ChiSquaredSf(double x, double dof) {
  if (std::isnan(x) || std::isnan(dof) || !(dof > 0)) return kNaN;
  if (x <= 0) return 1.0;
  return RegularizedGammaQ(dof / 2, x / 2);
}

double KolmogorovSf(double x) {
  if (std::isnan(x)) return kNaN;
  // Below pi / sqrt(8 * 746) ~ 0.0406 the first term of the small-x series underflows.
  if (x <= kPi / std::sqrt(746.0 * 8)) return 1.0;
  double sf;
  if (x <= 0.82) {
    // CDF = w u (1 + u^8 + u^24 + u^48 + ...), u = exp(-pi^2 / (8 x^2)), w = sqrt(2 pi) / x.
    const double w = std::sqrt(2 * kPi) / x;
    const double logu8 = -kPi * kPi / (x * x);
    const double u = std::exp(logu8 / 8);
    double cdf;
    if (u == 0) {
      cdf = std::exp(logu8 / 8 + std::log(w));
    } else {
      const double u8 = std::exp(logu8);
      const double u8cub = std::pow(u8, 3);
      double p = 1.0;
      p = 1 + u8cub * p;
      p = 1 + u8 * u8 * p;
      p = 1 + u8 * p;
      cdf = w * u * p;
    }
    sf = 1 - cdf;
  } else {
    // SF = 2 (v - v^4 + v^9 - v^16 + ...) = 2v (1 - v^3 (1 - v^5 (1 - v^7 ...))),
    // v = exp(-2 x^2); four terms reach double precision for x > 0.82.
    const double v = std::exp(-2 * x * x);
    const double vsq = v * v, v3 = std::pow(v, 3);
    double p = 1.0;
    p = 1 - v3 * v3 * v * p;
    p = 1 - v3 * vsq * p;
    p = 1 - v3 * p;
    sf = 2 * v * p;
  }
  return Clip01(sf);
}

double SmirnovSf(int64_t n, double d) {
  if (!(n > 0 && d >= 0.0 && d <= 1.0)) return kNaN;
  if (n == 1) return 1 - d;
  if (d == 0.0) return 1.0;
  if (d == 1.0) return 0.0;
  const double nd = static_cast<double>(n);

  // floor(n d) and its remainder alpha, exactly: n d = hi + lo with lo from an FMA.
  const double nx_hi = nd * d;
  const double nx_lo = std::fma(nd, d, -nx_hi);
  double floor_nx = std::floor(nx_hi);
  long double alpha = static_cast<long double>(nx_hi - floor_nx) + nx_lo;
  if (alpha < 0) {
    floor_nx -= 1;
    alpha += 1;
  }
  if (static_cast<double>(alpha) >= 1) {  // a remainder that rounds to 1 is 0 (SciPy's modNX)
    floor_nx += 1;
    alpha = 0;
  }
  const int64_t nxfl = static_cast<int64_t>(floor_nx);
  const bool alpha_zero = static_cast<double>(alpha) == 0;
  // Last term of the lower sum and first of the upper; a zero remainder drops the term
  // where 1 - x - v/n = 0 from both.
  int64_t n1mxfl = n - nxfl - (alpha_zero ? 0 : 1);
  int64_t n1mxceil = n - nxfl;
  if (alpha_zero) {
    n1mxfl -= 1;
    n1mxceil += 1;
  }

  // d <= 1/n: CDF = d (1 + d)^(n-1).
  if (nxfl == 0 || (nxfl == 1 && alpha_zero)) {
    const long double t =
        std::exp(static_cast<long double>(n - 1) * std::log1p(static_cast<long double>(d)));
    return static_cast<double>(1 - d * t);
  }
  // The SF is below the smallest double.
  if (-2 * nd * d * d < kCephesMinLog) return 0.0;
  // d >= 1 - 1/n: SF = (1 - d)^n.
  if (nxfl >= n - 1) {
    return static_cast<double>(std::exp(nd * std::log1p(-static_cast<long double>(d))));
  }
  // Too many terms: p ~ exp(-(6 n d + 1)^2 / (18 n)), as SciPy (SMIRNOV_MAX_COMPUTE_N).
  if (n > 1'000'000) {
    const double logp = -std::pow(6.0 * nd * d + 1, 2) / 18.0 / nd;
    return logp < -std::numbers::ln2 ? std::exp(logp) : 1 - (-std::expm1(logp));
  }

  // The upper sum (for the CDF) alternates in sign and loses ~1.6 bits per term, so it is
  // used only when it has at most 3 terms (SciPy's SM_UPPER_MAX_TERMS / SM_UPPERSUM_MIN_N).
  const int64_t n_upper_terms = n - n1mxceil + 1;
  const bool use_upper = (n_upper_terms <= 1 && d < 0.5) ||
                         (n >= 10 && n_upper_terms <= 3 && d <= 0.5 / std::sqrt(nd));
  const int64_t start = use_upper ? n : 0;
  const int64_t step = use_upper ? -1 : 1;
  const int64_t n_terms = use_upper ? n_upper_terms : n1mxfl + 1;
  const long double log_n_factorial = LogGamma(nd + 1);
  const int64_t vmid = n / 2;
  long double sum = 0;
  for (int64_t j = 0; j < n_terms; ++j) {
    const int64_t v = start + j * step;
    const long double term = SmirnovTerm(n, v, nxfl, alpha, log_n_factorial);
    sum += term;
    // Stop once the remaining terms cannot matter (as SciPy: the terms fall off fast).
    if (term != 0) {
      if (j != 0 && j != n_terms - 1 &&
          4 * static_cast<long double>(n_terms - j) * std::fabs(term) < DBL_EPSILON * sum) {
        break;
      }
    } else if (j > vmid) {
      break;
    }
  }
  const double prob = static_cast<double>(d * sum);
  return Clip01(use_upper ? 1 - prob : prob);
}

double KolmogorovSmirnovSf(int64_t n, double d) {
  if (n < 1 || std::isnan(d)) return kNaN;
  const double nd = static_cast<double>(n);
  // kstwo's support is (1/(2n), 1); rv_continuous.sf gives 1 at or below it, 0 above.
  if (d <= 0.5 / nd) return 1.0;
  if (d >= 1.0) return 0.0;
  // _kolmogn(n, d, cdf=False), branch for branch.
  const double t = nd * d;
  if (t <= 1.0) {  // Ruben-Gambino: CDF = n!/n^n (2t - 1)^n for 1/(2n) < d <= 1/n
    double cdf;
    if (n <= 140) {
      cdf = 1.0;
      for (int64_t i = 1; i <= n; ++i) cdf *= static_cast<double>(i) * (1.0 / nd) * (2 * t - 1);
    } else {
      cdf = std::exp(LogNFactorialDivNPowN(nd) + nd * std::log(2 * t - 1));
    }
    return Clip01(1.0 - cdf);
  }
  if (t >= nd - 1) return Clip01(2 * std::pow(1.0 - d, nd));  // Ruben-Gambino
  // For d >= 1/2, D+ and D- cannot both reach d: P(D >= d) = 2 P(D+ >= d) exactly.
  if (d >= 0.5) return Clip01(2 * SmirnovSf(n, d));
  const double nxsquared = t * d;
  if (n <= 140) {
    if (nxsquared <= 0.754693) return Clip01(1.0 - KolmogornDurbinCdf(n, d));
    if (nxsquared <= 4) return Clip01(1.0 - KolmogornPomeranzCdf(n, d));
    return Clip01(2 * SmirnovSf(n, d));  // Miller's approximation
  }
  if (nxsquared >= 370.0) return 0.0;
  if (nxsquared >= 2.2) return Clip01(2 * SmirnovSf(n, d));
  double cdf;
  if (n <= 100000 && nd * std::pow(d, 1.5) <= 1.4) {
    cdf = KolmogornDurbinCdf(n, d);
  } else {
    cdf = KolmogornPelzGoodCdf(n, d);
  }
  return Clip01(1.0 - cdf);
}

}  // namespace mlloop::stats
