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

TEST_F(RegistryCliTest, ManualApprovalWaitsForAPersonWhoApprovesOrRejects) {
  WriteModel("approval: manual\n");
  testutil::CommandResult sim = RunMlloop("simulate " + Config() + " --store " + Store());
  ASSERT_EQ(sim.exit_code, 0) << sim.output;
  EXPECT_NE(sim.output.find("awaiting approval"), std::string::npos) << sim.output;
  nlohmann::json versions = Json("models list");
  ASSERT_GE(versions.size(), 3u);
  EXPECT_EQ(versions[0]["state"], "champion");  // the replay's first model
  EXPECT_EQ(versions[1]["state"], "validated");

  testutil::CommandResult approve =
      RunMlloop("approve v2 --as alice --reason 'better on the holdout' --store " + Store());
  ASSERT_EQ(approve.exit_code, 0) << approve.output;
  EXPECT_NE(approve.output.find("approved shapes v2 as alice; the controller promotes it"),
            std::string::npos)
      << approve.output;
  nlohmann::json lineage = Json("models lineage 2");
  EXPECT_EQ(lineage["state"], "approved");
  EXPECT_EQ(lineage["approval"]["by"], "alice");
  EXPECT_EQ(lineage["approval"]["reason"], "better on the holdout");

  // Approving twice, or approving what is not validated, changes nothing.
  testutil::CommandResult again =
      RunMlloop("approve 2 --as alice --reason again --store " + Store());
  EXPECT_EQ(again.exit_code, 5) << again.output;
  EXPECT_NE(again.output.find("cannot go from approved to approved"), std::string::npos)
      << again.output;
  testutil::CommandResult no_reason = RunMlloop("approve 3 --as alice --store " + Store());
  EXPECT_EQ(no_reason.exit_code, 2) << no_reason.output;

  testutil::CommandResult reject =
      RunMlloop("reject 3 --as bob --reason 'trained on a holiday week' --store " + Store());
  ASSERT_EQ(reject.exit_code, 0) << reject.output;
  EXPECT_EQ(Json("models lineage 3")["state"], "rejected");
  EXPECT_EQ(Json("models lineage 3")["history"].back()["actor"], "bob");
}

TEST_F(RegistryCliTest, RollbackRestoresThePreviousChampionOrChangesNothing) {
  Simulate();
  nlohmann::json champion = Json("models lineage champion");
  const int before = champion["version"];
  ASSERT_GE(before, 2);
  const int target = champion["rollback_target"]["version"];

  testutil::CommandResult r =
      RunMlloop("rollback --as carol --reason 'error rate alarm' --store " + Store());
  ASSERT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(Json("models lineage champion")["version"], target);
  nlohmann::json rolled = Json("models lineage " + std::to_string(before));
  EXPECT_EQ(rolled["state"], "rolled_back");
  EXPECT_EQ(rolled["history"].back()["action"], "rollback");
  EXPECT_EQ(rolled["history"].back()["actor"], "carol");

  // Back to the first model, then there is nothing left to go back to.
  for (int i = 0; i < target - 1; ++i) {
    ASSERT_EQ(RunMlloop("rollback --as carol --reason again --store " + Store()).exit_code, 0);
  }
  EXPECT_EQ(Json("models lineage champion")["version"], 1);
  testutil::CommandResult none = RunMlloop("rollback --as carol --reason x --store " + Store());
  EXPECT_EQ(none.exit_code, 5) << none.output;
  EXPECT_NE(none.output.find("shapes v1 has no previous champion to go back to; nothing was changed"),
            std::string::npos)
      << none.output;
  EXPECT_EQ(Json("models lineage champion")["version"], 1);
}

}  // namespace
}  // namespace mlloop
