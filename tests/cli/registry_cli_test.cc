// The registry commands of the mlloop binary, run as a user runs them: models lineage,
// approve, reject, rollback, tokens, audit, reproduce and gc.
#include <gtest/gtest.h>

#include <signal.h>
#include <spawn.h>
#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <thread>

#include <nlohmann/json.hpp>
#include <string>

#include "cli/issue_token.h"
#include "pipeline/xgb/xgb_model.h"
#include "registry/registry.h"
#include "testutil/testutil.h"

namespace mlloop {
namespace {

using testutil::IssueToken;
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
  // What the approver reads first: every gate, and the command for the full report, which
  // passes again (exit 0) against the champion.
  testutil::CommandResult show = RunMlloop("models show 2 --store " + Store());
  ASSERT_EQ(show.exit_code, 0) << show.output;
  EXPECT_NE(show.output.find("  gate margin: passed: candidate accuracy"), std::string::npos)
      << show.output;
  EXPECT_NE(show.output.find("the full report: mlloop evaluate 2 --html v2.html --store " + Store()),
            std::string::npos)
      << show.output;
  testutil::CommandResult report = RunMlloop("evaluate 2 --html " + dir_.File("v2.html") +
                                             " --store " + Store());
  EXPECT_EQ(report.exit_code, 0) << report.output;

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

TEST_F(RegistryCliTest, RolesAllowLeastPrivilegeAndEveryRefusalIsAudited) {
  WriteModel("approval: manual\n");
  Simulate();
  const std::string s = " --store " + Store();
  // Without tokens the local user administers the store; the first token is an admin's.
  EXPECT_EQ(RunMlloop("tokens create --role viewer --name early" + s).exit_code, 5);
  const std::string admin = IssueToken(Store(), "", "admin", "root");
  ASSERT_EQ(admin.size(), 71u);
  const std::string viewer = IssueToken(Store(), admin, "viewer", "auditor");
  const std::string op = IssueToken(Store(), admin, "operator", "ci");
  const std::string approver = IssueToken(Store(), admin, "approver", "alice");

  // Now nothing works without a token, and a token's secret is never listed.
  testutil::CommandResult anonymous = RunMlloop("models list" + s);
  EXPECT_EQ(anonymous.exit_code, 5) << anonymous.output;
  EXPECT_NE(anonymous.output.find("permission denied: models list: this store requires a token"),
            std::string::npos)
      << anonymous.output;
  testutil::CommandResult list = RunMlloop("tokens list" + s + " --token " + admin);
  ASSERT_EQ(list.exit_code, 0) << list.output;
  EXPECT_NE(list.output.find("auditor"), std::string::npos) << list.output;
  EXPECT_EQ(list.output.find(viewer.substr(7)), std::string::npos);
  EXPECT_EQ(testutil::ReadFile(Store() + "/registry.db").find(viewer.substr(7)),
            std::string::npos);

  struct Attempt {
    std::string command;
    std::string token;
    int exit_code;
  };
  const std::vector<Attempt> attempts = {
      {"models list", viewer, 0},
      {"models lineage 2", viewer, 0},
      {"approve 2 --reason ok", viewer, 5},
      {"rollback --reason x", viewer, 5},
      {"tokens list", viewer, 5},
      {"approve 2 --reason ok", op, 5},
      {"tokens create --role admin --name sneaky", op, 5},
      {"rollback --reason x", approver, 5},
      {"approve 2 --as bob --reason ok", approver, 5},  // the token is alice's
      {"approve 2 --reason 'fine by me'", approver, 0},
      {"reject 3 --reason 'not now'", approver, 0},
      {"models list", "mlloop_" + std::string(64, '0'), 5},
      {"simulate " + Config() + " -q", viewer, 5},
      {"simulate " + Config() + " -q", op, 4},  // may train; the store holds the model already
  };
  int refusals = 0;
  for (const Attempt& a : attempts) {
    testutil::CommandResult r = RunMlloop(a.command + s + " --token " + a.token);
    EXPECT_EQ(r.exit_code, a.exit_code) << a.command << "\n" << r.output;
    if (a.exit_code == 5) {
      ++refusals;
      EXPECT_NE(r.output.find("permission denied"), std::string::npos) << r.output;
    }
  }
  EXPECT_EQ(Json("models lineage 2 --token " + viewer)["approval"]["by"], "alice");

  // The operator may roll back what a person approved and the loop promoted; here the
  // champion is the replay's first model, so there is nothing to go back to.
  testutil::CommandResult rollback = RunMlloop("rollback --reason x" + s + " --token " + op);
  EXPECT_EQ(rollback.exit_code, 5) << rollback.output;
  EXPECT_NE(rollback.output.find("no previous champion"), std::string::npos) << rollback.output;

  // Revoked: refused from then on.
  ASSERT_EQ(RunMlloop("tokens revoke auditor" + s + " --token " + admin).exit_code, 0);
  testutil::CommandResult revoked = RunMlloop("models list" + s + " --token " + viewer);
  EXPECT_EQ(revoked.exit_code, 5) << revoked.output;
  EXPECT_NE(revoked.output.find("the token of auditor was revoked"), std::string::npos);
  ++refusals;

  nlohmann::json tokens = Json("tokens list --token " + admin);
  EXPECT_FALSE(tokens[1]["revoked_at"].is_null());
  EXPECT_EQ(tokens[1]["revoked_by"], "root");
  // Every refusal is in the audit log, the anonymous one included, with who and what.
  auto reg = registry::Registry::Open(Store());
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  int denied = 0;
  const std::vector<registry::AuditEntry> audit = *(*reg)->Audit();
  for (const auto& e : audit) {
    if (e.action != "access_denied") continue;
    ++denied;
    if (e.subject == "approve 2" && e.actor == "ci") {
      EXPECT_NE(e.details_json.find("ci (operator) may not approve"), std::string::npos);
    }
  }
  EXPECT_EQ(denied, refusals + 1);
  EXPECT_TRUE((*reg)->VerifyAuditChain().ok());
}

TEST_F(RegistryCliTest, AuditListsFiltersAndVerifyNamesTheFirstBadEntry) {
  WriteModel("approval: manual\n");
  Simulate();
  const std::string s = " --store " + Store();
  ASSERT_EQ(RunMlloop("approve 2 --as alice --reason ok" + s).exit_code, 0);

  nlohmann::json approvals = Json("audit --action approve --actor alice");
  ASSERT_EQ(approvals.size(), 1u);
  EXPECT_EQ(approvals[0]["subject"], "shapes v2");
  EXPECT_EQ(approvals[0]["details"]["reason"], "ok");
  nlohmann::json about = Json("audit --model shapes --since 2000-01-01T00:00:00Z");
  for (const auto& e : about) {
    EXPECT_EQ(e["subject"].get<std::string>().rfind("shapes", 0), 0u) << e.dump();
  }
  EXPECT_EQ(Json("audit --limit 2").size(), 2u);
  EXPECT_EQ(Json("audit --since 1d").back()["actor"], "alice");  // only today's approval
  testutil::CommandResult table = RunMlloop("audit --action register" + s);
  ASSERT_EQ(table.exit_code, 0) << table.output;
  EXPECT_NE(table.output.find("shapes v1"), std::string::npos) << table.output;
  EXPECT_EQ(RunMlloop("audit --since yesterday" + s).exit_code, 2);

  testutil::CommandResult ok = RunMlloop("audit verify" + s);
  EXPECT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("audit log intact"), std::string::npos) << ok.output;
  const int64_t entries = Json("audit verify")["entries"];
  EXPECT_EQ(Json("audit verify")["public_key"].get<std::string>().size(), 64u);

  // Someone with write access to the file removes the two newest entries.
  {
    sqlite3* db = nullptr;
    ASSERT_EQ(sqlite3_open((Store() + "/registry.db").c_str(), &db), SQLITE_OK);
    ASSERT_EQ(sqlite3_exec(db,
                           ("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id > " +
                            std::to_string(entries - 2))
                               .c_str(),
                           nullptr, nullptr, nullptr),
              SQLITE_OK);
    sqlite3_close(db);
  }
  testutil::CommandResult bad = RunMlloop("audit verify" + s);
  EXPECT_EQ(bad.exit_code, 7) << bad.output;
  EXPECT_NE(bad.output.find("audit log truncated"), std::string::npos) << bad.output;
  testutil::CommandResult bad_json = RunMlloop("audit verify --json" + s);
  EXPECT_EQ(bad_json.exit_code, 7);
  auto j = nlohmann::json::parse(bad_json.output.substr(0, bad_json.output.rfind('}') + 1));
  EXPECT_FALSE(j["intact"].get<bool>());
  EXPECT_EQ(j["first_bad_entry"], entries - 1);
}

TEST_F(RegistryCliTest, ATamperedArtifactIsNamedInItsLineage) {
  Simulate();
  nlohmann::json v1 = Json("models lineage 1");
  EXPECT_TRUE(v1["artifact_verified"].get<bool>()) << v1["artifact_problem"];
  EXPECT_EQ(v1["artifact_signature"].get<std::string>().size(), 128u);
  const std::string sha = v1["artifact_sha256"];
  const std::string blob = Store() + "/artifacts/" + sha.substr(0, 2) + "/" + sha;
  std::string bytes = testutil::ReadFile(blob);
  bytes[bytes.size() / 2] ^= 1;  // one flipped bit
  testutil::WriteFile(blob, bytes);

  nlohmann::json tampered = Json("models lineage 1");
  EXPECT_FALSE(tampered["artifact_verified"].get<bool>());
  EXPECT_NE(tampered["artifact_problem"].get<std::string>().find("is corrupt: content hash is"),
            std::string::npos)
      << tampered["artifact_problem"];
  testutil::CommandResult human = RunMlloop("models lineage 1 --store " + Store());
  EXPECT_NE(human.output.find("NOT VERIFIED: loading the artifact of shapes v1"),
            std::string::npos)
      << human.output;
}

// Runs `sql` on the store's database (the test fails if it does not run).
void Sql(const std::string& store, const std::string& sql) {
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((store + "/registry.db").c_str(), &db), SQLITE_OK);
  char* error = nullptr;
  EXPECT_EQ(sqlite3_exec(db, sql.c_str(), nullptr, nullptr, &error), SQLITE_OK)
      << (error ? error : "");
  sqlite3_free(error);
  sqlite3_close(db);
}

TEST(ReproduceCliTest, Elec2VersionsRetrainToIdenticalArtifacts) {
  testutil::TempDir dir;
  const std::string store = dir.File("store");
  testutil::CommandResult sim =
      RunMlloop("simulate " + testutil::SourcePath("examples/elec2/model.yaml") + " -q --store " +
                store);
  ASSERT_EQ(sim.exit_code, 0) << sim.output;
  // The first model, a later champion, and one that validation rejected.
  testutil::CommandResult v8 = RunMlloop("models lineage 8 --json --store " + store);
  ASSERT_EQ(v8.exit_code, 0) << v8.output;
  EXPECT_EQ(nlohmann::json::parse(v8.output)["state"], "rejected");
  for (const std::string version : {"1", "champion", "8"}) {
    testutil::CommandResult r = RunMlloop("reproduce " + version + " --json --store " + store);
    ASSERT_EQ(r.exit_code, 0) << version << "\n" << r.output;
    auto j = nlohmann::json::parse(r.output);
    EXPECT_TRUE(j["identical"].get<bool>()) << r.output;
    EXPECT_EQ(j["reproduced_artifact_sha256"], j["recorded_artifact_sha256"]);
    EXPECT_EQ(j["inputs"].size(), 4u);
  }
}

TEST_F(RegistryCliTest, ReproduceNamesTheRecordedInputThatIsGoneOrChanged) {
  Simulate();
  const std::string s = " --store " + Store();
  testutil::CommandResult ok = RunMlloop("reproduce 3" + s);
  ASSERT_EQ(ok.exit_code, 0) << ok.output;
  EXPECT_NE(ok.output.find("identical"), std::string::npos) << ok.output;

  // The data file moved: unavailable, unless the caller points at the copy.
  std::filesystem::rename(dir_.File("rows.csv"), dir_.File("moved.csv"));
  testutil::CommandResult gone = RunMlloop("reproduce 3" + s);
  EXPECT_EQ(gone.exit_code, 3) << gone.output;
  EXPECT_NE(gone.output.find("cannot reproduce shapes v3: data file unavailable: " +
                             std::filesystem::absolute(dir_.File("rows.csv")).string() +
                             " no longer exists"),
            std::string::npos)
      << gone.output;
  EXPECT_EQ(RunMlloop("reproduce 3 --data " + dir_.File("moved.csv") + s).exit_code, 0);

  // A value inside the training rows changed: the snapshot says so.
  std::string csv = testutil::ReadFile(dir_.File("moved.csv"));
  const size_t line = csv.find("2023-03-04T00:00:00Z,");  // data row 72, in v3's window
  ASSERT_NE(line, std::string::npos);
  csv.replace(csv.find(',', line) + 1, 1, "9");
  testutil::WriteFile(dir_.File("rows.csv"), csv);
  testutil::CommandResult changed = RunMlloop("reproduce 3 --json" + s);
  EXPECT_EQ(changed.exit_code, 5) << changed.output;
  auto j = nlohmann::json::parse(changed.output.substr(0, changed.output.rfind('}') + 1));
  EXPECT_FALSE(j["identical"].get<bool>());
  EXPECT_EQ(j["inputs"].back()["name"], "training rows");
  EXPECT_EQ(j["inputs"].back()["check"], "changed");
  EXPECT_NE(j["environment_differences"][0].get<std::string>().find("changed since"),
            std::string::npos);

  // The file lost the rows: unavailable.
  testutil::WriteFile(dir_.File("rows.csv"), csv.substr(0, line));
  testutil::CommandResult short_file = RunMlloop("reproduce 3" + s);
  EXPECT_EQ(short_file.exit_code, 3) << short_file.output;
  EXPECT_NE(short_file.output.find("training rows unavailable"), std::string::npos)
      << short_file.output;

  // A version from before config texts were recorded.
  Sql(Store(), "UPDATE model_versions SET config_text = '' WHERE version = 2");
  testutil::CommandResult no_config = RunMlloop("reproduce 2" + s);
  EXPECT_EQ(no_config.exit_code, 3) << no_config.output;
  EXPECT_NE(no_config.output.find("configuration unavailable"), std::string::npos)
      << no_config.output;
}

TEST_F(RegistryCliTest, GcIsADryRunUntilAnAdminAppliesIt) {
  Simulate();
  const std::string s = " --store " + Store();
  nlohmann::json dry = Json("gc");
  EXPECT_FALSE(dry["applied"].get<bool>());
  ASSERT_EQ(dry["models"].size(), 1u);
  EXPECT_EQ(dry["models"][0]["model"], "shapes");
  // All but the champion and its rollback target go; the toy data makes some versions'
  // artifacts byte-identical, so files are fewer than versions.
  EXPECT_GE(dry["models"][0]["versions"].get<int>(), 3);
  EXPECT_EQ(dry["versions"].size(), dry["models"][0]["versions"].get<size_t>() - 2);
  const int64_t files = dry["blobs"];
  EXPECT_GT(files, 0);
  EXPECT_GT(dry["bytes"].get<int64_t>(), 0);
  EXPECT_EQ(Json("gc")["bytes"], dry["bytes"]);  // the dry run removed nothing

  const std::string admin = IssueToken(Store(), "", "admin", "root");
  const std::string viewer = IssueToken(Store(), admin, "viewer", "auditor");
  EXPECT_EQ(RunMlloop("gc" + s + " --token " + viewer).exit_code, 0);
  testutil::CommandResult refused = RunMlloop("gc --apply" + s + " --token " + viewer);
  EXPECT_EQ(refused.exit_code, 5) << refused.output;
  EXPECT_EQ(Json("gc --token " + admin)["bytes"], dry["bytes"]);

  testutil::CommandResult applied = RunMlloop("gc --apply" + s + " --token " + admin);
  ASSERT_EQ(applied.exit_code, 0) << applied.output;
  EXPECT_NE(applied.output.find("removed " + std::to_string(files) + " artifact files"),
            std::string::npos)
      << applied.output;
  nlohmann::json after = Json("gc --token " + admin);
  EXPECT_EQ(after["bytes"], 0);
  EXPECT_EQ(after["versions"].size(), 0u);
  EXPECT_EQ(after["models"][0]["collectable_versions"], 0);

  // The champion and its rollback target still load; a collected version says what
  // happened to it, and can still be reproduced from its lineage.
  nlohmann::json champion = Json("models lineage champion --token " + admin);
  EXPECT_TRUE(champion["artifact_verified"].get<bool>());
  const std::string target = std::to_string(champion["rollback_target"]["version"].get<int>());
  EXPECT_TRUE(Json("models lineage " + target + " --token " + admin)["artifact_verified"].get<bool>());
  nlohmann::json first = Json("models lineage 1 --token " + admin);
  EXPECT_NE(first["artifact_problem"].get<std::string>().find("removed by `mlloop gc`"),
            std::string::npos);
  EXPECT_EQ(RunMlloop("reproduce 1" + s + " --token " + admin).exit_code, 0);
  EXPECT_EQ(RunMlloop("audit verify" + s + " --token " + admin).exit_code, 0);
}

// ------------------------------------------------------------------------------ crashes

// `mlloop ARGS` with MLLOOP_TEST_CRASH_AT=`point`: the process kills itself with SIGKILL
// there (registry/crash_point.h). The test fails unless it died.
void RunUntilCrash(const std::string& point, const std::string& args) {
  ::setenv("MLLOOP_TEST_CRASH_AT", point.c_str(), 1);
  testutil::CommandResult r = RunMlloop(args);
  ::unsetenv("MLLOOP_TEST_CRASH_AT");
  // The shell reports a child killed by SIGKILL as 137 (or pclose as not exited).
  EXPECT_TRUE(r.exit_code == 128 + SIGKILL || r.exit_code == -1)
      << point << ": exit " << r.exit_code << "\n" << r.output;
}

// After a crash: the log verifies, each model has exactly one champion, and it loads as
// XGBoost model bytes through the registry's checks. Returns the champion's version (0
// when the store holds no version).
int64_t ExpectConsistent(const std::string& store) {
  auto reg = registry::Registry::Open(store);
  EXPECT_TRUE(reg.ok()) << reg.status().ToString();
  if (!reg.ok()) return -1;
  Status chain = (*reg)->VerifyAuditChain();
  EXPECT_TRUE(chain.ok()) << chain.ToString();
  const std::vector<registry::ModelVersion> versions = *(*reg)->ListVersions();
  if (versions.empty()) return 0;
  int champions = 0;
  int64_t version = 0;
  for (const auto& v : versions) {
    if (v.state != registry::VersionState::kChampion) continue;
    ++champions;
    version = v.version;
    auto bytes = (*reg)->LoadArtifact(v);
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    if (bytes.ok()) {
      auto model = pipeline::XgbModel::Load(*bytes, core::Task::kBinaryClassification);
      EXPECT_TRUE(model.ok()) << model.status().ToString();
    }
  }
  EXPECT_EQ(champions, 1);
  EXPECT_EQ(RunMlloop("audit verify --store " + store).exit_code, 0);
  return version;
}

TEST_F(RegistryCliTest, KilledWhileRegisteringOrPromotingLeavesTheOldChampionServing) {
  // The second registration and promotion are the first retrain's: its whole tick is one
  // transaction, so after the crash the store is as the first model left it.
  for (const std::string point :
       {"register:after_artifact:2", "register:before_commit:2", "promote:after_retire:1",
        "promote:before_commit:2"}) {
    SCOPED_TRACE(point);
    std::filesystem::remove_all(Store());
    RunUntilCrash(point, "simulate " + Config() + " -q --store " + Store());
    EXPECT_EQ(ExpectConsistent(Store()), 1);
    nlohmann::json versions = Json("models list");
    EXPECT_EQ(versions.size(), 1u);
    // A blob written before the crash is garbage no version names, and nothing else is.
    nlohmann::json gc = Json("gc");
    EXPECT_TRUE(gc["versions"].empty());
    EXPECT_LE(gc["blobs"].get<int>(), 1);
    // The store takes new work: a new admin token, audited.
    const std::string token = IssueToken(Store(), "", "admin", "after");
    EXPECT_EQ(RunMlloop("audit verify --store " + Store() + " --token " + token).exit_code, 0);
  }
  // Killed while promoting the very first model: nothing was committed at all.
  std::filesystem::remove_all(Store());
  RunUntilCrash("promote:before_commit:1", "simulate " + Config() + " -q --store " + Store());
  EXPECT_EQ(ExpectConsistent(Store()), 0);
}

TEST_F(RegistryCliTest, KilledWhileRollingBackLeavesTheChampionAsItWas) {
  Simulate();
  const int64_t before = ExpectConsistent(Store());
  ASSERT_GE(before, 2);
  RunUntilCrash("rollback:after_demote", "rollback --reason alarm --store " + Store());
  EXPECT_EQ(ExpectConsistent(Store()), before);
  ASSERT_EQ(RunMlloop("rollback --reason alarm --store " + Store()).exit_code, 0);
  EXPECT_EQ(ExpectConsistent(Store()), Json("models lineage " + std::to_string(before))
                                           ["rollback_target"]["version"]
                                               .get<int64_t>());
}

TEST(CrashCliTest, Elec2SimulationKilledWithSigkillMidRunIsConsistent) {
  testutil::TempDir dir;
  const std::string store = dir.File("store");
  const std::string binary = std::string(MLLOOP_BINARY_DIR) + "/bin/mlloop";
  const std::string config = testutil::SourcePath("examples/elec2/model.yaml");
  std::vector<std::string> args = {binary, "simulate", config, "-q", "--store", store};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_t pid = 0;
  ASSERT_EQ(::posix_spawn(&pid, binary.c_str(), nullptr, nullptr, argv.data(), environ), 0);
  // The replay takes seconds. Once it has stored a few retrained models, stop it at no
  // particular point, as kill -9 does.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  auto blobs = [&] {
    size_t n = 0;
    std::error_code ec;
    for (auto it = std::filesystem::recursive_directory_iterator(store + "/artifacts", ec);
         !ec && it != std::filesystem::recursive_directory_iterator(); it.increment(ec)) {
      n += it->is_regular_file(ec);
    }
    return n;
  };
  while (blobs() < 4 && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  std::this_thread::sleep_for(std::chrono::milliseconds(137));
  ::kill(pid, SIGKILL);
  int status = 0;
  ASSERT_EQ(::waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status)) << "the replay finished before it could be killed";
  EXPECT_GE(ExpectConsistent(store), 1);
  std::printf("killed the Elec2 replay with %zu artifacts stored\n", blobs());
}

}  // namespace
}  // namespace mlloop
