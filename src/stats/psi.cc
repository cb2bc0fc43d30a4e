#include "stats/psi.h"

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "stats/sort.h"

namespace mlloop::stats {

namespace {

std::vector<double> Shares(const std::vector<size_t>& counts, size_t total) {
  std::vector<double> shares(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    double s = total == 0 ? 0.0 : static_cast<double>(counts[i]) / static_cast<double>(total);
    shares[i] = std::max(s, kPsiShareFloor);
  }
  return shares;
}

// Quantile of sorted values with linear interpolation between order statistics (numpy's
// default, "linear"). REQUIRES: sorted is non-empty and sorted.
double Quantile(const std::vector<float>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return static_cast<double>(sorted[lo]) * (1 - frac) + static_cast<double>(sorted[hi]) * frac;
}

}  // namespace

PsiReference PsiReference::BuildNumeric(const std::vector<float>& values, int bins) {
  PsiReference ref;
  // One sort serves both the edges and the counts.
  std::vector<float> sorted;
  sorted.reserve(values.size());
  for (float v : values) {
    if (!std::isnan(v)) sorted.push_back(v);
  }
  std::vector<uint32_t> scratch;
  SortFloats(sorted, &scratch);  // radix: a comparison sort mispredicts on fresh values
  if (!sorted.empty()) {
    for (int k = 1; k < bins; ++k) {
      const double e = Quantile(sorted, static_cast<double>(k) / bins);
      if (ref.edges_.empty() || e > ref.edges_.back()) ref.edges_.push_back(e);
    }
  }
  // Bin i holds the values in (edge[i-1], edge[i]]; on sorted values each boundary is one
  // binary search. Then the missing bin.
  std::vector<size_t> counts;
  size_t from = 0;
  for (double e : ref.edges_) {
    const size_t to = static_cast<size_t>(
        std::upper_bound(sorted.begin(), sorted.end(), e,
                         [](double edge, float v) { return edge < static_cast<double>(v); }) -
        sorted.begin());
    counts.push_back(to - from);
    from = to;
  }
  counts.push_back(sorted.size() - from);
  counts.push_back(values.size() - sorted.size());
  ref.shares_ = Shares(counts, values.size());
  return ref;
}

PsiReference PsiReference::BuildCategorical(const std::vector<float>& values) {
  PsiReference ref;
  ref.categorical_ = true;
  size_t max_code = 0;
  for (float v : values) {
    if (!std::isnan(v) && v >= 0) max_code = std::max(max_code, static_cast<size_t>(v));
  }
  // One bin per code 0..max_code, then missing.
  ref.shares_.assign(max_code + 2, 0.0);
  std::vector<size_t> counts(ref.slots(), 0);
  for (float v : values) ++counts[ref.Slot(v)];
  counts.pop_back();
  ref.shares_ = Shares(counts, values.size());
  return ref;
}

size_t PsiReference::Slot(float v) const {
  const size_t missing = shares_.size() - 1;
  if (std::isnan(v)) return missing;
  if (categorical_) {
    return v >= 0 && static_cast<size_t>(v) < missing ? static_cast<size_t>(v) : missing + 1;
  }
  // The bin is the number of edges below v: a value equal to an edge falls in the bin that
  // the edge closes. Counting is branch-free, which beats a binary search's mispredictions
  // on fresh values for the few dozen edges PSI uses.
  const double x = static_cast<double>(v);
  size_t bin = 0;
  for (double e : edges_) bin += e < x;
  return bin;
}

double PsiReference::PsiOfCounts(const size_t* counts, size_t total) const {
  if (total == 0 || shares_.empty()) return 0.0;
  const double n = static_cast<double>(total);
  double psi = 0.0;
  for (size_t i = 0; i < shares_.size(); ++i) {
    const double c = std::max(static_cast<double>(counts[i]) / n, kPsiShareFloor);
    psi += (c - shares_[i]) * std::log(c / shares_[i]);
  }
  // Unseen categories: the reference's share of them is the floor.
  if (const size_t unseen = counts[shares_.size()]; unseen > 0) {
    const double c = static_cast<double>(unseen) / n;
    psi += (c - kPsiShareFloor) * std::log(c / kPsiShareFloor);
  }
  return psi;
}

double PsiReference::Psi(const std::vector<float>& current) const {
  std::vector<size_t> counts(slots(), 0);
  for (float v : current) ++counts[Slot(v)];
  return PsiOfCounts(counts.data(), current.size());
}

double Psi(const std::vector<float>& reference, const std::vector<float>& current, int bins) {
  return PsiReference::BuildNumeric(reference, bins).Psi(current);
}

}  // namespace mlloop::stats
