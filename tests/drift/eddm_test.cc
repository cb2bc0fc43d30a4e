#include "drift/eddm.h"

#include <gtest/gtest.h>

#include <sstream>

namespace mlloop::drift {
namespace {

// The example in eddm.h.
TEST(EddmTest, HeaderExample) {
  std::ostringstream out;
  auto eddm = Eddm::Create().value();
  for (int i = 0; i < 3000; ++i) {
    const bool error = (i * 7919) % 100 < (i < 1500 ? 10 : 40);  // 10% errors, then 40%
    if (eddm->Update(error) == Verdict::kDrift) out << "drift at " << i << "\n";
  }
  EXPECT_EQ(out.str(), "drift at 1616\n");
}

// The level is evaluated at errors only: a warning holds through the correct predictions
// that follow it, as River's flag does.
TEST(EddmTest, AWarningHoldsBetweenErrors) {
  auto eddm = Eddm::Create({.warm_start = 5, .alpha = 0.95, .beta = 0.5}).value();
  int i = 0;
  for (; i < 200; ++i) eddm->Update(i % 10 == 0);
  for (; i < 400 && eddm->verdict() != Verdict::kWarning; ++i) eddm->Update(i % 7 == 0);
  ASSERT_EQ(eddm->verdict(), Verdict::kWarning);
  for (int k = 0; k < 5; ++k) EXPECT_EQ(eddm->Update(0), Verdict::kWarning);
}

TEST(EddmTest, ValidatesOptions) {
  EXPECT_TRUE(EddmOptions{}.Validate().ok());
  EXPECT_FALSE((EddmOptions{.alpha = 0.8, .beta = 0.9}.Validate().ok()));  // River: alpha >= beta
  EXPECT_FALSE(EddmOptions{.alpha = 1.5}.Validate().ok());
  EXPECT_FALSE(EddmOptions{.beta = 0}.Validate().ok());
  EXPECT_FALSE(EddmOptions{.warm_start = -1}.Validate().ok());
}

}  // namespace
}  // namespace mlloop::drift
