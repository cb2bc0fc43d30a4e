#include "stats/z_test.h"

#include <gtest/gtest.h>

#include <array>
#include <cmath>
#include <string>

#include "stats/fixtures.h"

namespace mlloop::stats {
namespace {

// Reference values: statsmodels' proportions_ztest(count, nobs) formula evaluated with
// NumPy and scipy.stats.norm.sf (tests/stats/fixtures/make_test_fixtures.py).
const nlohmann::json& Cases() {
  static const nlohmann::json fixture = testutil::LoadStatsFixture("tests_scipy.json");
  return fixture["ztest"];
}

TEST(TwoProportionZTestTest, MatchesStatsmodelsFormula) {
  ASSERT_GE(Cases().size(), 8u);
  for (const auto& c : Cases()) {
    const std::string where = c["name"];
    auto got = TwoProportionZTest(c["k_a"], c["n_a"], c["k_b"], c["n_b"]);
    ASSERT_TRUE(got.ok()) << where << ": " << got.status().ToString();
    const double z = c["statistic"], p = c["pvalue"];
    // Same operations in the same order: the statistic is bit-identical in practice.
    EXPECT_NEAR(got->statistic, z, 1e-14 * std::fabs(z)) << where;
    // glibc's erfc vs Cephes' in the far tail (p ~ 1e-213): ~1e-14 relative.
    EXPECT_NEAR(got->p_value, p, 1e-13 * p) << where;
  }
}

TEST(TwoProportionZTestTest, SignIsReferenceMinusCurrent) {
  auto r = TwoProportionZTest(60, 100, 40, 100);
  ASSERT_TRUE(r.ok());
  EXPECT_GT(r->statistic, 0);
  // By hand: pooled 0.5, se = sqrt(0.25 * 0.02) = sqrt(0.005); z = 0.2 / se.
  EXPECT_NEAR(r->statistic, 0.2 / std::sqrt(0.005), 1e-12);
}

TEST(TwoProportionZTestTest, ZeroVarianceMeansNoEvidence) {
  for (auto [ka, na, kb, nb] :
       {std::array<size_t, 4>{0, 10, 0, 2000}, std::array<size_t, 4>{10, 10, 2000, 2000}}) {
    auto r = TwoProportionZTest(ka, na, kb, nb);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->statistic, 0.0);
    EXPECT_EQ(r->p_value, 1.0);
  }
}

TEST(TwoProportionZTestTest, RejectsImpossibleCounts) {
  EXPECT_EQ(TwoProportionZTest(1, 0, 1, 2).status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(TwoProportionZTest(3, 2, 1, 2).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlloop::stats
