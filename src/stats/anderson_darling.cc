#include "stats/anderson_darling.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "stats/distances.h"

namespace mlloop::stats {

namespace {

// Scholz and Stephens (1987), Table 2 interpolation coefficients, as in SciPy.
constexpr std::array<double, 7> kB0 = {0.675, 1.281, 1.645, 1.96, 2.326, 2.573, 3.085};
constexpr std::array<double, 7> kB1 = {-0.245, 0.25, 0.678, 1.149, 1.822, 2.364, 3.615};
constexpr std::array<double, 7> kB2 = {-0.105, -0.305, -0.362, -0.391, -0.396, -0.345, -0.154};

// A2akN of Scholz and Stephens, eq. 7 (midranks), in one k-way merge of the sorted samples.
// For each distinct pooled value z_j: l_j = its pooled count, B_j = (pooled count below
// z_j) + l_j / 2, M_ij = (count of sample i at or below z_j) - f_ij / 2. Per-sample sums
// are kept apart and divided by n_i at the end, in SciPy's order of operations.
double MidrankStatistic(std::span<const std::span<const float>> samples, double big_n) {
  const size_t k = samples.size();
  std::vector<size_t> pos(k, 0), ties(k, 0);
  std::vector<double> inner_sum(k, 0.0);
  double pooled_below = 0;
  while (true) {
    bool any = false;
    float z = std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < k; ++i) {
      if (pos[i] < samples[i].size()) {
        z = any ? std::min(z, samples[i][pos[i]]) : samples[i][pos[i]];
        any = true;
      }
    }
    if (!any) break;
    double lj = 0;
    for (size_t i = 0; i < k; ++i) {
      size_t f = 0;
      while (pos[i] + f < samples[i].size() && samples[i][pos[i] + f] == z) ++f;
      ties[i] = f;
      lj += static_cast<double>(f);
    }
    const double bj = pooled_below + lj / 2.0;
    const double denominator = bj * (big_n - bj) - big_n * lj / 4.0;
    for (size_t i = 0; i < k; ++i) {
      const double ni = static_cast<double>(samples[i].size());
      const double mij = static_cast<double>(pos[i] + ties[i]) - static_cast<double>(ties[i]) / 2.0;
      const double gap = big_n * mij - bj * ni;
      inner_sum[i] += lj / big_n * (gap * gap) / denominator;
      pos[i] += ties[i];
    }
    pooled_below += lj;
  }
  double a2 = 0;
  for (size_t i = 0; i < k; ++i) a2 += inner_sum[i] / static_cast<double>(samples[i].size());
  return a2 * (big_n - 1.0) / big_n;
}

// Variance of A2kN under the null, Scholz and Stephens eq. 4 (SciPy's sigmasq).
double NullVariance(std::span<const std::span<const float>> samples, double big_n) {
  const double k = static_cast<double>(samples.size());
  double big_h = 0;
  for (const auto& s : samples) big_h += 1.0 / static_cast<double>(s.size());
  // h = sum_{i=1}^{N-1} 1/i; g = sum_{i=1}^{N-2} sum_{j=i+1}^{N-1} 1 / ((N - i) j), summed
  // as SciPy does: cumulative sums of 1/(N-1), 1/(N-2), ..., 1/2, each divided by 2, 3, ...
  const size_t n = static_cast<size_t>(big_n);
  double cumulative = 0, g = 0, g_compensation = 0;
  for (size_t t = 0; t + 3 <= n; ++t) {
    cumulative += 1.0 / static_cast<double>(n - 1 - t);
    // Neumaier-compensated, so g stays exact for million-row windows.
    const double term = cumulative / static_cast<double>(t + 2);
    const double sum = g + term;
    g_compensation += std::abs(g) >= std::abs(term) ? (g - sum) + term : (term - sum) + g;
    g = sum;
  }
  g += g_compensation;
  const double h = cumulative + 1.0;
  const double a = (4 * g - 6) * (k - 1) + (10 - 6 * g) * big_h;
  const double b =
      (2 * g - 4) * k * k + 8 * h * k + (2 * g - 14 * h - 4) * big_h - 8 * h + 4 * g - 6;
  const double c =
      (6 * h + 2 * g - 2) * k * k + (4 * h - 4 * g + 6) * k + (2 * h - 6) * big_h + 4 * h;
  const double d = (2 * h + 6) * k * k - 4 * h * k;
  const double n2 = big_n * big_n, n3 = n2 * big_n;
  return (a * n3 + b * n2 + c * big_n + d) / ((big_n - 1.0) * (big_n - 2.0) * (big_n - 3.0));
}

// exp(np.polyval(np.polyfit(critical, log(sig), 2), x)). The least-squares quadratic is
// solved on centred and scaled abscissae, which gives the same polynomial (a reparametrised
// basis of the same space) with well-conditioned normal equations.
double FittedSignificance(const std::array<double, 7>& critical, double x) {
  double mean = 0;
  for (double c : critical) mean += c / 7.0;
  double scale = 0;
  for (double c : critical) scale = std::max(scale, std::abs(c - mean));
  // Normal equations for y ~ c0 + c1 t + c2 t^2 with t = (x - mean) / scale.
  double s[5] = {0, 0, 0, 0, 0};  // sums of t^0..t^4
  double r[3] = {0, 0, 0};        // sums of y t^0..t^2
  for (size_t i = 0; i < 7; ++i) {
    const double t = (critical[i] - mean) / scale;
    const double y = std::log(kAndersonDarlingSignificanceLevels[i]);
    double tp = 1;
    for (int p = 0; p < 5; ++p) {
      s[p] += tp;
      if (p < 3) r[p] += y * tp;
      tp *= t;
    }
  }
  double m[3][4] = {{s[0], s[1], s[2], r[0]}, {s[1], s[2], s[3], r[1]}, {s[2], s[3], s[4], r[2]}};
  // Gaussian elimination with partial pivoting on the 3x3 system.
  for (int col = 0; col < 3; ++col) {
    int pivot = col;
    for (int row = col + 1; row < 3; ++row) {
      if (std::abs(m[row][col]) > std::abs(m[pivot][col])) pivot = row;
    }
    for (int j = 0; j < 4; ++j) std::swap(m[col][j], m[pivot][j]);
    for (int row = col + 1; row < 3; ++row) {
      const double f = m[row][col] / m[col][col];
      for (int j = col; j < 4; ++j) m[row][j] -= f * m[col][j];
    }
  }
  double coef[3];
  for (int row = 2; row >= 0; --row) {
    double v = m[row][3];
    for (int j = row + 1; j < 3; ++j) v -= m[row][j] * coef[j];
    coef[row] = v / m[row][row];
  }
  const double t = (x - mean) / scale;
  return std::exp(coef[0] + t * (coef[1] + t * coef[2]));
}

}  // namespace

Result<AndersonDarlingResult> AndersonDarlingKSampleSorted(
    std::span<const std::span<const float>> sorted_samples) {
  const size_t k = sorted_samples.size();
  if (k < 2) return Status::InvalidArgument("Anderson-Darling needs at least two samples");
  size_t total = 0;
  for (size_t i = 0; i < k; ++i) {
    MLLOOP_RETURN_IF_ERROR(CheckSortedSample(sorted_samples[i].data(), sorted_samples[i].size(),
                                             "sample " + std::to_string(i)));
    total += sorted_samples[i].size();
  }
  if (total < 4) {
    return Status::InvalidArgument("Anderson-Darling needs at least 4 values in total, got " +
                                   std::to_string(total));
  }

  AndersonDarlingResult result;
  const double m = static_cast<double>(k - 1);
  for (size_t i = 0; i < 7; ++i) {
    result.critical_values[i] = kB0[i] + kB1[i] / std::sqrt(m) + kB2[i] / m;
  }

  // All values equal: the statistic is 0/0. Report "no evidence" (see the header).
  bool all_equal = true;
  const float first = sorted_samples[0][0];
  for (const auto& s : sorted_samples)
    all_equal = all_equal && s.front() == first && s.back() == first;
  if (all_equal) {
    result.statistic = 0;
    result.significance_level = kAndersonDarlingSignificanceLevels.front();
    result.capped = true;
    return result;
  }

  const double big_n = static_cast<double>(total);
  const double a2akn = MidrankStatistic(sorted_samples, big_n);
  const double sigma_sq = NullVariance(sorted_samples, big_n);
  if (!(sigma_sq > 0)) {
    return Status::Internal(
        "Anderson-Darling null variance is not positive (N = " + std::to_string(total) + ")");
  }
  result.statistic = (a2akn - m) / std::sqrt(sigma_sq);

  const auto [lowest, highest] =
      std::minmax_element(result.critical_values.begin(), result.critical_values.end());
  if (result.statistic < *lowest) {
    result.significance_level = kAndersonDarlingSignificanceLevels.front();  // 0.25
    result.capped = true;
  } else if (result.statistic > *highest) {
    result.significance_level = kAndersonDarlingSignificanceLevels.back();  // 0.001
    result.capped = true;
  } else {
    result.significance_level = FittedSignificance(result.critical_values, result.statistic);
  }
  return result;
}

Result<AndersonDarlingResult> AndersonDarlingKSample(
    const std::vector<std::vector<float>>& samples) {
  std::vector<std::vector<float>> sorted;
  sorted.reserve(samples.size());
  for (size_t i = 0; i < samples.size(); ++i) {
    MLLOOP_ASSIGN_OR_RETURN(auto s, SortSample(samples[i], "sample " + std::to_string(i)));
    sorted.push_back(std::move(s));
  }
  std::vector<std::span<const float>> spans(sorted.begin(), sorted.end());
  return AndersonDarlingKSampleSorted(spans);
}

Result<AndersonDarlingResult> AndersonDarlingSorted(const float* a, size_t na, const float* b,
                                                    size_t nb) {
  const std::span<const float> spans[2] = {{a, na}, {b, nb}};
  return AndersonDarlingKSampleSorted(spans);
}

Result<AndersonDarlingResult> AndersonDarling(const std::vector<float>& a,
                                              const std::vector<float>& b) {
  MLLOOP_ASSIGN_OR_RETURN(auto sa, SortSample(a, "first"));
  MLLOOP_ASSIGN_OR_RETURN(auto sb, SortSample(b, "second"));
  return AndersonDarlingSorted(sa.data(), sa.size(), sb.data(), sb.size());
}

}  // namespace mlloop::stats
