#include "stats/delong.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <vector>

#include "core/format.h"
#include "stats/special_functions.h"

namespace mlloop::stats {

namespace {

// Upper-tail standard normal quantile: the x with 1 - Phi(x) = tail, for 0 < tail <= 1/2.
// Wichura's algorithm AS 241 (PPND16, Appl. Statist. 37(3):477-484, 1988), relative error
// about 1e-16, evaluated on the tail itself so that a level of 0.999999 loses nothing to
// forming 1 - tail.
double NormalUpperQuantile(double tail) {
  auto poly = [](const double* c, double x) {
    double r = 0;
    for (int k = 7; k >= 0; --k) r = r * x + c[k];
    return r;
  };
  static constexpr double kA[8] = {3.3871328727963666080e0,  1.3314166789178437745e+2,
                                   1.9715909503065514427e+3, 1.3731693765509461125e+4,
                                   4.5921953931549871457e+4, 6.7265770927008700853e+4,
                                   3.3430575583588128105e+4, 2.5090809287301226727e+3};
  static constexpr double kB[8] = {1.0,
                                   4.2313330701600911252e+1,
                                   6.8718700749205790830e+2,
                                   5.3941960214247511077e+3,
                                   2.1213794301586595867e+4,
                                   3.9307895800092710610e+4,
                                   2.8729085735721942674e+4,
                                   5.2264952788528545610e+3};
  static constexpr double kC[8] = {1.42343711074968357734e0,  4.63033784615654529590e0,
                                   5.76949722146069140550e0,  3.64784832476320460504e0,
                                   1.27045825245236838258e0,  2.41780725177450611770e-1,
                                   2.27238449892691845833e-2, 7.74545014278341407640e-4};
  static constexpr double kD[8] = {1.0,
                                   2.05319162663775882187e0,
                                   1.67638483018380384940e0,
                                   6.89767334985100004550e-1,
                                   1.48103976427480074590e-1,
                                   1.51986665636164571966e-2,
                                   5.47593808499534494600e-4,
                                   1.05075007164441684324e-9};
  static constexpr double kE[8] = {6.65790464350110377720e0,  5.46378491116411436990e0,
                                   1.78482653991729133580e0,  2.96560571828504891230e-1,
                                   2.65321895265761230930e-2, 1.24266094738807843860e-3,
                                   2.71155556874348757815e-5, 2.01033439929228813265e-7};
  static constexpr double kF[8] = {1.0,
                                   5.99832206555887937690e-1,
                                   1.36929880922735805310e-1,
                                   1.48753612908506148525e-2,
                                   7.86869131145613259100e-4,
                                   1.84631831751005468180e-5,
                                   1.42151175831644588870e-7,
                                   2.04426310338993978564e-15};
  const double q = 0.5 - tail;  // >= 0: the upper half
  if (q <= 0.425) {
    const double r = 0.180625 - q * q;
    return q * poly(kA, r) / poly(kB, r);
  }
  double r = std::sqrt(-std::log(tail));
  if (r <= 5) {
    r -= 1.6;
    return poly(kC, r) / poly(kD, r);
  }
  r -= 5;
  return poly(kE, r) / poly(kF, r);
}

// Mid-ranks (1-based; tied values share the mean of the ranks they span) of values[idx[k]],
// written to ranks[k]. Algorithm 1 of Sun & Xu (2014). `order` is scratch.
void MidRanks(std::span<const float> values, std::span<const size_t> idx,
              std::vector<double>& ranks, std::vector<size_t>& order) {
  const size_t n = idx.size();
  order.resize(n);
  ranks.resize(n);
  std::iota(order.begin(), order.end(), size_t{0});
  std::sort(order.begin(), order.end(),
            [&](size_t a, size_t b) { return values[idx[a]] < values[idx[b]]; });
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && values[idx[order[j]]] == values[idx[order[i]]]) ++j;
    // Ranks i+1 .. j averaged; exact in double for any realistic n.
    const double mid = 0.5 * static_cast<double>(i + j + 1);
    for (size_t k = i; k < j; ++k) ranks[order[k]] = mid;
    i = j;
  }
}

// Sample variance (divisor size - 1), two-pass. REQUIRES: x.size() >= 2.
double SampleVariance(const std::vector<double>& x) {
  double mean = 0;
  for (double v : x) mean += v;
  mean /= static_cast<double>(x.size());
  double ss = 0;
  for (double v : x) ss += (v - mean) * (v - mean);
  return ss / static_cast<double>(x.size() - 1);
}

// One model's AUC and its structural components, kept as counts: for each positive the
// number of negatives it outranks, n V10_i = Z_i - X_i^rank; for each negative the number of
// positives that outrank it, m V01_j = m - (Z_j - Y_j^rank) (ties count 1/2 in both).
// Algorithm 2 of Sun & Xu (2014). Mid-ranks are multiples
// of 1/2, so these counts, their differences between models and their sums are exact: a
// component difference that is constant over rows then has a variance of exactly 0.
struct Components {
  double auc = 0;
  double rank_sum = 0;        // sum of the positives' mid-ranks among all rows
  std::vector<double> above;  // per positive: n V10_i
  std::vector<double> below;  // per negative: m V01_j
};

Components ComponentsOf(std::span<const float> scores, std::span<const size_t> positives,
                        std::span<const size_t> negatives) {
  const size_t m = positives.size(), n = negatives.size();
  std::vector<size_t> all(positives.begin(), positives.end());
  all.insert(all.end(), negatives.begin(), negatives.end());
  std::vector<double> tz, tx, ty;
  std::vector<size_t> scratch;
  MidRanks(scores, all, tz, scratch);
  MidRanks(scores, positives, tx, scratch);
  MidRanks(scores, negatives, ty, scratch);
  const double md = static_cast<double>(m), nd = static_cast<double>(n);
  Components c;
  c.above.resize(m);
  c.below.resize(n);
  for (size_t i = 0; i < m; ++i) {
    c.rank_sum += tz[i];
    c.above[i] = tz[i] - tx[i];
  }
  for (size_t j = 0; j < n; ++j) c.below[j] = md - (tz[m + j] - ty[j]);
  c.auc = (c.rank_sum - md * (md + 1) / 2) / (md * nd);
  return c;
}

// DeLong variance from the count components: S10 / m + S01 / n with V10 = above / n and
// V01 = below / m.
double DeLongVariance(const std::vector<double>& above, const std::vector<double>& below) {
  const double m = static_cast<double>(above.size()), n = static_cast<double>(below.size());
  return SampleVariance(above) / (n * n) / m + SampleVariance(below) / (m * m) / n;
}

std::string Where(const char* function) { return std::string(function) + ": "; }

Status CheckLevel(const char* function, double level) {
  if (!(level > 0 && level < 1)) {
    return Status::InvalidArgument(Where(function) + "level must be in (0, 1), got " +
                                   core::FormatShortest(level));
  }
  return Status::Ok();
}

// Validates labels and scores; fills the row indices of each class.
Status SplitClasses(const char* function, std::span<const float> labels,
                    std::span<const std::span<const float>> scores, std::vector<size_t>& positives,
                    std::vector<size_t>& negatives) {
  for (const auto& s : scores) {
    if (s.size() != labels.size()) {
      return Status::InvalidArgument(Where(function) + "labels and scores differ in size (" +
                                     std::to_string(labels.size()) + " vs " +
                                     std::to_string(s.size()) + ")");
    }
  }
  for (size_t i = 0; i < labels.size(); ++i) {
    if (labels[i] == 1.0f) {
      positives.push_back(i);
    } else if (labels[i] == 0.0f) {
      negatives.push_back(i);
    } else {
      return Status::InvalidArgument(Where(function) + "label at row " + std::to_string(i) +
                                     " is " + core::FormatShortest(labels[i]) + "; expected 0 or 1");
    }
    for (const auto& s : scores) {
      if (std::isnan(s[i])) {
        return Status::InvalidArgument(Where(function) + "score at row " + std::to_string(i) +
                                       " is NaN; expected a number");
      }
    }
  }
  if (positives.size() < 2 || negatives.size() < 2) {
    return Status::InvalidArgument(
        Where(function) + "needs at least 2 positives and 2 negatives, got " +
        std::to_string(positives.size()) + " and " + std::to_string(negatives.size()));
  }
  return Status::Ok();
}

}  // namespace

Result<DeLongResult> DeLongTest(std::span<const float> labels,
                                std::span<const float> champion_scores,
                                std::span<const float> candidate_scores, double level) {
  MLLOOP_RETURN_IF_ERROR(CheckLevel("DeLongTest", level));
  std::vector<size_t> positives, negatives;
  const std::span<const float> both[] = {champion_scores, candidate_scores};
  MLLOOP_RETURN_IF_ERROR(SplitClasses("DeLongTest", labels, both, positives, negatives));
  const Components a = ComponentsOf(champion_scores, positives, negatives);
  Components b = ComponentsOf(candidate_scores, positives, negatives);
  for (size_t i = 0; i < b.above.size(); ++i) b.above[i] -= a.above[i];
  for (size_t j = 0; j < b.below.size(); ++j) b.below[j] -= a.below[j];

  DeLongResult r;
  r.champion_auc = a.auc;
  r.candidate_auc = b.auc;
  r.difference = b.auc - a.auc;
  r.variance = DeLongVariance(b.above, b.below);
  r.std_error = std::sqrt(r.variance);
  r.level = level;
  r.positives = positives.size();
  r.negatives = negatives.size();
  if (r.variance == 0) {
    // Every positive and every negative moves by the same amount between the models (the
    // counts are exact, so this is exactly 0, never rounding noise). With no move at all
    // the models are indistinguishable; a uniform non-zero move has no sampling variance
    // to measure it against.
    if (a.rank_sum != b.rank_sum) {
      return Status::InvalidArgument(
          "DeLongTest: the DeLong variance is 0 but the AUCs differ (champion " +
          core::FormatShortest(r.champion_auc) + ", candidate " + core::FormatShortest(r.candidate_auc) +
          "); the test is not computable");
    }
    r.difference = 0;
    r.statistic = 0;
    r.p_value = 1;
    r.lower = r.upper = 0;
    return r;
  }
  r.statistic = r.difference / r.std_error;
  r.p_value = std::min(1.0, 2 * NormalSf(std::fabs(r.statistic)));
  const double half = NormalUpperQuantile((1 - level) / 2) * r.std_error;
  r.lower = std::max(-1.0, r.difference - half);
  r.upper = std::min(1.0, r.difference + half);
  return r;
}

Result<AucInterval> AucConfidenceInterval(std::span<const float> labels,
                                          std::span<const float> scores, double level) {
  MLLOOP_RETURN_IF_ERROR(CheckLevel("AucConfidenceInterval", level));
  std::vector<size_t> positives, negatives;
  const std::span<const float> one[] = {scores};
  MLLOOP_RETURN_IF_ERROR(SplitClasses("AucConfidenceInterval", labels, one, positives, negatives));
  const Components c = ComponentsOf(scores, positives, negatives);
  AucInterval r;
  r.auc = c.auc;
  r.variance = DeLongVariance(c.above, c.below);
  r.std_error = std::sqrt(r.variance);
  r.level = level;
  r.positives = positives.size();
  r.negatives = negatives.size();
  const double half = NormalUpperQuantile((1 - level) / 2) * r.std_error;
  r.lower = std::max(0.0, r.auc - half);
  r.upper = std::min(1.0, r.auc + half);
  return r;
}

}  // namespace mlloop::stats
