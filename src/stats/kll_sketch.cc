#include "stats/kll_sketch.h"

#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <utility>

#include "core/random.h"
#include "stats/moments.h"

namespace mlloop::stats {

namespace {

constexpr uint32_t kMinLevelWidth = 8;
// 2^h weights in uint64 and n < 2^64 bound the depth.
constexpr size_t kMaxLevels = 60;
constexpr std::string_view kMagic = "MLKL";
constexpr uint8_t kVersion = 1;

}  // namespace

double KllRankErrorBound(uint16_t k) { return 2.446 / std::pow(static_cast<double>(k), 0.9433); }

KllSketch::KllSketch(uint16_t k, uint64_t seed)
    : k_(k),
      rng_(seed),
      min_(std::numeric_limits<float>::infinity()),
      max_(-std::numeric_limits<float>::infinity()),
      levels_(1) {
  MLLOOP_CHECK(k >= kKllMinK, "KLL parameter k must be >= 8");
  RecomputeCapacity();
}

uint64_t KllSketch::NextRandom() {
  // SplitMix64: tiny state, so it serialises with the sketch.
  return core::SplitMix64(rng_);
}

uint32_t KllSketch::LevelCapacity(size_t level) const {
  // ceil(k * (2/3)^depth) in integers, so every platform agrees; past depth 30 the value is
  // below 1 for any 16-bit k and the floor of 8 applies.
  const size_t depth = levels_.size() - 1 - level;
  if (depth > 30) return kMinLevelWidth;
  uint64_t pow2 = 1, pow3 = 1;
  for (size_t i = 0; i < depth; ++i) {
    pow2 *= 2;
    pow3 *= 3;
  }
  const uint64_t cap = (static_cast<uint64_t>(k_) * pow2 + pow3 - 1) / pow3;
  return std::max<uint32_t>(kMinLevelWidth, static_cast<uint32_t>(cap));
}

void KllSketch::RecomputeCapacity() {
  total_capacity_ = 0;
  for (size_t h = 0; h < levels_.size(); ++h) total_capacity_ += LevelCapacity(h);
}

void KllSketch::AddLevel() {
  levels_.emplace_back();
  RecomputeCapacity();
}

void KllSketch::Update(float x) {
  if (std::isnan(x)) return;
  min_ = std::min(min_, x);
  max_ = std::max(max_, x);
  ++n_;
  levels_[0].push_back(x);
  ++retained_;
  if (retained_ >= total_capacity_) Compress();
}

void KllSketch::Compress() {
  while (retained_ >= total_capacity_) {
    size_t level = 0;
    while (level < levels_.size() && levels_[level].size() < LevelCapacity(level)) ++level;
    // Pigeonhole: retained >= sum of capacities means some level is at or over its own.
    MLLOOP_CHECK(level < levels_.size(), "KLL: no level over capacity");
    if (level + 1 == levels_.size()) {
      MLLOOP_CHECK(levels_.size() < kMaxLevels, "KLL: too many levels");
      AddLevel();
    }
    CompactLevel(level);
  }
}

void KllSketch::CompactLevel(size_t level) {
  std::vector<float>& items = levels_[level];
  if (level == 0) std::sort(items.begin(), items.end());
  // An odd item out (the smallest) stays; the rest pair up and one of each pair moves up.
  const size_t odd = items.size() % 2;
  const size_t offset = odd + static_cast<size_t>(NextRandom() >> 63);
  std::vector<float> promoted;
  promoted.reserve(items.size() / 2);
  for (size_t i = offset; i < items.size(); i += 2) promoted.push_back(items[i]);
  items.resize(odd);
  retained_ -= promoted.size();  // 2j items of weight w became j items of weight 2w

  std::vector<float>& above = levels_[level + 1];
  const size_t old_size = above.size();
  above.insert(above.end(), promoted.begin(), promoted.end());
  std::inplace_merge(above.begin(), above.begin() + static_cast<std::ptrdiff_t>(old_size),
                     above.end());
}

Status KllSketch::Merge(const KllSketch& other) {
  if (other.k_ != k_) {
    return Status::InvalidArgument("KLL merge: k differs (" + std::to_string(k_) + " vs " +
                                   std::to_string(other.k_) + ")");
  }
  if (other.n_ == 0) return Status::Ok();
  if (other.levels_.size() > kMaxLevels) return Status::InvalidArgument("KLL merge: too deep");
  n_ += other.n_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
  while (levels_.size() < other.levels_.size()) levels_.emplace_back();
  for (size_t h = 0; h < other.levels_.size(); ++h) {
    std::vector<float>& mine = levels_[h];
    const std::vector<float>& theirs = other.levels_[h];
    const size_t old_size = mine.size();
    mine.insert(mine.end(), theirs.begin(), theirs.end());
    if (h > 0) {
      std::inplace_merge(mine.begin(), mine.begin() + static_cast<std::ptrdiff_t>(old_size),
                         mine.end());
    }
    retained_ += theirs.size();
  }
  RecomputeCapacity();
  Compress();
  return Status::Ok();
}

double KllSketch::rank_error() const {
  return levels_.size() == 1 ? 0.0 : KllRankErrorBound(k_);
}

KllSortedView KllSketch::SortedView() const {
  std::vector<std::pair<float, uint64_t>> weighted;
  weighted.reserve(retained_);
  for (size_t h = 0; h < levels_.size(); ++h) {
    for (float x : levels_[h]) weighted.emplace_back(x, uint64_t{1} << h);
  }
  std::sort(weighted.begin(), weighted.end(),
            [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<float> items;
  std::vector<uint64_t> cumulative;
  items.reserve(weighted.size());
  cumulative.reserve(weighted.size());
  uint64_t total = 0;
  for (const auto& [x, w] : weighted) {
    total += w;
    // Equal items collapse into one step.
    if (!items.empty() && items.back() == x) {
      cumulative.back() = total;
    } else {
      items.push_back(x);
      cumulative.push_back(total);
    }
  }
  return KllSortedView(std::move(items), std::move(cumulative), min_, max_);
}

double KllSketch::Rank(double x) const {
  if (n_ == 0) return 0.0;
  uint64_t below = 0;
  for (size_t h = 0; h < levels_.size(); ++h) {
    for (float v : levels_[h]) below += static_cast<double>(v) <= x ? uint64_t{1} << h : 0;
  }
  return static_cast<double>(below) / static_cast<double>(n_);
}

double KllSketch::Quantile(double q) const { return SortedView().Quantile(q); }

KllSortedView::KllSortedView(std::vector<float> items, std::vector<uint64_t> cumulative,
                             float min, float max)
    : items_(std::move(items)), cumulative_(std::move(cumulative)), min_(min), max_(max) {}

double KllSortedView::Rank(double x) const {
  if (items_.empty()) return 0.0;
  const auto it = std::upper_bound(items_.begin(), items_.end(), x,
                                   [](double v, float item) { return v < item; });
  if (it == items_.begin()) return 0.0;
  const size_t i = static_cast<size_t>(it - items_.begin()) - 1;
  return static_cast<double>(cumulative_[i]) / static_cast<double>(n());
}

double KllSortedView::Quantile(double q) const {
  if (items_.empty()) return std::numeric_limits<double>::quiet_NaN();
  if (q <= 0) return min_;
  if (q >= 1) return max_;
  const double target = q * static_cast<double>(n());
  const auto it = std::lower_bound(cumulative_.begin(), cumulative_.end(), target,
                                   [](uint64_t c, double t) { return static_cast<double>(c) < t; });
  const size_t i = it == cumulative_.end() ? items_.size() - 1
                                           : static_cast<size_t>(it - cumulative_.begin());
  return items_[i];
}

double KllKsStatistic(const KllSortedView& a, const KllSortedView& b) {
  if (a.empty() || b.empty()) return 0.0;
  const auto& xa = a.items();
  const auto& xb = b.items();
  const auto& ca = a.cumulative_weights();
  const auto& cb = b.cumulative_weights();
  const double na = static_cast<double>(a.n()), nb = static_cast<double>(b.n());
  size_t i = 0, j = 0;
  double d = 0;
  // Walk the union of items; after consuming every item equal to x on both sides, the two
  // cumulative weights are F(x) of each (right-continuous, as KsTwoSample).
  while (i < xa.size() || j < xb.size()) {
    const float x = j == xb.size() || (i < xa.size() && xa[i] <= xb[j]) ? xa[i] : xb[j];
    while (i < xa.size() && xa[i] <= x) ++i;
    while (j < xb.size() && xb[j] <= x) ++j;
    const double fa = i == 0 ? 0.0 : static_cast<double>(ca[i - 1]) / na;
    const double fb = j == 0 ? 0.0 : static_cast<double>(cb[j - 1]) / nb;
    d = std::max(d, std::abs(fa - fb));
  }
  return d;
}

double KllWasserstein(const KllSortedView& a, const KllSortedView& b) {
  if (a.empty() || b.empty()) return 0.0;
  const auto& xa = a.items();
  const auto& xb = b.items();
  const auto& ca = a.cumulative_weights();
  const auto& cb = b.cumulative_weights();
  const double na = static_cast<double>(a.n()), nb = static_cast<double>(b.n());
  size_t i = 0, j = 0;
  double sum = 0, compensation = 0;  // Neumaier, as distances.cc
  double prev_x = 0, prev_gap = 0;
  bool first = true;
  while (i < xa.size() || j < xb.size()) {
    const float x = j == xb.size() || (i < xa.size() && xa[i] <= xb[j]) ? xa[i] : xb[j];
    if (!first) {
      const double term = prev_gap * (static_cast<double>(x) - prev_x);
      const double t = sum + term;
      compensation += std::abs(sum) >= std::abs(term) ? (sum - t) + term : (term - t) + sum;
      sum = t;
    }
    while (i < xa.size() && xa[i] <= x) ++i;
    while (j < xb.size() && xb[j] <= x) ++j;
    const double fa = i == 0 ? 0.0 : static_cast<double>(ca[i - 1]) / na;
    const double fb = j == 0 ? 0.0 : static_cast<double>(cb[j - 1]) / nb;
    prev_gap = std::abs(fa - fb);
    prev_x = x;
    first = false;
  }
  return sum + compensation;
}

std::string KllSketch::Serialize() const {
  wire::Writer w;
  w.Raw(kMagic);
  w.U8(kVersion);
  w.U16(k_);
  w.U64(rng_);
  w.U64(n_);
  w.F32(min_);
  w.F32(max_);
  w.U8(static_cast<uint8_t>(levels_.size()));
  for (const auto& level : levels_) {
    w.U32(static_cast<uint32_t>(level.size()));
    for (float x : level) w.F32(x);
  }
  return w.Take();
}

Result<KllSketch> KllSketch::Deserialize(std::string_view bytes) {
  wire::Reader r(bytes);
  MLLOOP_RETURN_IF_ERROR(r.Header(kMagic, kVersion, "KLL sketch"));
  uint16_t k = 0;
  uint64_t rng = 0, n = 0;
  float min = 0, max = 0;
  uint8_t num_levels = 0;
  (void)r.U16(&k);
  (void)r.U64(&rng);
  (void)r.U64(&n);
  (void)r.F32(&min);
  (void)r.F32(&max);
  (void)r.U8(&num_levels);
  if (!r.ok()) return Status::DataLoss("KLL sketch: truncated header");
  if (k < kKllMinK) return Status::DataLoss("KLL sketch: k " + std::to_string(k) + " < 8");
  if (num_levels == 0 || num_levels > kMaxLevels) {
    return Status::DataLoss("KLL sketch: bad level count " + std::to_string(num_levels));
  }
  KllSketch sketch(k, rng);
  sketch.levels_.assign(num_levels, {});
  uint64_t weight = 0;
  for (size_t h = 0; h < num_levels; ++h) {
    uint32_t size = 0;
    if (!r.U32(&size) || r.remaining() / 4 < size) {
      return Status::DataLoss("KLL sketch: truncated level " + std::to_string(h));
    }
    auto& level = sketch.levels_[h];
    level.resize(size);
    for (float& x : level) {
      (void)r.F32(&x);
      if (std::isnan(x) || x < min || x > max) {
        return Status::DataLoss("KLL sketch: item outside [min, max] at level " +
                                std::to_string(h));
      }
    }
    if (h > 0 && !std::is_sorted(level.begin(), level.end())) {
      return Status::DataLoss("KLL sketch: level " + std::to_string(h) + " not sorted");
    }
    const uint64_t level_weight = static_cast<uint64_t>(size) << h;
    if ((level_weight >> h) != size || weight > UINT64_MAX - level_weight) {
      return Status::DataLoss("KLL sketch: level weights overflow");
    }
    weight += level_weight;
    sketch.retained_ += size;
  }
  if (!r.at_end()) return Status::DataLoss("KLL sketch: trailing bytes");
  if (weight != n) return Status::DataLoss("KLL sketch: level weights do not sum to n");
  if (n == 0) {
    if (!(std::isinf(min) && min > 0 && std::isinf(max) && max < 0)) {
      return Status::DataLoss("KLL sketch: empty sketch with min/max");
    }
  } else if (std::isnan(min) || std::isnan(max) || min > max) {
    return Status::DataLoss("KLL sketch: bad min/max");
  }
  sketch.n_ = n;
  sketch.min_ = min;
  sketch.max_ = max;
  sketch.RecomputeCapacity();
  if (sketch.retained_ >= sketch.total_capacity_) {
    return Status::DataLoss("KLL sketch: more items than its capacity");
  }
  return sketch;
}

}  // namespace mlloop::stats
