// RetrainPolicy: turns what the monitor observed into a decision, with its reasons.
//
// The configured trigger tree (any / all over performance, drift, new_labels, schedule,
// detector and estimated_performance leaves) says whether retraining is justified; the monitor's data-quality issues, the
// cooldown and the budget (at most K retrains per period) say whether it is allowed now: a
// justified retrain during a data-quality issue becomes an alert. Every call returns a Decision, even
// when it decides nothing, carrying each leaf's value, threshold and verdict, so that any
// decision can be explained afterwards.
//
// Thread-safety: none; owned by one controller.
#pragma once

#include <cstdint>
#include <deque>
#include <string>
#include <string_view>
#include <vector>

#include "config/model_config.h"
#include "monitor/model_monitor.h"

namespace mlloop::policy {

enum class Action { kNone, kAlert, kRetrain, kRollback };
std::string_view ActionName(Action action);

// One leaf of the trigger tree as evaluated at one tick.
struct Signal {
  std::string name;        // "performance", "drift", "new_labels", "schedule", "detector",
                           // "estimated_performance"
  std::string path;        // position in the tree, e.g. "any[1]"
  double value = 0;        // the observed value (metric, share of drifted features, count, seconds)
  double threshold = 0;
  std::string comparison;  // how value is held against threshold: "<", ">", ">="
  bool available = true;   // false when there is not enough evidence yet (e.g. too few labels)
  bool fired = false;
  std::string detail;      // e.g. "over 812 labels", "vicprice 3.2, transfer 0.4"
};

struct Decision {
  int64_t time = 0;
  std::vector<Signal> signals;
  bool triggered = false;  // the trigger tree fired, whatever the cooldown and budget said
  Action action = Action::kNone;
  std::string reason;
  int64_t budget_left = -1;  // retrains still allowed in the current period; -1 = no limit
  // The rows a retrain decided now learns from, as the controller chose them ("last 4000
  // rows", "since the change at data row 20731 (adwin on errors): 412 rows", ...); for any
  // other decision, the configured window in force (trainer.window's description).
  std::string training_window;

  // {"signals": [{"name", "path", "value", "threshold", "comparison", "available", "fired",
  // "detail"}...], "training_window": "..." (when set)}
  std::string SignalsJson() const;
};

class RetrainPolicy {
 public:
  // `start` is when the first model was trained: the schedule and new_labels triggers count
  // from it until the first retrain.
  RetrainPolicy(config::PolicyConfig config, int64_t start);

  // Evaluates the triggers on `obs` at time obs.time. Pure with respect to the budget: a
  // kRetrain decision does not spend it until RecordRetrain is called.
  Decision Decide(const monitor::Observation& obs) const;

  // Why a retrain at `now` is not allowed — the cooldown or the spent budget — with the
  // action that says so (kNone for the cooldown, kAlert for the budget); empty when allowed.
  std::string RetrainBlocked(int64_t now, Action* action) const;

  // A retrain ran at `time` (whatever validation then said): it spends budget, starts the
  // cooldown and resets the schedule and new_labels counters.
  void RecordRetrain(int64_t time, int64_t labels_total);

  int64_t last_retrain_time() const { return last_training_time_; }

 private:
  bool Evaluate(const config::Trigger& node, const std::string& path,
                const monitor::Observation& obs, std::vector<Signal>* signals) const;
  int RetrainsInPeriod(int64_t now) const;

  config::PolicyConfig config_;
  int64_t last_training_time_;
  int64_t labels_at_last_training_ = 0;
  std::deque<int64_t> retrain_times_;  // within the last budget period
};

}  // namespace mlloop::policy
