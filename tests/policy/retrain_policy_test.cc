#include "policy/retrain_policy.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

namespace mlloop::policy {
namespace {

constexpr int64_t kDay = 86400;

config::Trigger Leaf(config::Trigger::Kind kind) {
  config::Trigger t;
  t.kind = kind;
  return t;
}

config::Trigger Performance(double below, int64_t min_labels) {
  auto t = Leaf(config::Trigger::Kind::kPerformance);
  t.metric = "accuracy";
  t.threshold = below;
  t.min_labels = min_labels;
  return t;
}

monitor::Observation Obs(int64_t time, double accuracy, int64_t labels) {
  monitor::Observation o;
  o.time = time;
  o.metric = "accuracy";
  o.metric_value = accuracy;
  o.metric_labels = labels;
  o.labels_total = labels;
  o.features = {"a", "b", "c", "d"};
  o.psi = {0.01, 0.5, 0.3, 0.02};
  return o;
}

TEST(RetrainPolicyTest, PerformanceFiresOnlyWithEnoughLabels) {
  config::PolicyConfig c;
  c.trigger = Performance(0.8, 200);
  RetrainPolicy p(c, 0);
  Decision few = p.Decide(Obs(kDay, 0.5, 199));
  EXPECT_EQ(few.action, Action::kNone);
  ASSERT_EQ(few.signals.size(), 1u);
  EXPECT_FALSE(few.signals[0].available);
  Decision enough = p.Decide(Obs(kDay, 0.5, 200));
  EXPECT_EQ(enough.action, Action::kRetrain);
  EXPECT_NE(enough.reason.find("performance: 0.5000 < 0.8000"), std::string::npos) << enough.reason;
  EXPECT_EQ(p.Decide(Obs(kDay, 0.85, 500)).action, Action::kNone);
}

TEST(RetrainPolicyTest, DriftCountsShareOfFeaturesAbovePsi) {
  config::PolicyConfig c;
  c.trigger = Leaf(config::Trigger::Kind::kDrift);
  c.trigger.psi_above = 0.25;
  c.trigger.min_share = 0.5;  // b and c drifted: 2 of 4
  RetrainPolicy p(c, 0);
  Decision d = p.Decide(Obs(kDay, 0.9, 10));
  EXPECT_EQ(d.action, Action::kRetrain);
  EXPECT_DOUBLE_EQ(d.signals[0].value, 0.5);
  EXPECT_NE(d.signals[0].detail.find("b 0.50, c 0.30"), std::string::npos) << d.signals[0].detail;
  c.trigger.min_share = 0.75;
  EXPECT_EQ(RetrainPolicy(c, 0).Decide(Obs(kDay, 0.9, 10)).action, Action::kNone);
}

TEST(RetrainPolicyTest, DriftByAReportMethodReadsTheMonitorsCheck) {
  config::PolicyConfig c;
  c.trigger = Leaf(config::Trigger::Kind::kDrift);
  c.trigger.method = "wasserstein";
  c.trigger.line = 7;
  c.trigger.min_share = 0.5;
  RetrainPolicy p(c, 0);
  monitor::Observation obs = Obs(kDay, 0.9, 10);
  Decision waiting = p.Decide(obs);  // no check yet: not available, no retrain
  EXPECT_EQ(waiting.action, Action::kNone);
  EXPECT_FALSE(waiting.signals[0].available);
  obs.drift_checks[7] = {true, 3, 4, "3/4 features drifted: a (wasserstein 0.300), ..."};
  Decision d = p.Decide(obs);
  EXPECT_EQ(d.action, Action::kRetrain);
  EXPECT_DOUBLE_EQ(d.signals[0].value, 0.75);
  EXPECT_NE(d.signals[0].detail.find("by wasserstein: 3/4"), std::string::npos) << d.signals[0].detail;
  obs.drift_checks[7].drifted = 1;
  EXPECT_EQ(RetrainPolicy(c, 0).Decide(obs).action, Action::kNone);
}

TEST(RetrainPolicyTest, DetectorTriggerFiresOnceTheDetectorHas) {
  config::PolicyConfig c;
  c.trigger = Leaf(config::Trigger::Kind::kDetector);
  c.trigger.detector = "ddm";
  c.trigger.line = 3;
  RetrainPolicy p(c, 0);
  monitor::Observation obs = Obs(kDay, 0.9, 10);
  EXPECT_FALSE(p.Decide(obs).signals[0].available);  // no champion, no check
  monitor::DetectorCheck& check = obs.detector_checks[3];
  check.source = "ddm on errors";
  check.available = true;
  check.updates = 500;
  check.detail = "ddm on errors: stable after 500 values";
  EXPECT_EQ(p.Decide(obs).action, Action::kNone);
  check.fired = true;
  check.updates = 812;
  check.change_start = 700;
  check.fired_at = 811;
  check.detail = "ddm on errors: change at value 811";
  Decision d = p.Decide(obs);
  EXPECT_EQ(d.action, Action::kRetrain);
  EXPECT_EQ(d.signals[0].name, "detector");
  EXPECT_NE(d.signals[0].detail.find("change at value 811"), std::string::npos);
}

TEST(RetrainPolicyTest, AnyAndAllCombineLeavesAndRecordEveryOne) {
  config::PolicyConfig c;
  auto schedule = Leaf(config::Trigger::Kind::kSchedule);
  schedule.every = 7 * kDay;
  auto labels = Leaf(config::Trigger::Kind::kNewLabels);
  labels.at_least = 100;
  c.trigger.kind = config::Trigger::Kind::kAll;
  c.trigger.children = {schedule, labels};
  RetrainPolicy all(c, 0);
  EXPECT_EQ(all.Decide(Obs(3 * kDay, 0.9, 500)).action, Action::kNone);  // labels yes, schedule no
  Decision d = all.Decide(Obs(8 * kDay, 0.9, 500));
  EXPECT_EQ(d.action, Action::kRetrain);
  ASSERT_EQ(d.signals.size(), 2u);
  EXPECT_EQ(d.signals[0].path, "all[0]");
  EXPECT_EQ(d.signals[1].path, "all[1]");

  c.trigger.kind = config::Trigger::Kind::kAny;
  RetrainPolicy any(c, 0);
  EXPECT_EQ(any.Decide(Obs(3 * kDay, 0.9, 500)).action, Action::kRetrain);
  EXPECT_EQ(any.Decide(Obs(3 * kDay, 0.9, 50)).action, Action::kNone);

  auto json = nlohmann::json::parse(d.SignalsJson());
  EXPECT_EQ(json["signals"][1]["name"], "new_labels");
  EXPECT_EQ(json["signals"][1]["value"], 500.0);
  EXPECT_EQ(json["signals"][1]["threshold"], 100.0);
  EXPECT_EQ(json["signals"][1]["fired"], true);
}

TEST(RetrainPolicyTest, NewLabelsAndScheduleCountFromTheLastRetrain) {
  config::PolicyConfig c;
  auto labels = Leaf(config::Trigger::Kind::kNewLabels);
  labels.at_least = 100;
  c.trigger = labels;
  RetrainPolicy p(c, 0);
  EXPECT_EQ(p.Decide(Obs(kDay, 0.9, 150)).action, Action::kRetrain);
  p.RecordRetrain(kDay, 150);
  EXPECT_EQ(p.Decide(Obs(2 * kDay, 0.9, 220)).action, Action::kNone);
  EXPECT_EQ(p.Decide(Obs(2 * kDay, 0.9, 250)).action, Action::kRetrain);
}

TEST(RetrainPolicyTest, CooldownHoldsBackAJustifiedRetrain) {
  config::PolicyConfig c;
  c.trigger = Performance(0.8, 1);
  c.cooldown = 3 * kDay;
  RetrainPolicy p(c, 0);
  p.RecordRetrain(10 * kDay, 0);
  Decision d = p.Decide(Obs(12 * kDay, 0.5, 100));
  EXPECT_TRUE(d.triggered);
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_NE(d.reason.find("cooldown until 1970-01-14T00:00:00Z"), std::string::npos) << d.reason;
  EXPECT_EQ(p.Decide(Obs(13 * kDay, 0.5, 100)).action, Action::kRetrain);
}

TEST(RetrainPolicyTest, BudgetLimitsRetrainsPerPeriodAndAlerts) {
  config::PolicyConfig c;
  c.trigger = Performance(0.8, 1);
  c.max_retrains = 2;
  c.budget_period = 30 * kDay;
  RetrainPolicy p(c, 0);
  Decision first = p.Decide(Obs(kDay, 0.5, 100));
  EXPECT_EQ(first.action, Action::kRetrain);
  EXPECT_EQ(first.budget_left, 1);
  p.RecordRetrain(kDay, 100);
  p.RecordRetrain(2 * kDay, 100);
  Decision spent = p.Decide(Obs(3 * kDay, 0.5, 100));
  EXPECT_EQ(spent.action, Action::kAlert);
  EXPECT_EQ(spent.budget_left, 0);
  EXPECT_NE(spent.reason.find("budget of 2 per 30d is spent"), std::string::npos) << spent.reason;
  // The first retrain leaves the 30-day window after day 31.
  EXPECT_EQ(p.Decide(Obs(31 * kDay + 1, 0.5, 100)).action, Action::kRetrain);
}

TEST(RetrainPolicyTest, EmptyAnyNeverFires) {
  config::PolicyConfig c;
  c.trigger = config::Trigger{};
  RetrainPolicy p(c, 0);
  Decision d = p.Decide(Obs(100 * kDay, 0.0, 10000));
  EXPECT_EQ(d.action, Action::kNone);
  EXPECT_TRUE(d.signals.empty());
}

}  // namespace
}  // namespace mlloop::policy

namespace mlloop::policy {
namespace {

TEST(RetrainPolicyQualityTest, BrokenFeedAlertsInsteadOfRetraining) {
  config::PolicyConfig c;
  c.trigger.kind = config::Trigger::Kind::kPerformance;
  c.trigger.metric = "accuracy";
  c.trigger.threshold = 0.8;
  c.trigger.min_labels = 1;
  RetrainPolicy p(c, 0);
  monitor::Observation obs;
  obs.time = 86400;
  obs.metric = "accuracy";
  obs.metric_value = 0.5;  // performance fell...
  obs.metric_labels = 500;
  obs.quality = {{"nswprice", "missing_rate_jump", 0.35, 0.0}};  // ...because the feed broke
  Decision d = p.Decide(obs);
  EXPECT_TRUE(d.triggered);
  EXPECT_EQ(d.action, Action::kAlert);
  EXPECT_NE(d.reason.find("data quality: nswprice missing 35.0% (training 0.0%); not retraining"),
            std::string::npos)
      << d.reason;
  // A broken feed is worth an alert even when no trigger fired.
  obs.metric_value = 0.95;
  Decision quiet = p.Decide(obs);
  EXPECT_FALSE(quiet.triggered);
  EXPECT_EQ(quiet.action, Action::kAlert);
  // Fixed feed: the retrain goes ahead.
  obs.metric_value = 0.5;
  obs.quality.clear();
  EXPECT_EQ(p.Decide(obs).action, Action::kRetrain);
}

}  // namespace
}  // namespace mlloop::policy

namespace mlloop::policy {
namespace {

TEST(RetrainPolicyTest, EstimatedPerformanceReadsTheMonitorsEstimate) {
  config::PolicyConfig c;
  c.trigger = Leaf(config::Trigger::Kind::kEstimatedPerformance);
  c.trigger.metric = "accuracy";
  c.trigger.threshold = 0.8;
  c.trigger.line = 4;
  RetrainPolicy p(c, 0);
  monitor::Observation obs = Obs(kDay, 0.9, 10);
  monitor::EstimateCheck& e = obs.estimate_checks[4];
  e.detail = "estimated accuracy: collecting the reference, 10 of 1000 labels";
  Decision waiting = p.Decide(obs);
  EXPECT_EQ(waiting.action, Action::kNone);
  EXPECT_FALSE(waiting.signals[0].available);
  EXPECT_EQ(waiting.signals[0].detail, e.detail);

  e.available = true;
  e.value = 0.85;
  e.detail = "estimated accuracy 0.8500 [0.8000, 0.9000] over the latest 500 predictions";
  EXPECT_EQ(p.Decide(obs).action, Action::kNone);
  e.value = 0.71;
  Decision d = p.Decide(obs);
  EXPECT_EQ(d.action, Action::kRetrain);
  EXPECT_EQ(d.signals[0].name, "estimated_performance");
  EXPECT_DOUBLE_EQ(d.signals[0].value, 0.71);
  EXPECT_EQ(d.signals[0].comparison, "<");
  EXPECT_TRUE(d.signals[0].fired);
}

}  // namespace
}  // namespace mlloop::policy
