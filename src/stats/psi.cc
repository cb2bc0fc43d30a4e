#include "stats/psi.h"

#include <algorithm>
#include <cmath>

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

// Quantiles at k/bins, k = 1..bins-1, with linear interpolation between order statistics
// (numpy's default, "linear"). Selection instead of a full sort: each quantile narrows the
// range the next one searches. Reorders `values`.
std::vector<double> Quantiles(std::vector<float>& values, int bins) {
  std::vector<double> out;
  const size_t n = values.size();
  auto from = values.begin();
  for (int k = 1; k < bins; ++k) {
    const double pos = static_cast<double>(k) / bins * static_cast<double>(n - 1);
    const size_t lo = static_cast<size_t>(std::floor(pos));
    const double frac = pos - static_cast<double>(lo);
    auto lo_it = values.begin() + static_cast<std::ptrdiff_t>(lo);
    std::nth_element(from, lo_it, values.end());
    from = lo_it;
    double v = *lo_it;
    if (frac > 0 && lo + 1 < n) {
      // Everything after lo_it is >= it, so the next order statistic is their minimum.
      const double next = *std::min_element(lo_it + 1, values.end());
      v = v * (1 - frac) + next * frac;
    }
    out.push_back(v);
  }
  return out;
}

}  // namespace

PsiReference PsiReference::BuildNumeric(const std::vector<float>& values, int bins) {
  PsiReference ref;
  std::vector<float> present;
  present.reserve(values.size());
  for (float v : values) {
    if (!std::isnan(v)) present.push_back(v);
  }
  if (!present.empty()) {
    for (double e : Quantiles(present, bins)) {
      if (ref.edges_.empty() || e > ref.edges_.back()) ref.edges_.push_back(e);
    }
  }
  ref.shares_.assign(ref.edges_.size() + 2, 0.0);  // edges+1 value bins, then missing
  std::vector<size_t> counts(ref.slots(), 0);
  for (float v : values) ++counts[ref.Slot(v)];
  counts.pop_back();  // the unseen slot
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
  // First edge >= v: a value equal to an edge falls in the bin that the edge closes.
  auto it = std::lower_bound(edges_.begin(), edges_.end(), static_cast<double>(v));
  return static_cast<size_t>(it - edges_.begin());
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
