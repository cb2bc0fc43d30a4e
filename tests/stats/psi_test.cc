#include "stats/psi.h"

#include <gtest/gtest.h>

#include <cmath>
#include <random>

namespace mlloop::stats {
namespace {

std::vector<float> Range(int n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  return v;
}

TEST(PsiTest, IdenticalSamplesGiveZero) {
  auto ref = Range(1000);
  EXPECT_NEAR(Psi(ref, ref, 10), 0.0, 1e-12);
}

TEST(PsiTest, DecileEdgesAndKnownValue) {
  auto ref = PsiReference::BuildNumeric(Range(1000), 10);
  // Quantiles with linear interpolation: 0.1 * 999 = 99.9, ..., 899.1.
  ASSERT_EQ(ref.edges().size(), 9u);
  EXPECT_NEAR(ref.edges()[0], 99.9, 1e-9);
  EXPECT_NEAR(ref.edges()[8], 899.1, 1e-9);
  // Everything in the first decile: (1-.1)ln(1/.1) + 9 (1e-4-.1) ln(1e-4/.1), by hand.
  std::vector<float> cur(500, 5.0f);
  EXPECT_NEAR(ref.Psi(cur), 8.283089355027482, 1e-9);
}

TEST(PsiTest, ConstantReferenceStillDetectsSpread) {
  // Elec2's Victorian columns are constant (imputed) for a year, then vary.
  std::vector<float> ref(1000, 0.5f);
  std::vector<float> cur(1000, 0.5f);
  for (size_t i = 0; i < 500; ++i) cur[i] = 0.9f;
  // Bins (-inf, .5], (.5, inf), missing; value by hand.
  EXPECT_NEAR(Psi(ref, cur, 10), 4.60431846666895, 1e-9);
}

TEST(PsiTest, MissingValuesHaveTheirOwnBin) {
  auto ref = Range(1000);
  auto cur = Range(1000);
  for (size_t i = 0; i < 1000; i += 2) cur[i] = NAN;
  EXPECT_GT(Psi(ref, cur, 10), 1.0);
}

TEST(PsiTest, CategoricalCountsUnseenCodes) {
  std::vector<float> ref = {0, 1, 0, 1};
  std::vector<float> cur = {0, 1, 2, 2};
  auto r = PsiReference::BuildCategorical(ref);
  EXPECT_NEAR(r.Psi(cur), 4.60431846666895, 1e-9);  // same arithmetic as above, by hand
  EXPECT_NEAR(r.Psi(ref), 0.0, 1e-12);
}

TEST(PsiTest, ShiftGrowsWithMagnitude) {
  std::mt19937 gen(7);
  std::normal_distribution<float> n01(0, 1);
  std::vector<float> ref(5000), small(5000), large(5000);
  for (size_t i = 0; i < ref.size(); ++i) {
    ref[i] = n01(gen);
    small[i] = n01(gen) + 0.1f;
    large[i] = n01(gen) + 1.0f;
  }
  const double ps = Psi(ref, small, 10), pl = Psi(ref, large, 10);
  EXPECT_LT(ps, 0.1);
  EXPECT_GT(pl, 0.25);
}

TEST(PsiTest, EmptyCurrentIsZero) {
  EXPECT_EQ(Psi(Range(10), {}, 10), 0.0);
}

}  // namespace
}  // namespace mlloop::stats
