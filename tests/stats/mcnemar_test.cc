#include "stats/mcnemar.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "stats/fixtures.h"

namespace mlloop::stats {
namespace {

// Reference values: scipy.stats.binomtest(min(b, c), b + c, 0.5).pvalue and
// scipy.stats.chi2.sf(statistic, 1) from SciPy 1.10.1, cross-checked against statsmodels
// 0.13.5's mcnemar (tests/stats/fixtures/make_validation_fixtures.py).
const nlohmann::json& Cases() {
  static const nlohmann::json fixture = testutil::LoadStatsFixture("validation_scipy.json");
  return fixture["mcnemar"];
}

PairedCorrectness Table(size_t b, size_t c) {
  PairedCorrectness t;
  t.both_right = 10;
  t.only_champion_right = b;
  t.only_candidate_right = c;
  t.both_wrong = 3;
  return t;
}

// The binomial tail is a sum of terms formed by Loader's expansion and a recurrence
// (~1e-14 relative at 8e5 discordant rows); SciPy's comes from Boost's incomplete beta.
// The chi-squared statistic is one division; its p-value goes through our incomplete gamma
// (~1e-13 from Cephes' igamc, see special_functions_test).
constexpr double kExactRel = 1e-12;
constexpr double kChiRel = 1e-12;

TEST(McNemarTest, ExactMatchesSciPyBinomtest) {
  ASSERT_GE(Cases().size(), 15u);
  for (const auto& c : Cases()) {
    const size_t b = c["b"], cc = c["c"];
    const std::string where = std::to_string(b) + "/" + std::to_string(cc);
    auto r = McNemarTest(Table(b, cc), McNemarMethod::kExact);
    ASSERT_TRUE(r.ok()) << where;
    EXPECT_EQ(r->statistic, c["exact_statistic"].get<double>()) << where;
    const double p = c["exact_pvalue"];
    EXPECT_NEAR(r->p_value, p, kExactRel * p) << where;
    EXPECT_EQ(r->discordant, b + cc);
  }
}

TEST(McNemarTest, ChiSquaredMatchesSciPy) {
  for (const auto& c : Cases()) {
    const size_t b = c["b"], cc = c["c"];
    const std::string where = std::to_string(b) + "/" + std::to_string(cc);
    auto plain = McNemarTest(Table(b, cc), McNemarMethod::kChiSquared);
    auto corrected = McNemarTest(Table(b, cc), McNemarMethod::kChiSquaredCorrected);
    ASSERT_TRUE(plain.ok() && corrected.ok()) << where;
    const double s = c["chi2_statistic"], p = c["chi2_pvalue"];
    const double sc = c["chi2_corrected_statistic"], pc = c["chi2_corrected_pvalue"];
    EXPECT_NEAR(plain->statistic, s, 1e-15 * s) << where;
    EXPECT_NEAR(plain->p_value, p, kChiRel * p) << where;
    EXPECT_NEAR(corrected->statistic, sc, 1e-15 * sc) << where;
    EXPECT_NEAR(corrected->p_value, pc, kChiRel * pc) << where;
    EXPECT_LE(corrected->statistic, plain->statistic) << where;
  }
}

TEST(McNemarTest, SmallTablesByHand) {
  // b = 1, c = 6: P(X <= 1) for Binomial(7, 1/2) = 8 / 128; two-sided 16 / 128.
  auto r = McNemarTest(Table(1, 6));
  ASSERT_TRUE(r.ok());
  EXPECT_NEAR(r->p_value, 0.125, 1e-15);
  EXPECT_EQ(r->statistic, 1.0);
  // The candidate is right on 5 more of 20 rows.
  EXPECT_EQ(r->accuracy_difference, 5.0 / 20);
  // b = 0, c = 5: 2 / 32.
  EXPECT_EQ(McNemarTest(Table(0, 5))->p_value, 1.0 / 16);  // 2^-5 exactly (ldexp)
}

TEST(McNemarTest, NoDiscordantRowsIsNoEvidence) {
  for (auto method :
       {McNemarMethod::kExact, McNemarMethod::kChiSquared, McNemarMethod::kChiSquaredCorrected}) {
    auto r = McNemarTest(Table(0, 0), method);
    ASSERT_TRUE(r.ok());
    EXPECT_EQ(r->statistic, 0.0);
    EXPECT_EQ(r->p_value, 1.0);
    EXPECT_EQ(r->accuracy_difference, 0.0);
  }
}

TEST(McNemarTest, CorrectionIsClampedAtZero) {
  // statsmodels would report (0 - 1)^2 / 10 = 0.1 for b == c; equal counts are no evidence.
  auto r = McNemarTest(Table(5, 5), McNemarMethod::kChiSquaredCorrected);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->statistic, 0.0);
  EXPECT_EQ(r->p_value, 1.0);
}

TEST(McNemarTest, CountsTheTableFromRows) {
  const std::vector<uint8_t> champion = {1, 1, 0, 0, 1, 0, 1};
  const std::vector<uint8_t> candidate = {1, 0, 1, 0, 1, 1, 0};
  auto t = CountPairedCorrectness(champion, candidate);
  ASSERT_TRUE(t.ok());
  EXPECT_EQ(t->both_right, 2u);
  EXPECT_EQ(t->only_champion_right, 2u);
  EXPECT_EQ(t->only_candidate_right, 2u);
  EXPECT_EQ(t->both_wrong, 1u);
}

TEST(McNemarTest, RejectsBadInput) {
  const std::vector<uint8_t> ok = {1, 0};
  EXPECT_EQ(CountPairedCorrectness(ok, std::vector<uint8_t>{1}).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(CountPairedCorrectness(std::vector<uint8_t>{}, std::vector<uint8_t>{}).status().code(),
            StatusCode::kInvalidArgument);
  auto bad = CountPairedCorrectness(ok, std::vector<uint8_t>{1, 2});
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(bad.status().message().find("row 1"), std::string::npos);
  EXPECT_EQ(McNemarTest(PairedCorrectness{}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlloop::stats
