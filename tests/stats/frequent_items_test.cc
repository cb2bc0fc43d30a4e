#include "stats/frequent_items.h"

#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <iostream>
#include <map>
#include <random>
#include <string>
#include <vector>

namespace mlloop::stats {
namespace {

std::vector<std::string> Zipf(size_t n, size_t distinct, double s, uint64_t seed) {
  std::vector<double> w(distinct);
  for (size_t i = 0; i < distinct; ++i) w[i] = 1.0 / std::pow(i + 1.0, s);
  std::mt19937_64 gen(seed);
  std::discrete_distribution<size_t> pick(w.begin(), w.end());
  std::vector<std::string> v(n);
  for (auto& x : v) x = "item" + std::to_string(pick(gen));
  return v;
}

std::map<std::string, uint64_t> Truth(const std::vector<std::string>& v) {
  std::map<std::string, uint64_t> counts;
  for (const auto& x : v) ++counts[x];
  return counts;
}

// The Misra-Gries guarantee: counter <= true count <= counter + max_error for every item,
// tracked or not, and max_error <= (n - tracked) / (m + 1).
void ExpectBoundsHold(const FrequentItems& fi, const std::map<std::string, uint64_t>& truth) {
  for (const auto& [item, count] : truth) {
    EXPECT_LE(fi.LowerBound(item), count) << item;
    EXPECT_GE(fi.UpperBound(item), count) << item;
  }
  EXPECT_LE(fi.max_error() * (fi.capacity() + 1), fi.n() - fi.tracked_total());
  EXPECT_LE(fi.num_tracked(), fi.capacity());
}

TEST(FrequentItemsTest, ExactWithinCapacity) {
  FrequentItems fi(4);
  for (const char* s : {"b", "a", "b", "c", "b", "a"}) fi.Update(s);
  fi.Update("d", 10);
  EXPECT_EQ(fi.n(), 16u);
  EXPECT_EQ(fi.max_error(), 0u);
  const auto top = fi.TopItems();
  ASSERT_EQ(top.size(), 4u);
  EXPECT_EQ(top[0].item, "d");
  EXPECT_EQ(top[1].item, "b");
  EXPECT_EQ(top[2].item, "a");
  EXPECT_EQ(top[3].item, "c");
  EXPECT_EQ(top[1].lower, 3u);
  EXPECT_EQ(top[1].upper, 3u);
  EXPECT_EQ(fi.TopItems(2).size(), 2u);
  EXPECT_EQ(fi.LowerBound("zzz"), 0u);
}

TEST(FrequentItemsTest, ClassicDecrementWhenFull) {
  // m = 2: a, b fill it; c forces one decrement of 1 (c's own 1 and a's and b's).
  FrequentItems fi(2);
  fi.Update("a", 3);
  fi.Update("b", 1);
  fi.Update("c");
  EXPECT_EQ(fi.max_error(), 1u);
  EXPECT_EQ(fi.LowerBound("a"), 2u);
  EXPECT_EQ(fi.LowerBound("b"), 0u);
  EXPECT_EQ(fi.UpperBound("c"), 1u);
  ExpectBoundsHold(fi, {{"a", 3}, {"b", 1}, {"c", 1}});
}

TEST(FrequentItemsTest, BoundsHoldOnZipfStreams) {
  for (double s : {0.8, 1.0, 1.5}) {
    const auto v = Zipf(200'000, 20'000, s, 1);
    FrequentItems fi(128);
    for (const auto& x : v) fi.Update(x);
    const auto truth = Truth(v);
    ExpectBoundsHold(fi, truth);
    // Every item above n / (m + 1) is tracked.
    for (const auto& [item, count] : truth) {
      if (count * 129 > v.size()) {
        EXPECT_GT(fi.LowerBound(item), 0u) << item;
      }
    }
    std::cout << "[frequent] zipf " << s << ": max_error/n = "
              << static_cast<double>(fi.max_error()) / static_cast<double>(v.size()) << "\n";
  }
}

TEST(FrequentItemsTest, MergeIsSummaryOfUnion) {
  const auto v = Zipf(200'000, 10'000, 1.1, 2);
  std::vector<FrequentItems> parts(4, FrequentItems(64));
  for (size_t i = 0; i < v.size(); ++i) parts[(i * 7919) % 4].Update(v[i]);
  FrequentItems merged = parts[0];
  for (size_t p = 1; p < parts.size(); ++p) merged.Merge(parts[p]);
  EXPECT_EQ(merged.n(), v.size());
  ExpectBoundsHold(merged, Truth(v));
  // The most frequent items come out on top.
  const auto top = merged.TopItems(3);
  EXPECT_EQ(top[0].item, "item0");
  EXPECT_EQ(top[1].item, "item1");
}

TEST(FrequentItemsTest, SerialiseRoundTripAndCorruption) {
  FrequentItems fi(32);
  for (const auto& x : Zipf(10'000, 300, 1.0, 3)) fi.Update(x);
  const std::string bytes = fi.Serialize();
  auto back = FrequentItems::Deserialize(bytes);
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  EXPECT_TRUE(back->Serialize() == bytes);
  EXPECT_EQ(back->max_error(), fi.max_error());
  for (size_t len = 0; len < bytes.size(); ++len) {
    EXPECT_FALSE(FrequentItems::Deserialize(bytes.substr(0, len)).ok()) << len;
  }
  EXPECT_EQ(FrequentItems::Deserialize(bytes + "z").status().code(), StatusCode::kDataLoss);
  std::mt19937 gen(4);
  for (size_t i = 0; i < bytes.size(); ++i) {
    std::string bad = bytes;
    bad[i] = static_cast<char>(bad[i] ^ (1 + gen() % 255));
    auto r = FrequentItems::Deserialize(bad);
    if (r.ok()) {
      EXPECT_TRUE(r->Serialize() == bad) << i;
    }
  }
  // Capacity 0.
  std::string bad = bytes;
  bad[5] = bad[6] = bad[7] = bad[8] = 0;
  EXPECT_EQ(FrequentItems::Deserialize(bad).status().code(), StatusCode::kDataLoss);
}

TEST(FrequentItemsTest, UpdateThroughput) {
  const auto v = Zipf(500'000, 5'000, 1.0, 5);
  FrequentItems fi;
  const auto start = std::chrono::steady_clock::now();
  for (const auto& x : v) fi.Update(x);
  const double ns =
      std::chrono::duration<double, std::nano>(std::chrono::steady_clock::now() - start).count();
  std::cout << "[frequent] m=128, 5000 categories: " << ns / static_cast<double>(v.size())
            << " ns/update, " << fi.Serialize().size() << " bytes\n";
  EXPECT_EQ(fi.n(), v.size());
}

}  // namespace
}  // namespace mlloop::stats
