#include "monitor/model_monitor.h"

#include <gtest/gtest.h>

namespace mlloop::monitor {
namespace {

core::Schema TwoFeatures() {
  core::Schema s;
  s.features = {{"a", core::FeatureType::kNumeric, {}}, {"b", core::FeatureType::kCategorical, {}}};
  s.label.name = "y";
  return s;
}

core::Dataset Reference(size_t n) {
  core::Dataset d;
  d.n_features = 2;
  for (size_t i = 0; i < n; ++i) {
    d.x.push_back(static_cast<float>(i % 100));
    d.x.push_back(static_cast<float>(i % 2));
    d.y.push_back(static_cast<float>(i % 2));
    d.time.push_back(static_cast<int64_t>(i));
    d.row.push_back(static_cast<int64_t>(i));
  }
  return d;
}

config::MonitoringConfig SmallWindows() {
  config::MonitoringConfig c;
  c.metric_window = 4;
  c.drift_window = 100;
  c.psi_bins = 10;
  return c;
}

TEST(ModelMonitorTest, RollingAccuracyOverTheLastLabels) {
  ModelMonitor m(SmallWindows(), TwoFeatures(), "accuracy");
  auto ref = Reference(100);
  m.SetChampion(1, ref, 0, 100);
  const float f[2] = {1, 0};
  // Six predictions of class 1; labels 1,1,0,0,0,0: the window of 4 holds the last four.
  for (int id = 0; id < 6; ++id) m.OnPrediction(id, f, 0.9f);
  const float labels[6] = {1, 1, 0, 0, 0, 0};
  for (int id = 0; id < 4; ++id) ASSERT_TRUE(m.OnLabel(id, labels[id]).ok());
  EXPECT_NEAR(*m.Observe(0).metric_value, 0.5, 1e-12);
  for (int id = 4; id < 6; ++id) ASSERT_TRUE(m.OnLabel(id, labels[id]).ok());
  Observation obs = m.Observe(10);
  EXPECT_NEAR(*obs.metric_value, 0.0, 1e-12);
  EXPECT_EQ(obs.metric_labels, 4);
  EXPECT_EQ(obs.labels_total, 6);
  EXPECT_EQ(obs.predictions_total, 6);
  EXPECT_EQ(m.pending_labels(), 0u);
}

TEST(ModelMonitorTest, LateLabelsOfAnOldChampionStayOutOfTheWindow) {
  ModelMonitor m(SmallWindows(), TwoFeatures(), "accuracy");
  auto ref = Reference(100);
  m.SetChampion(1, ref, 0, 100);
  const float f[2] = {1, 0};
  m.OnPrediction(7, f, 0.9f);
  m.SetChampion(2, ref, 0, 100);  // promoted before request 7's label came back
  ASSERT_TRUE(m.OnLabel(7, 0).ok());
  Observation obs = m.Observe(0);
  EXPECT_FALSE(obs.metric_value.has_value());
  EXPECT_EQ(obs.metric_labels, 0);
  EXPECT_EQ(obs.labels_total, 1);
}

TEST(ModelMonitorTest, UnknownOrRepeatedLabelIsRefused) {
  ModelMonitor m(SmallWindows(), TwoFeatures(), "accuracy");
  auto ref = Reference(10);
  m.SetChampion(1, ref, 0, 10);
  EXPECT_EQ(m.OnLabel(42, 1).code(), StatusCode::kNotFound);
  const float f[2] = {1, 0};
  m.OnPrediction(42, f, 0.1f);
  EXPECT_TRUE(m.OnLabel(42, 1).ok());
  Status again = m.OnLabel(42, 1);
  EXPECT_EQ(again.code(), StatusCode::kNotFound);
  EXPECT_NE(again.message().find("request 42"), std::string::npos);
  EXPECT_EQ(m.Observe(0).labels_total, 1);
}

TEST(ModelMonitorTest, PsiFlagsTheShiftedFeatureOnly) {
  ModelMonitor m(SmallWindows(), TwoFeatures(), "accuracy");
  auto ref = Reference(1000);
  m.SetChampion(1, ref, 0, 1000);
  for (int i = 0; i < 100; ++i) {
    const float f[2] = {static_cast<float>(500 + i), static_cast<float>(i % 2)};  // a shifted, b not
    m.OnPrediction(i, f, 0.5f);
  }
  Observation obs = m.Observe(0);
  ASSERT_EQ(obs.psi.size(), 2u);
  EXPECT_EQ(obs.drift_rows, 100);
  EXPECT_GT(obs.psi[0], 1.0);
  EXPECT_LT(obs.psi[1], 0.01);
}

}  // namespace
}  // namespace mlloop::monitor

namespace mlloop::monitor {
namespace {

TEST(ModelMonitorQualityTest, MissingJumpAndUnseenCategoriesAreReported) {
  ModelMonitor m(SmallWindows(), TwoFeatures(), "accuracy");
  auto ref = Reference(1000);  // no missing values; b has codes 0 and 1
  m.SetChampion(1, ref, 0, 1000);
  for (int i = 0; i < 100; ++i) {
    // a missing in 20 of 100 rows; b an unknown code (2) in 10 of 100.
    const float f[2] = {i % 5 == 0 ? NAN : 1.0f, i % 10 == 0 ? 2.0f : 0.0f};
    m.OnPrediction(i, f, 0.5f);
  }
  Observation obs = m.Observe(0);
  ASSERT_EQ(obs.quality.size(), 2u);
  EXPECT_EQ(obs.quality[0].feature, "a");
  EXPECT_EQ(obs.quality[0].kind, "missing_rate_jump");
  EXPECT_DOUBLE_EQ(obs.quality[0].current, 0.2);
  EXPECT_DOUBLE_EQ(obs.quality[0].reference, 0.0);
  EXPECT_EQ(obs.quality[1].feature, "b");
  EXPECT_EQ(obs.quality[1].kind, "unseen_category");
  EXPECT_DOUBLE_EQ(obs.quality[1].current, 0.1);
}

TEST(ModelMonitorQualityTest, CleanWindowHasNoIssues) {
  ModelMonitor m(SmallWindows(), TwoFeatures(), "accuracy");
  auto ref = Reference(1000);
  m.SetChampion(1, ref, 0, 1000);
  for (int i = 0; i < 100; ++i) {
    const float f[2] = {i % 5 == 0 ? NAN : 1.0f, 1.0f};  // 20% missing is a jump...
    m.OnPrediction(i, f, 0.5f);
  }
  EXPECT_EQ(m.Observe(0).quality.size(), 1u);
  // ...until the feed is fixed and the window rolls over.
  for (int i = 100; i < 200; ++i) {
    const float f[2] = {1.0f, 0.0f};
    m.OnPrediction(i, f, 0.5f);
  }
  EXPECT_TRUE(m.Observe(0).quality.empty());
}

}  // namespace
}  // namespace mlloop::monitor

namespace mlloop::monitor {
namespace {

// A drift trigger with a method of the drift report: the monitor runs it at Observe() and
// hands the policy its verdict, keyed by the trigger's line.
TEST(ModelMonitorTest, DriftTriggerByKsOnTheRecentWindow) {
  config::Trigger trigger;
  trigger.kind = config::Trigger::Kind::kDrift;
  trigger.method = "ks";
  trigger.line = 12;
  config::MonitoringConfig windows = SmallWindows();
  ModelMonitor m(windows, TwoFeatures(), "accuracy", &trigger);
  EXPECT_TRUE(m.Observe(0).drift_checks.empty() || !m.Observe(0).drift_checks.at(12).available);
  auto ref = Reference(400);
  m.SetChampion(1, ref, 0, 400);
  // Recent rows like the reference: no drift.
  for (int id = 0; id < 100; ++id) {
    const float f[2] = {static_cast<float>((id * 37) % 100), static_cast<float>(id % 2)};
    m.OnPrediction(id, f, 0.5f);
  }
  Observation calm = m.Observe(1);
  ASSERT_EQ(calm.drift_checks.count(12), 1u);
  EXPECT_TRUE(calm.drift_checks.at(12).available);
  EXPECT_EQ(calm.drift_checks.at(12).computable, 2u);
  EXPECT_EQ(calm.drift_checks.at(12).drifted, 0u) << calm.drift_checks.at(12).detail;
  // Then a window where `a` sits at the top of its range: KS flags it.
  for (int id = 100; id < 200; ++id) {
    const float f[2] = {static_cast<float>(90 + id % 10), static_cast<float>(id % 2)};
    m.OnPrediction(id, f, 0.5f);
  }
  Observation moved = m.Observe(2);
  const DriftCheck& check = moved.drift_checks.at(12);
  EXPECT_EQ(check.drifted, 1u);
  EXPECT_NE(check.detail.find("a (ks p="), std::string::npos) << check.detail;
}

}  // namespace
}  // namespace mlloop::monitor

namespace mlloop::monitor {
namespace {

// ADWIN on the champion's 0/1 errors: quiet while the error rate holds, fires when it
// jumps, says where the change began, and starts afresh with the next champion; labels of
// an earlier champion's predictions never reach it.
TEST(ModelMonitorTest, DetectorOnTheChampionsErrors) {
  config::Trigger trigger;
  trigger.kind = config::Trigger::Kind::kDetector;
  trigger.detector = "adwin";
  trigger.line = 9;
  config::MonitoringConfig windows = SmallWindows();
  ModelMonitor m(windows, TwoFeatures(), "accuracy", &trigger);
  ASSERT_TRUE(m.status().ok());
  auto ref = Reference(100);
  m.SetChampion(1, ref, 0, 100);
  const float f[2] = {1, 0};
  int64_t id = 0;
  // 600 predictions of 0.9 with labels mostly 1 (error rate 10%), then 400 mostly wrong.
  for (; id < 1000; ++id) {
    m.OnPrediction(id, f, 0.9f);
    const bool wrong = id < 600 ? id % 10 == 0 : id % 10 < 7;
    ASSERT_TRUE(m.OnLabel(id, wrong ? 0.0f : 1.0f).ok());
    if (id == 599) {
      const DetectorCheck& quiet = m.Observe(0).detector_checks.at(9);
      EXPECT_TRUE(quiet.available);
      EXPECT_FALSE(quiet.fired) << quiet.detail;
    }
  }
  const DetectorCheck& fired = m.Observe(1).detector_checks.at(9);
  EXPECT_TRUE(fired.fired) << fired.detail;
  EXPECT_GE(fired.fired_at, 600u);
  ASSERT_TRUE(fired.change_start.has_value());
  EXPECT_NEAR(static_cast<double>(*fired.change_start), 600.0, 100.0) << fired.detail;
  EXPECT_NE(fired.detail.find("began at value"), std::string::npos);

  // An old prediction labelled after the champion changed is not fed to the new detector.
  m.OnPrediction(5000, f, 0.9f);
  m.SetChampion(2, ref, 0, 100);
  const DetectorCheck& fresh = m.Observe(2).detector_checks.at(9);
  EXPECT_FALSE(fresh.fired);
  EXPECT_EQ(fresh.updates, 0u);
  ASSERT_TRUE(m.OnLabel(5000, 0.0f).ok());
  EXPECT_EQ(m.Observe(3).detector_checks.at(9).updates, 0u);
}

TEST(ModelMonitorTest, DetectorWithABadParameterIsAnError) {
  config::Trigger trigger;
  trigger.kind = config::Trigger::Kind::kDetector;
  trigger.detector = "adwin";
  trigger.detector_params["nope"] = 1;
  trigger.line = 4;
  ModelMonitor m(SmallWindows(), TwoFeatures(), "accuracy", &trigger);
  EXPECT_EQ(m.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(m.status().message().find("line 4"), std::string::npos) << m.status().message();
  EXPECT_FALSE(m.Observe(0).detector_checks.at(4).available);
}

}  // namespace
}  // namespace mlloop::monitor
