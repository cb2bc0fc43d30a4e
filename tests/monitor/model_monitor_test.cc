#include "monitor/model_monitor.h"

#include <gtest/gtest.h>

#include "core/random.h"

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

TEST(ModelMonitorTest, ForgetsPredictionsWhoseLabelsCanNoLongerCome) {
  ModelMonitor m(SmallWindows(), TwoFeatures(), "accuracy");
  auto ref = Reference(100);
  m.SetChampion(1, ref, 0, 100);
  const float f[2] = {1, 0};
  for (int id = 0; id < 10; ++id) m.OnPrediction(id, f, 0.9f);
  EXPECT_EQ(m.ForgetPendingBefore(6), 6u);
  EXPECT_EQ(m.pending_labels(), 4u);
  EXPECT_EQ(m.OnLabel(3, 1).code(), StatusCode::kNotFound);
  EXPECT_TRUE(m.OnLabel(7, 1).ok());
  EXPECT_EQ(m.ForgetPendingBefore(6), 0u);
  EXPECT_EQ(m.Observe(0).labels_total, 1);
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

// The change is placed on requests, not only on value positions: the loop trains from the
// request where it began. Ids here are sparse, so a position mistaken for an id shows.
TEST(ModelMonitorTest, DetectorPlacesTheChangeOnARequestId) {
  config::Trigger trigger;
  trigger.kind = config::Trigger::Kind::kDetector;
  trigger.detector = "adwin";
  trigger.line = 9;
  ModelMonitor m(SmallWindows(), TwoFeatures(), "accuracy", &trigger);
  auto ref = Reference(100);
  m.SetChampion(1, ref, 0, 100);
  const float f[2] = {1, 0};
  const auto id_of = [](int64_t k) { return 7000 + 3 * k; };
  for (int64_t k = 0; k < 1000; ++k) {
    m.OnPrediction(id_of(k), f, 0.9f);
    const bool wrong = k < 600 ? k % 10 == 0 : k % 10 < 7;
    ASSERT_TRUE(m.OnLabel(id_of(k), wrong ? 0.0f : 1.0f).ok());
  }
  const DetectorCheck c = m.Observe(1).detector_checks.at(9);
  ASSERT_TRUE(c.fired) << c.detail;
  EXPECT_EQ(c.source, "adwin on errors");
  ASSERT_TRUE(c.change_start.has_value());
  ASSERT_TRUE(c.change_request.has_value());
  EXPECT_EQ(*c.change_request, id_of(static_cast<int64_t>(*c.change_start)));
  EXPECT_EQ(c.fired_request, id_of(static_cast<int64_t>(c.fired_at)));
  EXPECT_NEAR(static_cast<double>(*c.change_request), static_cast<double>(id_of(600)), 300.0);

  // The next champion's detector knows nothing of the old change.
  m.SetChampion(2, ref, 0, 100);
  const DetectorCheck fresh = m.Observe(2).detector_checks.at(9);
  EXPECT_FALSE(fresh.change_request.has_value());
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

namespace mlloop::monitor {
namespace {

// CBPE on the champion: fitted on its first 400 labelled predictions (confident and right
// 95% of the time), it estimates a lower accuracy once the scores turn unsure (0.4 / 0.6:
// right about 60% of the time), before any of those predictions is labelled.
TEST(ModelMonitorTest, EstimatedAccuracyFallsWhenScoresTurnUnsure) {
  config::Trigger trigger;
  trigger.kind = config::Trigger::Kind::kEstimatedPerformance;
  trigger.metric = "accuracy";
  trigger.threshold = 0.8;
  trigger.estimate_window = 200;
  trigger.reference_labels = 400;
  trigger.line = 12;
  ModelMonitor m(SmallWindows(), TwoFeatures(), "accuracy", &trigger);
  auto ref = Reference(100);
  m.SetChampion(1, ref, 0, 100);
  const float f[2] = {1, 0};
  EXPECT_FALSE(m.Observe(0).estimate_checks.at(12).available);

  uint64_t state = 17;
  const auto uniform = [&] { return static_cast<double>(core::SplitMix64(state) >> 11) * 0x1.0p-53; };
  int64_t id = 0;
  for (; id < 400; ++id) {  // calibrated, confident: label 1 with probability p
    const float p = id % 2 == 0 ? 0.95f : 0.05f;
    m.OnPrediction(id, f, p);
    ASSERT_TRUE(m.OnLabel(id, uniform() < p ? 1.0f : 0.0f).ok());
  }
  const EstimateCheck confident = m.Observe(1).estimate_checks.at(12);
  ASSERT_TRUE(confident.available) << confident.detail;
  EXPECT_NEAR(confident.value, 0.95, 0.01);
  EXPECT_NEAR(confident.reference, 0.95, 0.04);

  for (; id < 600; ++id) m.OnPrediction(id, f, id % 2 == 0 ? 0.6f : 0.4f);  // no labels yet
  const EstimateCheck unsure = m.Observe(2).estimate_checks.at(12);
  ASSERT_TRUE(unsure.available) << unsure.detail;
  EXPECT_NEAR(unsure.value, 0.6, 0.02) << unsure.detail;
  EXPECT_EQ(unsure.rows, 200);
  EXPECT_LE(unsure.lower, unsure.value);
  EXPECT_GE(unsure.upper, unsure.value);
  EXPECT_EQ(unsure.detail.rfind("estimated accuracy 0.", 0), 0u) << unsure.detail;
  EXPECT_NE(unsure.detail.find("over the latest 200 predictions"), std::string::npos) << unsure.detail;

  // A new champion starts a new reference.
  m.SetChampion(2, ref, 0, 100);
  const EstimateCheck fresh = m.Observe(3).estimate_checks.at(12);
  EXPECT_FALSE(fresh.available);
  EXPECT_NE(fresh.detail.find("collecting the reference, 0 of 400"), std::string::npos) << fresh.detail;
}

// A detector on a feature watches that feature, not the first one.
TEST(ModelMonitorTest, DetectorOnAFeatureWatchesThatFeature) {
  config::Trigger trigger;
  trigger.kind = config::Trigger::Kind::kDetector;
  trigger.detector = "page_hinkley";
  trigger.detector_on = "c";
  trigger.line = 5;
  core::Schema schema = TwoFeatures();
  schema.features.push_back({"c", core::FeatureType::kNumeric, {}});
  ModelMonitor m(SmallWindows(), schema, "accuracy", &trigger);
  core::Dataset ref;
  ref.n_features = 3;
  for (size_t i = 0; i < 50; ++i) {
    ref.x.insert(ref.x.end(), {static_cast<float>(i), 0.0f, 1.0f});
    ref.y.push_back(0);
    ref.time.push_back(static_cast<int64_t>(i));
    ref.row.push_back(static_cast<int64_t>(i));
  }
  m.SetChampion(1, ref, 0, 50);
  // Feature a is constant; feature c jumps from 1 to 50 at row 500.
  for (int64_t id = 0; id < 1000; ++id) {
    const float row[3] = {1.0f, 0.0f, id < 500 ? 1.0f : 50.0f};
    m.OnPrediction(id, row, 0.5f);
  }
  const DetectorCheck c = m.Observe(0).detector_checks.at(5);
  EXPECT_EQ(c.source, "page_hinkley on c");
  EXPECT_TRUE(c.fired) << c.detail;
  ASSERT_TRUE(c.change_request.has_value());
  EXPECT_GE(*c.change_request, 480);
}

}  // namespace
}  // namespace mlloop::monitor
