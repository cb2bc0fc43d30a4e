// LiveLoop: the controller over a growing dataset of labelled live predictions — rows in the
// order of their prediction ids whatever order their labels come in, a label that comes
// after a newer row was taken kept out of the data (but not of the monitor), ticks only when
// due, and versions whose lineage names the live source.
#include "loop/live_loop.h"

#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "pipeline/xgb/xgb_model.h"

namespace mlloop::loop {
namespace {

constexpr int64_t kHour = 3600;

// One numeric feature; the label is 1 when it is above 0.5.
struct Rows {
  std::vector<float> x, y;
  explicit Rows(size_t n) {
    std::mt19937 gen(5);
    std::uniform_real_distribution<float> u(0, 1);
    for (size_t i = 0; i < n; ++i) {
      x.push_back(u(gen));
      y.push_back(x.back() > 0.5f ? 1.0f : 0.0f);
    }
  }
};

config::ModelConfig Config() {
  config::ModelConfig c;
  c.name = "toy";
  c.schema.features = {{"x", core::FeatureType::kNumeric, {}}};
  c.schema.label.name = "y";
  c.trainer.rounds = 5;
  c.trainer.window.rows = 1000;
  c.trainer.params = {{"objective", "binary:logistic"}, {"nthread", "1"}};
  c.validation.metric = "accuracy";
  c.validation.holdout_rows = 20;
  c.validation.min_rows = 10;
  c.validation.margin = 1.0;  // any candidate passes: this test is about the data
  c.policy.tick = kHour;
  c.policy.trigger.kind = config::Trigger::Kind::kSchedule;
  c.policy.trigger.every = kHour;
  return c;
}

// A champion trained on `rows` [0, 100), registered as trained on the live source's ids 0..99.
std::unique_ptr<registry::Registry> RegistryWithLiveChampion(const Rows& rows) {
  core::Dataset d;
  d.n_features = 1;
  d.categories = {{}};
  for (size_t i = 0; i < 100; ++i) {
    d.x.push_back(rows.x[i]);
    d.y.push_back(rows.y[i]);
    d.time.push_back(static_cast<int64_t>(i));
    d.row.push_back(static_cast<int64_t>(i));
  }
  pipeline::TrainOptions options;
  options.rounds = 5;
  auto model = pipeline::XgbModel::Train(d, 0, d.rows(), options);
  EXPECT_TRUE(model.ok());
  auto registry = registry::Registry::OpenInMemory();
  EXPECT_TRUE(registry.ok());
  registry::Lineage lineage;
  lineage.data_source = "live";
  lineage.row_begin = 0;
  lineage.row_end = 100;
  auto v = (*registry)->Register("toy", *(*model)->Serialize(), lineage, std::nullopt, "test", 0);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  for (auto to : {registry::VersionState::kValidated, registry::VersionState::kApproved,
                  registry::VersionState::kChampion}) {
    EXPECT_TRUE((*registry)->Transition(v->id, to, "test", "live loop test", 0).ok());
  }
  return std::move(registry).value();
}

TEST(LiveLoopTest, TakesLabelledRowsInPredictionOrderAndKeepsLateOnesOutOfTheData) {
  const Rows rows(200);
  core::VirtualClock clock(10 * kHour);
  LiveLoop::Options options;
  options.tick = std::chrono::milliseconds(1);
  options.data_source = "live";
  LiveLoop live(Config(), options, RegistryWithLiveChampion(rows), &clock);
  // Replayed labels rebuild the data before the start; the champion's rows are among them.
  for (int64_t i = 0; i < 100; ++i) live.AddLabel(i, &rows.x[i], rows.y[i], i);
  ASSERT_TRUE(live.Start().ok());
  EXPECT_EQ(live.training_rows(), 100u);

  for (int64_t i = 100; i < 160; ++i) live.AddPrediction(i, &rows.x[i], 0.5f);
  // Labels of one tick in any order: the data takes them in id order.
  for (int64_t i = 159; i >= 100; --i) live.AddLabel(i, &rows.x[i], rows.y[i], i);
  auto none = live.TickIfDue();  // labels are taken at ticks only, and none is due yet
  ASSERT_TRUE(none.ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  clock.AdvanceTo(11 * kHour);
  auto tick = live.TickIfDue();
  ASSERT_TRUE(tick.ok()) << tick.status().ToString();
  ASSERT_TRUE(tick->has_value());
  EXPECT_EQ(live.training_rows(), 160u);
  EXPECT_EQ(live.late_labels(), 0u);
  ASSERT_TRUE((*tick)->retrain.has_value()) << (*tick)->decision.reason;
  // The candidate trained on live rows before the holdout (the newest 20 rows the champion
  // did not train on), and its lineage says so in the log's ids.
  const auto& retrain = *(*tick)->retrain;
  EXPECT_EQ(retrain.holdout_begin, 140u);
  EXPECT_EQ(retrain.holdout_end, 160u);
  EXPECT_TRUE(retrain.promoted);
  ASSERT_TRUE(live.controller().champion().has_value());
  EXPECT_EQ(live.controller().champion()->lineage.data_source, "live");
  EXPECT_EQ(live.controller().champion()->lineage.row_end, 140);

  // A label for id 162 after 165's was taken lands behind the data's newest row: late.
  for (int64_t i = 160; i < 170; ++i) live.AddPrediction(i, &rows.x[i], 0.5f);
  live.AddLabel(165, &rows.x[165], rows.y[165], 165);
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  clock.AdvanceTo(12 * kHour);
  ASSERT_TRUE(live.TickIfDue().ok());
  live.AddLabel(162, &rows.x[162], rows.y[162], 162);
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  clock.AdvanceTo(13 * kHour);
  ASSERT_TRUE(live.TickIfDue().ok());
  EXPECT_EQ(live.training_rows(), 161u);
  EXPECT_EQ(live.late_labels(), 1u);
}

TEST(LiveLoopTest, AChampionWhoseTrainingRowsCannotBeReadIsRefusedNamingThem) {
  const Rows rows(100);
  core::VirtualClock clock(0);
  LiveLoop::Options options;
  options.data_source = "another log";
  LiveLoop live(Config(), options, RegistryWithLiveChampion(rows), &clock);
  Status started = live.Start();
  ASSERT_FALSE(started.ok());
  EXPECT_NE(started.message().find("the training rows of toy v1 (the drift reference)"),
            std::string::npos)
      << started.message();
  EXPECT_FALSE(live.TickIfDue().ok());
}

}  // namespace
}  // namespace mlloop::loop
