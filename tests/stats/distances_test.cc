#include "stats/distances.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "stats/fixtures.h"

// Expected values come from tests/stats/fixtures/distances_scipy.json, written by
// make_distance_fixtures.py with SciPy 1.10.1 / NumPy 1.24 on the same float32 inputs.

namespace mlloop::stats {
namespace {

using nlohmann::json;

const json& Fixture() {
  static const json fixture = testutil::LoadStatsFixture("distances_scipy.json");
  return fixture;
}

std::vector<double> Doubles(const json& values) { return values.get<std::vector<double>>(); }

std::vector<float> Sorted(std::vector<float> v) {
  std::sort(v.begin(), v.end());
  return v;
}

// Relative tolerance, with an absolute floor for values near 0.
double Tol(double expected, double relative) {
  return relative * std::max(1.0, std::abs(expected));
}

TEST(WassersteinTest, MatchesScipyOnEveryFixtureCase) {
  // Both sides sum |F_a - F_b| * dx over the same pooled float32 values; only the
  // summation order differs (NumPy pairwise, ours compensated). Observed: <= 1.8e-15
  // relative (the 9,000-value case); 1e-13 relative leaves margin for larger windows.
  for (const auto& c : Fixture()["numeric"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const auto a = testutil::FixtureFloats(c["a"]), b = testutil::FixtureFloats(c["b"]);
    const double expected = c["wasserstein"];
    auto w = Wasserstein(a, b);
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_NEAR(*w, expected, Tol(expected, 1e-13));

    const auto sa = Sorted(a), sb = Sorted(b);
    auto ws = WassersteinSorted(sa.data(), sa.size(), sb.data(), sb.size());
    ASSERT_TRUE(ws.ok());
    EXPECT_EQ(*ws, *w);
  }
}

TEST(WassersteinTest, NormalizedMatchesEvidentlyFormula) {
  // Reference std in double (ours compensated two-pass, NumPy pairwise two-pass): observed
  // <= 1.8e-15 relative; 1e-13 as above. The constant-reference case divides by the 1e-3
  // floor (expected 880.77...).
  for (const auto& c : Fixture()["numeric"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    const double expected = c["wasserstein_normalized"];
    auto w = WassersteinNormalized(testutil::FixtureFloats(c["a"]), testutil::FixtureFloats(c["b"]));
    ASSERT_TRUE(w.ok()) << w.status().ToString();
    EXPECT_NEAR(*w, expected, Tol(expected, 1e-13));
  }
}

TEST(WassersteinTest, ShiftOfWholeSampleIsTheShift) {
  // Moving every unit of mass by 5 costs 5 (by hand).
  auto w = Wasserstein({0, 1, 3}, {5, 6, 8});
  ASSERT_TRUE(w.ok());
  EXPECT_DOUBLE_EQ(*w, 5.0);
}

TEST(WassersteinTest, ConstantSamplesNeverGiveNaN) {
  const std::vector<float> same(40, 3.25f), other(10, 4.25f);
  auto zero = WassersteinNormalized(same, same);
  ASSERT_TRUE(zero.ok());
  EXPECT_EQ(*zero, 0.0);
  // Reference std is 0, so the 1e-3 floor applies: W1 = 1, normalised = 1000.
  auto moved = WassersteinNormalized(same, other);
  ASSERT_TRUE(moved.ok());
  EXPECT_NEAR(*moved, 1.0 / kWassersteinStdFloor, 1e-9);
}

TEST(WassersteinTest, RejectsMissingEmptyAndUnsortedInput) {
  const std::vector<float> ok = {1, 2, 3};
  EXPECT_EQ(Wasserstein(ok, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Wasserstein({1, NAN, 3}, ok).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(Wasserstein(ok, {std::numeric_limits<float>::infinity()}).status().code(),
            StatusCode::kInvalidArgument);
  const std::vector<float> unsorted = {3, 1, 2};
  EXPECT_EQ(WassersteinSorted(unsorted.data(), 3, ok.data(), 3).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(WassersteinNormalized({}, ok).status().code(), StatusCode::kInvalidArgument);
}

TEST(PopulationStdDevTest, DividesByN) {
  const std::vector<float> v = {1, 2, 3, 4};  // mean 2.5, squared deviations sum to 5
  EXPECT_DOUBLE_EQ(PopulationStdDev(v.data(), v.size()), std::sqrt(5.0 / 4.0));
}

TEST(FrequencyDistanceTest, MatchesScipyAndNumpy) {
  // Sums of at most 50 terms of size <= 1: agreement to a few ulps of 1. The exception is
  // near_identical (JS distance ~1e-7): there log(p / m) is ~1e-7 computed from a ratio
  // rounded to 1e-16, so the divergence (~1e-14) carries ~1e-16 absolute error, which
  // sqrt amplifies by 1 / (2 sqrt(x)) ~ 5e6: 1e-9 there. (Observed: 0 everywhere, since we
  // perform SciPy's operations in SciPy's order, but the bound is what is guaranteed.)
  for (const auto& c : Fixture()["frequencies"]) {
    const std::string name = c["name"];
    SCOPED_TRACE(name);
    const double tol = name == "near_identical" ? 1e-9 : 1e-13;
    const auto p = Doubles(c["p"]), q = Doubles(c["q"]);
    auto js2 = JensenShannonDistance(p, q);  // default base 2
    auto jse = JensenShannonDistance(p, q, LogBase::kNatural);
    auto hel = HellingerDistance(p, q);
    auto linf = LInfinityDistance(p, q);
    ASSERT_TRUE(js2.ok() && jse.ok() && hel.ok() && linf.ok());
    EXPECT_NEAR(*js2, c["js_base2"].get<double>(), tol);
    EXPECT_NEAR(*jse, c["js_natural"].get<double>(), tol);
    EXPECT_NEAR(*hel, c["hellinger"].get<double>(), tol);
    EXPECT_NEAR(*linf, c["linf"].get<double>(), 1e-15);
  }
}

TEST(FrequencyDistanceTest, BoundsAtDisjointAndIdentical) {
  const std::vector<double> p = {5, 5, 0, 0}, q = {0, 0, 3, 7};
  EXPECT_NEAR(*JensenShannonDistance(p, q), 1.0, 1e-15);
  EXPECT_NEAR(*JensenShannonDistance(p, q, LogBase::kNatural), std::sqrt(std::log(2.0)), 1e-15);
  EXPECT_NEAR(*HellingerDistance(p, q), 1.0, 1e-15);
  EXPECT_NEAR(*LInfinityDistance(p, q), 0.7, 1e-15);
  // Same shares from different totals: exactly 0, not a NaN from a -1e-17 divergence.
  const std::vector<double> a = {1, 2, 3}, b = {10, 20, 30};
  EXPECT_EQ(*JensenShannonDistance(a, b), 0.0);
  EXPECT_EQ(*HellingerDistance(a, b), 0.0);
  EXPECT_EQ(*LInfinityDistance(a, b), 0.0);
}

TEST(FrequencyDistanceTest, NearlyIdenticalIsSmallNotNaN) {
  // SciPy 1.10's jensenshannon returns NaN for both pairs (its divergence rounds to
  // -1e-17 and it takes the square root); the true distance is ~1e-10.
  const std::vector<double> p = {0.3, 0.3, 0.4}, q = {0.3, 0.3, 0.4000000001};
  const std::vector<double> r = {0.1, 0.2, 0.7}, s = {0.1000000001, 0.2, 0.7};
  for (LogBase base : {LogBase::kTwo, LogBase::kNatural}) {
    auto pq = JensenShannonDistance(p, q, base);
    auto rs = JensenShannonDistance(r, s, base);
    ASSERT_TRUE(pq.ok() && rs.ok());
    EXPECT_FALSE(std::isnan(*pq) || std::isnan(*rs));
    EXPECT_NEAR(*pq, 0.0, 1e-7);
    EXPECT_NEAR(*rs, 0.0, 1e-7);
  }
}

TEST(FrequencyDistanceTest, RejectsInvalidVectors) {
  const std::vector<double> ok = {1, 2};
  EXPECT_EQ(JensenShannonDistance(ok, {1, 2, 3}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(JensenShannonDistance({}, {}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(HellingerDistance(ok, {0, 0}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(LInfinityDistance(ok, {-1, 2}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(JensenShannonDistance(ok, {NAN, 1}).status().code(), StatusCode::kInvalidArgument);
}

TEST(CountCategoriesTest, AlignsCodesIncludingUnseen) {
  // Expected codes and counts: np.union1d and per-code counts in the fixture.
  for (const auto& c : Fixture()["categories"]) {
    auto counts = CountCategories(testutil::FixtureFloats(c["reference"]), testutil::FixtureFloats(c["current"]));
    ASSERT_TRUE(counts.ok()) << counts.status().ToString();
    EXPECT_EQ(std::vector<double>(counts->codes.begin(), counts->codes.end()), Doubles(c["codes"]));
    EXPECT_EQ(counts->reference, Doubles(c["reference_counts"]));
    EXPECT_EQ(counts->current, Doubles(c["current_counts"]));
  }
}

TEST(CountCategoriesTest, FeedsTheDistances) {
  auto counts = CountCategories({0, 0, 1, 1}, {1, 1, 2, 2});
  ASSERT_TRUE(counts.ok());
  EXPECT_EQ(counts->codes, (std::vector<float>{0, 1, 2}));
  EXPECT_EQ(counts->reference, (std::vector<double>{2, 2, 0}));
  EXPECT_EQ(counts->current, (std::vector<double>{0, 2, 2}));
  EXPECT_NEAR(*LInfinityDistance(counts->reference, counts->current), 0.5, 1e-15);
  EXPECT_EQ(CountCategories({0, NAN}, {0}).status().code(), StatusCode::kInvalidArgument);
}

TEST(CountInSharedBinsTest, MatchesNumpyHistogram) {
  // Edges are computed with NumPy's linspace arithmetic (i * step + lo), so they agree
  // to the last bit; counts are integers and must be equal.
  for (const auto& c : Fixture()["numeric"]) {
    SCOPED_TRACE(c["name"].get<std::string>());
    auto bins = CountInSharedBins(testutil::FixtureFloats(c["a"]), testutil::FixtureFloats(c["b"]), 10);
    ASSERT_TRUE(bins.ok()) << bins.status().ToString();
    const auto edges = Doubles(c["bins10"]["edges"]);
    ASSERT_EQ(bins->edges.size(), edges.size());
    for (size_t i = 0; i < edges.size(); ++i) EXPECT_DOUBLE_EQ(bins->edges[i], edges[i]);
    EXPECT_EQ(bins->reference, Doubles(c["bins10"]["a"]));
    EXPECT_EQ(bins->current, Doubles(c["bins10"]["b"]));
  }
}

TEST(CountInSharedBinsTest, ConstantDataGetsAUnitRangeAndBadBinsAreRejected) {
  auto bins = CountInSharedBins({2, 2}, {2}, 4);
  ASSERT_TRUE(bins.ok());
  EXPECT_EQ(bins->edges, (std::vector<double>{1.5, 1.75, 2.0, 2.25, 2.5}));
  EXPECT_EQ(bins->reference, (std::vector<double>{0, 0, 2, 0}));
  EXPECT_EQ(bins->current, (std::vector<double>{0, 0, 1, 0}));
  EXPECT_EQ(CountInSharedBins({1}, {2}, 0).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlloop::stats

namespace mlloop::stats {
namespace {

// W1 by SciPy's route (integrating |F_a - F_b| over the pooled sorted values), in long
// double: the reference for the quantile-function walk WassersteinSorted takes.
long double CdfRouteW1(const std::vector<float>& a, const std::vector<float>& b) {
  std::vector<float> all(a);
  all.insert(all.end(), b.begin(), b.end());
  std::sort(all.begin(), all.end());
  long double total = 0;
  for (size_t k = 0; k + 1 < all.size(); ++k) {
    const auto i = std::upper_bound(a.begin(), a.end(), all[k]) - a.begin();
    const auto j = std::upper_bound(b.begin(), b.end(), all[k]) - b.begin();
    const long double gap = std::fabs(static_cast<long double>(i) / a.size() -
                                      static_cast<long double>(j) / b.size());
    total += gap * (static_cast<long double>(all[k + 1]) - all[k]);
  }
  return total;
}

TEST(WassersteinTest, QuantileWalkAgreesWithTheCdfRouteOnLargeSamples) {
  std::mt19937 gen(7);
  std::lognormal_distribution<float> skewed(0, 1);
  std::uniform_int_distribution<int> coarse(0, 9);
  for (int shape = 0; shape < 3; ++shape) {
    std::vector<float> a(40000 + shape), b(25000 - 7 * shape);
    for (auto& x : a) x = shape == 1 ? static_cast<float>(coarse(gen)) : skewed(gen);
    for (auto& x : b) x = shape == 1 ? static_cast<float>(coarse(gen) / 2) : skewed(gen) * 1.1f;
    if (shape == 2) std::fill(b.begin(), b.begin() + 20000, 0.5f);  // a long tie run
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    auto w = WassersteinSorted(a.data(), a.size(), b.data(), b.size());
    ASSERT_TRUE(w.ok());
    const double want = static_cast<double>(CdfRouteW1(a, b));
    EXPECT_NEAR(*w, want, 1e-13 * want) << "shape " << shape;
  }
}

}  // namespace
}  // namespace mlloop::stats
