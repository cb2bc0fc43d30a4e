// LiveLoop: the controller over a growing dataset of labelled live predictions — rows in the
// order of their prediction ids whatever order their labels come in, a label that comes
// after a newer row was taken kept out of the data (but not of the monitor), ticks only when
// due, and versions whose lineage names the live source.
#include "loop/live_loop.h"

#include <gtest/gtest.h>

#include <cmath>
#include <thread>

#include "pipeline/xgb/xgb_model.h"
#include "toy_loop.h"

namespace mlloop::loop {
namespace {

using toy::kHour;
using toy::ToyRows;

// The toy config with a window that takes every live row, and a margin any candidate passes:
// these tests are about the data.
config::ModelConfig Config() {
  config::ModelConfig c = toy::ToyConfig(1000);
  c.validation.margin = 1.0;
  return c;
}

// Ticks every millisecond of wall time (the tests move the virtual clock), on the live source.
LiveLoop::Options FastTicks() {
  LiveLoop::Options options;
  options.tick = std::chrono::milliseconds(1);
  options.data_source = "live";
  return options;
}

// A champion trained on `rows` [0, 100), registered as trained on the live source's ids 0..99.
std::unique_ptr<registry::Registry> RegistryWithLiveChampion(const core::Dataset& rows) {
  const core::Dataset d = rows.Slice(0, 100);
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
  const core::Dataset rows = ToyRows(200, 5);
  core::VirtualClock clock(10 * kHour);
  LiveLoop::Options options = FastTicks();
  LiveLoop live(Config(), options, RegistryWithLiveChampion(rows), &clock);
  // Replayed labels rebuild the data before the start; the champion's rows are among them.
  for (int64_t i = 0; i < 100; ++i) live.AddLabel(i, &rows.x[i], rows.y[i], i);
  ASSERT_TRUE(live.Start().ok());
  EXPECT_EQ(live.training_rows(), 100u);

  for (int64_t i = 100; i < 160; ++i) live.AddPrediction(i, &rows.x[i], 0.5f, 1);
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
  for (int64_t i = 160; i < 170; ++i) live.AddPrediction(i, &rows.x[i], 0.5f, 2);
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

// With hand_off (`mlloop serve` with its rollout controller) the loop approves what passes
// validation and leaves it to the rollout: no promotion, no second retrain while it is being
// deployed, and the champion the rollout makes is followed before the next decision.
TEST(LiveLoopTest, HandsApprovedVersionsToTheRolloutAndFollowsTheChampionItMakes) {
  const core::Dataset rows = ToyRows(300, 5);
  core::VirtualClock clock(10 * kHour);
  LiveLoop::Options options = FastTicks();
  options.hand_off = true;
  std::unique_ptr<registry::Registry> owned = RegistryWithLiveChampion(rows);
  registry::Registry* registry = owned.get();  // the rollout's view of the same store
  LiveLoop live(Config(), options, std::move(owned), &clock);
  for (int64_t i = 0; i < 100; ++i) live.AddLabel(i, &rows.x[i], rows.y[i], i);
  ASSERT_TRUE(live.Start().ok());
  auto tick_at = [&](int64_t hour) {
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    clock.AdvanceTo(hour * kHour);
    auto tick = live.TickIfDue();
    EXPECT_TRUE(tick.ok()) << tick.status().ToString();
    EXPECT_TRUE(tick.ok() && tick->has_value());
    return tick.ok() && tick->has_value() ? std::move(**tick) : TickOutcome();
  };
  auto label = [&](int64_t begin, int64_t end, int64_t version) {
    for (int64_t i = begin; i < end; ++i) live.AddPrediction(i, &rows.x[i], 0.5f, version);
    for (int64_t i = begin; i < end; ++i) live.AddLabel(i, &rows.x[i], rows.y[i], i);
  };

  label(100, 160, 1);
  TickOutcome first = tick_at(11);
  ASSERT_TRUE(first.retrain.has_value()) << first.decision.reason;
  EXPECT_TRUE(first.retrain->handed_off);
  EXPECT_FALSE(first.retrain->promoted);
  EXPECT_FALSE(first.retrain->awaiting_approval);
  auto v2 = registry->GetVersion("toy", 2);
  ASSERT_TRUE(v2.ok());
  EXPECT_EQ(v2->state, registry::VersionState::kApproved);
  EXPECT_EQ(live.controller().champion()->version, 1);

  // While v2 is being deployed, the schedule's retrain waits, and says why.
  label(160, 200, 1);
  ASSERT_TRUE(registry->Transition(v2->id, registry::VersionState::kCanary, "rollout", "test", 0).ok());
  TickOutcome waiting = tick_at(12);
  EXPECT_FALSE(waiting.retrain.has_value());
  EXPECT_EQ(waiting.decision.action, policy::Action::kNone);
  EXPECT_NE(waiting.decision.reason.find("the retrain waits: v2 is canary, rolling out"),
            std::string::npos)
      << waiting.decision.reason;
  EXPECT_FALSE(waiting.followed_champion.has_value());

  // The rollout promotes v2: the loop takes it before its next decision, and retrains again.
  ASSERT_TRUE(registry->Transition(v2->id, registry::VersionState::kChampion, "rollout", "test", 0).ok());
  label(200, 260, 2);
  TickOutcome followed = tick_at(13);
  ASSERT_TRUE(followed.followed_champion.has_value());
  EXPECT_EQ(followed.followed_champion->version, 2);
  EXPECT_EQ(live.controller().champion()->version, 2);
  ASSERT_TRUE(followed.retrain.has_value()) << followed.decision.reason;
  EXPECT_TRUE(followed.retrain->handed_off);

  // A rollback elsewhere (v2 -> rolled_back restores v1) is followed as well, at once.
  ASSERT_TRUE(registry->Transition(v2->id, registry::VersionState::kRolledBack, "operator", "test", 0).ok());
  auto back = live.FollowChampion();
  ASSERT_TRUE(back.ok()) << back.status().ToString();
  ASSERT_TRUE(back->has_value());
  EXPECT_EQ((*back)->version, 1);
  EXPECT_EQ(live.controller().champion()->version, 1);
  auto again = live.FollowChampion();
  ASSERT_TRUE(again.ok());
  EXPECT_FALSE(again->has_value());
}

// A segment column that is a feature is rebuilt from the logged rows, so validation's
// segment gates can slice the live holdout; one that is not a feature is not in the log.
// A server restarts: its log replays 60 predictions of the champion (ids 100..159), 40 of
// them labelled. The monitor goes on where it was: the 40 labels are in its metric window,
// the 60 rows in its drift window, and a label that arrives after the restart for a
// prediction made before it is scored. Replayed labels do not count towards new_labels.
TEST(LiveLoopTest, AfterARestartTheMonitorGoesOnWhereTheLogLeftIt) {
  const core::Dataset rows = ToyRows(200, 5);
  core::VirtualClock clock(10 * kHour);
  LiveLoop::Options options = FastTicks();
  config::ModelConfig config = Config();
  config.monitoring.drift_window = 50;  // the newest 50 replayed rows have their features kept
  LiveLoop live(config, options, RegistryWithLiveChampion(rows), &clock);
  // The replay, in log order: the champion's training rows' labels, then predictions and
  // the labels of the first 40 of them; one prediction of another version (a canary's).
  for (int64_t i = 0; i < 100; ++i) live.AddLabel(i, &rows.x[i], rows.y[i], i);
  for (int64_t i = 100; i < 160; ++i) live.AddPrediction(i, &rows.x[i], 0.9f, i == 150 ? 2 : 1);
  for (int64_t i = 100; i < 140; ++i) live.AddLabel(i, &rows.x[i], rows.y[i], i);
  ASSERT_TRUE(live.Start().ok());
  // After the restart: labels for ten predictions made before it.
  for (int64_t i = 140; i < 150; ++i) live.AddLabel(i, &rows.x[i], rows.y[i], i);
  std::this_thread::sleep_for(std::chrono::milliseconds(3));
  clock.AdvanceTo(11 * kHour);
  auto tick = live.TickIfDue();
  ASSERT_TRUE(tick.ok()) << tick.status().ToString();
  ASSERT_TRUE(tick->has_value());
  const monitor::Observation& seen = (*tick)->observation;
  EXPECT_EQ(seen.metric_labels, 50);  // 40 replayed, 10 since
  ASSERT_TRUE(seen.metric_value.has_value());
  int correct = 0;  // every prediction was 0.9: accuracy is the share of 1 labels
  for (int64_t i = 100; i < 150; ++i) correct += rows.y[static_cast<size_t>(i)] >= 0.5f;
  EXPECT_DOUBLE_EQ(*seen.metric_value, correct / 50.0);
  EXPECT_EQ(seen.drift_rows, 49);   // the newest 50 replayed rows, less the other version's
  EXPECT_EQ(seen.labels_total, 10);  // since the start
  EXPECT_EQ(seen.predictions_total, 0);
}

// The drift window after a restart holds the newest replayed rows' own features, also when
// the join window keeps fewer predictions than the drift window has room for. The older
// replayed rows' feature is missing, the newest ten's is not: a drift window holding any
// older row would report a missing-rate jump.
TEST(LiveLoopTest, AfterARestartTheDriftWindowHoldsTheNewestRowsOwnFeatures) {
  const core::Dataset rows = ToyRows(200, 5);
  for (const int64_t join_window : {10, 1000}) {
    core::VirtualClock clock(10 * kHour);
    LiveLoop::Options options = FastTicks();
    options.join_window_rows = join_window;
    config::ModelConfig config = Config();
    config.monitoring.drift_window = join_window == 10 ? 50 : 10;
    LiveLoop live(config, options, RegistryWithLiveChampion(rows), &clock);
    for (int64_t i = 0; i < 100; ++i) live.AddLabel(i, &rows.x[i], rows.y[i], i);
    const float missing = NAN;
    for (int64_t i = 100; i < 160; ++i) live.AddPrediction(i, i < 150 ? &missing : &rows.x[i], 0.9f, 1);
    ASSERT_TRUE(live.Start().ok());
    std::this_thread::sleep_for(std::chrono::milliseconds(3));
    clock.AdvanceTo(11 * kHour);
    auto tick = live.TickIfDue();
    ASSERT_TRUE(tick.ok() && tick->has_value()) << tick.status().ToString();
    EXPECT_EQ((*tick)->observation.drift_rows, 10) << join_window;
    EXPECT_TRUE((*tick)->observation.quality.empty()) << join_window << ": "
                                                      << (*tick)->observation.quality[0].kind;
  }
}

TEST(LiveLoopTest, RebuildsSegmentColumnsThatAreFeatures) {
  const core::Dataset rows = ToyRows(120, 5);
  core::VirtualClock clock(10 * kHour);
  config::ModelConfig config = Config();
  config.schema.features.push_back({"weekday", core::FeatureType::kCategorical, {"mon", "tue"}});
  config.schema.segments = {"weekday", "region"};
  LiveLoop::Options options;
  options.data_source = "live";
  LiveLoop live(config, options, RegistryWithLiveChampion(rows), &clock);
  for (int64_t i = 0; i < 6; ++i) {
    const float x[2] = {rows.x[i], i == 4 ? NAN : static_cast<float>(i % 2)};
    live.AddLabel(i, x, rows.y[i], i);
  }
  // Start() takes the replayed labels into the data first; whether it then accepts this toy
  // champion (trained on one feature) does not matter here.
  live.Start().IgnoreError();
  const core::Dataset& data = live.data();
  ASSERT_EQ(data.segments.size(), 1u);
  EXPECT_EQ(data.segments[0].name, "weekday");
  ASSERT_EQ(data.segments[0].codes.size(), 6u);
  std::vector<std::string> values;
  for (uint32_t code : data.segments[0].codes) values.push_back(data.segments[0].values[code]);
  EXPECT_EQ(values, (std::vector<std::string>{"mon", "tue", "mon", "tue", "", "tue"}));
}

TEST(LiveLoopTest, AChampionWhoseTrainingRowsCannotBeReadIsRefusedNamingThem) {
  const core::Dataset rows = ToyRows(100, 5);
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
