#include "stats/fairness.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "stats/fixtures.h"

namespace mlloop::stats {
namespace {

// Reference values: selection and true positive rates per group with NumPy, the gaps as
// fairlearn defines them (demographic_parity_difference / _ratio, the TPR difference), and
// the intervals from the Python replica of bootstrap.h's stratified resampling
// (tests/stats/fixtures/make_validation_fixtures.py).
const nlohmann::json& Cases() {
  static const nlohmann::json fixture = testutil::LoadStatsFixture("validation_scipy.json");
  return fixture["fairness"];
}

std::vector<int32_t> Ints(const nlohmann::json& values) {
  return values.get<std::vector<int32_t>>();
}

FairnessOptions OptionsOf(const nlohmann::json& c) {
  FairnessOptions o;
  o.favourable_label = c["favourable"].get<float>();
  o.bootstrap.resamples = c["resamples"];
  o.bootstrap.seed = std::stoull(c["seed"].get<std::string>());
  o.bootstrap.level = c["level"];
  return o;
}

// Rates are count ratios and gaps one subtraction or division of them, in the same order
// as NumPy: exact. The 1e-15 only absorbs a different but equally rounded formula.
constexpr double kTol = 1e-15;

void ExpectGap(const Result<FairnessGap>& got, const nlohmann::json& want, const FairnessOptions& o,
               const std::string& where) {
  ASSERT_TRUE(got.ok()) << where << ": " << got.status().ToString();
  EXPECT_NEAR(got->value, want["value"].get<double>(), kTol) << where;
  EXPECT_NEAR(got->lower, want["lower"].get<double>(), kTol) << where;
  EXPECT_NEAR(got->upper, want["upper"].get<double>(), kTol) << where;
  EXPECT_EQ(got->lowest_group, want["lowest_group"].get<int32_t>()) << where;
  EXPECT_EQ(got->highest_group, want["highest_group"].get<int32_t>()) << where;
  EXPECT_EQ(got->level, o.bootstrap.level);
  EXPECT_EQ(got->resamples, o.bootstrap.resamples);
  EXPECT_LE(got->lower, got->upper);
}

TEST(FairnessTest, RatesMatchNumPy) {
  ASSERT_GE(Cases().size(), 3u);
  for (const auto& c : Cases()) {
    const std::string where = c["name"];
    const auto y = testutil::FixtureFloats(c["labels"]);
    const auto pred = testutil::FixtureFloats(c["predictions"]);
    const auto groups = Ints(c["groups"]);
    auto rates = RatesByGroup(y, pred, groups, OptionsOf(c));
    ASSERT_TRUE(rates.ok()) << where << ": " << rates.status().ToString();
    ASSERT_EQ(rates->size(), c["group_codes"].size()) << where;
    for (size_t g = 0; g < rates->size(); ++g) {
      const GroupRates& r = (*rates)[g];
      EXPECT_EQ(r.group, c["group_codes"][g].get<int32_t>()) << where;
      EXPECT_EQ(r.rows, c["rows"][g].get<size_t>()) << where;
      EXPECT_NEAR(r.selection_rate, c["selection_rate"][g].get<double>(), kTol) << where;
      ASSERT_TRUE(r.true_positive_rate.has_value()) << where;
      EXPECT_NEAR(*r.true_positive_rate, c["true_positive_rate"][g].get<double>(), kTol) << where;
    }
  }
}

TEST(FairnessTest, GapsAndIntervalsMatchReference) {
  for (const auto& c : Cases()) {
    const std::string where = c["name"];
    const auto y = testutil::FixtureFloats(c["labels"]);
    const auto pred = testutil::FixtureFloats(c["predictions"]);
    const auto groups = Ints(c["groups"]);
    const FairnessOptions o = OptionsOf(c);
    ExpectGap(DemographicParityDifference(pred, groups, o), c["demographic_parity_difference"], o,
              where + " parity difference");
    ExpectGap(DisparateImpactRatio(pred, groups, o), c["demographic_parity_ratio"], o,
              where + " impact ratio");
    ExpectGap(EqualOpportunityDifference(y, pred, groups, o), c["equal_opportunity_difference"], o,
              where + " equal opportunity");
  }
}

TEST(FairnessTest, ByHandAndFavourableLabelZero) {
  // Group 5: 4 rows, 3 predicted 1; group 2: 4 rows, 1 predicted 1.
  const std::vector<int32_t> groups = {5, 5, 5, 5, 2, 2, 2, 2};
  const std::vector<float> pred = {1, 1, 1, 0, 1, 0, 0, 0};
  const std::vector<float> y = {1, 1, 0, 1, 1, 1, 0, 0};
  FairnessOptions o;
  o.bootstrap.resamples = 20;
  auto dp = DemographicParityDifference(pred, groups, o);
  ASSERT_TRUE(dp.ok());
  EXPECT_EQ(dp->value, 0.5);
  EXPECT_EQ(dp->lowest_group, 2);
  EXPECT_EQ(dp->highest_group, 5);
  auto di = DisparateImpactRatio(pred, groups, o);
  ASSERT_TRUE(di.ok());
  EXPECT_EQ(di->value, 0.25 / 0.75);
  // TPR: group 5 = 2/3 (rows 0, 1 of 0, 1, 3), group 2 = 1/2.
  auto eo = EqualOpportunityDifference(y, pred, groups, o);
  ASSERT_TRUE(eo.ok());
  EXPECT_NEAR(eo->value, 2.0 / 3 - 0.5, 1e-16);
  // Favourable label 0: selection rates 1/4 and 3/4 swap places.
  o.favourable_label = 0;
  auto dp0 = DemographicParityDifference(pred, groups, o);
  ASSERT_TRUE(dp0.ok());
  EXPECT_EQ(dp0->value, 0.5);
  EXPECT_EQ(dp0->lowest_group, 5);
  EXPECT_EQ(dp0->highest_group, 2);
}

TEST(FairnessTest, NotComputableCasesAreErrorsNeverNaN) {
  const std::vector<int32_t> groups = {0, 0, 0, 1, 1, 1};
  const std::vector<float> pred = {1, 0, 1, 0, 1, 0};
  FairnessOptions o;
  o.bootstrap.resamples = 10;
  auto code = [](const auto& r) { return r.status().code(); };
  const auto kInvalid = StatusCode::kInvalidArgument;

  // Group 1 has no favourable label: its TPR is 0/0. Parity stays computable.
  const std::vector<float> y = {1, 1, 0, 0, 0, 0};
  auto eo = EqualOpportunityDifference(y, pred, groups, o);
  EXPECT_EQ(code(eo), kInvalid);
  EXPECT_NE(eo.status().message().find("group 1"), std::string::npos) << eo.status().message();
  EXPECT_NE(eo.status().message().find("not computable"), std::string::npos);
  EXPECT_TRUE(DemographicParityDifference(pred, groups, o).ok());
  auto rates = RatesByGroup(y, pred, groups, o);
  ASSERT_TRUE(rates.ok());
  EXPECT_FALSE((*rates)[1].true_positive_rate.has_value());

  // Nobody selected: the ratio is 0/0; the difference is a well-defined 0.
  const std::vector<float> none(6, 0.0f);
  auto di = DisparateImpactRatio(none, groups, o);
  EXPECT_EQ(code(di), kInvalid);
  EXPECT_NE(di.status().message().find("not computable"), std::string::npos);
  auto dp = DemographicParityDifference(none, groups, o);
  ASSERT_TRUE(dp.ok());
  EXPECT_EQ(dp->value, 0.0);

  // An expected group without rows, a row outside the expected groups, a single group.
  o.expected_groups = {0, 1, 2};
  auto missing = DemographicParityDifference(pred, groups, o);
  EXPECT_EQ(code(missing), kInvalid);
  EXPECT_NE(missing.status().message().find("group 2 has no rows"), std::string::npos);
  o.expected_groups = {0};
  EXPECT_EQ(code(DemographicParityDifference(pred, groups, o)), kInvalid);
  o.expected_groups = {};
  EXPECT_EQ(code(DemographicParityDifference(pred, std::vector<int32_t>(6, 3), o)), kInvalid);

  // A ratio whose resample selects nobody is refused too, not reported as NaN: the one
  // selected row of its 20-row group is missed by a resample with probability ~0.36.
  std::vector<int32_t> g40(40);
  std::vector<float> p40(40, 0.0f);
  for (size_t i = 0; i < 40; ++i) g40[i] = static_cast<int32_t>(i % 2);
  p40[0] = 1;
  auto sparse = DisparateImpactRatio(p40, g40, o);
  EXPECT_EQ(code(sparse), kInvalid);
  EXPECT_NE(sparse.status().message().find("resample"), std::string::npos);
}

TEST(FairnessTest, RejectsBadInput) {
  const std::vector<int32_t> groups = {0, 0, 1, 1};
  const std::vector<float> pred = {1, 0, 1, 0};
  const std::vector<float> y = {1, 0, 1, 0};
  FairnessOptions o;
  o.bootstrap.resamples = 10;
  auto code = [](const auto& r) { return r.status().code(); };
  const auto kInvalid = StatusCode::kInvalidArgument;
  EXPECT_EQ(code(DemographicParityDifference(pred, std::vector<int32_t>{0, 1}, o)), kInvalid);
  EXPECT_EQ(code(DemographicParityDifference(std::vector<float>{}, std::vector<int32_t>{}, o)),
            kInvalid);
  EXPECT_EQ(code(EqualOpportunityDifference(std::vector<float>{1, 0}, pred, groups, o)), kInvalid);
  auto bad_pred = DisparateImpactRatio(std::vector<float>{1, 0.7f, 1, 0}, groups, o);
  EXPECT_EQ(code(bad_pred), kInvalid);
  EXPECT_NE(bad_pred.status().message().find("prediction at row 1"), std::string::npos);
  EXPECT_EQ(code(EqualOpportunityDifference(std::vector<float>{1, 0, 2, 0}, pred, groups, o)),
            kInvalid);
  FairnessOptions bad = o;
  bad.favourable_label = 2;
  EXPECT_EQ(code(DemographicParityDifference(pred, groups, bad)), kInvalid);
  bad = o;
  bad.bootstrap.resamples = 0;
  EXPECT_EQ(code(DemographicParityDifference(pred, groups, bad)), kInvalid);
  bad = o;
  bad.bootstrap.level = 1;
  EXPECT_EQ(code(EqualOpportunityDifference(y, pred, groups, bad)), kInvalid);
  EXPECT_EQ(code(RatesByGroup(y, pred, std::vector<int32_t>{0, 1, 2}, o)), kInvalid);
}

}  // namespace
}  // namespace mlloop::stats
