// `mlloop rollout status|promote|abort`, run as an operator runs them against the store of a
// server whose rollout controller (a real RolloutController on a virtual clock, answering
// through a real PredictionService) started a canary: what status shows, what promote and
// abort record, who may run them, and that the controller follows at its next Tick().
#include <gtest/gtest.h>

#include <map>
#include <nlohmann/json.hpp>
#include <string>

#include "cli/issue_token.h"
#include "core/clock.h"
#include "core/time.h"
#include "registry/registry.h"
#include "rollout/rollout_controller.h"
#include "serve/prediction_service.h"
#include "serve/serve_fixture.h"
#include "testutil/testutil.h"

namespace mlloop {
namespace {

using registry::ModelVersion;
using registry::VersionState;
using rollout::Action;
using testutil::IssueToken;
using testutil::RunMlloop;

// The config recorded in every version's lineage: the rollout controller and the CLI read
// its rollout section (a two-step canary, then a ten-minute watch).
constexpr const char* kConfig =
    "model: toy\n"
    "data: {path: rows.csv}\n"
    "schema:\n"
    "  features: [x, flag, color]\n"
    "  label: {name: outcome, task: binary, positive: '1', negative: '0'}\n"
    "  timestamp: {source: column, column: when}\n"
    "rollout:\n"
    "  strategy: canary\n"
    "  steps: [0.2, 0.5]\n"
    "  step_duration: 1m\n"
    "  guard: {min_requests: 20, max_latency_p99_ratio: 0, max_prediction_psi: 0}\n"
    "  watch: 10m\n";

class RolloutCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reg = registry::Registry::Open(Store());
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    registry_ = std::move(*reg);
  }

  // Registers a toy model version with kConfig in its lineage, approved, or champion.
  ModelVersion Add(int variant, VersionState state) {
    auto bytes = serve::testing::TrainToyModel(variant)->Serialize();
    EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
    registry::Lineage lineage;
    lineage.config_text = kConfig;
    auto v = registry_->Register("toy", *bytes, lineage, std::nullopt, "pipeline", clock_.Now());
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(registry_->Transition(v->id, VersionState::kValidated, "t", "ok", clock_.Now()).ok());
    EXPECT_TRUE(registry_->Approve(v->id, "alice", "looks good", clock_.Now()).ok());
    if (state == VersionState::kChampion) {
      EXPECT_TRUE(registry_->Transition(v->id, VersionState::kChampion, "t", "first", clock_.Now()).ok());
    }
    return *registry_->GetVersionById(v->id);
  }

  // The server's rollout controller, with the slot serving the champion.
  void StartController() {
    auto loader = [this](const ModelVersion& v) {
      return serve::ServedModel::LoadVersion(*registry_, v, service_.metrics());
    };
    auto champion = registry_->Champion("toy");
    ASSERT_TRUE(champion.ok() && *champion);
    slot_.Swap(*loader(**champion));
    controller_ = std::make_unique<rollout::RolloutController>(
        registry_.get(), &clock_, &slot_, loader, rollout::RolloutController::Options{});
  }

  rollout::TickResult Tick() {
    auto r = controller_->Tick();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : rollout::TickResult{};
  }

  // `n` single-row requests; the answering versions, counted.
  std::map<std::string, int> Send(int n) {
    return serve::testing::SendToyRows(service_, n, "1, 2");
  }

  // A canary of v2 against v1 at step 2/2, its step decision carrying the guards.
  void RollToStepTwo() {
    Add(0, VersionState::kChampion);
    v2_ = Add(1, VersionState::kApproved);
    StartController();
    ASSERT_EQ(Tick().action, Action::kStarted);
    Send(200);
    clock_.AdvanceTo(clock_.Now() + 60);
    ASSERT_EQ(Tick().action, Action::kAdvanced);
    step_two_ = clock_.Now();
  }

  testutil::CommandResult Cli(const std::string& args) {
    return RunMlloop(args + " --store " + Store());
  }

  // `mlloop ARGS --json --store STORE`, parsed (the test fails unless it exits 0).
  nlohmann::json Json(const std::string& args) {
    testutil::CommandResult r = Cli(args + " --json");
    EXPECT_EQ(r.exit_code, 0) << r.output;
    auto j = nlohmann::json::parse(r.output, nullptr, /*allow_exceptions=*/false);
    EXPECT_TRUE(j.is_object()) << r.output;
    return j;
  }

  VersionState State(int64_t version) { return registry_->GetVersion("toy", version)->state; }

  // The newest audit entry of `action` about toy v`version`.
  registry::AuditEntry NewestEntry(const std::string& action, int64_t version) {
    auto audit = registry_->Audit();
    EXPECT_TRUE(audit.ok());
    for (auto it = audit->rbegin(); it != audit->rend(); ++it) {
      if (it->action == action && it->subject == "toy v" + std::to_string(version)) return *it;
    }
    ADD_FAILURE() << "no " << action << " entry about v" << version;
    return {};
  }

  std::string Store() const { return dir_.File("store"); }

  testutil::TempDir dir_;
  std::unique_ptr<registry::Registry> registry_;
  core::VirtualClock clock_{core::RealClock().Now()};
  serve::PredictionService service_{serve::PredictionService::Options{}};
  serve::ModelSlot& slot_ = service_.AddModel("toy");
  std::unique_ptr<rollout::RolloutController> controller_;
  ModelVersion v2_;
  int64_t step_two_ = 0;
};

TEST_F(RolloutCliTest, StatusSaysPlainlyWhenNothingRollsOut) {
  Add(0, VersionState::kChampion);
  testutil::CommandResult idle = Cli("rollout status");
  ASSERT_EQ(idle.exit_code, 0) << idle.output;
  EXPECT_NE(idle.output.find("toy: no rollout in progress"), std::string::npos) << idle.output;
  EXPECT_NE(idle.output.find("champion     toy v1"), std::string::npos) << idle.output;

  Add(1, VersionState::kApproved);
  testutil::CommandResult waiting = Cli("rollout status");
  EXPECT_NE(waiting.output.find("approved     toy v2, waiting for a rollout"), std::string::npos)
      << waiting.output;
  nlohmann::json j = Json("rollout status");
  EXPECT_EQ(j["model"], "toy");
  EXPECT_EQ(j["state"], "idle");
  EXPECT_EQ(j["champion"], 1);
  EXPECT_TRUE(j["rolling"].is_null());
  EXPECT_TRUE(j["watching"].is_null());
  ASSERT_EQ(j["approved"].size(), 1u);
  EXPECT_EQ(j["approved"][0]["version"], 2);
  EXPECT_TRUE(j["recent_decisions"].empty());
  testutil::CommandResult unknown = Cli("rollout status --model churn");
  EXPECT_EQ(unknown.exit_code, 3) << unknown.output;
  EXPECT_NE(unknown.output.find("no model named 'churn'"), std::string::npos) << unknown.output;
}

TEST_F(RolloutCliTest, StatusShowsTheCanaryItsStepAndItsGuards) {
  RollToStepTwo();
  testutil::CommandResult r = Cli("rollout status");
  ASSERT_EQ(r.exit_code, 0) << r.output;
  for (const std::string& expected : std::vector<std::string>{
           "toy: rolling", "champion     toy v1",
        "rolling out  toy v2 (canary), step 2/2, 50% of traffic, since " +
            core::FormatTimestamp(step_two_) + " (rollout_step by mlloop-rollout)",
        "error_rate_increase", "held", "recent rollout decisions", "started the canary rollout",
        "toy v2: step 2/2, 50% of traffic; every guard held"}) {
    EXPECT_NE(r.output.find(expected), std::string::npos) << expected << "\n" << r.output;
  }

  nlohmann::json j = Json("rollout status");
  EXPECT_EQ(j["state"], "rolling");
  const nlohmann::json& rolling = j["rolling"];
  EXPECT_EQ(rolling["version"], 2);
  EXPECT_EQ(rolling["strategy"], "canary");
  EXPECT_EQ(rolling["step"], 2);
  EXPECT_EQ(rolling["steps"], 2);
  EXPECT_DOUBLE_EQ(rolling["weight"].get<double>(), 0.5);
  EXPECT_EQ(rolling["step_started"], core::FormatTimestamp(step_two_));
  EXPECT_EQ(rolling["last_entry"], "rollout_step");
  EXPECT_EQ(rolling["champion"], 1);
  ASSERT_TRUE(rolling["guards"].contains("error_rate")) << rolling.dump(2);
  EXPECT_FALSE(rolling["guards"]["error_rate"]["fired"].get<bool>());
  EXPECT_DOUBLE_EQ(rolling["guards"]["error_rate"]["threshold"].get<double>(), 0.01);
  EXPECT_NE(rolling["guards"]["error_rate"]["note"].get<std::string>().find("v2: 0 server errors"),
            std::string::npos);
  ASSERT_EQ(j["recent_decisions"].size(), 2u);
  EXPECT_EQ(j["recent_decisions"][1]["id"], rolling["decision_id"]);
  EXPECT_EQ(j["recent_decisions"][1]["version"], 2);
  EXPECT_EQ(j["recent_decisions"][1]["policy"], "rollout:canary");
  EXPECT_EQ(j["recent_decisions"][1]["action"], "none");
}

TEST_F(RolloutCliTest, PromoteThenAbortDuringTheWatchAreFollowedByTheController) {
  RollToStepTwo();
  const int64_t before = core::RealClock().Now();
  testutil::CommandResult promote = Cli("rollout promote --as alice --reason 'looks fine'");
  ASSERT_EQ(promote.exit_code, 0) << promote.output;
  EXPECT_NE(promote.output.find("promoted toy v2 by alice at step 2/2: looks fine; toy v2 is "
                                "champion"),
            std::string::npos)
      << promote.output;
  EXPECT_EQ(State(2), VersionState::kChampion);
  EXPECT_EQ(State(1), VersionState::kRetired);
  // One decision and one audit entry, shaped as the controller's.
  registry::AuditEntry entry = NewestEntry("rollout_promote", 2);
  EXPECT_EQ(entry.actor, "alice");
  auto details = nlohmann::json::parse(entry.details_json);
  EXPECT_EQ(details["strategy"], "canary");
  EXPECT_EQ(details["step"], 2);
  EXPECT_EQ(details["steps"], 2);
  EXPECT_DOUBLE_EQ(details["weight"].get<double>(), 0.5);
  EXPECT_EQ(details["champion"], "toy v1");
  auto decision = registry_->GetDecision(details["decision_id"].get<int64_t>());
  ASSERT_TRUE(decision.ok() && *decision);
  EXPECT_EQ((*decision)->policy, "rollout:canary");
  EXPECT_EQ((*decision)->action, "none");
  EXPECT_EQ((*decision)->reason, "promoted toy v2 by alice at step 2/2: looks fine");
  EXPECT_EQ((*decision)->version_id, v2_.id);
  EXPECT_EQ(details["reason"], (*decision)->reason);
  EXPECT_EQ(NewestEntry("promote", 2).actor, "alice");  // Registry::Transition's own entry

  // The server follows at its next tick, serves v2 alone and watches it.
  rollout::TickResult followed = Tick();
  EXPECT_EQ(followed.action, Action::kFollowed);
  EXPECT_NE(followed.reason.find("watching it"), std::string::npos) << followed.reason;
  EXPECT_EQ(controller_->status().phase, rollout::Phase::kWatching);
  EXPECT_EQ(Send(50)["2"], 50);

  nlohmann::json watching = Json("rollout status");
  EXPECT_EQ(watching["state"], "watching");
  EXPECT_EQ(watching["champion"], 2);
  EXPECT_EQ(watching["watching"]["version"], 2);
  EXPECT_EQ(watching["watching"]["promoted_by"], "alice");
  EXPECT_EQ(watching["watching"]["previous_champion"], 1);
  EXPECT_EQ(watching["watching"]["watch_seconds"], 600);
  const int64_t ends = *core::ParseTimestamp(watching["watching"]["watch_ends"].get<std::string>());
  EXPECT_GE(ends, before + 600);
  EXPECT_LE(ends, core::RealClock().Now() + 600);
  testutil::CommandResult text = Cli("rollout status");
  EXPECT_NE(text.output.find("watching     toy v2, promoted "), std::string::npos) << text.output;
  EXPECT_NE(text.output.find("; the watch ends " + core::FormatTimestamp(ends)), std::string::npos)
      << text.output;

  // Aborted while watched: v1 serves again, in the registry and then in the server.
  nlohmann::json abort = Json("rollout abort --as bob --reason 'too risky'");
  EXPECT_EQ(abort["version"], 2);
  EXPECT_EQ(abort["state"], "rolled_back");
  EXPECT_EQ(abort["champion"], 1);
  EXPECT_EQ(abort["message"].get<std::string>().rfind("aborted by bob: too risky; toy v1 is champion", 0),
            0u)
      << abort.dump();
  EXPECT_EQ(State(1), VersionState::kChampion);
  registry::AuditEntry rollback = NewestEntry("rollout_rollback", 2);
  EXPECT_EQ(rollback.actor, "bob");
  auto rollback_details = nlohmann::json::parse(rollback.details_json);
  EXPECT_EQ(rollback_details["champion"], "toy v1");
  EXPECT_EQ(rollback_details["step"], 0);
  auto rollback_decision = registry_->GetDecision(abort["decision_id"].get<int64_t>());
  ASSERT_TRUE(rollback_decision.ok() && *rollback_decision);
  EXPECT_EQ((*rollback_decision)->action, "rollback");
  EXPECT_EQ(Tick().action, Action::kFollowed);
  EXPECT_EQ(controller_->status().phase, rollout::Phase::kIdle);
  EXPECT_EQ(Send(50)["1"], 50);

  EXPECT_EQ(Json("rollout status")["state"], "idle");
  testutil::CommandResult again = Cli("rollout abort --as bob --reason again");
  EXPECT_EQ(again.exit_code, 5) << again.output;
  EXPECT_NE(again.output.find("no rollout of toy in progress to abort"), std::string::npos)
      << again.output;
  EXPECT_TRUE(registry_->VerifyAuditChain().ok());
}

TEST_F(RolloutCliTest, AbortOfTheCanaryIsFollowedAndLeavesNothingToPromote) {
  RollToStepTwo();
  testutil::CommandResult abort = Cli("rollout abort --as carol --reason 'not today'");
  ASSERT_EQ(abort.exit_code, 0) << abort.output;
  EXPECT_NE(abort.output.find("aborted by carol: not today; toy v1 is champion"), std::string::npos)
      << abort.output;
  EXPECT_EQ(State(2), VersionState::kRolledBack);
  EXPECT_EQ(State(1), VersionState::kChampion);
  registry::AuditEntry entry = NewestEntry("rollout_rollback", 2);
  EXPECT_EQ(entry.actor, "carol");
  auto details = nlohmann::json::parse(entry.details_json);
  EXPECT_EQ(details["step"], 2);
  auto decision = registry_->GetDecision(details["decision_id"].get<int64_t>());
  ASSERT_TRUE(decision.ok() && *decision);
  EXPECT_EQ((*decision)->action, "rollback");
  EXPECT_EQ((*decision)->reason, "aborted by carol: not today");

  rollout::TickResult followed = Tick();
  EXPECT_EQ(followed.action, Action::kFollowed);
  EXPECT_NE(followed.reason.find("toy v2 is rolled_back in the registry; serving toy v1"),
            std::string::npos)
      << followed.reason;
  EXPECT_EQ(Send(50)["1"], 50);

  testutil::CommandResult promote = Cli("rollout promote --as alice --reason late");
  EXPECT_EQ(promote.exit_code, 5) << promote.output;
  EXPECT_NE(promote.output.find("no version of toy is in canary, so there is nothing to promote"),
            std::string::npos)
      << promote.output;
}

TEST_F(RolloutCliTest, ApproversPromoteOperatorsAbortAndRefusalsAreAudited) {
  Add(0, VersionState::kChampion);
  ModelVersion v2 = Add(1, VersionState::kApproved);
  // A canary no controller recorded yet: promote takes step 1 of its config's rollout.
  ASSERT_TRUE(registry_->Transition(v2.id, VersionState::kCanary, "t", "by hand", clock_.Now()).ok());
  const std::string admin = IssueToken(Store(), "", "admin", "root");
  const std::string viewer = IssueToken(Store(), admin, "viewer", "auditor");
  const std::string op = IssueToken(Store(), admin, "operator", "ci");
  const std::string approver = IssueToken(Store(), admin, "approver", "alice");

  EXPECT_EQ(Cli("rollout status --token " + viewer).exit_code, 0);
  struct Attempt {
    std::string command;
    std::string token;
  };
  const std::vector<Attempt> refused = {
      {"rollout status", ""},
      {"rollout promote --reason x", viewer},
      {"rollout abort --reason x", viewer},
      {"rollout promote --reason x", op},
      {"rollout abort --reason x", approver},
      {"rollout promote --as bob --reason x", approver},  // the token is alice's
  };
  for (const Attempt& a : refused) {
    testutil::CommandResult r =
        Cli(a.command + (a.token.empty() ? "" : " --token " + a.token));
    EXPECT_EQ(r.exit_code, 5) << a.command << "\n" << r.output;
    EXPECT_NE(r.output.find("permission denied"), std::string::npos) << r.output;
    EXPECT_EQ(State(2), VersionState::kCanary);
  }

  testutil::CommandResult promote = Cli("rollout promote --reason 'ship it' --token " + approver);
  ASSERT_EQ(promote.exit_code, 0) << promote.output;
  EXPECT_NE(promote.output.find("promoted toy v2 by alice at step 1/2: ship it"), std::string::npos)
      << promote.output;
  EXPECT_DOUBLE_EQ(
      nlohmann::json::parse(NewestEntry("rollout_promote", 2).details_json)["weight"].get<double>(),
      0.2);
  testutil::CommandResult abort = Cli("rollout abort --reason 'alarm' --token " + op);
  ASSERT_EQ(abort.exit_code, 0) << abort.output;
  EXPECT_EQ(State(2), VersionState::kRolledBack);
  EXPECT_EQ(State(1), VersionState::kChampion);
  EXPECT_EQ(NewestEntry("rollout_rollback", 2).actor, "ci");

  int denied = 0;
  const std::vector<registry::AuditEntry> audit = *registry_->Audit();
  for (const auto& e : audit) {
    if (e.action != "access_denied") continue;
    ++denied;
    EXPECT_EQ(e.subject.rfind("rollout ", 0), 0u) << e.subject;
  }
  EXPECT_EQ(denied, static_cast<int>(refused.size()));
  EXPECT_TRUE(registry_->VerifyAuditChain().ok());
}

}  // namespace
}  // namespace mlloop
