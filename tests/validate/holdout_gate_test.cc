#include "validate/holdout_gate.h"

#include <gtest/gtest.h>

#include <vector>

namespace mlloop::validate {
namespace {

// Ten rows; the champion gets 8 right, the candidate 7.
const std::vector<float> kY = {1, 0, 1, 0, 1, 0, 1, 0, 1, 0};
const std::vector<float> kChampion = {.9f, .1f, .9f, .1f, .9f, .1f, .9f, .1f, .1f, .9f};
const std::vector<float> kCandidate = {.9f, .1f, .9f, .1f, .9f, .1f, .1f, .9f, .1f, .9f};

TEST(HoldoutGateTest, RejectsAWorseCandidateWithTheNumbers) {
  auto r = HoldoutGate({kY.data(), kCandidate.data(), kChampion.data(), 10}, "accuracy", 0.05, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->passed);
  EXPECT_NEAR(r->candidate_value, 0.6, 1e-12);
  EXPECT_NEAR(*r->champion_value, 0.8, 1e-12);
  EXPECT_NEAR(r->delta, -0.2, 1e-12);
  EXPECT_EQ(r->reason,
            "rejected: candidate accuracy 0.6000 vs champion 0.8000 on 10 rows (worse by 0.2000, "
            "margin 0.0500)");
}

TEST(HoldoutGateTest, MarginAllowsASmallLoss) {
  auto r = HoldoutGate({kY.data(), kCandidate.data(), kChampion.data(), 10}, "accuracy", 0.25, 5);
  ASSERT_TRUE(r.ok());
  EXPECT_TRUE(r->passed);
  auto better = HoldoutGate({kY.data(), kChampion.data(), kCandidate.data(), 10}, "accuracy", 0, 5);
  EXPECT_TRUE(better->passed);
}

TEST(HoldoutGateTest, LowerIsBetterForRmse) {
  std::vector<float> y = {1, 2, 3}, good = {1, 2, 3}, bad = {2, 3, 4};
  EXPECT_TRUE(HoldoutGate({y.data(), good.data(), bad.data(), 3}, "rmse", 0, 1)->passed);
  EXPECT_FALSE(HoldoutGate({y.data(), bad.data(), good.data(), 3}, "rmse", 0.5, 1)->passed);
}

TEST(HoldoutGateTest, TooFewRowsNeverPasses) {
  auto r = HoldoutGate({kY.data(), kChampion.data(), kCandidate.data(), 10}, "accuracy", 1.0, 50);
  ASSERT_TRUE(r.ok());
  EXPECT_FALSE(r->passed);
  EXPECT_NE(r->reason.find("not enough clean holdout rows: 10 < 50"), std::string::npos);
}

TEST(HoldoutGateTest, NoChampionPassesOnItsOwnScore) {
  auto r = HoldoutGate({kY.data(), kCandidate.data(), nullptr, 10}, "accuracy", 0, 5);
  EXPECT_TRUE(r->passed);
  EXPECT_FALSE(r->champion_value.has_value());
}

TEST(HoldoutGateTest, UnknownMetricIsAnError) {
  auto r = HoldoutGate({kY.data(), kCandidate.data(), kChampion.data(), 10}, "kappa", 0, 5);
  EXPECT_FALSE(r.ok());
}

}  // namespace
}  // namespace mlloop::validate
