#include "drift/ddm.h"

#include <gtest/gtest.h>

#include <sstream>
#include <vector>

namespace mlloop::drift {
namespace {

// The example in ddm.h.
TEST(DdmTest, HeaderExample) {
  std::ostringstream out;
  auto ddm = Ddm::Create().value();
  for (int i = 0; i < 2000; ++i) {
    const bool error = (i * 7919) % 100 < (i < 1000 ? 10 : 30);  // 10% errors, then 30%
    if (ddm->Update(error) == Verdict::kDrift) out << "drift at " << i << "\n";
  }
  EXPECT_EQ(out.str(), "drift at 1096\n");
}

// ChangeStart() is where the warning run in force before the drift began.
TEST(DdmTest, ChangeStartIsTheStartOfTheWarningZone) {
  auto ddm = Ddm::Create().value();
  std::vector<Verdict> verdicts;
  for (int i = 0; i < 3000; ++i) {
    const bool error = i < 1000 ? i % 10 == 0 : i % 4 == 0;  // 10% errors, then 25%
    verdicts.push_back(ddm->Update(error));
    if (verdicts.back() != Verdict::kDrift) continue;
    ASSERT_GE(verdicts.size(), 2u);
    size_t start = verdicts.size() - 1;
    while (start > 0 && verdicts[start - 1] == Verdict::kWarning) --start;
    EXPECT_LT(start, verdicts.size() - 1) << "expected a warning zone before this drift";
    EXPECT_EQ(*ddm->ChangeStart(), start);
    EXPECT_GE(start, 1000u);
    return;
  }
  FAIL() << "no drift";
}

TEST(DdmTest, AFallingErrorRateIsNotADrift) {
  auto ddm = Ddm::Create().value();
  for (int i = 0; i < 3000; ++i) {
    EXPECT_NE(ddm->Update(i < 1000 ? i % 2 == 0 : i % 10 == 0), Verdict::kDrift) << i;
  }
}

TEST(DdmTest, TakesOnlyZeroAndOne) {
  auto ddm = Ddm::Create().value();
  EXPECT_TRUE(ddm->Accepts(0));
  EXPECT_TRUE(ddm->Accepts(1));
  EXPECT_FALSE(ddm->Accepts(0.5));
  EXPECT_FALSE(ddm->Accepts(-1));
}

TEST(DdmTest, ValidatesOptions) {
  EXPECT_TRUE(DdmOptions{}.Validate().ok());
  EXPECT_FALSE(DdmOptions{.warm_start = -1}.Validate().ok());
  EXPECT_FALSE(DdmOptions{.warning_threshold = 0}.Validate().ok());
  EXPECT_FALSE((DdmOptions{.warning_threshold = 3, .drift_threshold = 2}.Validate().ok()));
}

}  // namespace
}  // namespace mlloop::drift
