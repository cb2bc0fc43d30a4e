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

// Which labelled rows a retrain learns from. YAML (exactly one of the first four keys):
//   window: {last_rows: 5000} | {last: 30d} | {since: 1997-01-01} | {all: true}
// optionally with
//   since_change: {wait_labels: 200, min_rows: 200, refresh_labels: 1000}
//   recency_half_life: 1000
//
// since_change: when a detector trigger located where a change began, the retrain learns
// from the rows since that point only — a fixed window would be mostly the old concept, and
// a model trained on it is as wrong as the one it replaces. The retrain waits until
// `wait_labels` labelled rows since the change can be trained on (the holdout set aside),
// takes at least `min_rows` rows (reaching back before the change when there are fewer),
// never reaches back further than the window itself, and with `refresh_labels` > 0 runs once
// more when that many labelled rows since the change exist.
//
// recency_half_life: row weights halve every N rows back from the newest training row, so
// the newest rows count most and the window's edge fades out; 0 (the default) weighs all
// rows equally.
struct TrainingWindow {
  enum class Kind { kLastRows, kLastDuration, kSince, kAll };
  Kind kind = Kind::kLastRows;
  int64_t rows = 5000;     // kLastRows
  int64_t seconds = 0;     // kLastDuration
  int64_t since = 0;       // kSince, Unix seconds
  struct SinceChange {
    int64_t wait_labels = 200;   // > 0
    int64_t min_rows = 0;        // >= 0
    int64_t refresh_labels = 0;  // 0: no refresh; else > wait_labels
    int line = 0;                // of `since_change` in the config file
  };
  std::optional<SinceChange> since_change;
  int64_t recency_half_life = 0;  // rows, >= 0; 0 = equal weights
  // Which rows, without the options: "last 5000 rows", "last 30d",
  // "since 1997-01-01T00:00:00Z", "all".
  std::string DescribeRange() const;
  // DescribeRange(), then the options:
  // "last 4000 rows; since a detected change (wait for 200 labels, at least 200 rows,
  // refresh after 1000); recency half-life 1000 rows"
  std::string Describe() const;
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
//       - estimated_performance: {metric: accuracy, below: 0.75, window: 500}
//       - all: [...]                            # nesting is allowed
// A single leaf may stand without any/all.
struct Trigger {
  enum class Kind {
    kAny, kAll, kPerformance, kDrift, kNewLabels, kSchedule, kDetector, kEstimatedPerformance
  };
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

  // kEstimatedPerformance (binary classifiers): fires when the champion's `metric`
  // (accuracy, precision, recall, f1 or auc), estimated without labels by CBPE
  // (drift/cbpe.h) on its latest `estimate_window` predictions, is below `threshold`. CBPE
  // is fitted on the champion's first `reference_labels` labelled predictions; until they
  // are in, the trigger is not available. YAML:
  //   estimated_performance: {metric: accuracy, below: 0.75, window: 500, reference: 1000}
  int64_t estimate_window = 500;
  int64_t reference_labels = 1000;

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

// One named validation gate (validate/gates.h evaluates them). Under `validation.gates`, a
// list whose items are one-key mappings naming the kind; every item may carry a `name`
// (default: the kind, plus the metric or column when it has one, e.g. value_auc):
//   gates:
//     - value: {metric: auc, at_least: 0.8}          # or the short form: value: auc >= 0.8
//     - change: {metric: log_loss, max_relative_loss: 0.05}
//     - significance: {metric: auc, test: delong, confidence: 0.95, min_gain: 0}
//     - segments: {metric: accuracy, columns: [day], min_rows: 30, max_loss: 0.05, max_gap: 0.25}
//     - bias: {column: sex, min_impact_ratio: 0.8, max_parity_difference: 0.1}
//     - latency: {p50: 100us, p99: 1ms, max_ratio: 2}
//     - sanity: {min_std: 1e-6, max_model_size: 20MB}
// Changes are measured in the metric's own direction (higher is better for accuracy, auc,
// f1, precision, recall; lower for the losses and errors): a "loss" is a change for the
// worse, a "gain" a change for the better, whichever way the number moves.
struct GateConfig {
  enum class Kind { kMargin, kValue, kChange, kSignificance, kSegments, kBias, kLatency, kSanity };
  Kind kind = Kind::kMargin;
  std::string name;  // unique within the validation section
  int line = 0;      // 1-based line of the gate in the config file (0: the implied margin gate)

  // kMargin, kValue, kChange, kSignificance, kSegments: the metric judged.
  std::string metric;
  // kValue: the candidate's value must be >= at_least and/or <= at_most (at least one).
  std::optional<double> at_least;
  std::optional<double> at_most;
  // kMargin, kChange, kSegments: the largest loss against the champion allowed, in metric
  // units. kChange also: relative loss (fraction of the champion's value), and the smallest
  // gain required, absolute and relative. kChange needs at least one of the four.
  std::optional<double> max_loss;
  std::optional<double> max_relative_loss;
  std::optional<double> min_gain;  // kSignificance: the interval's lower bound of the gain
                                   // must exceed this (default 0: a significant improvement;
                                   // negative: not worse by more than -min_gain)
  std::optional<double> min_relative_gain;

  // kSignificance: delong (auc only), mcnemar (accuracy only) or bootstrap (any metric);
  // default delong for auc, mcnemar for accuracy, bootstrap otherwise. kSignificance and
  // kBias: the two-sided interval level and the bootstrap's resamples and seed.
  std::string test;
  double confidence = 0.95;
  int resamples = 1000;
  uint64_t seed = 0;

  // kSegments: segment columns (default: schema.segments), the rows a segment needs to be
  // judged, and the largest gap between the candidate's best and worst judged segment.
  std::vector<std::string> columns;
  int64_t min_rows = 30;
  std::optional<double> max_gap;

  // kBias (binary only): the protected column (a schema segment), the favourable label
  // (1 = schema.label.positive, the default), and limits on the candidate's gaps.
  std::string column;
  int favourable = 1;
  std::optional<double> max_parity_difference;       // demographic parity difference
  std::optional<double> min_impact_ratio;            // disparate impact ratio
  std::optional<double> max_opportunity_difference;  // equal opportunity difference

  // kLatency: single-row prediction time of the candidate, microseconds: p50 and p99
  // budgets, and the largest ratio to the champion's p50 and p99; `samples` timed calls
  // per model (interleaved, after a warm-up).
  std::optional<double> p50_us;
  std::optional<double> p99_us;
  std::optional<double> max_ratio;
  int samples = 1000;

  // kSanity: NaN or infinite predictions always fail; the predictions' standard deviation
  // must reach min_std (a collapsed model predicts one value); the serialised model must
  // not exceed max_model_bytes.
  double min_std = 1e-6;
  std::optional<int64_t> max_model_bytes;
};

// "margin", "value", "change", "significance", "segments", "bias", "latency", "sanity".
std::string_view GateKindName(GateConfig::Kind kind);

struct ValidationConfig {
  // Candidate and champion are scored on the most recent `holdout_rows` labelled rows that
  // neither trained on. The candidate is promoted unless it is worse than the champion by
  // more than `margin` (in metric units: accuracy points as a fraction, or RMSE units).
  int64_t holdout_rows = 500;  // > 0
  // > 0 (YAML `holdout_last: 3d`, instead of holdout_rows): the holdout is the labelled rows
  // of the last this many seconds (by the data's time) that the champion did not train on.
  int64_t holdout_seconds = 0;
  double margin = 0.0;         // >= 0
  std::string metric;          // default: accuracy (binary) or rmse (regression)
  int64_t min_rows = 50;       // fewer clean holdout rows than this: reject as "not enough data"
  // The gates, in the order they are evaluated. Without `gates:` this is the one margin
  // gate (named "margin": `metric` may not get worse than the champion's by more than
  // `margin`); with `gates:`, the listed ones, preceded by the margin gate only when
  // `margin` is also given.
  std::vector<GateConfig> gates;
};

struct SimulationConfig {
  int64_t label_delay = 0;         // seconds between a prediction and its label
  int64_t initial_rows = 0;        // first training uses the first N rows; 0 = trainer.window rows
  int64_t baseline_every = 7 * 86400;  // interval of the `schedule` baseline
};

// How an approved version reaches production: rollout/rollout_controller.h runs it in
// `mlloop serve`. YAML (every key optional):
//   rollout:
//     strategy: canary             # canary | linear | blue_green | shadow
//     steps: [0.05, 0.25, 0.5]     # canary: the challenger's share of traffic at each step;
//                                  # linear: a count of equal steps (4: 0.25, 0.5, 0.75, 1) or
//                                  # a list; blue_green (all at once) and shadow take none
//     step_duration: 5m            # a step lasts at least this long (0: no time limit) ...
//     step_requests: 0             # ... and until the challenger saw this many requests
//     sticky: {header: X-User-Id}  # or {field: customer_id}: one entity, one version
//     guard:
//       min_requests: 100          # no verdict on a version with fewer requests
//       max_error_rate: 0.01       # the challenger's share of server errors (5xx)
//       max_error_rate_increase: 0.01  # its share of failed requests (4xx and 5xx) above
//                                  # the champion's over the same period
//       max_latency_p99_ratio: 2   # its p99 latency over the champion's (0: off)
//       max_prediction_psi: 0.25   # its live predictions against its predictions on its
//                                  # validation holdout (0: off)
//       metric: accuracy           # online metric, once labels come back: accuracy, rmse, mae
//       max_metric_loss: 0.02      # worse than the champion by more than this: roll back
//       min_labels: 100
//     watch: 30m                   # after promotion, keep judging the new champion against
//                                  # the old one; an alarm rolls back to it (0: no watch)
// After the last step the challenger is promoted; an alarm at any point rolls it back.
struct RolloutConfig {
  enum class Strategy { kCanary, kLinear, kBlueGreen, kShadow };
  Strategy strategy = Strategy::kCanary;
  std::vector<double> steps = {0.05, 0.25, 0.5};  // shares in (0, 1], increasing
  int64_t step_duration = 300;                    // seconds, >= 0
  int64_t step_requests = 0;                      // >= 0; not both 0
  enum class StickySource { kNone, kHeader, kField };
  StickySource sticky_source = StickySource::kNone;
  std::string sticky_name;
  struct Guard {
    int64_t min_requests = 100;
    double max_error_rate = 0.01;
    double max_error_rate_increase = 0.01;
    double max_latency_p99_ratio = 2.0;  // 0: off
    double max_prediction_psi = 0.25;    // 0: off
    std::string metric;                  // default: accuracy (binary) or rmse (regression)
    double max_metric_loss = 0.02;
    int64_t min_labels = 100;
  } guard;
  int64_t watch = 1800;  // seconds, >= 0
  int line = 0;          // where the section's keys begin in the file (0: absent, all defaults)
};
std::string_view RolloutStrategyName(RolloutConfig::Strategy strategy);

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
  RolloutConfig rollout;

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
