#include "stats/chi_squared.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "stats/fixtures.h"

namespace mlloop::stats {
namespace {

// Reference values: scipy.stats.chi2_contingency(table, correction=True) from SciPy 1.10.1
// on the table with empty categories removed (tests/stats/fixtures/make_test_fixtures.py).
const nlohmann::json& Cases() {
  static const nlohmann::json fixture = testutil::LoadStatsFixture("tests_scipy.json");
  return fixture["chi2"];
}

// The statistic is the same sum in the same order (NumPy's pairwise summation may regroup
// the 400 terms of the 200-category case: 1.2e-15 seen). The p-value goes through our
// incomplete gamma, which agrees with Cephes' igamc to ~1e-13 (see special_functions_test).
constexpr double kStatisticRel = 1e-13;
constexpr double kPValueRel = 1e-12;

TEST(ChiSquaredIndependenceTest, MatchesSciPyChi2Contingency) {
  ASSERT_GE(Cases().size(), 10u);
  for (const auto& c : Cases()) {
    const std::string where = c["name"];
    const std::vector<size_t> ref = c["reference"], cur = c["current"];
    auto got = ChiSquaredIndependence(ref, cur);
    ASSERT_TRUE(got.ok()) << where << ": " << got.status().ToString();
    const double stat = c["statistic"], p = c["pvalue"];
    EXPECT_NEAR(got->statistic, stat, kStatisticRel * stat) << where;
    EXPECT_NEAR(got->p_value, p, kPValueRel * p) << where;
    EXPECT_EQ(got->dof, c["dof"].get<int>()) << where;
  }
}

TEST(ChiSquaredIndependenceTest, YatesCorrectionOnlyForTwoByTwo) {
  // 2 x 2 by hand: E = [[37.5, 62.5], [37.5, 62.5]], |O - E| = 7.5 -> 7 after correction:
  // 49 (2/37.5 + 2/62.5) = 4.181333...
  auto two = ChiSquaredIndependence(std::vector<size_t>{30, 70}, std::vector<size_t>{45, 55});
  ASSERT_TRUE(two.ok());
  EXPECT_NEAR(two->statistic, 49 * (2 / 37.5 + 2 / 62.5), 1e-13);
  // Adding a third category makes dof 2: no correction, so cells use the raw deviations.
  auto three =
      ChiSquaredIndependence(std::vector<size_t>{30, 70, 50}, std::vector<size_t>{45, 55, 50});
  ASSERT_TRUE(three.ok());
  EXPECT_EQ(three->dof, 2);
  double by_hand = 0;
  const double ref[] = {30, 70, 50}, cur[] = {45, 55, 50};
  for (int c = 0; c < 3; ++c) {
    const double col = ref[c] + cur[c];
    const double e_ref = 150 * col / 300, e_cur = 150 * col / 300;
    by_hand +=
        (ref[c] - e_ref) * (ref[c] - e_ref) / e_ref + (cur[c] - e_cur) * (cur[c] - e_cur) / e_cur;
  }
  EXPECT_NEAR(three->statistic, by_hand, 1e-12);
}

TEST(ChiSquaredIndependenceTest, CategoriesEmptyInBothSamplesAreDropped) {
  auto with_zeros = ChiSquaredIndependence(std::vector<size_t>{0, 10, 0, 20, 5, 0},
                                           std::vector<size_t>{0, 12, 0, 18, 7, 0});
  auto without =
      ChiSquaredIndependence(std::vector<size_t>{10, 20, 5}, std::vector<size_t>{12, 18, 7});
  ASSERT_TRUE(with_zeros.ok() && without.ok());
  EXPECT_EQ(with_zeros->statistic, without->statistic);
  EXPECT_EQ(with_zeros->p_value, without->p_value);
  EXPECT_EQ(with_zeros->dof, 2);
}

TEST(ChiSquaredIndependenceTest, OneCategoryIsNotComputable) {
  auto one = ChiSquaredIndependence(std::vector<size_t>{0, 40, 0}, std::vector<size_t>{0, 7, 0});
  EXPECT_EQ(one.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(one.status().message().find("not computable"), std::string::npos);
}

TEST(ChiSquaredIndependenceTest, RejectsEmptySampleAndMismatchedTables) {
  EXPECT_EQ(
      ChiSquaredIndependence(std::vector<size_t>{0, 0}, std::vector<size_t>{3, 4}).status().code(),
      StatusCode::kInvalidArgument);
  EXPECT_EQ(ChiSquaredIndependence(std::vector<size_t>{1, 2}, std::vector<size_t>{3, 4, 5})
                .status()
                .code(),
            StatusCode::kInvalidArgument);
}

TEST(ChiSquaredIndependenceTest, OverwhelmingEvidenceGivesZeroNotNaN) {
  auto r =
      ChiSquaredIndependence(std::vector<size_t>{100000000, 0}, std::vector<size_t>{0, 100000000});
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->p_value, 0.0);
  EXPECT_FALSE(std::isnan(r->statistic));
}

}  // namespace
}  // namespace mlloop::stats
