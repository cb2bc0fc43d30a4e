// The mlloop binary as a user runs it: exit codes, messages, and what lands in the store.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <filesystem>
#include <string>

#include "testutil/testutil.h"

namespace mlloop {
namespace {

// A small valid model on a CSV written by the test.
class CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string csv = "ts,x,color,label\n";
    for (int i = 0; i < 600; ++i) {
      csv += "2024-01-01T00:00:00Z,";
      csv.replace(csv.size() - 21, 20, Timestamp(i));
      csv += std::to_string(i % 10) + "," + (i % 3 ? "red" : "blue") + "," + (i % 10 >= 5 ? "yes" : "no") + "\n";
    }
    testutil::WriteFile(dir_.File("data.csv"), csv);
    WriteConfig("");
  }

  static std::string Timestamp(int hour) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "2024-01-%02dT%02d:00:00Z", 1 + hour / 24, hour % 24);
    return buf;
  }

  void WriteConfig(const std::string& extra, const std::string& data = "data.csv") {
    testutil::WriteFile(dir_.File("model.yaml"),
                        "model: toy\n"
                        "data: {path: " + data + "}\n"
                        "schema:\n"
                        "  features: [x, {name: color, type: categorical}]\n"
                        "  label: {name: label, task: binary, positive: 'yes', negative: 'no'}\n"
                        "  timestamp: {source: column, column: ts}\n"
                        "trainer: {rounds: 5, window: {last_rows: 200}}\n"
                        "policy: {tick: 1d, trigger: {schedule: {every: 2d}}}\n"
                        "validation: {holdout_rows: 48, min_rows: 10}\n"
                        "simulation: {label_delay: 1h, initial_rows: 200}\n" + extra);
  }

  std::string Config() const { return dir_.File("model.yaml"); }
  testutil::TempDir dir_;
};

TEST_F(CliTest, CheckValidatesConfigAndData) {
  testutil::CommandResult r = testutil::RunMlloop("check " + Config());
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("ok: model 'toy', 2 features"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("ok: 600 rows"), std::string::npos) << r.output;
}

TEST_F(CliTest, SimulateWritesStoreAndJsonThenModelsShowsThem) {
  const std::string store = dir_.File("store");
  const std::string json = dir_.File("out.json");
  testutil::CommandResult r = testutil::RunMlloop("simulate " + Config() + " --compare --store " + store + " --json " + json);
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("configured"), std::string::npos);
  EXPECT_NE(r.output.find("never"), std::string::npos);
  EXPECT_NE(r.output.find("schedule"), std::string::npos);
  EXPECT_NE(testutil::ReadFile(json).find("\"policies\""), std::string::npos);

  testutil::CommandResult list = testutil::RunMlloop("models list --store " + store);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("champion"), std::string::npos) << list.output;
  EXPECT_NE(list.output.find("v1"), std::string::npos) << list.output;

  testutil::CommandResult show = testutil::RunMlloop("models show 2 --store " + store);
  ASSERT_EQ(show.exit_code, 0) << show.output;
  EXPECT_NE(show.output.find("toy v2"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("decision #"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("schedule"), std::string::npos) << show.output;
  EXPECT_NE(show.output.find("evaluation"), std::string::npos) << show.output;

  testutil::CommandResult show_json = testutil::RunMlloop("models show 1 --json --store " + store);
  ASSERT_EQ(show_json.exit_code, 0) << show_json.output;
  EXPECT_NE(show_json.output.find("\"lineage\""), std::string::npos);

  testutil::CommandResult missing = testutil::RunMlloop("models show 99 --store " + store);
  EXPECT_EQ(missing.exit_code, 3) << missing.output;

  testutil::CommandResult champion = testutil::RunMlloop("models show champion --store " + store);
  ASSERT_EQ(champion.exit_code, 0) << champion.output;
  EXPECT_NE(champion.output.find("(champion)"), std::string::npos) << champion.output;
  testutil::CommandResult bad = testutil::RunMlloop("models show latest --store " + store);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("expected 3, v3 or champion"), std::string::npos) << bad.output;
}

TEST_F(CliTest, UsageErrorsExitWithBadInputAndHelpIsClean) {
  testutil::CommandResult none = testutil::RunMlloop("");
  EXPECT_EQ(none.exit_code, 0);
  EXPECT_NE(none.output.find("simulate"), std::string::npos) << none.output;
  testutil::CommandResult missing_arg = testutil::RunMlloop("simulate");
  EXPECT_EQ(missing_arg.exit_code, 2) << missing_arg.output;
  EXPECT_NE(missing_arg.output.find("config is required"), std::string::npos) << missing_arg.output;
  testutil::CommandResult unknown = testutil::RunMlloop("retrain " + Config());
  EXPECT_EQ(unknown.exit_code, 2) << unknown.output;
  EXPECT_EQ(testutil::RunMlloop("simulate --help").exit_code, 0);
  testutil::CommandResult version = testutil::RunMlloop("--version");
  EXPECT_EQ(version.exit_code, 0);
  EXPECT_NE(version.output.find("0.1.0"), std::string::npos) << version.output;
}

TEST_F(CliTest, MissingConfigFile) {
  testutil::CommandResult r = testutil::RunMlloop("check " + dir_.File("nope.yaml"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("nope.yaml"), std::string::npos) << r.output;
}

TEST_F(CliTest, UnknownKeyNamesKeyFileAndLine) {
  WriteConfig("retrian: {every: 1d}\n");
  testutil::CommandResult r = testutil::RunMlloop("check " + Config());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("model.yaml:11"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("retrian"), std::string::npos) << r.output;
}

TEST_F(CliTest, MalformedRowNamesFileLineAndColumn) {
  std::string csv = testutil::ReadFile(dir_.File("data.csv"));
  // Line 5 of the file (data row 4): x is not a number.
  size_t line_start = 0;
  for (int i = 0; i < 4; ++i) line_start = csv.find('\n', line_start) + 1;
  size_t comma = csv.find(',', line_start);
  csv.replace(comma + 1, 1, "abc");
  testutil::WriteFile(dir_.File("data.csv"), csv);
  const std::string store = dir_.File("store");
  testutil::CommandResult r = testutil::RunMlloop("simulate " + Config() + " --store " + store);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("data.csv:5"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'x'"), std::string::npos) << r.output;
  // Nothing was written: the store was never created.
  EXPECT_FALSE(std::filesystem::exists(store));
}

TEST_F(CliTest, LabelOutsideTheSchema) {
  std::string csv = testutil::ReadFile(dir_.File("data.csv"));
  csv += Timestamp(600) + ",1,red,maybe\n";
  testutil::WriteFile(dir_.File("data.csv"), csv);
  testutil::CommandResult r = testutil::RunMlloop("check " + Config());
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("data.csv:602"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("'maybe'"), std::string::npos) << r.output;
}

TEST_F(CliTest, MissingDataFile) {
  WriteConfig("", "absent.csv.gz");
  testutil::CommandResult r = testutil::RunMlloop("simulate " + Config());
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("absent.csv.gz"), std::string::npos) << r.output;
}

TEST_F(CliTest, EmptyTrainingWindowLeavesStoreUnchanged) {
  const std::string store = dir_.File("store");
  ASSERT_EQ(testutil::RunMlloop("simulate " + Config() + " --store " + store).exit_code, 0);
  testutil::CommandResult before = testutil::RunMlloop("models list --json --store " + store);

  // A second model whose window selects nothing, simulated into the same store.
  std::string yaml = testutil::ReadFile(Config());
  yaml.replace(yaml.find("model: toy"), 10, "model: toy2");
  yaml.replace(yaml.find("{last_rows: 200}"), 16, "{since: 2030-01-01}");
  testutil::WriteFile(Config(), yaml);
  testutil::CommandResult r = testutil::RunMlloop("simulate " + Config() + " --store " + store);
  EXPECT_EQ(r.exit_code, 2) << r.output;
  EXPECT_NE(r.output.find("selects no rows"), std::string::npos) << r.output;
  testutil::CommandResult after = testutil::RunMlloop("models list --json --store " + store);
  EXPECT_EQ(before.output, after.output);
}

TEST_F(CliTest, ModelsListWithoutStore) {
  testutil::CommandResult r = testutil::RunMlloop("models list --store " + dir_.File("none"));
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_NE(r.output.find("no registry"), std::string::npos) << r.output;
}

}  // namespace
}  // namespace mlloop
