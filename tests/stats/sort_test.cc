#include "stats/sort.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

namespace mlloop::stats {
namespace {

// Equal values at every index (-0.0 == +0.0: their order among themselves is not
// promised), and the same multiset of bit patterns.
void ExpectSameOrder(const std::vector<float>& got, const std::vector<float>& want) {
  ASSERT_EQ(got.size(), want.size());
  size_t negative_zeros_got = 0, negative_zeros_want = 0;
  for (size_t i = 0; i < got.size(); ++i) {
    ASSERT_EQ(got[i], want[i]) << "index " << i;
    negative_zeros_got += got[i] == 0 && std::signbit(got[i]);
    negative_zeros_want += want[i] == 0 && std::signbit(want[i]);
  }
  EXPECT_EQ(negative_zeros_got, negative_zeros_want);
}

std::vector<float> Reference(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v;
}

TEST(SortFloatsTest, AgreesWithStdSortAcrossSizesAndShapes) {
  std::mt19937 rng(20261122);
  std::normal_distribution<float> normal(0, 1000);
  std::uniform_int_distribution<int> small(-3, 3);
  std::vector<uint32_t> scratch;
  for (size_t n : {0, 1, 2, 100, 4095, 4096, 4097, 100000, 300001}) {
    for (int shape = 0; shape < 4; ++shape) {
      std::vector<float> v(n);
      for (auto& x : v) {
        switch (shape) {
          case 0: x = normal(rng); break;                               // both signs
          case 1: x = static_cast<float>(small(rng)) * 0.5f; break;     // heavy ties, zeros
          case 2: x = std::abs(normal(rng)) + 1e30f; break;             // one exponent
          default: x = std::ldexp(normal(rng), small(rng) * 40); break;  // wide exponents
        }
      }
      if (n > 10) {
        v[1] = -0.0f;
        v[2] = 0.0f;
        v[3] = std::numeric_limits<float>::infinity();
        v[4] = -std::numeric_limits<float>::infinity();
        v[5] = std::numeric_limits<float>::denorm_min();
        v[6] = -std::numeric_limits<float>::denorm_min();
        v[7] = std::numeric_limits<float>::max();
        v[8] = std::numeric_limits<float>::lowest();
      }
      const std::vector<float> want = Reference(v);
      SortFloats(v, &scratch);
      SCOPED_TRACE(testing::Message() << "n=" << n << " shape=" << shape);
      ExpectSameOrder(v, want);
    }
  }
}

TEST(SortFloatsTest, AlreadySortedAndReversedInputs) {
  std::vector<uint32_t> scratch;
  std::vector<float> up(50000), down(50000);
  for (size_t i = 0; i < up.size(); ++i) up[i] = static_cast<float>(i) - 25000.0f;
  for (size_t i = 0; i < up.size(); ++i) down[i] = up[up.size() - 1 - i];
  const std::vector<float> want = up;
  SortFloats(up, &scratch);
  SortFloats(down, &scratch);
  ExpectSameOrder(up, want);
  ExpectSameOrder(down, want);
}

}  // namespace
}  // namespace mlloop::stats
