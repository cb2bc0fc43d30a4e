// ModelConfig: everything mlloop needs to know about one model, read from one YAML file.
//
// Every key has a default (shown below); an unknown key, a wrong type or an impossible value
// is an InvalidArgument whose message names the file, the line and the key path, e.g.
//   "examples/elec2/model.yaml:14: policy.trigger.any[1].drift.psi_above: expected a number
//    greater than 0, got 'high'".
//
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"

namespace mlloop::config {

// Which labelled rows a retrain learns from. YAML (exactly one key):
//   window: {last_rows: 5000} | {last: 30d} | {since: 1997-01-01} | {all: true}
struct TrainingWindow {
  enum class Kind { kLastRows, kLastDuration, kSince, kAll };
  Kind kind = Kind::kLastRows;
  int64_t rows = 5000;     // kLastRows
  int64_t seconds = 0;     // kLastDuration
  int64_t since = 0;       // kSince, Unix seconds
  std::string Describe() const;  // "last 5000 rows", "last 30d", "since 1997-01-01T00:00:00Z", "all"
};

struct TrainerConfig {
  std::string kind = "xgboost";  // the only trainer in v1
  // Passed to XGBoosterSetParam verbatim. Defaults added when absent: objective from the
  // task (binary:logistic / reg:squarederror), tree_method=hist, max_depth=6, eta=0.3,
  // nthread=1. YAML values of any scalar type are kept as their text.
  std::map<std::string, std::string> params;
  int rounds = 100;      // boosting rounds, > 0
  uint64_t seed = 42;
  TrainingWindow window;
};

struct MonitoringConfig {
  int64_t metric_window = 1000;  // rolling metric over the last N labelled predictions, > 0
  int64_t drift_window = 2000;   // recent rows compared with the training window by PSI, > 0
  int psi_bins = 10;             // quantile bins of the reference, 2..100
};

// A node of the trigger tree. YAML:
//   trigger:
//     any:                                     # or all:
//       - performance: {metric: accuracy, below: 0.8, min_labels: 200}
//       - performance: {metric: rmse, above: 40, min_labels: 200}
//       - drift: {psi_above: 0.2, min_share: 0.3}
//       - new_labels: {at_least: 1000}
//       - schedule: {every: 7d}
//       - detector: {name: adwin, on: errors}
//       - all: [...]                            # nesting is allowed
// A single leaf may stand without any/all.
struct Trigger {
  enum class Kind { kAny, kAll, kPerformance, kDrift, kNewLabels, kSchedule, kDetector };
  Kind kind = Kind::kAny;
  std::vector<Trigger> children;  // kAny / kAll: at least one

  // kPerformance: fires when the rolling metric is worse than `threshold` once at least
  // `min_labels` labelled predictions are in the window. `metric` defaults to accuracy
  // (binary) or rmse (regression); `below` for higher-is-better metrics, `above` for
  // lower-is-better ones — the other is an error.
  std::string metric;
  double threshold = 0.0;
  int64_t min_labels = 200;

  // kDrift: fires when at least `min_share` of the features drifted. With `method` psi
  // (the default) a feature drifted when its PSI is above `psi_above`; the monitor keeps PSI
  // incrementally, so this is the cheapest. Any method of `mlloop drift` may be named
  // instead (auto, ks, chisquare, z, wasserstein, jensenshannon, hellinger, linf, anderson,
  // cvm): the monitor then runs the drift report's functions on the training window and the
  // recent window each tick, with `threshold` or the method's default, and `features`
  // overriding method and threshold per feature. YAML:
  //   drift: {method: auto, min_share: 0.5, features: {nswprice: {method: ks, threshold: 0.01}}}
  std::string method = "psi";
  double psi_above = 0.2;
  double min_share = 0.3;
  std::optional<double> drift_threshold;  // not with psi (use psi_above)
  struct FeatureDriftRule {
    std::string method;               // empty: the trigger's
    std::optional<double> threshold;  // empty: the method's default
  };
  std::map<std::string, FeatureDriftRule> drift_features;

  // kDetector: a streaming change detector (drift/detector.h: adwin, ddm, eddm,
  // page_hinkley, hddm_a, hddm_w, kswin, cusum) watching the live champion's errors (`on:
  // errors`: 0/1 misclassifications for a classifier, absolute errors for regression, which
  // the 0/1 detectors ddm/eddm/hddm cannot read) or one numeric feature (`on: NAME`). It
  // fires once the detector has flagged a change since the champion took over; a new
  // champion starts it afresh, and labels of predictions an earlier champion made are not
  // fed to it. YAML: detector: {name: adwin, on: errors, params: {delta: 0.002}}
  std::string detector;
  std::string detector_on = "errors";
  std::map<std::string, double, std::less<>> detector_params;

  // kNewLabels: fires when at least `at_least` labels arrived since the last training.
  int64_t at_least = 1000;

  // kSchedule: fires when `every` seconds have passed since the last training.
  int64_t every = 7 * 86400;

  int line = 0;  // 1-based line in the config file, for messages
};

// YAML:
//   policy: {tick: 1d, trigger: ..., cooldown: 3d, budget: {max_retrains: 10, per: 90d}}
struct PolicyConfig {
  int64_t tick = 86400;       // controller interval, seconds, > 0
  // Default when `policy.trigger` is absent: for binary, a single performance leaf
  // "accuracy below 0.7, min_labels 200"; for regression, a single new_labels leaf
  // "at_least 1000". (A default-constructed Trigger is an empty `any` and never fires;
  // ParseModelConfig always fills this in.)
  Trigger trigger;
  int64_t cooldown = 0;       // no retrain within this many seconds of the last one
  int max_retrains = 0;       // budget: at most this many retrains per `budget_period`; 0 = no limit
  int64_t budget_period = 30 * 86400;
};

struct ValidationConfig {
  // Candidate and champion are scored on the most recent `holdout_rows` labelled rows that
  // neither trained on. The candidate is promoted unless it is worse than the champion by
  // more than `margin` (in metric units: accuracy points as a fraction, or RMSE units).
  int64_t holdout_rows = 500;  // > 0
  double margin = 0.0;         // >= 0
  std::string metric;          // default: accuracy (binary) or rmse (regression)
  int64_t min_rows = 50;       // fewer clean holdout rows than this: reject as "not enough data"
};

struct SimulationConfig {
  int64_t label_delay = 0;         // seconds between a prediction and its label
  int64_t initial_rows = 0;        // first training uses the first N rows; 0 = trainer.window rows
  int64_t baseline_every = 7 * 86400;  // interval of the `schedule` baseline
};

// Who turns a validated candidate into an approved one. YAML: `approval: auto` (default) or
// `approval: manual`.
//   auto   — the controller approves every candidate that passed all gates;
//   manual — candidates wait in `validated` until a person with the approver role runs
//            `mlloop approve`; the controller promotes approved versions at its next tick.
enum class ApprovalMode { kAuto, kManual };

struct ModelConfig {
  std::string name = "model";  // YAML `model`: letters, digits, '_', '-', '.' (used in ids)
  std::string path;          // the YAML file as given
  std::string config_hash;   // SHA-256 of the file's bytes
  std::string text;          // the file's bytes, for lineage
  std::string data_path;     // data.path resolved against the config's directory
  core::Schema schema;
  TrainerConfig trainer;
  MonitoringConfig monitoring;
  PolicyConfig policy;
  ValidationConfig validation;
  SimulationConfig simulation;
  ApprovalMode approval = ApprovalMode::kAuto;

  // "accuracy" or "rmse": the metric the loop watches unless a trigger names another.
  std::string DefaultMetric() const;
};

// Reads and validates `path`. Relative data paths resolve against the file's directory.
Result<ModelConfig> LoadModelConfig(const std::string& path);

// Validates YAML text; `path` is used in messages and to resolve relative data paths.
Result<ModelConfig> ParseModelConfig(std::string_view yaml_text, const std::string& path);

// True when larger values of `metric` are better (accuracy, auc, f1, precision, recall);
// false for rmse, mae, mape, log_loss, brier (and for any unknown name).
bool HigherIsBetter(std::string_view metric);

// One-line rendering for logs, e.g.
//   "any(performance(accuracy < 0.75, n>=300), drift(psi > 0.25 on >= 50% of features))".
// Leaves: "new_labels(>= 5000)", "schedule(every 30d)".
std::string TriggerToString(const Trigger& trigger);

}  // namespace mlloop::config
