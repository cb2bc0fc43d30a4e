// `mlloop detect` as the held-back streams will be run through it: a column of a CSV in,
// the flagged positions out (text or JSON), exit 10 when a drift was flagged.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "testutil/testutil.h"

namespace mlloop {
namespace {

// An error stream: 10% errors for 2,000 rows, then 40%; a few missing values.
std::string ErrorStream() {
  std::mt19937 gen(7);
  std::uniform_real_distribution<double> u(0, 1);
  std::string csv = "t,error\n";
  for (int i = 0; i < 3000; ++i) {
    const double p = i < 2000 ? 0.1 : 0.4;
    csv += std::to_string(i) + "," + (i % 500 == 7 ? "" : (u(gen) < p ? "1" : "0")) + "\n";
  }
  return csv;
}

class DetectCliTest : public ::testing::Test {
 protected:
  void SetUp() override { testutil::WriteFile(dir_.File("errors.csv"), ErrorStream()); }
  std::string File() const { return dir_.File("errors.csv"); }
  testutil::TempDir dir_;
};

TEST_F(DetectCliTest, AdwinFlagsTheRiseAndSaysWhereItBegan) {
  testutil::CommandResult r =
      testutil::RunMlloop("detect " + File() + " --column error --detector adwin --json");
  EXPECT_EQ(r.exit_code, 10) << r.output;
  auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["rows"], 3000);
  EXPECT_EQ(j["values"], 3000 - 6);  // six missing values skipped
  ASSERT_GE(j["flags"].size(), 1u);
  const auto& first = j["flags"][0];
  EXPECT_EQ(first["kind"], "drift");
  EXPECT_GE(first["row"].get<int>(), 2000);
  EXPECT_LE(first["row"].get<int>(), 2300);
  ASSERT_TRUE(first["change_start_row"].is_number());
  EXPECT_NEAR(first["change_start_row"].get<int>(), 2000, 100);

  testutil::CommandResult text =
      testutil::RunMlloop("detect " + File() + " --column error --detector ddm --warnings");
  EXPECT_EQ(text.exit_code, 10) << text.output;
  EXPECT_NE(text.output.find("drift at row"), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("6 missing skipped"), std::string::npos) << text.output;
}

TEST_F(DetectCliTest, StationaryStreamFlagsNothing) {
  std::string csv = "error\n";
  for (int i = 0; i < 2000; ++i) csv += (i % 10 == 3 ? "1\n" : "0\n");
  testutil::WriteFile(dir_.File("flat.csv"), csv);
  testutil::CommandResult r = testutil::RunMlloop("detect " + dir_.File("flat.csv") +
                                                  " --column error --detector page_hinkley");
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("0 drifts flagged"), std::string::npos) << r.output;
}

TEST_F(DetectCliTest, BadInputIsAnErrorNamingWhat) {
  const auto run = [&](const std::string& args) { return testutil::RunMlloop("detect " + args); };
  testutil::CommandResult unknown = run(File() + " --column error --detector magic");
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("adwin"), std::string::npos) << unknown.output;  // the valid names
  testutil::CommandResult param = run(File() + " --column error --param nope=1");
  EXPECT_EQ(param.exit_code, 2) << param.output;
  EXPECT_EQ(run(File() + " --column error --param delta=abc").exit_code, 2);
  testutil::CommandResult column = run(File() + " --column nope");
  EXPECT_EQ(column.exit_code, 2) << column.output;
  EXPECT_NE(column.output.find("nope"), std::string::npos) << column.output;
  EXPECT_EQ(run(dir_.File("missing.csv") + " --column error").exit_code, 3);
  testutil::WriteFile(dir_.File("text.csv"), "error\n0\n1\nabc\n");
  testutil::CommandResult text = run(dir_.File("text.csv") + " --column error");
  EXPECT_EQ(text.exit_code, 2) << text.output;
  EXPECT_NE(text.output.find("text.csv:4"), std::string::npos) << text.output;
}

}  // namespace
}  // namespace mlloop
