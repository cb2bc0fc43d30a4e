#include "drift/adwin.h"

#include <gtest/gtest.h>

#include <cmath>
#include <sstream>
#include <vector>

namespace mlloop::drift {
namespace {

// The example in adwin.h.
TEST(AdwinTest, HeaderExample) {
  std::ostringstream out;
  auto adwin = Adwin::Create().value();
  for (int i = 0; i < 2000; ++i) {
    if (adwin->Update(i < 1000 ? 0.0 : 1.0) == Verdict::kDrift)
      out << "drift at " << i << ", began at " << *adwin->ChangeStart() << "\n";
  }
  // Tests run every 32 values: the first after the change is at index 1023.
  EXPECT_EQ(out.str(), "drift at 1023, began at 1000\n");
}

// ChangeStart() is the boundary of the most significant cut, close to the true change even
// when ADWIN stops shrinking its window long before it.
TEST(AdwinTest, ChangeStartIsTheMostSignificantCut) {
  auto adwin = Adwin::Create({.clock = 1}).value();
  for (int i = 0; i < 3000; ++i) {
    const double x = (i < 1500 ? 0.2 : 0.8) + 0.1 * std::sin(i * 0.7);
    if (adwin->Update(x) == Verdict::kDrift) {
      // Cuts fall on bucket boundaries: near the newest values buckets hold 1 to 8 values.
      EXPECT_GE(*adwin->ChangeStart(), 1484u);
      EXPECT_LE(*adwin->ChangeStart(), 1508u);
      EXPECT_LE(i, 1520);
      return;
    }
  }
  FAIL() << "no drift";
}

TEST(AdwinTest, TestsOnlyEveryClockValuesAfterTheGracePeriod) {
  auto adwin = Adwin::Create({.clock = 10, .grace_period = 50}).value();
  for (int i = 0; i < 400; ++i) {
    const Verdict v = adwin->Update(i < 200 ? 0.0 : 10.0);
    if (v == Verdict::kDrift) {
      EXPECT_EQ((i + 1) % 10, 0) << i;
      return;
    }
  }
  FAIL() << "no drift";
}

// The exponential histogram keeps exact totals, so the window's mean and variance are those
// of the values (Welford's update of the sum of squared deviations).
TEST(AdwinTest, WindowStatisticsAreThoseOfTheValues) {
  auto adwin = Adwin::Create().value();
  std::vector<double> xs;
  for (int i = 0; i < 777; ++i) xs.push_back(std::fmod(i * 0.37, 1.0));
  for (double x : xs) ASSERT_NE(adwin->Update(x), Verdict::kDrift);
  double mean = 0;
  for (double x : xs) mean += x;
  mean /= static_cast<double>(xs.size());
  double var = 0;
  for (double x : xs) var += (x - mean) * (x - mean);
  var /= static_cast<double>(xs.size());
  EXPECT_EQ(adwin->width(), 777);
  EXPECT_NEAR(adwin->estimation(), mean, 1e-12);
  EXPECT_NEAR(adwin->window_variance(), var, 1e-12);
}

TEST(AdwinTest, ValidatesOptions) {
  EXPECT_TRUE(AdwinOptions{}.Validate().ok());
  EXPECT_FALSE(AdwinOptions{.delta = 1}.Validate().ok());
  EXPECT_FALSE(AdwinOptions{.clock = 0}.Validate().ok());
  EXPECT_FALSE(AdwinOptions{.max_buckets = 0}.Validate().ok());
  EXPECT_FALSE(AdwinOptions{.min_window_length = 0}.Validate().ok());
  EXPECT_FALSE(AdwinOptions{.grace_period = -1}.Validate().ok());
  EXPECT_EQ(Adwin::Create({.delta = -1}).status().code(), StatusCode::kInvalidArgument);
}

}  // namespace
}  // namespace mlloop::drift
