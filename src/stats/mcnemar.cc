#include "stats/mcnemar.h"

#include <algorithm>
#include <cmath>
#include <numbers>
#include <string>

#include "stats/special_functions.h"

namespace mlloop::stats {

namespace {

// Stirling's error, ln(n!) - [(n + 1/2) ln n - n + ln sqrt(2 pi)], for integer n >= 0:
// a table up to 15 (values computed to 25 digits from ln n! with Python's decimal module;
// they agree with R's stirlerr.c), the asymptotic series 1/(12n) - 1/(360n^3) + ... above,
// truncated where it is exact to double precision (Loader 2000).
double StirlingError(double n) {
  static constexpr double kTable[16] = {
      0.0,  // n = 0 (unused: x = 0 and x = n are handled apart)
      0.0810614667953272582196702,
      0.0413406959554092940938221,
      0.0276779256849983391487893,
      0.0207906721037650931115224,
      0.0166446911898211921631948,
      0.0138761288230707479987457,
      0.0118967099458917700950557,
      0.0104112652619720964974786,
      0.0092554621827127329177286,
      0.0083305634333628712564693,
      0.0075736754879518407949720,
      0.0069428401072095298656641,
      0.0064089941880042070684396,
      0.0059513701127588477356244,
      0.0055547335519628013710386,
  };
  constexpr double kS0 = 1.0 / 12, kS1 = 1.0 / 360, kS2 = 1.0 / 1260, kS3 = 1.0 / 1680,
                   kS4 = 1.0 / 1188;
  if (n <= 15) return kTable[static_cast<int>(n)];
  const double nn = n * n;
  if (n > 500) return (kS0 - kS1 / nn) / n;
  if (n > 80) return (kS0 - (kS1 - kS2 / nn) / nn) / n;
  if (n > 35) return (kS0 - (kS1 - (kS2 - kS3 / nn) / nn) / nn) / n;
  return (kS0 - (kS1 - (kS2 - (kS3 - kS4 / nn) / nn) / nn) / nn) / n;
}

// Loader's deviance term x ln(x / np) + np - x, by its series when x is near np (where the
// closed form cancels).
double Bd0(double x, double np) {
  if (std::fabs(x - np) < 0.1 * (x + np)) {
    double v = (x - np) / (x + np);
    double s = (x - np) * v;
    double ej = 2 * x * v;
    v *= v;
    for (int j = 1; j < 1000; ++j) {
      ej *= v;
      const double next = s + ej / (2 * j + 1);
      if (next == s) return next;
      s = next;
    }
  }
  return x * std::log(x / np) + np - x;
}

// P(X = x) for X ~ Binomial(n, 1/2), by Loader's saddle-point form (R's dbinom_raw).
double BinomialHalfPmf(double x, double n) {
  if (x == 0 || x == n) return std::ldexp(1.0, -static_cast<int>(std::min(n, 2000.0)));
  const double lc = StirlingError(n) - StirlingError(x) - StirlingError(n - x) - Bd0(x, n / 2) -
                    Bd0(n - x, n / 2);
  const double lf = std::log(2 * std::numbers::pi) + std::log(x) + std::log1p(-x / n);
  return std::exp(lc - 0.5 * lf);
}

// Two-sided p-value of the binomial test of k successes in n at p = 1/2:
// min(1, 2 P(X <= min(k, n - k))).
double BinomialHalfTwoSided(size_t k, size_t n) {
  const size_t low = std::min(k, n - k);
  if (2 * low >= n) return 1.0;  // k == n / 2: the most likely outcome
  // P(X = i - 1) = P(X = i) * i / (n - i + 1): the terms fall as i goes down from low < n/2.
  const double nd = static_cast<double>(n);
  double term = BinomialHalfPmf(static_cast<double>(low), nd);
  double sum = term;
  for (size_t i = low; i > 0 && term > sum * 1e-18; --i) {
    term *= static_cast<double>(i) / (nd - static_cast<double>(i) + 1);
    sum += term;
  }
  return std::min(1.0, 2 * sum);
}

}  // namespace

Result<PairedCorrectness> CountPairedCorrectness(std::span<const uint8_t> champion_correct,
                                                 std::span<const uint8_t> candidate_correct) {
  if (champion_correct.size() != candidate_correct.size()) {
    return Status::InvalidArgument(
        "CountPairedCorrectness: champion and candidate differ in size (" +
        std::to_string(champion_correct.size()) + " vs " +
        std::to_string(candidate_correct.size()) + ")");
  }
  if (champion_correct.empty()) {
    return Status::InvalidArgument("CountPairedCorrectness: no rows; expected at least one");
  }
  PairedCorrectness t;
  for (size_t i = 0; i < champion_correct.size(); ++i) {
    const uint8_t a = champion_correct[i], b = candidate_correct[i];
    if (a > 1 || b > 1) {
      return Status::InvalidArgument("CountPairedCorrectness: row " + std::to_string(i) +
                                     " has correctness " + std::to_string(a > 1 ? a : b) +
                                     "; expected 0 (wrong) or 1 (right)");
    }
    if (a && b) {
      ++t.both_right;
    } else if (a) {
      ++t.only_champion_right;
    } else if (b) {
      ++t.only_candidate_right;
    } else {
      ++t.both_wrong;
    }
  }
  return t;
}

Result<McNemarResult> McNemarTest(const PairedCorrectness& table, McNemarMethod method) {
  const size_t b = table.only_champion_right, c = table.only_candidate_right;
  const size_t rows = table.both_right + b + c + table.both_wrong;
  if (rows == 0) {
    return Status::InvalidArgument("McNemarTest: the table is empty; expected at least one row");
  }
  McNemarResult r;
  r.method = method;
  r.discordant = b + c;
  r.accuracy_difference =
      (static_cast<double>(c) - static_cast<double>(b)) / static_cast<double>(rows);
  if (r.discordant == 0) return r;  // statistic 0, p-value 1: no evidence either way
  const double n = static_cast<double>(r.discordant);
  const double gap = std::fabs(static_cast<double>(b) - static_cast<double>(c));
  switch (method) {
    case McNemarMethod::kExact:
      r.statistic = static_cast<double>(std::min(b, c));
      r.p_value = BinomialHalfTwoSided(b, r.discordant);
      break;
    case McNemarMethod::kChiSquared:
      r.statistic = gap * gap / n;
      r.p_value = ChiSquaredSf(r.statistic, 1);
      break;
    case McNemarMethod::kChiSquaredCorrected: {
      const double corrected = std::max(gap - 1, 0.0);
      r.statistic = corrected * corrected / n;
      r.p_value = ChiSquaredSf(r.statistic, 1);
      break;
    }
  }
  return r;
}

}  // namespace mlloop::stats
