#include "stats/kll_sketch.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <iostream>
#include <limits>
#include <random>
#include <string>
#include <vector>

namespace mlloop::stats {
namespace {

enum class Dist { kNormal, kLognormal, kUniform, kTies };

std::vector<float> Draw(Dist dist, size_t n, uint64_t seed) {
  std::mt19937_64 gen(seed);
  std::normal_distribution<float> normal(0, 1);
  std::lognormal_distribution<float> lognormal(0, 1);
  std::uniform_real_distribution<float> uniform(0, 1);
  std::uniform_int_distribution<int> ties(0, 9);
  std::vector<float> v(n);
  for (float& x : v) {
    switch (dist) {
      case Dist::kNormal: x = normal(gen); break;
      case Dist::kLognormal: x = lognormal(gen); break;
      case Dist::kUniform: x = uniform(gen); break;
      case Dist::kTies: x = static_cast<float>(ties(gen)); break;
    }
  }
  return v;
}

KllSketch Sketch(const std::vector<float>& values, uint64_t seed = kKllDefaultSeed) {
  KllSketch sketch(kKllDefaultK, seed);
  for (float x : values) sketch.Update(x);
  return sketch;
}

// max over every distinct value x of |estimated rank(x) - true rank(x)|: the uniform error.
// Both CDFs are right-continuous steps that change only at data values (every retained
// item is a data value), so checking each distinct value covers every x.
double MaxRankError(const KllSketch& sketch, std::vector<float> values) {
  std::sort(values.begin(), values.end());
  const KllSortedView view = sketch.SortedView();
  const auto& items = view.items();
  const auto& cum = view.cumulative_weights();
  const double n = static_cast<double>(values.size());
  double worst = 0;
  size_t j = 0;
  for (size_t i = 0; i < values.size(); ++i) {
    if (i + 1 < values.size() && values[i + 1] == values[i]) continue;
    while (j < items.size() && items[j] <= values[i]) ++j;
    const double estimated = j == 0 ? 0.0 : static_cast<double>(cum[j - 1]) / n;
    worst = std::max(worst, std::abs(estimated - static_cast<double>(i + 1) / n));
  }
  return worst;
}

TEST(KllSketchTest, EmptySketch) {
  KllSketch sketch;
  EXPECT_TRUE(sketch.empty());
  EXPECT_EQ(sketch.n(), 0u);
  EXPECT_EQ(sketch.Rank(1.0), 0.0);
  EXPECT_TRUE(std::isnan(sketch.Quantile(0.5)));
  EXPECT_EQ(sketch.rank_error(), 0.0);
}

TEST(KllSketchTest, ExactWhileEverythingFits) {
  // 199 values < k = 200: nothing compacted, answers are exact.
  std::vector<float> v(199);
  for (size_t i = 0; i < v.size(); ++i) v[i] = static_cast<float>(198 - i);
  const KllSketch sketch = Sketch(v);
  EXPECT_EQ(sketch.num_retained(), 199u);
  EXPECT_EQ(sketch.rank_error(), 0.0);
  EXPECT_DOUBLE_EQ(sketch.Rank(39), 40.0 / 199);
  EXPECT_DOUBLE_EQ(sketch.Rank(-1), 0.0);
  EXPECT_DOUBLE_EQ(sketch.Rank(1000), 1.0);
  EXPECT_EQ(sketch.Quantile(0.2), 39.0);  // smallest item with rank >= 0.2 (39.8 of 199)
  EXPECT_EQ(sketch.Quantile(0.0), 0.0);
  EXPECT_EQ(sketch.Quantile(1.0), 198.0);
  EXPECT_EQ(MaxRankError(sketch, v), 0.0);
}

TEST(KllSketchTest, CountMinMaxExactAndNaNIgnored) {
  auto v = Draw(Dist::kNormal, 1'000'000, 1);
  KllSketch sketch = Sketch(v);
  sketch.Update(std::numeric_limits<float>::quiet_NaN());
  EXPECT_EQ(sketch.n(), v.size());
  EXPECT_EQ(sketch.min(), *std::min_element(v.begin(), v.end()));
  EXPECT_EQ(sketch.max(), *std::max_element(v.begin(), v.end()));
  EXPECT_NEAR(sketch.rank_error(), kKllRankErrorK200, 1e-4);
  EXPECT_LT(sketch.num_retained(), 800u);
}

TEST(KllSketchTest, DocumentedBoundFormula) {
  EXPECT_NEAR(KllRankErrorBound(200), kKllRankErrorK200, 1e-4);
  EXPECT_GT(KllRankErrorBound(100), KllRankErrorBound(200));
}

// The measurement behind kll_sketch.h's numbers, at a size that runs in the suite: 30 seeds
// x 1e4 and 1e5 values, 2 seeds x 1e6, four distributions. Every run's uniform rank error
// must be within the documented 1.65%.
TEST(KllSketchTest, MeasuredRankErrorWithinDocumentedBound) {
  std::vector<double> errors;
  for (Dist dist : {Dist::kNormal, Dist::kLognormal, Dist::kUniform, Dist::kTies}) {
    for (size_t n : {size_t{10'000}, size_t{100'000}, size_t{1'000'000}}) {
      const int seeds = n == 1'000'000 ? 2 : 30;
      for (int s = 0; s < seeds; ++s) {
        const auto v = Draw(dist, n, 100 + s);
        const double e = MaxRankError(Sketch(v, 1000 + s), v);
        EXPECT_LE(e, kKllRankErrorK200) << "n=" << n << " seed=" << s;
        errors.push_back(e);
      }
    }
  }
  std::sort(errors.begin(), errors.end());
  double mean = 0;
  for (double e : errors) mean += e / static_cast<double>(errors.size());
  std::cout << "[kll] uniform rank error over " << errors.size() << " runs: mean " << mean
            << ", p99 " << errors[errors.size() * 99 / 100] << ", worst " << errors.back()
            << "\n";
}

TEST(KllSketchTest, QuantileRankWithinBound) {
  auto v = Draw(Dist::kLognormal, 200'000, 3);
  const KllSketch sketch = Sketch(v);
  std::sort(v.begin(), v.end());
  for (double q = 0.01; q < 1.0; q += 0.01) {
    const double x = sketch.Quantile(q);
    // True rank range of x: [first index of x, last index of x + 1] / n.
    const double lo = static_cast<double>(std::lower_bound(v.begin(), v.end(), x) - v.begin());
    const double hi = static_cast<double>(std::upper_bound(v.begin(), v.end(), x) - v.begin());
    const double n = static_cast<double>(v.size());
    EXPECT_GE(q, lo / n - kKllRankErrorK200) << q;
    EXPECT_LE(q, hi / n + kKllRankErrorK200) << q;
  }
}

TEST(KllSketchTest, SameSeedSameSketchOtherSeedOtherSketch) {
  const auto v = Draw(Dist::kNormal, 100'000, 4);
  EXPECT_EQ(Sketch(v, 7).Serialize(), Sketch(v, 7).Serialize());
  EXPECT_NE(Sketch(v, 7).Serialize(), Sketch(v, 8).Serialize());
}

TEST(KllSketchTest, MergeIsSketchOfUnionWithinBound) {
  const auto v = Draw(Dist::kNormal, 1'000'000, 5);
  // Eight replicas see interleaved parts of different sizes (replica r gets every value
  // whose index mod 36 falls in its band), then merge in a chain.
  std::vector<KllSketch> parts;
  for (int r = 0; r < 8; ++r) parts.emplace_back(kKllDefaultK, 50 + r);
  for (size_t i = 0; i < v.size(); ++i) {
    const size_t slot = i % 36;  // replica r gets r + 1 slots of 36
    size_t r = 0, acc = 1;
    while (slot >= acc) acc += ++r + 1;
    parts[r].Update(v[i]);
  }
  KllSketch merged = parts[0];
  for (size_t r = 1; r < parts.size(); ++r) ASSERT_TRUE(merged.Merge(parts[r]).ok());
  EXPECT_EQ(merged.n(), v.size());
  EXPECT_EQ(merged.min(), *std::min_element(v.begin(), v.end()));
  EXPECT_EQ(merged.max(), *std::max_element(v.begin(), v.end()));
  EXPECT_LE(MaxRankError(merged, v), kKllRankErrorK200);
  EXPECT_LT(merged.num_retained(), 800u);

  // A tree of merges (pairs, then pairs of pairs) is as good.
  std::vector<KllSketch> level = parts;
  while (level.size() > 1) {
    std::vector<KllSketch> next;
    for (size_t i = 0; i + 1 < level.size(); i += 2) {
      next.push_back(level[i]);
      ASSERT_TRUE(next.back().Merge(level[i + 1]).ok());
    }
    level = next;
  }
  EXPECT_EQ(level[0].n(), v.size());
  EXPECT_LE(MaxRankError(level[0], v), kKllRankErrorK200);
}

TEST(KllSketchTest, MergeWithEmptyAndSmall) {
  KllSketch a, empty;
  a.Update(3);
  a.Update(1);
  ASSERT_TRUE(a.Merge(empty).ok());
  ASSERT_TRUE(empty.Merge(a).ok());
  EXPECT_EQ(empty.n(), 2u);
  EXPECT_EQ(empty.min(), 1.0f);
  EXPECT_EQ(empty.max(), 3.0f);
  EXPECT_DOUBLE_EQ(empty.Rank(1.0), 0.5);
}

TEST(KllSketchTest, MergeRejectsDifferentK) {
  KllSketch a(200), b(100);
  b.Update(1);
  const Status s = a.Merge(b);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(a.n(), 0u);
}

TEST(KllSketchTest, SerialiseRoundTripThenContinueIdentically) {
  const auto v = Draw(Dist::kUniform, 300'000, 6);
  KllSketch whole(kKllDefaultK, 9), first(kKllDefaultK, 9);
  for (size_t i = 0; i < v.size(); ++i) whole.Update(v[i]);
  for (size_t i = 0; i < v.size() / 2; ++i) first.Update(v[i]);
  const std::string bytes = first.Serialize();
  auto restored = KllSketch::Deserialize(bytes);
  ASSERT_TRUE(restored.ok()) << restored.status().ToString();
  EXPECT_EQ(restored->Serialize(), bytes);
  // The coin-flip generator's state travels with the sketch: resuming gives the same sketch.
  for (size_t i = v.size() / 2; i < v.size(); ++i) restored->Update(v[i]);
  EXPECT_EQ(restored->Serialize(), whole.Serialize());

  auto empty = KllSketch::Deserialize(KllSketch().Serialize());
  ASSERT_TRUE(empty.ok());
  EXPECT_TRUE(empty->empty());
}

TEST(KllSketchTest, SerialisedSizeIsSmall) {
  for (size_t n : {size_t{1'000}, size_t{100'000}, size_t{1'000'000}}) {
    const std::string bytes = Sketch(Draw(Dist::kNormal, n, 10)).Serialize();
    std::cout << "[kll] k=200 n=" << n << ": " << bytes.size() << " bytes\n";
    EXPECT_LT(bytes.size(), 3200u);
  }
}

TEST(KllSketchTest, CorruptBytesAreRejectedNeverCrash) {
  const std::string good = Sketch(Draw(Dist::kNormal, 50'000, 11)).Serialize();
  // Every truncation.
  for (size_t len = 0; len < good.size(); ++len) {
    EXPECT_FALSE(KllSketch::Deserialize(good.substr(0, len)).ok()) << len;
  }
  EXPECT_EQ(KllSketch::Deserialize(good + "x").status().code(), StatusCode::kDataLoss);
  std::string bad = good;
  bad[0] = 'X';
  EXPECT_EQ(KllSketch::Deserialize(bad).status().code(), StatusCode::kDataLoss);
  bad = good;
  bad[4] = 2;  // a future version
  EXPECT_EQ(KllSketch::Deserialize(bad).status().code(), StatusCode::kFailedPrecondition);
  bad = good;
  bad[5] = 0;  // k = 0 | high byte
  bad[6] = 0;
  EXPECT_EQ(KllSketch::Deserialize(bad).status().code(), StatusCode::kDataLoss);
  bad = good;
  bad[15] ^= 1;  // n off by one: weights no longer sum to it
  EXPECT_EQ(KllSketch::Deserialize(bad).status().code(), StatusCode::kDataLoss);
  // Every single-byte flip either parses to a consistent sketch or is rejected; none crash.
  std::mt19937 gen(12);
  for (size_t i = 0; i < good.size(); ++i) {
    bad = good;
    bad[i] = static_cast<char>(bad[i] ^ (1 + gen() % 255));
    auto r = KllSketch::Deserialize(bad);
    if (r.ok()) {
      EXPECT_EQ(r->Serialize(), bad);
    }
  }
}

TEST(KllSketchTest, InfinitiesAreOrdinaryValues) {
  KllSketch sketch;
  sketch.Update(-std::numeric_limits<float>::infinity());
  sketch.Update(0);
  sketch.Update(std::numeric_limits<float>::infinity());
  EXPECT_EQ(sketch.n(), 3u);
  EXPECT_NEAR(sketch.Rank(0), 2.0 / 3, 1e-12);
  auto r = KllSketch::Deserialize(sketch.Serialize());
  ASSERT_TRUE(r.ok());
}

TEST(KllSketchTest, UpdateThroughput) {
  const auto v = Draw(Dist::kNormal, 2'000'000, 13);
  KllSketch sketch;
  const auto start = std::chrono::steady_clock::now();
  for (float x : v) sketch.Update(x);
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[kll] update: " << ns / static_cast<double>(v.size()) << " ns/value\n";
  EXPECT_EQ(sketch.n(), v.size());
}

TEST(KllSketchTest, KsAndWassersteinOfIdenticalSketchesAreZero) {
  const KllSketch sketch = Sketch(Draw(Dist::kNormal, 100'000, 14));
  const KllSortedView view = sketch.SortedView();
  EXPECT_EQ(KllKsStatistic(view, view), 0.0);
  EXPECT_EQ(KllWasserstein(view, view), 0.0);
}

}  // namespace
}  // namespace mlloop::stats
