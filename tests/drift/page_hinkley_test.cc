#include "drift/page_hinkley.h"

#include <gtest/gtest.h>

#include <sstream>

namespace mlloop::drift {
namespace {

// The example in page_hinkley.h. While the stream is 0 the sum U only falls, so its minimum
// is at index 199 and the rise starts at 200, the first 1.
TEST(PageHinkleyTest, HeaderExample) {
  std::ostringstream out;
  auto ph = PageHinkley::Create({.threshold = 20}).value();
  for (int i = 0; i < 400; ++i) {
    if (ph->Update(i < 200 ? 0.0 : 1.0) == Verdict::kDrift)
      out << "drift at " << i << ", rise began at " << *ph->ChangeStart() << "\n";
  }
  EXPECT_EQ(out.str(), "drift at 221, rise began at 200\n");
}

TEST(PageHinkleyTest, DirectionsAreSelectable) {
  const auto run = [](PageHinkleyOptions options) {
    auto ph = PageHinkley::Create(options).value();
    int drifts = 0;
    for (int i = 0; i < 600; ++i) drifts += ph->Update(i < 300 ? 5.0 : 2.0) == Verdict::kDrift;
    return drifts;
  };
  EXPECT_EQ(run({.threshold = 20, .detect_decrease = false}), 0);  // a fall, watched for rises
  EXPECT_EQ(run({.threshold = 20, .detect_increase = false}), 1);
  EXPECT_EQ(run({.threshold = 20}), 1);
}

TEST(PageHinkleyTest, NoDriftBeforeMinInstances) {
  auto ph = PageHinkley::Create({.min_instances = 100, .threshold = 1}).value();
  for (int i = 0; i < 99; ++i) EXPECT_EQ(ph->Update(i < 10 ? 0.0 : 100.0), Verdict::kStable);
  EXPECT_EQ(ph->Update(100.0), Verdict::kDrift);
  EXPECT_EQ(*ph->ChangeStart(), 10u);
}

TEST(PageHinkleyTest, ValidatesOptions) {
  EXPECT_TRUE(PageHinkleyOptions{}.Validate().ok());
  EXPECT_FALSE(PageHinkleyOptions{.min_instances = 0}.Validate().ok());
  EXPECT_FALSE(PageHinkleyOptions{.threshold = 0}.Validate().ok());
  EXPECT_FALSE(PageHinkleyOptions{.alpha = 1.5}.Validate().ok());
  EXPECT_FALSE(
      (PageHinkleyOptions{.detect_increase = false, .detect_decrease = false}.Validate().ok()));
}

}  // namespace
}  // namespace mlloop::drift
