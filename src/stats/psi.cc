#include "stats/psi.h"

#include <algorithm>
#include <cmath>

namespace mlloop::stats {

namespace {

// Quantile with linear interpolation between order statistics (numpy's default, "linear").
double Quantile(const std::vector<float>& sorted, double q) {
  const double pos = q * static_cast<double>(sorted.size() - 1);
  const size_t lo = static_cast<size_t>(std::floor(pos));
  const size_t hi = std::min(lo + 1, sorted.size() - 1);
  const double frac = pos - static_cast<double>(lo);
  return static_cast<double>(sorted[lo]) * (1 - frac) + static_cast<double>(sorted[hi]) * frac;
}

std::vector<double> Shares(const std::vector<size_t>& counts, size_t total) {
  std::vector<double> shares(counts.size());
  for (size_t i = 0; i < counts.size(); ++i) {
    double s = total == 0 ? 0.0 : static_cast<double>(counts[i]) / static_cast<double>(total);
    shares[i] = std::max(s, kPsiShareFloor);
  }
  return shares;
}

}  // namespace

PsiReference PsiReference::BuildNumeric(const std::vector<float>& values, int bins) {
  PsiReference ref;
  std::vector<float> sorted;
  sorted.reserve(values.size());
  for (float v : values) {
    if (!std::isnan(v)) sorted.push_back(v);
  }
  std::sort(sorted.begin(), sorted.end());
  if (!sorted.empty()) {
    for (int k = 1; k < bins; ++k) {
      double e = Quantile(sorted, static_cast<double>(k) / bins);
      if (ref.edges_.empty() || e > ref.edges_.back()) ref.edges_.push_back(e);
    }
  }
  ref.shares_.assign(ref.edges_.size() + 2, 0.0);  // edges+1 value bins, then missing
  std::vector<size_t> counts(ref.shares_.size(), 0);
  for (float v : values) ++counts[ref.BinOf(v)];
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
  // One bin per code seen (0..max_code), then missing.
  ref.shares_.assign(max_code + 2, 0.0);
  std::vector<size_t> counts(ref.shares_.size(), 0);
  for (float v : values) ++counts[ref.BinOf(v)];
  ref.shares_ = Shares(counts, values.size());
  return ref;
}

size_t PsiReference::BinOf(float v) const {
  if (std::isnan(v)) return bin_count() - 1;
  // REQUIRES for categorical: a code the reference has seen (Psi() screens unseen ones).
  if (categorical_) return static_cast<size_t>(v);
  // First edge >= v: a value equal to an edge falls in the bin that the edge closes.
  auto it = std::lower_bound(edges_.begin(), edges_.end(), static_cast<double>(v));
  return static_cast<size_t>(it - edges_.begin());
}

double PsiReference::Psi(const std::vector<float>& current) const {
  if (current.empty() || shares_.empty()) return 0.0;
  std::vector<size_t> counts(bin_count(), 0);
  size_t unseen = 0;
  for (float v : current) {
    if (categorical_ && !std::isnan(v) && (v < 0 || static_cast<size_t>(v) >= bin_count() - 1)) {
      ++unseen;  // a category the reference never had
      continue;
    }
    ++counts[BinOf(v)];
  }
  std::vector<double> cur = Shares(counts, current.size());
  double psi = 0.0;
  for (size_t i = 0; i < cur.size(); ++i) psi += (cur[i] - shares_[i]) * std::log(cur[i] / shares_[i]);
  if (unseen > 0) {
    const double c = static_cast<double>(unseen) / static_cast<double>(current.size());
    psi += (c - kPsiShareFloor) * std::log(c / kPsiShareFloor);
  }
  return psi;
}

double Psi(const std::vector<float>& reference, const std::vector<float>& current, int bins) {
  return PsiReference::BuildNumeric(reference, bins).Psi(current);
}

}  // namespace mlloop::stats
