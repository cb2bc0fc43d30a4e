#include "drift/cusum.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace mlloop::drift {
namespace {

// The example in cusum.h: mu0 and sigma come from the first 50 values, and again from the 50
// after the drift, so the new level is not flagged twice. C+ leaves 0 at 198 (a 0.3, above
// mu0 + k sigma), two values before the shift: the estimate is as good as the noise allows.
TEST(CusumTest, HeaderExample) {
  std::ostringstream out;
  auto cusum = Cusum::Create({.warm_start = 50}).value();
  for (int i = 0; i < 400; ++i) {
    if (cusum->Update(0.1 * (i % 5) + (i < 200 ? 0.0 : 0.5)) == Verdict::kDrift)
      out << "drift at " << i << ", shift began at " << *cusum->ChangeStart() << "\n";
  }
  EXPECT_EQ(out.str(), "drift at 203, shift began at 198\n");
}

// Montgomery, Introduction to Statistical Quality Control, Example 9.1 (Table 9.1/9.2):
// mu0 = 10, sigma = 1, k = 1/2, h = 5. C+ first exceeds 5 at period 29 (C+ = 5.28) with
// N+ = 7 consecutive non-zero periods, so the shift is estimated after period 22.
TEST(CusumTest, MontgomeryExample91) {
  const std::vector<double> x = {9.45,  7.99,  9.29,  11.66, 12.16, 10.18, 8.04,  11.46,
                                 9.20,  10.34, 9.03,  11.47, 10.51, 9.40,  10.08, 9.37,
                                 10.62, 10.31, 8.52,  10.84, 10.90, 9.33,  12.29, 11.50,
                                 10.60, 11.08, 10.38, 11.62, 11.31, 10.52};
  auto cusum = Cusum::Create({.k = 0.5, .h = 5, .warm_start = 0, .mean = 10, .sigma = 1}).value();
  int signal = -1;
  for (size_t i = 0; i < x.size() && signal < 0; ++i) {
    if (cusum->Update(x[i]) == Verdict::kDrift) signal = static_cast<int>(i);
  }
  EXPECT_EQ(signal, 28);                  // period 29
  EXPECT_EQ(*cusum->ChangeStart(), 22u);  // period 23, the first after the last zero
}

TEST(CusumTest, EstimatesTheTargetDuringTheWarmUp) {
  auto cusum = Cusum::Create({.warm_start = 4}).value();
  for (double x : {1.0, 2.0, 3.0}) EXPECT_EQ(cusum->Update(x), Verdict::kStable);
  EXPECT_FALSE(cusum->monitoring());
  EXPECT_EQ(cusum->Update(4.0), Verdict::kStable);
  EXPECT_TRUE(cusum->monitoring());
  EXPECT_DOUBLE_EQ(cusum->target_mean(), 2.5);
  EXPECT_DOUBLE_EQ(cusum->target_sigma(), std::sqrt(5.0 / 3.0));  // sample standard deviation
}

// A constant warm-up would give sigma = 0; the warm-up goes on until the values differ.
TEST(CusumTest, ConstantWarmUpWaitsForSpread) {
  auto cusum = Cusum::Create({.warm_start = 10}).value();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(cusum->Update(3.0), Verdict::kStable);
  EXPECT_FALSE(cusum->monitoring());
  EXPECT_EQ(cusum->Update(3.5), Verdict::kStable);
  EXPECT_TRUE(cusum->monitoring());
}

TEST(CusumTest, OneSidedIgnoresTheOtherDirection) {
  auto up = Cusum::Create({.mean = 0, .sigma = 1, .detect_decrease = false}).value();
  auto down = Cusum::Create({.mean = 0, .sigma = 1, .detect_increase = false}).value();
  int up_drifts = 0, down_drifts = 0;
  for (int i = 0; i < 300; ++i) {
    up_drifts += up->Update(-2.0) == Verdict::kDrift;
    down_drifts += down->Update(-2.0) == Verdict::kDrift;
  }
  EXPECT_EQ(up_drifts, 0);
  EXPECT_GT(down_drifts, 0);
}

TEST(CusumTest, ValidatesOptions) {
  EXPECT_TRUE(CusumOptions{}.Validate().ok());
  EXPECT_FALSE(CusumOptions{.k = -1}.Validate().ok());
  EXPECT_FALSE(CusumOptions{.h = 0}.Validate().ok());
  EXPECT_FALSE(CusumOptions{.warm_start = 1}.Validate().ok());  // sigma needs 2 values
  EXPECT_TRUE((CusumOptions{.warm_start = 1, .sigma = 2}.Validate().ok()));
  EXPECT_FALSE((CusumOptions{.warm_start = 0, .sigma = 2}.Validate().ok()));  // mean needs 1
  EXPECT_TRUE((CusumOptions{.warm_start = 0, .mean = 0, .sigma = 2}.Validate().ok()));
  EXPECT_FALSE(CusumOptions{.sigma = 0}.Validate().ok());
}

}  // namespace
}  // namespace mlloop::drift
