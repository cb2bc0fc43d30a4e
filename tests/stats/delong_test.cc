#include "stats/delong.h"

#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "stats/fixtures.h"

namespace mlloop::stats {
namespace {

// Reference values: Sun & Xu's fast DeLong (fastDeLong / calc_pvalue of the NumPy reference
// implementation), written in tests/stats/fixtures/make_validation_fixtures.py and checked
// there against the O(m n) definition and sklearn.metrics.roc_auc_score (scikit-learn 1.2.1,
// SciPy 1.10.1).
const nlohmann::json& Cases() {
  static const nlohmann::json fixture = testutil::LoadStatsFixture("validation_scipy.json");
  return fixture["delong"];
}

// AUCs are ratios of exact rank sums: they agree with the reference to the last bits (the
// reference divides in another order). Variances are sums of ~N squares formed in another
// order (np.cov) and, for the difference, as l S l' there against the variance of the
// component differences here: 3e-14 relative seen. z = difference / se carries the
// rounding of the difference of two AUCs (1.3e-12 relative where the AUCs differ by 8e-5);
// p = 2 Phi(-|z|) amplifies z's error by ~z^2 (2e-13 seen, z up to 21.9).
constexpr double kAucRel = 1e-14;
constexpr double kVarianceRel = 1e-12;
constexpr double kZRel = 1e-11;
constexpr double kPValueRel = 1e-11;

TEST(DeLongTest, MatchesReferenceImplementation) {
  ASSERT_GE(Cases().size(), 9u);
  for (const auto& c : Cases()) {
    const std::string where = c["name"];
    const auto y = testutil::FixtureFloats(c["labels"]);
    const auto a = testutil::FixtureFloats(c["champion"]);
    const auto b = testutil::FixtureFloats(c["candidate"]);
    for (const auto& iv : c["intervals"]) {
      const double level = iv["level"];
      auto r = DeLongTest(y, a, b, level);
      ASSERT_TRUE(r.ok()) << where << ": " << r.status().ToString();
      EXPECT_EQ(r->positives, c["positives"].get<size_t>()) << where;
      EXPECT_EQ(r->negatives, c["negatives"].get<size_t>()) << where;
      const double auc_a = c["auc_champion"], auc_b = c["auc_candidate"];
      EXPECT_NEAR(r->champion_auc, auc_a, kAucRel * auc_a) << where;
      EXPECT_NEAR(r->candidate_auc, auc_b, kAucRel * auc_b) << where;
      // ... and sklearn's roc_auc_score.
      EXPECT_NEAR(r->champion_auc, c["sklearn_auc_champion"].get<double>(), 1e-14) << where;
      EXPECT_NEAR(r->candidate_auc, c["sklearn_auc_candidate"].get<double>(), 1e-14) << where;
      const double diff = c["difference"], var = c["variance"], z = c["z"], p = c["pvalue"];
      EXPECT_NEAR(r->difference, diff, 1e-14) << where;
      EXPECT_NEAR(r->variance, var, kVarianceRel * var) << where;
      EXPECT_NEAR(r->std_error, std::sqrt(var), kVarianceRel * std::sqrt(var)) << where;
      EXPECT_NEAR(r->statistic, z, kZRel * std::fabs(z)) << where;
      EXPECT_NEAR(r->p_value, p, kPValueRel * p) << where;
      EXPECT_EQ(r->level, level);
      const double lo = iv["lower"], hi = iv["upper"];
      EXPECT_NEAR(r->lower, lo, 1e-12) << where << " level " << level;
      EXPECT_NEAR(r->upper, hi, 1e-12) << where << " level " << level;
    }
  }
}

TEST(DeLongTest, SingleModelIntervalMatchesReference) {
  for (const auto& c : Cases()) {
    const std::string where = c["name"];
    const auto y = testutil::FixtureFloats(c["labels"]);
    const auto a = testutil::FixtureFloats(c["champion"]);
    const auto b = testutil::FixtureFloats(c["candidate"]);
    for (const auto& iv : c["auc_intervals"]) {
      const bool champion = iv["model"] == "champion";
      const double level = iv["level"];
      auto r = AucConfidenceInterval(y, champion ? a : b, level);
      ASSERT_TRUE(r.ok()) << where << ": " << r.status().ToString();
      const double var = c[champion ? "var_champion" : "var_candidate"];
      const double auc = c[champion ? "auc_champion" : "auc_candidate"];
      EXPECT_NEAR(r->auc, auc, kAucRel * auc) << where;
      EXPECT_NEAR(r->variance, var, 1e-12 * var) << where;
      EXPECT_NEAR(r->lower, iv["lower"].get<double>(), 1e-13) << where << " " << level;
      EXPECT_NEAR(r->upper, iv["upper"].get<double>(), 1e-13) << where << " " << level;
      EXPECT_GE(r->lower, 0.0);
      EXPECT_LE(r->upper, 1.0);
    }
  }
}

TEST(DeLongTest, SwappingModelsNegatesTheDifference) {
  const auto& c = Cases()[0];
  const auto y = testutil::FixtureFloats(c["labels"]);
  const auto a = testutil::FixtureFloats(c["champion"]);
  const auto b = testutil::FixtureFloats(c["candidate"]);
  auto ab = DeLongTest(y, a, b);
  auto ba = DeLongTest(y, b, a);
  ASSERT_TRUE(ab.ok() && ba.ok());
  EXPECT_EQ(ab->difference, -ba->difference);
  EXPECT_EQ(ab->statistic, -ba->statistic);
  EXPECT_EQ(ab->p_value, ba->p_value);
  EXPECT_NEAR(ab->lower, -ba->upper, 1e-15);
}

TEST(DeLongTest, IdenticalRankingsGiveNoEvidence) {
  const std::vector<float> y = {1, 0, 1, 0, 1, 0, 0, 1};
  const std::vector<float> a = {0.9f, 0.2f, 0.6f, 0.6f, 0.3f, 0.1f, 0.5f, 0.8f};
  // A monotone transform ranks the rows the same: same components, variance exactly 0.
  std::vector<float> b;
  for (float v : a) b.push_back(v * v);
  for (const auto& cand : {a, b}) {
    auto r = DeLongTest(y, a, cand, 0.9);
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    EXPECT_EQ(r->difference, 0.0);
    EXPECT_EQ(r->variance, 0.0);
    EXPECT_EQ(r->statistic, 0.0);
    EXPECT_EQ(r->p_value, 1.0);
    EXPECT_EQ(r->lower, 0.0);
    EXPECT_EQ(r->upper, 0.0);
  }
}

TEST(DeLongTest, ZeroVarianceWithADifferenceIsNotComputable) {
  // A perfect champion against a constant candidate: every positive moves from "above all
  // negatives" to "tied with all", a uniform shift with no sampling variance.
  const std::vector<float> y = {1, 1, 1, 0, 0, 0};
  const std::vector<float> perfect = {0.9f, 0.8f, 0.7f, 0.3f, 0.2f, 0.1f};
  const std::vector<float> constant(6, 0.5f);
  auto r = DeLongTest(y, perfect, constant);
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(r.status().message().find("not computable"), std::string::npos);
  // The single-model interval of a perfect model is the point 1.
  auto one = AucConfidenceInterval(y, perfect);
  ASSERT_TRUE(one.ok());
  EXPECT_EQ(one->auc, 1.0);
  EXPECT_EQ(one->variance, 0.0);
  EXPECT_EQ(one->lower, 1.0);
  EXPECT_EQ(one->upper, 1.0);
}

TEST(DeLongTest, TiesCountOneHalf) {
  // Positives {0.5, 0.7}, negatives {0.5, 0.1}: pairs (0.5,0.5) = 1/2, the rest 1 -> 7/8.
  const std::vector<float> y = {1, 1, 0, 0};
  const std::vector<float> s = {0.5f, 0.7f, 0.5f, 0.1f};
  auto r = AucConfidenceInterval(y, s);
  ASSERT_TRUE(r.ok());
  EXPECT_EQ(r->auc, 7.0 / 8);
  // By hand: V10 = {3/4, 1}, V01 = {3/4, 1}: S10 = S01 = 1/32; variance 1/64 + 1/64.
  EXPECT_NEAR(r->variance, 1.0 / 32, 1e-17);
}

TEST(DeLongTest, RejectsBadInput) {
  const std::vector<float> y = {1, 1, 0, 0};
  const std::vector<float> s = {0.9f, 0.8f, 0.3f, 0.1f};
  const std::vector<float> t = {0.7f, 0.8f, 0.4f, 0.2f};
  auto code = [](const auto& r) { return r.status().code(); };
  const auto kInvalid = StatusCode::kInvalidArgument;
  EXPECT_EQ(code(DeLongTest(y, s, std::vector<float>{0.1f, 0.2f, 0.3f})), kInvalid);
  EXPECT_EQ(code(DeLongTest(std::vector<float>{}, std::vector<float>{}, std::vector<float>{})),
            kInvalid);
  EXPECT_EQ(code(DeLongTest(std::vector<float>{1, 2, 0, 0}, s, t)), kInvalid);
  EXPECT_EQ(code(DeLongTest(std::vector<float>{1, 0, 0, 0}, s, t)), kInvalid);  // 1 positive
  EXPECT_EQ(code(DeLongTest(y, std::vector<float>{0.9f, NAN, 0.3f, 0.1f}, t)), kInvalid);
  for (double level : {0.0, 1.0, -0.5, 1.5, double(NAN)}) {
    EXPECT_EQ(code(DeLongTest(y, s, t, level)), kInvalid) << level;
    EXPECT_EQ(code(AucConfidenceInterval(y, s, level)), kInvalid) << level;
  }
  EXPECT_EQ(code(AucConfidenceInterval(std::vector<float>{1, 1, 0}, std::vector<float>{1, 2, 3})),
            kInvalid);
  auto r = DeLongTest(std::vector<float>{1, 0.5f, 0, 0}, s, t);
  EXPECT_NE(r.status().message().find("row 1"), std::string::npos) << r.status().message();
  EXPECT_NE(r.status().message().find("expected 0 or 1"), std::string::npos);
  // Infinite scores are ordinary (extreme) scores.
  EXPECT_TRUE(DeLongTest(y, std::vector<float>{INFINITY, 0.8f, 0.3f, -INFINITY}, t).ok());
}

}  // namespace
}  // namespace mlloop::stats
