#include "drift/hddm_w.h"

#include <gtest/gtest.h>

#include <sstream>

namespace mlloop::drift {
namespace {

// The example in hddm_w.h.
TEST(HddmWTest, HeaderExample) {
  std::ostringstream out;
  auto hddm = HddmW::Create().value();
  for (int i = 0; i < 2000; ++i) {
    const bool error = (i * 7919) % 100 < (i < 1000 ? 10 : 60);  // 10% errors, then 60%
    if (hddm->Update(error) == Verdict::kDrift) out << "drift at " << i << "\n";
  }
  EXPECT_EQ(out.str(), "drift at 1028\n");
}

// River's stats.EWMean treats a mean of exactly 0 as empty: leading 0s leave the EWMA at 0
// and the first 1 replaces it outright; from then on it is 0.05 x + 0.95 EWMA.
TEST(HddmWTest, KeepsRiversEwmaQuirk) {
  auto hddm = HddmW::Create().value();
  for (int i = 0; i < 5; ++i) hddm->Update(0);
  EXPECT_EQ(hddm->ewma(), 0);
  hddm->Update(1);
  EXPECT_EQ(hddm->ewma(), 1);
  hddm->Update(0);
  EXPECT_DOUBLE_EQ(hddm->ewma(), 0.95);
}

TEST(HddmWTest, TwoSidedAlsoCatchesAFall) {
  const auto drifts = [](bool two_sided) {
    auto hddm = HddmW::Create({.two_sided_test = two_sided}).value();
    int n = 0;
    for (int i = 0; i < 2000; ++i)
      n += hddm->Update(i < 1000 ? i % 2 == 0 : i % 10 == 0) == Verdict::kDrift;
    return n;
  };
  EXPECT_EQ(drifts(false), 0);
  EXPECT_GE(drifts(true), 1);
}

TEST(HddmWTest, ValidatesOptions) {
  EXPECT_TRUE(HddmWOptions{}.Validate().ok());
  EXPECT_FALSE(HddmWOptions{.lambda_val = 0}.Validate().ok());
  EXPECT_FALSE(HddmWOptions{.lambda_val = 1.5}.Validate().ok());
  EXPECT_FALSE(HddmWOptions{.drift_confidence = 1}.Validate().ok());
}

}  // namespace
}  // namespace mlloop::drift
