#include "drift/hddm_a.h"

#include <gtest/gtest.h>

#include <sstream>

namespace mlloop::drift {
namespace {

// The example in hddm_a.h.
TEST(HddmATest, HeaderExample) {
  std::ostringstream out;
  auto hddm = HddmA::Create().value();
  for (int i = 0; i < 2000; ++i) {
    const bool error = (i * 7919) % 100 < (i < 1000 ? 10 : 40);  // 10% errors, then 40%
    if (hddm->Update(error) == Verdict::kDrift) out << "drift at " << i << "\n";
  }
  EXPECT_EQ(out.str(), "drift at 1038\n");
}

// Proportions are fine (Hoeffding's bound holds for any [0, 1] variable); the cut point
// estimates where the new mean began.
TEST(HddmATest, TakesProportionsAndEstimatesTheCut) {
  auto hddm = HddmA::Create().value();
  for (int i = 0; i < 2000; ++i) {
    if (hddm->Update(i < 1000 ? 0.1 : 0.3) == Verdict::kDrift) {
      EXPECT_EQ(*hddm->ChangeStart(), 1000u);
      EXPECT_LT(i, 1150);
      return;
    }
  }
  FAIL() << "no drift";
}

TEST(HddmATest, TwoSidedAlsoCatchesAFall) {
  const auto drifts = [](bool two_sided) {
    auto hddm = HddmA::Create({.two_sided_test = two_sided}).value();
    int n = 0;
    for (int i = 0; i < 2000; ++i)
      n += hddm->Update(i < 1000 ? i % 2 == 0 : i % 10 == 0) == Verdict::kDrift;
    return n;
  };
  EXPECT_EQ(drifts(false), 0);
  EXPECT_GE(drifts(true), 1);
}

TEST(HddmATest, ValidatesOptions) {
  EXPECT_TRUE(HddmAOptions{}.Validate().ok());
  EXPECT_FALSE(HddmAOptions{.drift_confidence = 0}.Validate().ok());
  EXPECT_FALSE(HddmAOptions{.warning_confidence = 1}.Validate().ok());
  auto hddm = HddmA::Create().value();
  EXPECT_TRUE(hddm->Accepts(0.25));
  EXPECT_FALSE(hddm->Accepts(1.5));
}

}  // namespace
}  // namespace mlloop::drift
