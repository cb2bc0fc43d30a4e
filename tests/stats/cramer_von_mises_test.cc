#include "stats/cramer_von_mises.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "stats/fixtures.h"

// Expected values: scipy.stats.cramervonmises_2samp (SciPy 1.10.1) in
// tests/stats/fixtures/distances_scipy.json; "p_value_integer" is the fixture script's own
// Python-integer recursion, an independent check of the exact p-values.

namespace mlloop::stats {
namespace {

using nlohmann::json;

const json& Fixture() {
  static const json fixture = testutil::LoadStatsFixture("distances_scipy.json");
  return fixture;
}

TEST(CramerVonMisesTest, StatisticMatchesScipy) {
  // U is a sum of multiples of 1/4 and exact in double on both sides, and T = U / (k N) - c
  // is then the same two operations: observed bit-identical; 1e-13 relative allowed.
  int checked = 0;
  for (const auto& c : Fixture()["numeric"]) {
    if (!c.contains("cvm_asymptotic")) continue;
    SCOPED_TRACE(c["name"].get<std::string>());
    auto r = CramerVonMises(testutil::FixtureFloats(c["a"]), testutil::FixtureFloats(c["b"]), CvmMethod::kAsymptotic);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    const double expected = c["cvm_asymptotic"]["statistic"];
    EXPECT_NEAR(r->statistic, expected, 1e-13 * std::max(1.0, expected));
    ++checked;
  }
  EXPECT_GE(checked, 15);
}

TEST(CramerVonMisesTest, ExactPValueMatchesScipyAndIntegerCount) {
  // Both are (number of splits with zeta >= floor(zeta_obs)) / C(N, nx), counted exactly in
  // 64-bit integers, then one division: equal to the last bit, 1e-15 allowed.
  int checked = 0;
  for (const auto& c : Fixture()["numeric"]) {
    if (!c.contains("cvm_exact")) continue;
    SCOPED_TRACE(c["name"].get<std::string>());
    auto r = CramerVonMises(testutil::FixtureFloats(c["a"]), testutil::FixtureFloats(c["b"]), CvmMethod::kExact);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->method, CvmMethod::kExact);
    EXPECT_NEAR(r->p_value, c["cvm_exact"]["p_value"].get<double>(), 1e-15);
    EXPECT_NEAR(r->p_value, c["cvm_exact"]["p_value_integer"].get<double>(), 1e-15);
    ++checked;
  }
  EXPECT_GE(checked, 8);
}

TEST(CramerVonMisesTest, AsymptoticPValueMatchesScipy) {
  // The same series with the same stopping rule; the terms differ only by the Bessel
  // function (libstdc++ std::cyl_bessel_k vs Cephes/AMOS kv in SciPy, both ~1e-15
  // relative) and lgamma. p = 1 - cdf keeps the CDF's absolute error: observed <= 2.2e-15
  // absolute (so ~1e-7 relative at p ~ 1e-8, the large-drift cases); 1e-13 absolute.
  for (const auto& c : Fixture()["numeric"]) {
    if (!c.contains("cvm_asymptotic")) continue;
    SCOPED_TRACE(c["name"].get<std::string>());
    auto r = CramerVonMises(testutil::FixtureFloats(c["a"]), testutil::FixtureFloats(c["b"]), CvmMethod::kAsymptotic);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->method, CvmMethod::kAsymptotic);
    EXPECT_NEAR(r->p_value, c["cvm_asymptotic"]["p_value"].get<double>(), 1e-13);
  }
}

TEST(CramerVonMisesTest, AutoFollowsScipyAndSortedFormAgrees) {
  for (const auto& c : Fixture()["numeric"]) {
    if (!c.contains("cvm_auto_method")) continue;
    SCOPED_TRACE(c["name"].get<std::string>());
    auto x = testutil::FixtureFloats(c["a"]), y = testutil::FixtureFloats(c["b"]);
    const bool exact = c["cvm_auto_method"] == "exact";
    EXPECT_EQ(ResolveCvmMethod(x.size(), y.size()),
              exact ? CvmMethod::kExact : CvmMethod::kAsymptotic);
    auto r = CramerVonMises(x, y);
    ASSERT_TRUE(r.ok());
    const json& expected = c[exact ? "cvm_exact" : "cvm_asymptotic"];
    EXPECT_NEAR(r->p_value, expected["p_value"].get<double>(), exact ? 1e-15 : 1e-13);

    std::sort(x.begin(), x.end());
    std::sort(y.begin(), y.end());
    auto s = CramerVonMisesSorted(x.data(), x.size(), y.data(), y.size());
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->statistic, r->statistic);
    EXPECT_EQ(s->p_value, r->p_value);
  }
  EXPECT_EQ(ResolveCvmMethod(20, 20), CvmMethod::kExact);
  EXPECT_EQ(ResolveCvmMethod(21, 2), CvmMethod::kAsymptotic);
  EXPECT_EQ(ResolveCvmMethod(500, 500, CvmMethod::kExact), CvmMethod::kExact);
}

TEST(CramerVonMisesTest, LimitingCdfMatchesScipy) {
  // SciPy's _cdf_cvm_inf at fixed points; same series and stopping rule. Observed
  // <= 2.4e-15 absolute (the Bessel functions); 1e-13 absolute.
  for (const auto& point : Fixture()["cvm_limiting_cdf"]) {
    const double x = point["x"];
    SCOPED_TRACE(x);
    EXPECT_NEAR(CramerVonMisesLimitingCdf(x), point["cdf"].get<double>(), 1e-13);
  }
}

TEST(CramerVonMisesTest, AllValuesEqualIsFiniteAndAsScipy) {
  // Midranks make T = 0.1527 (not 0) for 30 vs 25 tied values; SciPy gives p = 0.391.
  auto unequal = CramerVonMises(std::vector<float>(30, 1.5f), std::vector<float>(25, 1.5f));
  ASSERT_TRUE(unequal.ok());
  EXPECT_NEAR(unequal->statistic, 0.15272727272727238, 1e-13);
  EXPECT_NEAR(unequal->p_value, 0.39100866745181095, 1e-13);
  auto equal = CramerVonMises({-1, -1, -1}, {-1, -1, -1});
  ASSERT_TRUE(equal.ok());
  EXPECT_EQ(equal->statistic, 0.0);
  EXPECT_EQ(equal->p_value, 1.0);
}

TEST(CramerVonMisesTest, RejectsBadInput) {
  EXPECT_EQ(CramerVonMises({1}, {1, 2}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CramerVonMises({}, {1, 2}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(CramerVonMises({1, NAN}, {1, 2}).status().code(), StatusCode::kInvalidArgument);
  const std::vector<float> unsorted = {2, 1};
  EXPECT_EQ(CramerVonMisesSorted(unsorted.data(), 2, unsorted.data(), 2).status().code(),
            StatusCode::kInvalidArgument);
  // C(200, 100) splits do not fit in 64 bits: the exact method refuses instead of
  // overflowing.
  std::vector<float> x(100), y(100);
  for (size_t i = 0; i < 100; ++i) {
    x[i] = static_cast<float>(i);
    y[i] = static_cast<float>(i) + 0.5f;
  }
  EXPECT_EQ(CramerVonMises(x, y, CvmMethod::kExact).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlloop::stats
