#include "loop/controller.h"

#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "core/format.h"
#include "toy_loop.h"

namespace mlloop::loop {
namespace {

using toy::kHour;

core::Dataset Rows(size_t n) { return toy::ToyRows(n, 3); }
config::ModelConfig Config() { return toy::ToyConfig(100); }

// A controller on `config` over `data`, with an in-memory registry and its clock at row
// `first`, where the first training ends; Advance() is how the tests feed it.
struct Harness {
  Harness(const core::Dataset& data, const config::ModelConfig& config, size_t first = 100,
          ControllerOptions options = {})
      : data(data),
        first(first),
        registry(std::move(registry::Registry::OpenInMemory()).value()),
        clock(data.time[first]),
        controller(config, std::move(options), registry.get(), &clock),
        predicted(first) {}

  Status Bootstrap() { return controller.Bootstrap(data, first); }

  // The champion predicts rows [predicted, until) (appended to `predictions`), their labels
  // arrive, the clock moves to `time`, and the controller ticks.
  Result<TickOutcome> Advance(size_t until, int64_t time) {
    MLLOOP_RETURN_IF_ERROR(controller.PredictRows(predicted, until, &predictions));
    MLLOOP_RETURN_IF_ERROR(controller.RevealLabels(until));
    predicted = until;
    clock.AdvanceTo(time);
    return controller.Tick();
  }

  const core::Dataset& data;
  const size_t first;
  std::unique_ptr<registry::Registry> registry;
  core::VirtualClock clock;
  Controller controller;
  size_t predicted;
  std::vector<float> predictions;
};

TEST(ControllerTest, LabelsForRowsNeverPredictedAreRefused) {
  auto data = Rows(300);
  auto config = Config();
  Harness h(data, config);
  Controller& c = h.controller;
  ASSERT_TRUE(h.Bootstrap().ok());
  std::vector<float> preds;
  ASSERT_TRUE(c.PredictRows(100, 150, &preds).ok());
  Status early = c.RevealLabels(151);
  EXPECT_EQ(early.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(early.message().find("only rows before 150 were predicted"), std::string::npos);
  EXPECT_TRUE(c.RevealLabels(150).ok());
}

TEST(ControllerTest, LineageRecordsConfigTextAndEnvironment) {
  auto data = Rows(200);
  auto config = Config();
  config.text = "model: toy\n";
  config.config_hash = "c0ffee";
  Harness h(data, config);
  ASSERT_TRUE(h.Bootstrap().ok());
  const registry::Lineage& l = h.controller.champion()->lineage;
  EXPECT_EQ(l.config_text, "model: toy\n");
  EXPECT_EQ(l.config_hash, "c0ffee");
  EXPECT_FALSE(l.compiler.empty());
  EXPECT_FALSE(l.sqlite_version.empty());
  EXPECT_FALSE(l.os.empty());
  EXPECT_FALSE(l.xgboost_version.empty());
  EXPECT_EQ(l.data_file_hash, "");  // rows built in memory: no file to hash
  EXPECT_EQ(l.row_begin, 0);
  EXPECT_EQ(l.row_end, 100);
}

TEST(ControllerTest, ManualApprovalHoldsEveryVersionUntilAPersonApproves) {
  auto data = Rows(300);
  auto config = Config();  // retrain on schedule, every hour
  config.approval = config::ApprovalMode::kManual;
  Harness h(data, config);
  Controller& c = h.controller;
  registry::Registry& reg = *h.registry;

  // The first model is validated, not served: there is no champion until someone approves.
  ASSERT_TRUE(h.Bootstrap().ok());
  EXPECT_EQ(reg.GetVersion("toy", 1)->state, registry::VersionState::kValidated);
  EXPECT_FALSE(c.champion().has_value());
  std::vector<float> preds;
  EXPECT_EQ(c.PredictRows(100, 110, &preds).code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(c.Tick().status().code(), StatusCode::kFailedPrecondition);

  ASSERT_TRUE(reg.Approve(reg.GetVersion("toy", 1)->id, "alice", "first model ok", 1).ok());
  auto first = c.PromoteApproved();
  ASSERT_TRUE(first.ok() && first->has_value()) << first.status().ToString();
  EXPECT_EQ((*first)->version, 1);
  EXPECT_EQ((*reg.Champion("toy"))->version, 1);

  // A retrain that passes validation waits as well; the champion keeps serving.
  auto tick = h.Advance(200, data.time[200]);
  ASSERT_TRUE(tick.ok()) << tick.status().ToString();
  ASSERT_TRUE(tick->retrain.has_value());
  ASSERT_TRUE(tick->retrain->evaluation.passed) << tick->retrain->validation;
  EXPECT_FALSE(tick->retrain->promoted);
  EXPECT_TRUE(tick->retrain->awaiting_approval);
  EXPECT_EQ(c.awaiting_approval(), 1);
  EXPECT_EQ(reg.GetVersion("toy", 2)->state, registry::VersionState::kValidated);
  EXPECT_EQ((*reg.Champion("toy"))->version, 1);

  // Approved: the next tick promotes it before it decides anything.
  ASSERT_TRUE(reg.Approve(tick->retrain->version_id, "alice", "better on the holdout", 2).ok());
  h.clock.AdvanceTo(data.time[200] + kHour / 2);
  auto next = c.Tick();
  ASSERT_TRUE(next.ok()) << next.status().ToString();
  ASSERT_TRUE(next->promoted_approved.has_value());
  EXPECT_EQ(next->promoted_approved->version, 2);
  EXPECT_EQ(c.champion()->version, 2);
  EXPECT_EQ(c.awaiting_approval(), 0);
  auto history = *reg.History(*reg.GetVersion("toy", 2));
  EXPECT_EQ(history.back().action, "promote");
  EXPECT_EQ(history.back().reason, "approved by alice; promoted at the next tick");
  EXPECT_EQ(reg.GetVersion("toy", 1)->state, registry::VersionState::kRetired);
}

// A rejection says which gate failed and why: in the decision record's outcome, in the
// audit entry of the rejection, and in the evaluation report stored with the version.
TEST(ControllerTest, RejectionRecordsTheFailedGateEverywhere) {
  auto data = Rows(300);
  auto config = Config();
  config::GateConfig sanity;
  sanity.kind = config::GateConfig::Kind::kSanity;
  sanity.name = "sanity";
  sanity.max_model_bytes = 1000000;
  config::GateConfig value;
  value.kind = config::GateConfig::Kind::kValue;
  value.name = "accuracy_floor";
  value.metric = "accuracy";
  value.at_least = 1.01;  // no model reaches it
  config.validation.gates = {sanity, value};
  Harness h(data, config);
  Controller& c = h.controller;
  registry::Registry& reg = *h.registry;
  ASSERT_TRUE(h.Bootstrap().ok());
  auto tick = h.Advance(200, data.time[200]);
  ASSERT_TRUE(tick.ok()) << tick.status().ToString();
  ASSERT_TRUE(tick->retrain.has_value());
  const RetrainOutcome& r = *tick->retrain;
  EXPECT_FALSE(r.evaluation.passed);
  ASSERT_EQ(r.evaluation.gates.size(), 2u);
  EXPECT_TRUE(r.evaluation.gates[0].passed) << r.evaluation.gates[0].reason;
  EXPECT_FALSE(r.evaluation.gates[1].passed);
  const double accuracy = *r.evaluation.gates[1].candidate_value;
  const std::string expected = "gate accuracy_floor rejected: candidate accuracy " +
                               core::FormatFixed(accuracy, 4) +
                               " on 20 rows (required >= 1.01)";
  EXPECT_EQ(r.validation, expected);
  EXPECT_EQ(c.rejected(), 1);

  auto decision = reg.GetDecision(tick->decision_id);
  ASSERT_TRUE(decision.ok() && decision->has_value());
  EXPECT_EQ((*decision)->outcome, "v2 rejected: " + expected);

  auto version = reg.GetVersion("toy", 2);
  EXPECT_EQ(version->state, registry::VersionState::kRejected);
  auto history = reg.History(*version);
  ASSERT_TRUE(history.ok());
  EXPECT_EQ(history->back().action, "reject");
  EXPECT_EQ(history->back().reason, expected);

  auto evals = reg.EvaluationsFor(version->id);
  ASSERT_TRUE(evals.ok());
  ASSERT_EQ(evals->size(), 1u);
  const auto report = nlohmann::json::parse(evals->front().report_json);
  EXPECT_EQ(report["passed"], false);
  EXPECT_EQ(report["rows"], 20);
  ASSERT_EQ(report["gates"].size(), 2u);
  EXPECT_EQ(report["gates"][0]["name"], "sanity");
  EXPECT_GT(report["gates"][0]["model_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(report["gates"][1]["name"], "accuracy_floor");
  EXPECT_EQ(report["gates"][1]["passed"], false);
  EXPECT_EQ(evals->front().reason, expected);
  EXPECT_DOUBLE_EQ(evals->front().candidate_value, accuracy);
  EXPECT_EQ((*reg.Champion("toy"))->version, 1);  // the champion keeps serving
}

TEST(ControllerTest, AutoApprovalIsAuditedAsTheControllers) {
  auto data = Rows(200);
  auto config = Config();
  Harness h(data, config);
  ASSERT_TRUE(h.Bootstrap().ok());
  auto history = *h.registry->History(*h.controller.champion());
  ASSERT_EQ(history.size(), 4u);  // register, validate, approve, promote
  EXPECT_EQ(history[2].action, "approve");
  EXPECT_EQ(history[2].actor, "mlloop-controller");
  EXPECT_EQ(history[2].reason, "approval: auto (all gates passed)");
}

TEST(ControllerTest, AFailedRetrainIsAuditedAndStartsTheCooldown) {
  auto data = Rows(300);
  // Labels after row 100 are broken, so any retrain on them fails inside XGBoost's checks.
  for (size_t i = 100; i < data.rows(); ++i) data.y[i] = NAN;
  auto config = Config();
  config.policy.cooldown = 5 * kHour;
  // Without validation the window ends at the newest label, so it takes in the broken rows.
  Harness h(data, config, 100, ControllerOptions{"schedule", false, "test"});
  ASSERT_TRUE(h.Bootstrap().ok());

  std::vector<std::string> actions, reasons;
  // Ticks 6, 8, 10 and 12 hours after the first training (whose own cooldown ends at 5 h).
  for (int64_t hours = 6; hours <= 12; hours += 2) {
    auto outcome = h.Advance(100 + static_cast<size_t>(hours), data.time[100] + hours * kHour);
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();  // the loop goes on
    EXPECT_FALSE(outcome->retrain.has_value());
    actions.emplace_back(policy::ActionName(outcome->decision.action));
    reasons.push_back(outcome->decision.reason);
  }
  // 6 h tries and fails; 8 h and 10 h fall within its 5 h cooldown; 12 h tries again.
  EXPECT_EQ(actions, (std::vector<std::string>{"retrain", "none", "none", "retrain"}));
  EXPECT_NE(reasons[0].find("retrain failed"), std::string::npos) << reasons[0];
  EXPECT_NE(reasons[1].find("cooldown"), std::string::npos) << reasons[1];

  auto audit = h.registry->Audit();
  ASSERT_TRUE(audit.ok());
  int failures = 0;
  for (const auto& e : *audit) failures += e.action == "retrain_failed";
  EXPECT_EQ(failures, 2);
  // The champion is still the first model.
  auto champion = h.registry->Champion("toy");
  ASSERT_TRUE(champion.ok() && champion->has_value());
  EXPECT_EQ((*champion)->version, 1);
}


TEST(ControllerTest, ABrokenFeedRaisesAlertsAndNoRetrainUntilFixed) {
  auto data = Rows(400);
  for (size_t i = 150; i < 200; ++i) data.x[i] = NAN;  // an upstream job starts sending nothing
  auto config = Config();  // retrain on schedule, every hour
  config.monitoring.drift_window = 40;
  Harness h(data, config);
  ASSERT_TRUE(h.Bootstrap().ok());
  std::vector<std::string> actions;
  for (int64_t hours = 10; hours <= 200; hours += 10) {
    auto outcome = h.Advance(100 + static_cast<size_t>(hours), data.time[100] + hours * kHour);
    ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
    actions.emplace_back(policy::ActionName(outcome->decision.action));
    if (outcome->decision.action == policy::Action::kAlert) {
      EXPECT_NE(outcome->decision.reason.find("data quality: x missing"), std::string::npos)
          << outcome->decision.reason;
    }
  }
  // Ticks at rows 110..300: clean until row 150; the broken rows fill the 40-row window from
  // the tick at row 160 until 40 clean rows have pushed them out again (row 240).
  for (size_t t = 0; t < actions.size(); ++t) {
    const size_t at = 110 + 10 * t;
    const bool broken = at >= 160 && at < 240;
    EXPECT_EQ(actions[t], broken ? "alert" : "retrain") << "tick at row " << at;
  }
}


// The rule reverses at row 1000. ADWIN on the errors sees it; a retrain then learns from the
// rows since the change, not from a window that is mostly the old rule.
constexpr size_t kFlip = 1000;

core::Dataset FlippedRows(size_t n) {
  core::Dataset d = Rows(n);
  for (size_t i = kFlip; i < n; ++i) d.y[i] = 1.0f - d.y[i];
  return d;
}

config::ModelConfig DetectorConfig(bool since_change) {
  config::ModelConfig c = Config();
  c.trainer.rounds = 10;
  c.trainer.window.rows = 600;
  if (since_change) {
    c.trainer.window.since_change = config::TrainingWindow::SinceChange{50, 0, 250, 4};
  }
  c.policy.trigger = config::Trigger{};
  c.policy.trigger.kind = config::Trigger::Kind::kDetector;
  c.policy.trigger.detector = "adwin";
  c.policy.trigger.line = 7;
  return c;
}

struct Replayed {
  double accuracy_after_flip = 0;  // over rows [kFlip, end)
  std::vector<TickOutcome> ticks;
  std::vector<registry::ModelVersion> versions;
};

// Predicts and labels 10 rows an hour from row 600 to `end`, ticking each hour.
Replayed Replay(const config::ModelConfig& config, const core::Dataset& data, size_t end) {
  Replayed run;
  Harness h(data, config, 600);
  EXPECT_TRUE(h.Bootstrap().ok());
  for (size_t row = 600; row < end; row += 10) {
    auto outcome = h.Advance(row + 10, data.time[row + 9]);
    EXPECT_TRUE(outcome.ok()) << outcome.status().ToString();
    if (outcome.ok()) run.ticks.push_back(std::move(outcome).value());
  }
  size_t right = 0;
  const std::vector<float>& preds = h.predictions;
  for (size_t i = kFlip; i < end; ++i) right += (preds[i - 600] >= 0.5f) == (data.y[i] >= 0.5f);
  run.accuracy_after_flip = static_cast<double>(right) / static_cast<double>(end - kFlip);
  auto versions = h.registry->ListVersions("toy");
  EXPECT_TRUE(versions.ok());
  if (versions.ok()) run.versions = *versions;
  return run;
}

TEST(ControllerSinceChangeTest, WaitsThenTrainsOnTheRowsSinceTheChangeThenRefreshes) {
  const core::Dataset data = FlippedRows(1600);
  const Replayed run = Replay(DetectorConfig(true), data, 1600);

  // First a wait: the detector fired, but too few rows since the change can be trained on.
  size_t first_wait = run.ticks.size(), first_retrain = run.ticks.size();
  for (size_t t = 0; t < run.ticks.size(); ++t) {
    const policy::Decision& d = run.ticks[t].decision;
    if (first_wait == run.ticks.size() &&
        d.reason.find("waiting for labelled rows since the change at data row") != std::string::npos) {
      first_wait = t;
      EXPECT_EQ(d.action, policy::Action::kNone);
      EXPECT_NE(run.ticks[t].signals_json.find("\"training_window\""), std::string::npos);
    }
    if (first_retrain == run.ticks.size() && run.ticks[t].retrain) first_retrain = t;
  }
  ASSERT_LT(first_wait, run.ticks.size());
  ASSERT_LT(first_retrain, run.ticks.size());
  EXPECT_LT(first_wait, first_retrain);
  // Before the change, quiet ticks record the window in force.
  EXPECT_EQ(run.ticks[0].decision.training_window,
            "last 600 rows; since a detected change (wait for 50 labels, refresh after 250)");
  EXPECT_NE(run.ticks[0].signals_json.find("\"training_window\":\"last 600 rows"),
            std::string::npos) << run.ticks[0].signals_json;

  // The retrain learnt from the change on, and says so in its lineage and its decision.
  const RetrainOutcome& retrain = *run.ticks[first_retrain].retrain;
  EXPECT_GE(retrain.train_begin, kFlip - 30);
  EXPECT_LE(retrain.train_begin, kFlip + 30);
  EXPECT_GE(retrain.train_end - retrain.train_begin, 50u);
  EXPECT_TRUE(retrain.promoted) << retrain.training_window;
  EXPECT_EQ(retrain.training_window.rfind("since the change at data row ", 0), 0u)
      << retrain.training_window;
  EXPECT_EQ(run.ticks[first_retrain].decision.training_window, retrain.training_window);
  bool in_lineage = false;
  for (const auto& v : run.versions) in_lineage |= v.lineage.training_window == retrain.training_window;
  EXPECT_TRUE(in_lineage);

  // Once 250 rows since the change are labelled, one refresh learns from all of them.
  int refreshes = 0;
  for (size_t t = first_retrain + 1; t < run.ticks.size(); ++t) {
    const TickOutcome& tick = run.ticks[t];
    if (tick.decision.reason.rfind("refresh: ", 0) != 0) continue;
    ++refreshes;
    ASSERT_TRUE(tick.retrain.has_value());
    EXPECT_EQ(tick.retrain->train_begin, retrain.train_begin);
    EXPECT_GE(tick.retrain->train_end - tick.retrain->train_begin, 250u);
  }
  EXPECT_EQ(refreshes, 1);
  EXPECT_GT(run.accuracy_after_flip, 0.8);
}

// The failure since_change exists for: a fixed window right after the change is mostly the
// old rule, so the same detector with a plain window recovers later.
TEST(ControllerSinceChangeTest, BeatsAFixedWindowAfterAnAbruptChange) {
  const core::Dataset data = FlippedRows(1400);
  const Replayed since = Replay(DetectorConfig(true), data, 1400);
  const Replayed fixed = Replay(DetectorConfig(false), data, 1400);
  EXPECT_GT(since.accuracy_after_flip, fixed.accuracy_after_flip + 0.05)
      << "since change " << since.accuracy_after_flip << ", fixed " << fixed.accuracy_after_flip;
}


// validation.holdout_last: the holdout is the labelled rows of the last 30 hours (one row an
// hour here), whatever holdout_rows says.
TEST(ControllerTest, HoldoutAsATimeRange) {
  auto data = Rows(300);
  auto config = Config();
  config.validation.holdout_seconds = 30 * kHour;
  Harness h(data, config);
  ASSERT_TRUE(h.Bootstrap().ok());
  auto outcome = h.Advance(200, data.time[199]);
  ASSERT_TRUE(outcome.ok()) << outcome.status().ToString();
  ASSERT_TRUE(outcome->retrain.has_value());
  EXPECT_EQ(outcome->retrain->holdout_begin, 170u);
  EXPECT_EQ(outcome->retrain->holdout_end, 200u);
  EXPECT_EQ(outcome->retrain->train_end, 170u);
}

}  // namespace
}  // namespace mlloop::loop
