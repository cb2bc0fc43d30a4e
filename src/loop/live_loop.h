// LiveLoop: the Controller on the wall clock over live traffic — what `mlloop serve` runs
// beside the server. It knows nothing of HTTP: its caller (the cli) hands it the predictions
// the server made and the labels joined to them, both from the inference log, and calls
// TickIfDue() often; it keeps the growing data the controller trains on and ticks every
// `policy.tick` (or Options::tick).
//
// The training data: the labelled predictions, as rows whose row numbers are the inference
// log's row ids (so the controller's monitor, which keys predictions by those ids, and its
// rows agree) and whose time is the prediction's. Labels arriving between two ticks are
// sorted by row id and appended at the next tick; a label for a row older than the data's
// newest row (it came after a later row's label was already taken) still reaches the
// monitor but not the training data (counted in late_labels()), so the data stays in time
// order and its indices never move. The first champion's training rows, the monitor's drift
// reference, are read back from the file its lineage names (or, for a champion trained
// live, from this data).
//
// Thread-safety: none; one thread drives a LiveLoop.
#pragma once

#include <chrono>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/model_config.h"
#include "core/clock.h"
#include "core/schema.h"
#include "core/status.h"
#include "loop/controller.h"
#include "registry/registry.h"

namespace mlloop::loop {

class LiveLoop {
 public:
  struct Options {
    // Between ticks; zero: the config's policy.tick. Shorter ticks suit tests and demos.
    std::chrono::milliseconds tick{0};
    // Recorded in lineage as the live rows' source (the inference log's directory).
    std::string data_source;
    std::string actor = "mlloop-serve";
    // Labels join only the newest this many predicted rows (the inference log's join
    // window); the monitor stops waiting for older ones at each tick.
    int64_t join_window_rows = 1'000'000;
    // The rollout controller deploys what the loop approves (ControllerOptions::hand_off):
    // the loop promotes nothing and follows the registry's champion (FollowChampion()).
    bool hand_off = false;
  };

  // `registry` is this loop's own connection; `clock` must outlive the loop.
  LiveLoop(config::ModelConfig config, Options options,
           std::unique_ptr<registry::Registry> registry, const core::Clock* clock);

  // A label joined to prediction `id` of `features` (n_features floats), predicted at
  // `time` (Unix seconds). Before Start(): a replayed label (the data is rebuilt); after:
  // taken at the next tick.
  void AddLabel(int64_t id, const float* features, float label, int64_t time);
  // Version `version` answered prediction `id` (ids ascending). The monitor sees the
  // champion's predictions only (a canary's share is the rollout's to judge). Before
  // Start(): a replayed prediction, kept (the newest join_window_rows, the features of the
  // newest monitoring.drift_window) for Start().
  void AddPrediction(int64_t id, const float* features, float prediction, int64_t version);

  // Takes the registry's champion and starts the clock: the first tick is one interval
  // away. The monitor goes on where the log left it: the replayed predictions of the
  // champion wait for their labels again (those already labelled are scored in the metric
  // window), and the newest of them fill the drift window; nothing replayed counts towards
  // the new_labels trigger. NotFound when the model has no champion; Unavailable/NotFound/DataLoss when its
  // training rows cannot be read back (naming the file), FailedPrecondition when they changed.
  Status Start();

  // When a tick is due: appends the labels received since the last one, follows the
  // registry's champion, then one controller tick in one registry transaction.
  // nullopt when no tick was due.
  Result<std::optional<TickOutcome>> TickIfDue();

  // When the registry names another champion than the controller's (the rollout promoted
  // or rolled back, or `mlloop rollback` ran), the controller takes it, with its training rows as the
  // drift reference; returns it. nullopt when nothing changed. Errors (its rows or artifact
  // cannot be read) leave the controller as it was and are retried at the next call.
  Result<std::optional<registry::ModelVersion>> FollowChampion();

  // The labelled live rows so far (row numbers are the log's row ids).
  const core::Dataset& data() const { return data_; }

  const Controller& controller() const { return controller_; }
  size_t training_rows() const { return data_.rows(); }
  uint64_t late_labels() const { return late_labels_; }
  std::chrono::milliseconds tick() const { return tick_; }

 private:
  struct Pending {
    int64_t id;
    float label;
    int64_t time;
    size_t x;  // offset into pending_x_
  };
  // Appends pending labels to the data (ascending ids; older ones go to the monitor only).
  void TakePending(bool started);
  // The controller's champion's version number (0 before Start()).
  int64_t ChampionVersion() const {
    return controller_.champion() ? controller_.champion()->version : 0;
  }
  Status ReadReference(const registry::ModelVersion& champion, core::Dataset* reference,
                       size_t* begin, size_t* end) const;

  const config::ModelConfig config_;  // the controller keeps a reference
  const Options options_;
  std::unique_ptr<registry::Registry> registry_;
  const core::Clock* clock_;
  core::Dataset data_;
  Controller controller_;
  std::chrono::milliseconds tick_;
  std::chrono::steady_clock::time_point next_tick_;
  bool started_ = false;
  std::vector<Pending> pending_;
  std::vector<float> pending_x_;
  // Predictions replayed before Start(), and the features of the newest of them.
  struct Replayed {
    int64_t id;
    int64_t version;
    float prediction;
  };
  std::deque<Replayed> replayed_;
  std::deque<float> replayed_x_;  // the last replayed_x_.size() / n_features rows'
  // Hands replayed_ and the labels of its rows to the monitor (Start()).
  void ReplayToMonitor();
  uint64_t late_labels_ = 0;
  // Segment columns that are features (validation's segment gates slice by them); a
  // segment column that is not a feature is not in the log, so not in the data.
  struct SegmentSource {
    size_t feature;
    std::unordered_map<std::string, uint32_t> codes;  // value -> code in data_.segments
  };
  std::vector<SegmentSource> segment_sources_;  // parallel to data_.segments
  int64_t newest_prediction_ = -1;
};

}  // namespace mlloop::loop
