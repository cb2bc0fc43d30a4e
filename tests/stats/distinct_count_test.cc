#include "stats/distinct_count.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <string>
#include <vector>

namespace mlloop::stats {
namespace {

HyperLogLog Of(size_t distinct, uint64_t seed, int precision = kHllDefaultPrecision) {
  HyperLogLog hll(precision);
  const std::string prefix = "s" + std::to_string(seed) + ":";
  for (size_t i = 0; i < distinct; ++i) hll.Update(prefix + std::to_string(i));
  return hll;
}

TEST(HyperLogLogTest, HashIsPinned) {
  // FNV-1a 64 + fmix64, computed independently in Python; part of the wire format.
  EXPECT_EQ(HllHash(""), 0xefd01f60ba992926ULL);
  EXPECT_EQ(HllHash("a"), 0x82a2a958a9bece5bULL);
  EXPECT_EQ(HllHash("mlloop"), 0xbe83c396ec85fea7ULL);
}

TEST(HyperLogLogTest, EmptyAndSmall) {
  HyperLogLog hll;
  EXPECT_EQ(hll.Estimate(), 0.0);
  EXPECT_NEAR(hll.standard_error(), 1.04 / 64, 1e-12);
  for (size_t n : {size_t{1}, size_t{10}, size_t{100}}) {
    EXPECT_NEAR(Of(n, 1).Estimate(), static_cast<double>(n), 0.02 * static_cast<double>(n) + 0.5);
  }
  // Duplicates do not count.
  HyperLogLog dup;
  for (int i = 0; i < 1000; ++i) dup.Update("same");
  EXPECT_NEAR(dup.Estimate(), 1.0, 0.01);
}

// The measurement behind distinct_count.h: 20 seeds per cardinality; each estimate within
// 3 standard errors (4.9% at p = 12), and the mean relative error (bias) within 1%.
TEST(HyperLogLogTest, ErrorWithinThreeStandardErrors) {
  for (size_t n : {size_t{1'000}, size_t{10'000}, size_t{100'000}}) {
    double sum = 0, sum_sq = 0;
    const int seeds = 20;
    for (int s = 0; s < seeds; ++s) {
      const double rel = Of(n, 100 + s).Estimate() / static_cast<double>(n) - 1;
      EXPECT_LE(std::abs(rel), 3 * 1.04 / 64) << "n=" << n << " seed=" << s;
      sum += rel;
      sum_sq += rel * rel;
    }
    const double bias = sum / seeds, sd = std::sqrt(sum_sq / seeds - bias * bias);
    EXPECT_LE(std::abs(bias), 0.01) << n;
    std::cout << "[hll] p=12 n=" << n << ": bias " << bias << ", sd " << sd << "\n";
  }
  const double rel = Of(1'000'000, 7).Estimate() / 1e6 - 1;
  EXPECT_LE(std::abs(rel), 3 * 1.04 / 64);
}

TEST(HyperLogLogTest, MergeIsSketchOfUnion) {
  HyperLogLog a, b, whole;
  for (int i = 0; i < 30'000; ++i) {
    const std::string s = std::to_string(i);
    (i % 3 == 0 ? a : b).Update(s);
    if (i % 5 == 0) a.Update(s);  // overlap
    whole.Update(s);
  }
  ASSERT_TRUE(a.Merge(b).ok());
  EXPECT_TRUE(a.Serialize() == whole.Serialize());
  HyperLogLog other(10);
  EXPECT_EQ(a.Merge(other).code(), StatusCode::kInvalidArgument);
}

TEST(HyperLogLogTest, SerialiseRoundTripAndCorruption) {
  const HyperLogLog hll = Of(5'000, 9);
  const std::string bytes = hll.Serialize();
  EXPECT_EQ(bytes.size(), 4096u + 6);
  auto back = HyperLogLog::Deserialize(bytes);
  ASSERT_TRUE(back.ok());
  EXPECT_EQ(back->Estimate(), hll.Estimate());
  for (size_t len : {size_t{0}, size_t{3}, size_t{5}, size_t{6}, bytes.size() - 1}) {
    EXPECT_EQ(HyperLogLog::Deserialize(bytes.substr(0, len)).status().code(),
              StatusCode::kDataLoss);
  }
  std::string bad = bytes;
  bad[10] = 60;  // > 64 - 12 + 1
  EXPECT_EQ(HyperLogLog::Deserialize(bad).status().code(), StatusCode::kDataLoss);
  bad = bytes;
  bad[5] = 30;  // precision out of range
  EXPECT_EQ(HyperLogLog::Deserialize(bad).status().code(), StatusCode::kDataLoss);
  bad = bytes;
  bad[4] = 2;
  EXPECT_EQ(HyperLogLog::Deserialize(bad).status().code(), StatusCode::kFailedPrecondition);
}

TEST(HyperLogLogTest, UpdateThroughput) {
  std::vector<std::string> items;
  for (int i = 0; i < 1'000'000; ++i) items.push_back("category_" + std::to_string(i % 5000));
  HyperLogLog hll;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& s : items) hll.Update(s);
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[hll] update: " << ns / static_cast<double>(items.size()) << " ns/item\n";
  EXPECT_NEAR(hll.Estimate(), 5000, 5000 * 3 * hll.standard_error());
}

}  // namespace
}  // namespace mlloop::stats
