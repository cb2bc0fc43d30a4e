// Distribution functions behind the p-values in stats/: the normal, chi-squared and
// Kolmogorov-Smirnov tails. Each one matches a named SciPy 1.10 function; the tests compare
// with values SciPy computed (tests/stats/fixtures/tests_scipy.json).
//
// Survival functions are computed directly, never as 1 - cdf, so that p-values far in the
// tail keep their relative accuracy. Where the true value is below the smallest double the
// result is 0 (or a subnormal); finite valid input never gives NaN.
// Invalid input (NaN, a negative shape, n < 1) gives NaN, as in SciPy: these are programmer
// errors, and the tests in stats/ validate their input before calling.
//
// Thread-safety: pure functions (no global state; lgamma is called through its reentrant
// form because plain lgamma writes the global `signgam`).
#pragma once

#include <cstdint>

namespace mlloop::stats {

// Standard normal CDF, Phi(x) = erfc(-x / sqrt 2) / 2. Accurate in the lower tail down to
// the smallest subnormal (Phi(-38) ~ 3e-316); 0 below that, 1 above x ~ 8.3.
// Matches scipy.special.ndtr / scipy.stats.norm.cdf.
double NormalCdf(double x);

// Standard normal survival function 1 - Phi(x), computed as Phi(-x) so the upper tail keeps
// its relative accuracy. Matches scipy.stats.norm.sf.
double NormalSf(double x);

// Regularized upper incomplete gamma function Q(a, x) = Gamma(a, x) / Gamma(a), for
// a > 0, x >= 0: the series for P = 1 - Q when x < a + 1, otherwise the continued fraction
// for Q (Numerical Recipes, 3rd ed., 6.2; Lentz's method). The prefactor
// x^a e^-x / Gamma(a) is formed in long double, so its exponent (which cancels heavily
// when x ~ a is large) costs no accuracy. Q(a, 0) = 1, Q(a, +inf) = 0.
// Matches scipy.special.gammaincc (Cephes igamc) within 1e-12 relative; the largest gaps
// (4e-13, at a = 1000) come from igamc forming that prefactor in double.
double RegularizedGammaQ(double a, double x);

// Chi-squared survival function with `dof` > 0 degrees of freedom: Q(dof / 2, x / 2).
// x <= 0 gives 1. Matches scipy.stats.chi2.sf / scipy.special.chdtrc.
double ChiSquaredSf(double x, double dof);

// Survival function of Kolmogorov's limiting distribution, P(K > x) where
// K = lim sqrt(n) D_n: 2 sum_{k>=1} (-1)^(k-1) exp(-2 k^2 x^2) for x > 0.82, and
// 1 - sqrt(2 pi)/x sum_{k>=1} exp(-(2k-1)^2 pi^2 / (8 x^2)) below (the Jacobi theta
// transform, which converges fast there). x <= 0 gives 1. Matches scipy.special.kolmogorov
// (Cephes kolmogorov.c as rewritten for SciPy 1.2; van Mulbregt, arXiv:1803.00426).
double KolmogorovSf(double x);

// Exact one-sided Kolmogorov-Smirnov survival function P(D_n^+ >= d) for a sample of n,
// by the Smirnov / Birnbaum-Tingey sum
//   d * sum_{v=0}^{floor(n(1-d))} C(n, v) (d + v/n)^(v-1) (1 - d - v/n)^(n-v)
// (or its complement from the few upper terms when that is shorter), each term formed in
// long double via log-gamma. n > 1e6 uses the approximation exp(-(6nd + 1)^2 / (18n)),
// as SciPy does. d outside [0, 1] or n < 1 gives NaN. Matches scipy.special.smirnov
// (Cephes kolmogorov.c, which sums in double-double; van Mulbregt, arXiv:1802.06966) to
// ~2e-15 relative for n <= 1e4 and ~1.3e-14 at n = 1e5. Cost O(n): ~0.4 ms per 1000 n.
double SmirnovSf(int64_t n, double d);

// Exact two-sided one-sample Kolmogorov-Smirnov survival function P(D_n >= d), chosen per
// (n, d) as Simard & L'Ecuyer (2011, J. Stat. Softw. 39(11)) recommend: Ruben-Gambino
// closed forms near the ends, Durbin's matrix (Marsaglia-Tsang-Wang), Pomeranz's recursion,
// Pelz-Good's asymptotic series, or 2 * SmirnovSf. d <= 1/(2n) gives 1, d >= 1 gives 0.
// This is what scipy.stats.ks_2samp(method='asymp') evaluates at n = round(n1 n2 / (n1+n2)).
// Matches scipy.stats.kstwo.sf(d, n) (scipy/stats/_ksstats.py).
// REQUIRES: n >= 1 (n < 1 gives NaN).
double KolmogorovSmirnovSf(int64_t n, double d);

}  // namespace mlloop::stats
