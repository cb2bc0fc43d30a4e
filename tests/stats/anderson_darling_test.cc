#include "stats/anderson_darling.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "stats/fixtures.h"

// Expected values: scipy.stats.anderson_ksamp(samples, midrank=True) (SciPy 1.10.1) in
// tests/stats/fixtures/distances_scipy.json; "capped" records whether SciPy warned that the
// p-value was capped or floored.

namespace mlloop::stats {
namespace {

using nlohmann::json;

const json& Fixture() {
  static const json fixture = testutil::LoadStatsFixture("distances_scipy.json");
  return fixture;
}

// Tolerances. statistic: A2akN sums up to ~9,000 positive terms (SciPy per sample with
// NumPy's pairwise sum, we sequentially) and sigma_N^2 comes from the harmonic sums h and g
// (NumPy cumsum + pairwise sum, we compensated). Observed <= 2.7e-14 relative; 1e-12
// allowed. significance_level: exp(quadratic fit) - ours solved on centred abscissae,
// NumPy's by lstsq on a scaled Vandermonde matrix; the polynomials agree to ~1e-15 and the
// statistic's error moves log(p) by at most |slope| (< 3) times it. Observed <= 4.4e-15
// relative; 1e-12 allowed. Critical values are the same three-term formula: 1e-14.
void ExpectMatches(const AndersonDarlingResult& r, const json& expected) {
  const double statistic = expected["statistic"];
  EXPECT_NEAR(r.statistic, statistic, 1e-12 * std::max(1.0, std::abs(statistic)));
  const auto critical = expected["critical_values"].get<std::vector<double>>();
  for (size_t i = 0; i < critical.size(); ++i) {
    EXPECT_NEAR(r.critical_values[i], critical[i], 1e-14);
  }
  const double level = expected["significance_level"];
  EXPECT_NEAR(r.significance_level, level, 1e-12 * level);
  EXPECT_EQ(r.capped, expected["capped"].get<bool>());
}

TEST(AndersonDarlingTest, TwoSamplesMatchScipy) {
  int checked = 0, capped_high = 0, floored = 0, interpolated = 0;
  for (const auto& c : Fixture()["numeric"]) {
    if (c["anderson"].contains("error")) continue;
    SCOPED_TRACE(c["name"].get<std::string>());
    auto a = testutil::FixtureFloats(c["a"]), b = testutil::FixtureFloats(c["b"]);
    auto r = AndersonDarling(a, b);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectMatches(*r, c["anderson"]);
    ++checked;
    if (!r->capped) ++interpolated;
    if (r->capped && r->significance_level == 0.25) ++capped_high;
    if (r->capped && r->significance_level == 0.001) ++floored;

    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    auto s = AndersonDarlingSorted(a.data(), a.size(), b.data(), b.size());
    ASSERT_TRUE(s.ok());
    EXPECT_EQ(s->statistic, r->statistic);
  }
  EXPECT_GE(checked, 15);
  // The fixture covers all three regimes of SciPy's p-value.
  EXPECT_GE(capped_high, 2);
  EXPECT_GE(floored, 2);
  EXPECT_GE(interpolated, 4);
}

TEST(AndersonDarlingTest, ThreeSamplesMatchScipy) {
  for (const auto& c : Fixture()["numeric"]) {
    if (!c.contains("anderson_k")) continue;
    SCOPED_TRACE(c["name"].get<std::string>());
    std::vector<std::vector<float>> samples = {testutil::FixtureFloats(c["a"]), testutil::FixtureFloats(c["b"])};
    for (const auto& extra : c["extra"]) samples.push_back(testutil::FixtureFloats(extra));
    auto r = AndersonDarlingKSample(samples);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    ExpectMatches(*r, c["anderson_k"]);
  }
}

TEST(AndersonDarlingTest, AllValuesEqualIsNoEvidenceNotNaN) {
  // SciPy raises here; we report statistic 0 with the capped 0.25 level (see the header).
  auto r = AndersonDarling(std::vector<float>(30, 1.5f), std::vector<float>(25, 1.5f));
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->statistic, 0.0);
  EXPECT_EQ(r->significance_level, 0.25);
  EXPECT_TRUE(r->capped);
}

TEST(AndersonDarlingTest, SmallestSampleByHand) {
  // {1, 2} vs {3, 4}: SciPy gives 1.5427784316797186, p 0.0750 (fixture four_values_2_2);
  // with 3 values in total the variance divides by zero, so that is refused.
  auto r = AndersonDarling({1, 2}, {3, 4});
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->statistic, 1.5427784316797186, 1e-12);
  EXPECT_EQ(AndersonDarling({1, 2}, {3}).status().code(), StatusCode::kInvalidArgument);
}

TEST(AndersonDarlingTest, RejectsBadInput) {
  EXPECT_EQ(AndersonDarling({}, {1, 2, 3, 4}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AndersonDarling({1, NAN, 3}, {1, 2, 3}).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(AndersonDarlingKSample({{1, 2, 3, 4, 5}}).status().code(),
            StatusCode::kInvalidArgument);
  const std::vector<float> unsorted = {3, 1, 2};
  EXPECT_EQ(AndersonDarlingSorted(unsorted.data(), 3, unsorted.data(), 3).status().code(),
            StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlloop::stats
