// The registry commands of the mlloop binary, run as a user runs them: models lineage,
// approve, reject, rollback, tokens, audit, reproduce and gc.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "testutil/testutil.h"

namespace mlloop {
namespace {

using testutil::RunMlloop;

// A store filled by `simulate` on a small synthetic model: 480 hourly rows, the first model
// on 120 of them, a retrain every two days.
class RegistryCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string csv = "when,size,shape,outcome\n";
    for (int i = 0; i < 480; ++i) {
      char when[32];
      std::snprintf(when, sizeof(when), "2023-03-%02dT%02d:00:00Z", 1 + i / 24, i % 24);
      const int size = (i * 7) % 13;
      csv += std::string(when) + "," + std::to_string(size) + "," + (i % 4 ? "round" : "square") +
             "," + (size > 6 ? "1" : "0") + "\n";
    }
    testutil::WriteFile(dir_.File("rows.csv"), csv);
    WriteModel("");
  }

  void WriteModel(const std::string& extra) {
    testutil::WriteFile(Config(),
                        "model: shapes\n"
                        "data: {path: rows.csv}\n"
                        "schema:\n"
                        "  features: [size, {name: shape, type: categorical}]\n"
                        "  label: {name: outcome, task: binary, positive: '1', negative: '0'}\n"
                        "  timestamp: {source: column, column: when}\n"
                        "trainer: {rounds: 4, window: {last_rows: 120}}\n"
                        "policy: {tick: 1d, trigger: {schedule: {every: 2d}}}\n"
                        "validation: {holdout_rows: 24, min_rows: 10}\n"
                        "simulation: {label_delay: 1h, initial_rows: 120}\n" +
                            extra);
  }

  // Simulates into Store(); the test fails unless it succeeds.
  void Simulate() {
    testutil::CommandResult r = RunMlloop("simulate " + Config() + " -q --store " + Store());
    ASSERT_EQ(r.exit_code, 0) << r.output;
  }

  // `mlloop ARGS --store STORE`, and the output parsed as JSON (the test fails otherwise).
  nlohmann::json Json(const std::string& args) {
    testutil::CommandResult r = RunMlloop(args + " --json --store " + Store());
    EXPECT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output, nullptr, /*allow_exceptions=*/false);
    EXPECT_FALSE(j.is_discarded()) << r.output;
    return j;
  }

  std::string Config() const { return dir_.File("model.yaml"); }
  std::string Store() const { return dir_.File("store"); }
  testutil::TempDir dir_;
};

TEST_F(RegistryCliTest, LineageNamesDataCodeConfigEnvironmentDecisionAndHistory) {
  Simulate();
  testutil::CommandResult r = RunMlloop("models lineage 2 --store " + Store());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const char* expected :
       {"shapes v2", "file sha256", "snapshot       sha256:", "rows.csv", "trainer        xgboost",
        "seed           42", "compiler       GCC", "sqlite 3.", "decision         #",
        "evaluation       ", "approval         mlloop-simulate", "rollback target  v1",
        "register -> candidate", "configuration file (as trained)", "| model: shapes"}) {
    EXPECT_NE(r.output.find(expected), std::string::npos) << expected << "\n" << r.output;
  }

  nlohmann::json j = Json("models lineage 2");
  EXPECT_EQ(j["version"], 2);
  EXPECT_EQ(j["data"]["file_sha256"].get<std::string>().size(), 64u);
  EXPECT_EQ(j["data"]["source"], std::filesystem::absolute(dir_.File("rows.csv")).string());
  EXPECT_EQ(j["configuration"]["text"], testutil::ReadFile(Config()));
  EXPECT_EQ(j["configuration"]["seed"], 42);
  EXPECT_EQ(j["code"]["trainer"], "xgboost");
  EXPECT_FALSE(j["environment"]["os"].get<std::string>().empty());
  EXPECT_EQ(j["decision"]["action"], "retrain");
  EXPECT_EQ(j["evaluations"].size(), 1u);
  EXPECT_EQ(j["approval"]["by"], "mlloop-simulate");
  EXPECT_EQ(j["rollback_target"]["version"], 1);
  ASSERT_GE(j["deployments"].size(), 1u);
  EXPECT_EQ(j["deployments"][0]["as"], "champion");
  EXPECT_EQ(j["history"][0]["action"], "register");

  // The first version: no decision caused it, nothing to roll back to.
  nlohmann::json first = Json("models lineage v1");
  EXPECT_TRUE(first["decision"].is_null());
  EXPECT_TRUE(first["rollback_target"].is_null());
  EXPECT_EQ(RunMlloop("models lineage 99 --store " + Store()).exit_code, 3);
}

}  // namespace
}  // namespace mlloop
