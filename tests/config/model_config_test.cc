#include "config/model_config.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>

#include "core/hash.h"
#include "core/time.h"
#include "testutil/testutil.h"

namespace mlloop::config {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

// The full example from the module's brief, every section and every trigger kind.
constexpr std::string_view kFullExample = R"(model: elec2
data:
  path: electricity.csv.gz          # relative to this file's directory
schema:
  features:
    - {name: day, type: categorical}
    - {name: color, type: categorical, categories: [red, green]}
    - nswprice
    - {name: holiday, type: boolean}
  label: {name: class, task: binary, positive: UP, negative: DOWN}
  timestamp: {source: row_index, start: 1996-05-07T00:00:00Z, step: 30m}
  segments: [day]
trainer:
  kind: xgboost
  rounds: 50
  seed: 7
  params: {max_depth: 6, eta: 0.1, subsample: 0.8}
  window: {last_rows: 4000}
monitoring: {metric_window: 1000, drift_window: 2000, psi_bins: 10}
policy:
  tick: 1d
  trigger:
    any:
      - performance: {metric: accuracy, below: 0.75, min_labels: 300}
      - drift: {psi_above: 0.25, min_share: 0.5}
      - new_labels: {at_least: 5000}
      - schedule: {every: 30d}
      - all: [ {new_labels: {at_least: 10}}, {schedule: {every: 1d}} ]
  cooldown: 3d
  budget: {max_retrains: 10, per: 90d}
validation: {holdout_rows: 500, margin: 0.01, metric: accuracy, min_rows: 50}
simulation: {label_delay: 30m, initial_rows: 4000, baseline_every: 7d}
)";

// The smallest valid file: only the required keys.
constexpr std::string_view kMinimal = R"(schema:
  features: [a, b]
  label: {name: y}
)";

constexpr std::string_view kMinimalRegression = R"(schema:
  features: [a, b]
  label: {name: y, task: regression}
)";

Result<ModelConfig> Parse(std::string_view text) { return ParseModelConfig(text, "model.yaml"); }

// Parses `text`, expects InvalidArgument, and returns the message.
std::string ErrorOf(std::string_view text) {
  Result<ModelConfig> cfg = Parse(text);
  EXPECT_FALSE(cfg.ok()) << "parsed without error:\n" << text;
  if (cfg.ok()) return "";
  EXPECT_EQ(cfg.status().code(), StatusCode::kInvalidArgument) << cfg.status().ToString();
  return cfg.status().message();
}

// kMinimal with `extra` appended as more top-level YAML (first extra line is line 4).
std::string MinimalWith(std::string_view extra) {
  return std::string(kMinimal) + std::string(extra);
}

// ---------------------------------------------------------------------------------------------
// Happy paths

TEST(ModelConfigTest, FullExampleParsesToTheRightValues) {
  Result<ModelConfig> r = ParseModelConfig(kFullExample, "examples/elec2/model.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ModelConfig& c = *r;

  EXPECT_EQ(c.name, "elec2");
  EXPECT_EQ(c.path, "examples/elec2/model.yaml");
  EXPECT_EQ(c.text, kFullExample);
  EXPECT_EQ(c.config_hash, core::Sha256Hex(kFullExample));
  EXPECT_EQ(c.data_path, "examples/elec2/electricity.csv.gz");

  ASSERT_EQ(c.schema.features.size(), 4u);
  EXPECT_EQ(c.schema.features[0].name, "day");
  EXPECT_EQ(c.schema.features[0].type, core::FeatureType::kCategorical);
  EXPECT_TRUE(c.schema.features[0].categories.empty());
  EXPECT_EQ(c.schema.features[1].name, "color");
  EXPECT_EQ(c.schema.features[1].categories, (std::vector<std::string>{"red", "green"}));
  EXPECT_EQ(c.schema.features[2].name, "nswprice");
  EXPECT_EQ(c.schema.features[2].type, core::FeatureType::kNumeric);
  EXPECT_EQ(c.schema.features[3].type, core::FeatureType::kBoolean);
  EXPECT_EQ(c.schema.label.name, "class");
  EXPECT_EQ(c.schema.label.task, core::Task::kBinaryClassification);
  EXPECT_EQ(c.schema.label.positive, "UP");
  EXPECT_EQ(c.schema.label.negative, "DOWN");
  EXPECT_EQ(c.schema.timestamp.source, core::TimestampSpec::Source::kRowIndex);
  EXPECT_EQ(c.schema.timestamp.start, *core::ParseTimestamp("1996-05-07T00:00:00Z"));
  EXPECT_EQ(c.schema.timestamp.step, 1800);
  EXPECT_EQ(c.schema.segments, (std::vector<std::string>{"day"}));

  EXPECT_EQ(c.trainer.kind, "xgboost");
  EXPECT_EQ(c.trainer.rounds, 50);
  EXPECT_EQ(c.trainer.seed, 7u);
  EXPECT_EQ(c.trainer.params.at("max_depth"), "6");
  EXPECT_EQ(c.trainer.params.at("eta"), "0.1");  // the file's value wins over the default
  EXPECT_EQ(c.trainer.params.at("subsample"), "0.8");
  EXPECT_EQ(c.trainer.params.at("objective"), "binary:logistic");
  EXPECT_EQ(c.trainer.params.at("tree_method"), "hist");
  EXPECT_EQ(c.trainer.params.at("nthread"), "1");
  EXPECT_EQ(c.trainer.params.count("seed"), 0u);
  EXPECT_EQ(c.trainer.window.kind, TrainingWindow::Kind::kLastRows);
  EXPECT_EQ(c.trainer.window.rows, 4000);

  EXPECT_EQ(c.monitoring.metric_window, 1000);
  EXPECT_EQ(c.monitoring.drift_window, 2000);
  EXPECT_EQ(c.monitoring.psi_bins, 10);

  EXPECT_EQ(c.policy.tick, 86400);
  EXPECT_EQ(c.policy.cooldown, 3 * 86400);
  EXPECT_EQ(c.policy.max_retrains, 10);
  EXPECT_EQ(c.policy.budget_period, 90 * 86400);
  const Trigger& t = c.policy.trigger;
  EXPECT_EQ(t.kind, Trigger::Kind::kAny);
  EXPECT_EQ(t.line, 23);  // the line of `any:`
  ASSERT_EQ(t.children.size(), 5u);
  EXPECT_EQ(t.children[0].kind, Trigger::Kind::kPerformance);
  EXPECT_EQ(t.children[0].metric, "accuracy");
  EXPECT_DOUBLE_EQ(t.children[0].threshold, 0.75);
  EXPECT_EQ(t.children[0].min_labels, 300);
  EXPECT_EQ(t.children[0].line, 24);
  EXPECT_EQ(t.children[1].kind, Trigger::Kind::kDrift);
  EXPECT_DOUBLE_EQ(t.children[1].psi_above, 0.25);
  EXPECT_DOUBLE_EQ(t.children[1].min_share, 0.5);
  EXPECT_EQ(t.children[1].line, 25);
  EXPECT_EQ(t.children[2].kind, Trigger::Kind::kNewLabels);
  EXPECT_EQ(t.children[2].at_least, 5000);
  EXPECT_EQ(t.children[3].kind, Trigger::Kind::kSchedule);
  EXPECT_EQ(t.children[3].every, 30 * 86400);
  EXPECT_EQ(t.children[4].kind, Trigger::Kind::kAll);
  EXPECT_EQ(t.children[4].line, 28);
  ASSERT_EQ(t.children[4].children.size(), 2u);
  EXPECT_EQ(t.children[4].children[0].at_least, 10);
  EXPECT_EQ(t.children[4].children[0].line, 28);
  EXPECT_EQ(t.children[4].children[1].every, 86400);

  EXPECT_EQ(c.validation.holdout_rows, 500);
  EXPECT_DOUBLE_EQ(c.validation.margin, 0.01);
  EXPECT_EQ(c.validation.metric, "accuracy");
  EXPECT_EQ(c.validation.min_rows, 50);

  EXPECT_EQ(c.simulation.label_delay, 1800);
  EXPECT_EQ(c.simulation.initial_rows, 4000);
  EXPECT_EQ(c.simulation.baseline_every, 7 * 86400);

  EXPECT_EQ(TriggerToString(t),
            "any(performance(accuracy < 0.75, n>=300), drift(psi > 0.25 on >= 50% of features), "
            "new_labels(>= 5000), schedule(every 30d), "
            "all(new_labels(>= 10), schedule(every 1d)))");
}

TEST(ModelConfigTest, MinimalBinaryConfigGetsEveryDefault) {
  Result<ModelConfig> r = Parse(kMinimal);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const ModelConfig& c = *r;
  EXPECT_EQ(c.name, "model");
  EXPECT_EQ(c.data_path, "");  // allowed here; commands that need data report it
  EXPECT_EQ(c.schema.features.size(), 2u);
  EXPECT_EQ(c.schema.label.positive, "1");
  EXPECT_EQ(c.schema.label.negative, "0");
  EXPECT_EQ(c.schema.timestamp.source, core::TimestampSpec::Source::kRowIndex);
  EXPECT_EQ(c.schema.timestamp.step, 1);

  EXPECT_EQ(c.trainer.kind, "xgboost");
  EXPECT_EQ(c.trainer.rounds, 100);
  EXPECT_EQ(c.trainer.seed, 42u);
  EXPECT_EQ(c.trainer.params, (std::map<std::string, std::string>{{"objective", "binary:logistic"},
                                                                  {"tree_method", "hist"},
                                                                  {"max_depth", "6"},
                                                                  {"eta", "0.3"},
                                                                  {"nthread", "1"}}));
  EXPECT_EQ(c.trainer.window.kind, TrainingWindow::Kind::kLastRows);
  EXPECT_EQ(c.trainer.window.rows, 5000);
  EXPECT_EQ(c.monitoring.metric_window, 1000);
  EXPECT_EQ(c.monitoring.drift_window, 2000);
  EXPECT_EQ(c.monitoring.psi_bins, 10);
  EXPECT_EQ(c.policy.tick, 86400);
  EXPECT_EQ(c.policy.cooldown, 0);
  EXPECT_EQ(c.policy.max_retrains, 0);
  EXPECT_EQ(c.policy.budget_period, 30 * 86400);
  EXPECT_EQ(c.policy.trigger.kind, Trigger::Kind::kPerformance);
  EXPECT_EQ(c.policy.trigger.metric, "accuracy");
  EXPECT_DOUBLE_EQ(c.policy.trigger.threshold, 0.7);
  EXPECT_EQ(c.policy.trigger.min_labels, 200);
  EXPECT_EQ(TriggerToString(c.policy.trigger), "performance(accuracy < 0.7, n>=200)");
  EXPECT_EQ(c.DefaultMetric(), "accuracy");
  EXPECT_EQ(c.validation.metric, "accuracy");
  EXPECT_EQ(c.validation.holdout_rows, 500);
  EXPECT_DOUBLE_EQ(c.validation.margin, 0.0);
  EXPECT_EQ(c.validation.min_rows, 50);
  EXPECT_EQ(c.simulation.label_delay, 0);
  EXPECT_EQ(c.simulation.initial_rows, 0);
  EXPECT_EQ(c.simulation.baseline_every, 7 * 86400);
}

TEST(ModelConfigTest, RegressionDefaultsUseRmseAndNewLabels) {
  Result<ModelConfig> r = Parse(kMinimalRegression);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->DefaultMetric(), "rmse");
  EXPECT_EQ(r->validation.metric, "rmse");
  EXPECT_EQ(r->trainer.params.at("objective"), "reg:squarederror");
  EXPECT_EQ(r->policy.trigger.kind, Trigger::Kind::kNewLabels);
  EXPECT_EQ(r->policy.trigger.at_least, 1000);
  EXPECT_EQ(TriggerToString(r->policy.trigger), "new_labels(>= 1000)");
}

TEST(ModelConfigTest, PerformanceTriggerMetricDefaultsFromTheTask) {
  Result<ModelConfig> r =
      Parse(std::string(kMinimalRegression) + "policy: {trigger: {performance: {above: 40}}}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->policy.trigger.kind, Trigger::Kind::kPerformance);
  EXPECT_EQ(r->policy.trigger.metric, "rmse");
  EXPECT_DOUBLE_EQ(r->policy.trigger.threshold, 40);
  EXPECT_EQ(r->policy.trigger.line, 4);
  EXPECT_EQ(TriggerToString(r->policy.trigger), "performance(rmse > 40, n>=200)");
}

TEST(ModelConfigTest, EmptySectionsReadAsDefaults) {
  Result<ModelConfig> r = Parse(MinimalWith("trainer:\nmonitoring:\npolicy: {}\n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->trainer.rounds, 100);
  EXPECT_EQ(r->policy.trigger.kind, Trigger::Kind::kPerformance);
}

TEST(ModelConfigTest, ShortFormsForLabelTimestampAndLeafTrigger) {
  Result<ModelConfig> r = Parse(R"(schema:
  features: [a]
  label: y
  timestamp: ts
policy:
  trigger:
    drift: {psi_above: 0.3}
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->schema.label.name, "y");
  EXPECT_EQ(r->schema.timestamp.source, core::TimestampSpec::Source::kColumn);
  EXPECT_EQ(r->schema.timestamp.column, "ts");
  EXPECT_EQ(r->policy.trigger.kind, Trigger::Kind::kDrift);
  EXPECT_EQ(r->policy.trigger.line, 7);
  EXPECT_DOUBLE_EQ(r->policy.trigger.min_share, 0.3);  // default kept
  EXPECT_EQ(TriggerToString(r->policy.trigger), "drift(psi > 0.3 on >= 30% of features)");
}

TEST(ModelConfigTest, TimestampColumnSource) {
  Result<ModelConfig> r = Parse(R"(schema:
  features: [a]
  label: {name: y}
  timestamp: {source: column, column: when}
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->schema.timestamp.source, core::TimestampSpec::Source::kColumn);
  EXPECT_EQ(r->schema.timestamp.column, "when");
}

TEST(ModelConfigTest, TimestampColumnWithAnHourOffset) {
  Result<ModelConfig> r = Parse(R"(schema:
  features: [hr, temp]
  label: {name: cnt, task: regression}
  timestamp: {column: dteday, offset_column: hr, offset_unit: 1h}
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->schema.timestamp.column, "dteday");
  EXPECT_EQ(r->schema.timestamp.offset_column, "hr");  // may also be a feature
  EXPECT_EQ(r->schema.timestamp.offset_unit, 3600);
}

TEST(ModelConfigErrorTest, TimestampOffsetErrors) {
  EXPECT_EQ(ErrorOf("schema:\n  features: [a]\n  label: y\n  timestamp: {offset_unit: 1h, "
                    "column: t}\n"),
            "model.yaml:4: schema.timestamp.offset_unit: only allowed with offset_column");
  EXPECT_EQ(ErrorOf("schema:\n  features: [a]\n  label: y\n  timestamp: {offset_column: h}\n"),
            "model.yaml:4: schema.timestamp.offset_column: only allowed with source: column");
  EXPECT_EQ(ErrorOf("schema:\n  features: [a]\n  label: y\n  timestamp: {column: t, "
                    "offset_column: y}\n"),
            "model.yaml:4: schema.timestamp: offset_column 'y' is the label column");
  EXPECT_EQ(ErrorOf("schema:\n  features: [a]\n  label: y\n  timestamp: {column: t, "
                    "offset_column: t}\n"),
            "model.yaml:4: schema.timestamp.offset_column: 't' is the timestamp column itself "
            "(expected another column)");
}

TEST(ModelConfigTest, DurationsAcceptBareSeconds) {
  Result<ModelConfig> r =
      Parse(MinimalWith("policy: {tick: 3600, cooldown: 0}\nsimulation: {label_delay: 90}\n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->policy.tick, 3600);
  EXPECT_EQ(r->policy.cooldown, 0);
  EXPECT_EQ(r->simulation.label_delay, 90);
}

TEST(ModelConfigTest, ParamsKeepScalarTextOfAnyType) {
  Result<ModelConfig> r =
      Parse(MinimalWith("trainer: {params: {objective: 'reg:logistic', eta: 1e-2, "
                        "one_drop: true, max_depth: 3}}\n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->trainer.params.at("objective"), "reg:logistic");
  EXPECT_EQ(r->trainer.params.at("eta"), "1e-2");
  EXPECT_EQ(r->trainer.params.at("one_drop"), "true");
  EXPECT_EQ(r->trainer.params.at("max_depth"), "3");
  EXPECT_EQ(r->trainer.params.at("nthread"), "1");
}

TEST(ModelConfigTest, SegmentsMayAlsoBeFeatures) {
  Result<ModelConfig> r = Parse(R"(schema:
  features: [a, b]
  label: {name: y}
  segments: [a, region]
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->schema.segments, (std::vector<std::string>{"a", "region"}));
}

// ---------------------------------------------------------------------------------------------
// Training windows

TEST(TrainingWindowTest, ParsesEachKindAndDescribesIt) {
  struct Case {
    std::string yaml;
    TrainingWindow::Kind kind;
    std::string description;
  };
  const Case cases[] = {
      {"{last_rows: 4000}", TrainingWindow::Kind::kLastRows, "last 4000 rows"},
      {"{last: 30d}", TrainingWindow::Kind::kLastDuration, "last 30d"},
      {"{last: 36h}", TrainingWindow::Kind::kLastDuration, "last 1d12h"},
      {"{last: 90m}", TrainingWindow::Kind::kLastDuration, "last 1h30m"},
      {"{since: 1997-01-01}", TrainingWindow::Kind::kSince, "since 1997-01-01T00:00:00Z"},
      {"{all: true}", TrainingWindow::Kind::kAll, "all"},
  };
  for (const Case& c : cases) {
    Result<ModelConfig> r = Parse(MinimalWith("trainer: {window: " + c.yaml + "}\n"));
    ASSERT_TRUE(r.ok()) << c.yaml << ": " << r.status().ToString();
    EXPECT_EQ(r->trainer.window.kind, c.kind) << c.yaml;
    EXPECT_EQ(r->trainer.window.Describe(), c.description) << c.yaml;
  }
  EXPECT_EQ(TrainingWindow{}.Describe(), "last 5000 rows");
}

TEST(TrainingWindowTest, NeedsExactlyOneKey) {
  EXPECT_EQ(ErrorOf(MinimalWith("trainer:\n  window: {last_rows: 10, last: 1d}\n")),
            "model.yaml:5: trainer.window: expected exactly one of last_rows, last, since, all; "
            "got last_rows and last");
  EXPECT_THAT(ErrorOf(MinimalWith("trainer:\n  window: {}\n")),
              StartsWith("model.yaml:5: trainer.window: expected exactly one of"));
  EXPECT_EQ(ErrorOf(MinimalWith("trainer:\n  window: {all: false}\n")),
            "model.yaml:5: trainer.window.all: expected true (train on every labelled row), "
            "got 'false'");
}

constexpr std::string_view kDetectorPolicy = "policy: {trigger: {detector: {name: adwin}}}\n";

TEST(TrainingWindowTest, SinceChangeAndRecencyWeightsAreOptions) {
  Result<ModelConfig> r = Parse(MinimalWith(
      "trainer:\n  window:\n    last_rows: 4000\n"
      "    since_change: {wait_labels: 150, min_rows: 300, refresh_labels: 1000}\n"
      "    recency_half_life: 800\n" + std::string(kDetectorPolicy)));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const TrainingWindow& w = r->trainer.window;
  EXPECT_EQ(w.kind, TrainingWindow::Kind::kLastRows);
  EXPECT_EQ(w.rows, 4000);
  ASSERT_TRUE(w.since_change.has_value());
  EXPECT_EQ(w.since_change->wait_labels, 150);
  EXPECT_EQ(w.since_change->min_rows, 300);
  EXPECT_EQ(w.since_change->refresh_labels, 1000);
  EXPECT_EQ(w.since_change->line, 7);
  EXPECT_EQ(w.recency_half_life, 800);
  EXPECT_EQ(w.Describe(),
            "last 4000 rows; since a detected change (wait for 150 labels, at least 300 rows, "
            "refresh after 1000); recency half-life 800 rows");

  Result<ModelConfig> defaults = Parse(MinimalWith(
      "trainer: {window: {last: 30d, since_change: {}}}\n" + std::string(kDetectorPolicy)));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->trainer.window.since_change->wait_labels, 200);
  EXPECT_EQ(defaults->trainer.window.since_change->min_rows, 0);
  EXPECT_EQ(defaults->trainer.window.since_change->refresh_labels, 0);
  EXPECT_EQ(defaults->trainer.window.recency_half_life, 0);
  EXPECT_EQ(defaults->trainer.window.Describe(), "last 30d; since a detected change (wait for 200 labels)");
}

TEST(TrainingWindowTest, SinceChangeErrors) {
  // Only a detector says where a change began.
  EXPECT_EQ(ErrorOf(MinimalWith("trainer:\n  window: {last_rows: 10, since_change: {}}\n")),
            "model.yaml:5: trainer.window.since_change: needs a detector trigger in "
            "policy.trigger (only a detector locates where a change began)");
  EXPECT_EQ(ErrorOf(MinimalWith("trainer:\n  window:\n    last_rows: 10\n"
                                "    since_change: {wait_labels: 100, refresh_labels: 100}\n" +
                                std::string(kDetectorPolicy))),
            "model.yaml:7: trainer.window.since_change.refresh_labels: expected 0 (no refresh) "
            "or more than wait_labels (100), got 100");
  EXPECT_THAT(ErrorOf(MinimalWith("trainer:\n  window: {last_rows: 10, since_change: {wait: 5}}\n" +
                                  std::string(kDetectorPolicy))),
              StartsWith("model.yaml:5: trainer.window.since_change.wait: unknown key"));
  EXPECT_EQ(ErrorOf(MinimalWith("trainer:\n  window: {since_change: {}}\n" +
                                std::string(kDetectorPolicy))),
            "model.yaml:5: trainer.window: expected exactly one of last_rows, last, since, all; "
            "got only since_change");
  EXPECT_THAT(ErrorOf(MinimalWith("trainer:\n  window: {last_rows: 10, recency_half_life: -1}\n")),
              StartsWith("model.yaml:5: trainer.window.recency_half_life: expected a non-negative "
                         "number of rows"));
}

TEST(ModelConfigTest, EstimatedPerformanceTrigger) {
  Result<ModelConfig> r = Parse(MinimalWith(
      "policy:\n  trigger:\n    estimated_performance: {metric: f1, below: 0.7, window: 300, "
      "reference: 800}\n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Trigger& t = r->policy.trigger;
  EXPECT_EQ(t.kind, Trigger::Kind::kEstimatedPerformance);
  EXPECT_EQ(t.metric, "f1");
  EXPECT_DOUBLE_EQ(t.threshold, 0.7);
  EXPECT_EQ(t.estimate_window, 300);
  EXPECT_EQ(t.reference_labels, 800);
  EXPECT_EQ(t.line, 6);

  Result<ModelConfig> defaults =
      Parse(MinimalWith("policy: {trigger: {estimated_performance: {below: 0.8}}}\n"));
  ASSERT_TRUE(defaults.ok()) << defaults.status().ToString();
  EXPECT_EQ(defaults->policy.trigger.metric, "accuracy");
  EXPECT_EQ(defaults->policy.trigger.estimate_window, 500);
  EXPECT_EQ(defaults->policy.trigger.reference_labels, 1000);
}

TEST(ModelConfigErrorTest, EstimatedPerformanceErrors) {
  EXPECT_EQ(ErrorOf(MinimalWith("policy: {trigger: {estimated_performance: {metric: auc}}}\n")),
            "model.yaml:4: policy.trigger.estimated_performance.below: required key is missing "
            "(expected the metric's lowest acceptable estimate)");
  EXPECT_THAT(ErrorOf(MinimalWith("policy: {trigger: {estimated_performance: {below: 0.8, "
                                  "metric: rmse}}}\n")),
              StartsWith("model.yaml:4: policy.trigger.estimated_performance.metric: expected one of"));
  EXPECT_THAT(ErrorOf(std::string(kMinimalRegression) +
                      "policy: {trigger: {estimated_performance: {below: 0.8}}}\n"),
              HasSubstr("estimates a binary classifier's metrics (CBPE); this model is regression"));
  EXPECT_THAT(ErrorOf(MinimalWith("policy: {trigger: {estimated_performance: {below: 0.8, "
                                  "window: 5}}}\n")),
              HasSubstr("window: expected an integer from 10 to 10000000, got 5"));
}

// ---------------------------------------------------------------------------------------------
// Error classes: each names file, line and key path.

TEST(ModelConfigErrorTest, UnknownKeyListsTheExpectedOnes) {
  EXPECT_EQ(ErrorOf(MinimalWith("trainer:\n  rounds: 5\n  raunds: 50\n")),
            "model.yaml:6: trainer.raunds: unknown key (expected one of: kind, rounds, seed, "
            "params, window)");
  EXPECT_EQ(ErrorOf(MinimalWith("modle: x\n")),
            "model.yaml:4: modle: unknown key (expected one of: model, data, schema, trainer, "
            "monitoring, policy, validation, simulation, approval, rollout)");
}

TEST(ModelConfigErrorTest, DuplicateKey) {
  EXPECT_EQ(ErrorOf(MinimalWith("trainer:\n  rounds: 5\n  rounds: 6\n")),
            "model.yaml:6: trainer.rounds: duplicate key");
}

TEST(ModelConfigErrorTest, WrongTypeQuotesTheValue) {
  EXPECT_EQ(ErrorOf(MinimalWith("trainer:\n  rounds: many\n")),
            "model.yaml:5: trainer.rounds: expected a positive integer, got 'many'");
  EXPECT_EQ(ErrorOf(MinimalWith("trainer:\n  rounds: 0\n")),
            "model.yaml:5: trainer.rounds: expected a positive integer, got 0");
  EXPECT_EQ(ErrorOf(MinimalWith("trainer:\n  rounds: [1]\n")),
            "model.yaml:5: trainer.rounds: expected a positive integer, got a list");
  EXPECT_EQ(ErrorOf(MinimalWith("monitoring: {psi_bins: 1}\n")),
            "model.yaml:4: monitoring.psi_bins: expected an integer in [2, 100], got 1");
  EXPECT_EQ(ErrorOf(MinimalWith("trainer: {params: {max_depth: [1, 2]}}\n")),
            "model.yaml:4: trainer.params.max_depth: expected a number, string or boolean, got "
            "a list");
  EXPECT_EQ(ErrorOf(MinimalWith("trainer: {kind: lightgbm}\n")),
            "model.yaml:4: trainer.kind: expected one of (xgboost), got 'lightgbm'");
  EXPECT_EQ(ErrorOf(MinimalWith("model: my model\n")),
            "model.yaml:4: model: expected a name of letters, digits, '_', '-' or '.', got "
            "'my model'");
}

TEST(ModelConfigErrorTest, SeedBelongsOutsideParams) {
  EXPECT_THAT(ErrorOf(MinimalWith("trainer:\n  params: {seed: 3}\n")),
              StartsWith("model.yaml:5: trainer.params.seed: the seed is set by trainer.seed"));
}

TEST(ModelConfigErrorTest, BadDurationAndTimestamp) {
  EXPECT_EQ(ErrorOf(MinimalWith("policy:\n  tick: soon\n")),
            "model.yaml:5: policy.tick: expected a positive duration such as 90s, 30m, 6h, 7d or "
            "2w, got 'soon'");
  EXPECT_EQ(ErrorOf(MinimalWith("policy:\n  tick: 0\n")),
            "model.yaml:5: policy.tick: expected a positive duration such as 90s, 30m, 6h, 7d or "
            "2w, got 0");
  EXPECT_EQ(ErrorOf(MinimalWith("policy:\n  cooldown: -1d\n")),
            "model.yaml:5: policy.cooldown: expected a duration such as 0, 90s, 30m, 6h, 7d or "
            "2w, got '-1d'");
  EXPECT_EQ(ErrorOf(MinimalWith("trainer:\n  window: {since: yesterday}\n")),
            "model.yaml:5: trainer.window.since: expected a timestamp (YYYY-MM-DD, "
            "YYYY-MM-DDTHH:MM:SSZ or Unix seconds), got 'yesterday'");
}

TEST(ModelConfigErrorTest, ImpossibleValueInANestedTrigger) {
  const std::string yaml = MinimalWith(R"(policy:
  trigger:
    any:
      - new_labels: {at_least: 10}
      - drift: {psi_above: 0.2, min_share: 1.5}
)");
  EXPECT_EQ(ErrorOf(yaml),
            "model.yaml:8: policy.trigger.any[1].drift.min_share: expected a number in (0, 1], "
            "got 1.5");
  EXPECT_EQ(ErrorOf(MinimalWith("policy: {trigger: {drift: {psi_above: high}}}\n")),
            "model.yaml:4: policy.trigger.drift.psi_above: expected a number greater than 0, "
            "got 'high'");
}

TEST(ModelConfigErrorTest, DeeplyNestedTriggerPathAndLine) {
  const std::string yaml = MinimalWith(R"(policy:
  trigger:
    all:
      - schedule: {every: 1d}
      - any:
          - new_labels: {at_least: 5}
          - schedule: {every: never}
)");
  EXPECT_EQ(ErrorOf(yaml),
            "model.yaml:10: policy.trigger.all[1].any[1].schedule.every: expected a positive "
            "duration such as 90s, 30m, 6h, 7d or 2w, got 'never'");
}

TEST(ModelConfigErrorTest, PerformanceDirectionMustMatchTheMetric) {
  EXPECT_EQ(ErrorOf(MinimalWith("policy: {trigger: {performance: {metric: accuracy, above: "
                                "0.8}}}\n")),
            "model.yaml:4: policy.trigger.performance.above: accuracy is higher-is-better, so its "
            "trigger fires when it drops below a threshold (expected below: <threshold>)");
  EXPECT_EQ(ErrorOf(std::string(kMinimalRegression) +
                    "policy:\n  trigger:\n    performance:\n      metric: rmse\n      below: 3\n"),
            "model.yaml:8: policy.trigger.performance.below: rmse is lower-is-better, so its "
            "trigger fires when it rises above a threshold (expected above: <threshold>)");
  EXPECT_THAT(ErrorOf(MinimalWith("policy:\n  trigger:\n    performance: {min_labels: 5}\n")),
              StartsWith("model.yaml:6: policy.trigger.performance.below: required key is "
                         "missing (expected below: <threshold>; accuracy is higher-is-better"));
  EXPECT_EQ(ErrorOf(MinimalWith("policy: {trigger: {performance: {below: 70}}}\n")),
            "model.yaml:4: policy.trigger.performance.below: expected a number in (0, 1], got 70");
}

TEST(ModelConfigErrorTest, UnknownMetricListsTheKnownOnes) {
  EXPECT_EQ(ErrorOf(MinimalWith("validation: {metric: acc}\n")),
            "model.yaml:4: validation.metric: expected one of (accuracy, auc, f1, precision, "
            "recall, log_loss, brier, rmse, mae, mape), got 'acc'");
}

TEST(ModelConfigErrorTest, MetricMustSuitTheTask) {
  EXPECT_EQ(ErrorOf(MinimalWith("validation:\n  metric: rmse\n")),
            "model.yaml:5: validation.metric: 'rmse' is a regression metric but "
            "schema.label.task is binary (expected one of: accuracy, auc, f1, precision, recall, "
            "log_loss, brier)");
  EXPECT_EQ(ErrorOf(std::string(kMinimalRegression) +
                    "policy: {trigger: {performance: {metric: auc, below: 0.7}}}\n"),
            "model.yaml:4: policy.trigger.performance.metric: 'auc' is a binary classification "
            "metric but schema.label.task is regression (expected one of: rmse, mae, mape)");
}

TEST(ModelConfigErrorTest, EmptyAnyOrAllAndMultiKeyTriggers) {
  EXPECT_EQ(ErrorOf(MinimalWith("policy:\n  trigger:\n    any: []\n")),
            "model.yaml:6: policy.trigger.any: expected a non-empty list of triggers, got an "
            "empty list");
  EXPECT_EQ(ErrorOf(MinimalWith("policy:\n  trigger:\n    all:\n")),
            "model.yaml:6: policy.trigger.all: expected a non-empty list of triggers, got "
            "nothing");
  EXPECT_THAT(ErrorOf(MinimalWith("policy:\n  trigger:\n    drift: {}\n    schedule: {}\n")),
              StartsWith("model.yaml:6: policy.trigger: expected exactly one of any, all, "));
  EXPECT_THAT(ErrorOf(MinimalWith("policy:\n  trigger:\n    any: [{drfit: {}}]\n")),
              StartsWith("model.yaml:6: policy.trigger.any[0].drfit: unknown key (expected one "
                         "of: any, all, performance, drift, new_labels, schedule, detector, "
                         "estimated_performance)"));
}

TEST(ModelConfigErrorTest, MissingRequiredKeysNameTheParentLine) {
  EXPECT_EQ(ErrorOf("model: m\ntrainer: {rounds: 3}\n"),
            "model.yaml:1: schema: required key is missing (expected a mapping with features "
            "and label)");
  EXPECT_EQ(ErrorOf("model: m\nschema:\n  label: {name: y}\n"),
            "model.yaml:3: schema.features: required key is missing (expected a non-empty list "
            "of features)");
  EXPECT_EQ(ErrorOf("model: m\nschema:\n  features: [a]\n"),
            "model.yaml:3: schema.label: required key is missing (expected a mapping {name, "
            "task, positive, negative})");
  EXPECT_EQ(ErrorOf("schema:\n  features: [a]\n  label:\n    task: binary\n"),
            "model.yaml:4: schema.label.name: required key is missing (expected the label "
            "column's name)");
  EXPECT_EQ(ErrorOf("schema:\n  features: []\n  label: y\n"),
            "model.yaml:2: schema.features: expected a non-empty list of features, got an empty "
            "list");
  EXPECT_EQ(ErrorOf("schema:\n"),
            "model.yaml:1: schema.features: required key is missing (expected a non-empty list "
            "of features)");
}

TEST(ModelConfigErrorTest, SchemaCollisions) {
  EXPECT_EQ(ErrorOf("schema:\n  features: [a, b, a]\n  label: y\n"),
            "model.yaml:2: schema.features[2]: duplicate feature 'a' (first listed on line 2)");
  EXPECT_EQ(ErrorOf("schema:\n  features:\n    - a\n    - {name: a, type: boolean}\n  label: y\n"),
            "model.yaml:4: schema.features[1]: duplicate feature 'a' (first listed on line 3)");
  EXPECT_EQ(ErrorOf("schema:\n  features: [a, y]\n  label: {name: y}\n"),
            "model.yaml:3: schema.label.name: 'y' is also listed as a feature (expected the "
            "label to be a separate column)");
  EXPECT_THAT(ErrorOf("schema:\n  features: [a]\n  label: y\n  timestamp: {column: a}\n"),
              StartsWith("model.yaml:4: schema.timestamp: 'a' is also listed as a feature"));
  EXPECT_THAT(ErrorOf("schema:\n  features: [a]\n  label: y\n  timestamp: y\n"),
              StartsWith("model.yaml:4: schema.timestamp: 'y' is the label column"));
  EXPECT_THAT(ErrorOf("schema:\n  features: [a]\n  label: y\n  segments: [a, y]\n"),
              StartsWith("model.yaml:4: schema.segments[1]: 'y' is the label"));
  EXPECT_EQ(ErrorOf("schema:\n  features: [a]\n  label: y\n  segments: [a, a]\n"),
            "model.yaml:4: schema.segments[1]: duplicate segment 'a'");
}

TEST(ModelConfigErrorTest, SchemaValueErrors) {
  EXPECT_EQ(ErrorOf("schema:\n  features:\n    - {name: a, type: text}\n  label: y\n"),
            "model.yaml:3: schema.features[0].type: expected one of (numeric, categorical, "
            "boolean), got 'text'");
  EXPECT_EQ(ErrorOf("schema:\n  features:\n    - {name: a, categories: [x]}\n  label: y\n"),
            "model.yaml:3: schema.features[0].categories: only allowed with type: categorical");
  EXPECT_EQ(ErrorOf("schema:\n  features: [a]\n  label: {name: y, task: classification}\n"),
            "model.yaml:3: schema.label.task: expected one of (binary, regression), got "
            "'classification'");
  EXPECT_EQ(ErrorOf("schema:\n  features: [a]\n  label: {name: y, task: regression, "
                    "positive: up}\n"),
            "model.yaml:3: schema.label.positive: only allowed with task: binary");
  EXPECT_THAT(ErrorOf("schema:\n  features: [a]\n  label: {name: y, positive: 0}\n"),
              StartsWith("model.yaml:3: schema.label.positive: positive and negative are both"));
  EXPECT_EQ(ErrorOf("schema:\n  features: [a]\n  label: y\n  timestamp: {step: 30m, "
                    "column: t}\n"),
            "model.yaml:4: schema.timestamp.step: only allowed with source: row_index");
  EXPECT_EQ(ErrorOf("schema:\n  features: [a]\n  label: y\n  timestamp: {source: column}\n"),
            "model.yaml:4: schema.timestamp.column: required key is missing (expected the "
            "timestamp column's name)");
}

TEST(ModelConfigTest, HoldoutAsATimeRange) {
  Result<ModelConfig> r = Parse(MinimalWith("validation: {holdout_last: 3d, min_rows: 800}\n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->validation.holdout_seconds, 3 * 86400);
  EXPECT_EQ(r->validation.min_rows, 800);  // not held against holdout_rows
  EXPECT_EQ(ErrorOf(MinimalWith("validation: {holdout_rows: 100, holdout_last: 3d}\n")),
            "model.yaml:4: validation.holdout_last: expected one of holdout_rows and "
            "holdout_last, not both");
  EXPECT_THAT(ErrorOf(MinimalWith("validation: {holdout_last: soon}\n")),
              StartsWith("model.yaml:4: validation.holdout_last: expected a positive duration"));
}

TEST(ModelConfigErrorTest, ValidationMinRowsCannotExceedHoldout) {
  EXPECT_EQ(ErrorOf(MinimalWith("validation:\n  holdout_rows: 20\n")),
            "model.yaml:5: validation.holdout_rows: min_rows (50) is larger than holdout_rows "
            "(20) (expected min_rows <= holdout_rows)");
  EXPECT_EQ(ErrorOf(MinimalWith("validation: {margin: -0.1}\n")),
            "model.yaml:4: validation.margin: expected a number >= 0, got -0.1");
}

TEST(ModelConfigErrorTest, YamlSyntaxErrorNamesFileAndLine) {
  EXPECT_EQ(ErrorOf("model: m\nschema: {features: [a, b\ntrainer: {}\n"),
            "model.yaml:3: invalid YAML: end of sequence flow not found");
  EXPECT_THAT(ErrorOf("model: m\n\tschema: x\n"), StartsWith("model.yaml:2: invalid YAML: "));
}

TEST(ModelConfigErrorTest, EmptyFileOrNonMappingTopLevel) {
  EXPECT_EQ(ErrorOf(""),
            "model.yaml:1: the file is empty (expected a mapping with at least schema)");
  EXPECT_EQ(ErrorOf("# only a comment\n"),
            "model.yaml:1: the file is empty (expected a mapping with at least schema)");
  EXPECT_THAT(ErrorOf("- a\n- b\n"),
              StartsWith("model.yaml:1: expected a mapping with keys model, data, schema"));
  EXPECT_THAT(ErrorOf("just text\n"), HasSubstr("got 'just text'"));
  EXPECT_THAT(ErrorOf(std::string(kMinimal) + "---\nmodel: other\n"),
              StartsWith("model.yaml:5: more than one YAML document"));
}

// ---------------------------------------------------------------------------------------------
// Files

TEST(LoadModelConfigTest, ResolvesRelativeDataPathAgainstTheFilesDirectory) {
  testutil::TempDir dir;
  const std::string path = dir.File("model.yaml");
  const std::string text = "data: {path: data/rows.csv}\n" + std::string(kMinimal);
  testutil::WriteFile(path, text);
  Result<ModelConfig> r = LoadModelConfig(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->path, path);
  EXPECT_EQ(r->text, text);
  EXPECT_EQ(r->config_hash, core::Sha256Hex(text));
  EXPECT_EQ(r->data_path, (dir.path() / "data" / "rows.csv").string());
}

TEST(LoadModelConfigTest, KeepsAbsoluteDataPath) {
  testutil::TempDir dir;
  const std::string path = dir.File("model.yaml");
  testutil::WriteFile(path, "data: {path: /srv/data/rows.csv}\n" + std::string(kMinimal));
  Result<ModelConfig> r = LoadModelConfig(path);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data_path, "/srv/data/rows.csv");
}

TEST(LoadModelConfigTest, BareFileNameKeepsDataPathRelative) {
  Result<ModelConfig> r =
      ParseModelConfig("data: {path: rows.csv}\n" + std::string(kMinimal), "model.yaml");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->data_path, "rows.csv");
}

TEST(LoadModelConfigTest, ErrorsNameTheFileAsGiven) {
  testutil::TempDir dir;
  const std::string path = dir.File("bad.yaml");
  testutil::WriteFile(path, std::string(kMinimal) + "trainer: {rounds: -3}\n");
  Result<ModelConfig> r = LoadModelConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r.status().message(), path + ":4: trainer.rounds: expected a positive integer, got -3");
}

TEST(LoadModelConfigTest, MissingFileIsNotFound) {
  testutil::TempDir dir;
  const std::string path = dir.File("nope.yaml");
  Result<ModelConfig> r = LoadModelConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(r.status().message(), HasSubstr(path));
}

TEST(LoadModelConfigTest, EmptyFileIsInvalid) {
  testutil::TempDir dir;
  const std::string path = dir.File("empty.yaml");
  testutil::WriteFile(path, "");
  Result<ModelConfig> r = LoadModelConfig(path);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(r.status().message(), StartsWith(path + ":1: the file is empty"));
}

// ---------------------------------------------------------------------------------------------
// Metric directions

TEST(HigherIsBetterTest, KnownMetrics) {
  for (const char* m : {"accuracy", "auc", "f1", "precision", "recall"}) {
    EXPECT_TRUE(HigherIsBetter(m)) << m;
  }
  for (const char* m : {"rmse", "mae", "mape", "log_loss", "brier", "unknown"}) {
    EXPECT_FALSE(HigherIsBetter(m)) << m;
  }
}

TEST(ModelConfigTest, ApprovalIsAutoByDefaultAndManualOnRequest) {
  EXPECT_EQ(Parse(kMinimal)->approval, ApprovalMode::kAuto);
  EXPECT_EQ(Parse(MinimalWith("approval: manual\n"))->approval, ApprovalMode::kManual);
  EXPECT_EQ(Parse(MinimalWith("approval: auto\n"))->approval, ApprovalMode::kAuto);
  EXPECT_EQ(ErrorOf(MinimalWith("approval: maybe\n")),
            "model.yaml:4: approval: expected one of (auto, manual), got 'maybe'");
}

}  // namespace
}  // namespace mlloop::config

namespace mlloop::config {
namespace {

TEST(ModelConfigTest, DriftTriggerWithAMethodAndPerFeatureSettings) {
  const std::string yaml = MinimalWith(R"(policy:
  trigger:
    drift:
      method: auto
      threshold: 0.15
      min_share: 0.5
      features: {a: {method: ks, threshold: 0.01}}
)");
  auto r = Parse(yaml);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Trigger& t = r->policy.trigger;
  EXPECT_EQ(t.kind, Trigger::Kind::kDrift);
  EXPECT_EQ(t.method, "auto");
  EXPECT_DOUBLE_EQ(*t.drift_threshold, 0.15);
  ASSERT_EQ(t.drift_features.count("a"), 1u);
  EXPECT_EQ(t.drift_features.at("a").method, "ks");
  EXPECT_DOUBLE_EQ(*t.drift_features.at("a").threshold, 0.01);
  EXPECT_EQ(TriggerToString(t), "drift(auto at 0.15 on >= 50% of features, 1 set per feature)");
}

TEST(ModelConfigErrorTest, DriftTriggerSettingsThatDoNotFit) {
  EXPECT_NE(ErrorOf(MinimalWith("policy: {trigger: {drift: {method: magic}}}\n")).find(
                "policy.trigger.drift.method: expected one of"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(MinimalWith("policy: {trigger: {drift: {method: ks, psi_above: 0.2}}}\n")),
            "model.yaml:4: policy.trigger.drift.psi_above: psi_above applies to method psi; "
            "use threshold");
  EXPECT_EQ(ErrorOf(MinimalWith("policy: {trigger: {drift: {threshold: 0.2}}}\n")),
            "model.yaml:4: policy.trigger.drift.threshold: method psi takes psi_above");
  EXPECT_EQ(ErrorOf(MinimalWith(
                "policy: {trigger: {drift: {method: ks, features: {nope: {method: ks}}}}}\n")),
            "model.yaml:4: policy.trigger.drift.features.nope: not a feature of the schema");
}

}  // namespace
}  // namespace mlloop::config

namespace mlloop::config {
namespace {

TEST(ModelConfigTest, DetectorTrigger) {
  auto r = Parse(MinimalWith(
      "policy: {trigger: {detector: {name: page_hinkley, on: a, params: {threshold: 30}}}}\n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const Trigger& t = r->policy.trigger;
  EXPECT_EQ(t.kind, Trigger::Kind::kDetector);
  EXPECT_EQ(t.detector, "page_hinkley");
  EXPECT_EQ(t.detector_on, "a");
  EXPECT_DOUBLE_EQ(t.detector_params.at("threshold"), 30);
  EXPECT_EQ(TriggerToString(t), "detector(page_hinkley on a)");
  auto errors = Parse(MinimalWith("policy: {trigger: {detector: {name: ddm}}}\n"));
  ASSERT_TRUE(errors.ok());
  EXPECT_EQ(errors->policy.trigger.detector_on, "errors");
}

TEST(ModelConfigErrorTest, DetectorTriggerThatCannotWork) {
  EXPECT_NE(ErrorOf(MinimalWith("policy: {trigger: {detector: {name: magic}}}\n"))
                .find("policy.trigger.detector.name: expected one of"),
            std::string::npos);
  EXPECT_EQ(ErrorOf(MinimalWith("policy: {trigger: {detector: {name: adwin, on: zz}}}\n")),
            "model.yaml:4: policy.trigger.detector.on: expected errors or a feature of the "
            "schema, got 'zz'");
  EXPECT_EQ(ErrorOf(MinimalWith("policy: {trigger: {detector: {name: ddm, on: a}}}\n")),
            "model.yaml:4: policy.trigger.detector.name: ddm reads 0/1 errors of a "
            "classifier; for a feature use adwin, page_hinkley, kswin or cusum");
  EXPECT_NE(ErrorOf(MinimalWith("policy: {trigger: {detector: {on: errors}}}\n"))
                .find("policy.trigger.detector.name: required key is missing"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Validation gates

// kMinimal with a segment column; `validation` starts on line 5.
std::string WithGates(std::string_view validation) {
  return "schema:\n  features: [a, b]\n  label: {name: y, positive: 'yes', negative: 'no'}\n"
         "  segments: [region, sex]\n" +
         std::string(validation);
}

TEST(ModelConfigGatesTest, WithoutGatesTheMarginGateIsTheDefault) {
  auto r = Parse(MinimalWith("validation: {margin: 0.02, metric: auc}\n"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_EQ(r->validation.gates.size(), 1u);
  const GateConfig& g = r->validation.gates[0];
  EXPECT_EQ(g.kind, GateConfig::Kind::kMargin);
  EXPECT_EQ(g.name, "margin");
  EXPECT_EQ(g.metric, "auc");
  EXPECT_DOUBLE_EQ(*g.max_loss, 0.02);
  auto defaults = Parse(kMinimal);
  ASSERT_EQ(defaults->validation.gates.size(), 1u);
  EXPECT_DOUBLE_EQ(*defaults->validation.gates[0].max_loss, 0.0);
}

TEST(ModelConfigGatesTest, EveryKindParses) {
  auto r = Parse(WithGates(R"(validation:
  metric: accuracy
  gates:
    - value: auc >= 0.8
    - value: {name: ll_cap, metric: log_loss, at_most: 0.5}
    - change: {metric: log_loss, max_relative_loss: 0.05, min_gain: -0.01}
    - significance: {metric: auc, confidence: 0.9}
    - significance: {name: sig_f1, metric: f1, resamples: 500, seed: 3, min_gain: -0.02}
    - segments: {max_loss: 0.05, max_gap: 0.3, min_rows: 40}
    - bias: {column: sex, favourable: 'no', min_impact_ratio: 0.8, max_parity_difference: 0.1}
    - latency: {p50: 100us, p99: 1.5ms, max_ratio: 2, samples: 200}
    - sanity: {min_std: 0.001, max_model_size: 20MB}
)"));
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const auto& g = r->validation.gates;
  ASSERT_EQ(g.size(), 9u);  // no margin gate: gates without `margin`
  EXPECT_EQ(g[0].name, "value_auc");
  EXPECT_EQ(g[0].line, 8);
  EXPECT_DOUBLE_EQ(*g[0].at_least, 0.8);
  EXPECT_FALSE(g[0].at_most.has_value());
  EXPECT_EQ(g[1].name, "ll_cap");
  EXPECT_DOUBLE_EQ(*g[1].at_most, 0.5);
  EXPECT_EQ(g[2].name, "change_log_loss");
  EXPECT_DOUBLE_EQ(*g[2].max_relative_loss, 0.05);
  EXPECT_DOUBLE_EQ(*g[2].min_gain, -0.01);
  EXPECT_EQ(g[3].test, "delong");  // the default for auc
  EXPECT_DOUBLE_EQ(g[3].confidence, 0.9);
  EXPECT_EQ(g[4].test, "bootstrap");
  EXPECT_EQ(g[4].resamples, 500);
  EXPECT_EQ(g[4].seed, 3u);
  EXPECT_EQ(g[5].name, "segments_accuracy");
  EXPECT_EQ(g[5].columns, (std::vector<std::string>{"region", "sex"}));  // schema.segments
  EXPECT_EQ(g[5].min_rows, 40);
  EXPECT_EQ(g[6].name, "bias_sex");
  EXPECT_EQ(g[6].favourable, 0);
  EXPECT_DOUBLE_EQ(*g[6].min_impact_ratio, 0.8);
  EXPECT_EQ(g[7].name, "latency");
  EXPECT_DOUBLE_EQ(*g[7].p50_us, 100);
  EXPECT_DOUBLE_EQ(*g[7].p99_us, 1500);
  EXPECT_EQ(g[7].samples, 200);
  EXPECT_EQ(*g[8].max_model_bytes, 20000000);
  EXPECT_DOUBLE_EQ(g[8].min_std, 0.001);

  auto with_margin = Parse(WithGates("validation:\n  margin: 0.01\n  gates: [sanity: {}]\n"));
  ASSERT_TRUE(with_margin.ok()) << with_margin.status().ToString();
  ASSERT_EQ(with_margin->validation.gates.size(), 2u);
  EXPECT_EQ(with_margin->validation.gates[0].name, "margin");
  EXPECT_EQ(with_margin->validation.gates[1].name, "sanity");
}

TEST(ModelConfigGatesTest, ErrorsNameTheLineAndTheKey) {
  EXPECT_EQ(ErrorOf(WithGates("validation:\n  gates:\n    - value: {metric: auc, at_lest: 0.8}\n")),
            "model.yaml:7: validation.gates[0].value.at_lest: unknown key (expected one of: name, "
            "metric, at_least, at_most)");
  EXPECT_EQ(ErrorOf(WithGates("validation:\n  gates:\n    - sanity: {}\n    - speed: {p50: 1ms}\n")),
            "model.yaml:8: validation.gates[1].speed: unknown gate (expected one of: value, "
            "change, significance, segments, bias, latency, sanity)");
  EXPECT_EQ(ErrorOf(WithGates("validation:\n  gates:\n    - value: {metric: auc}\n")),
            "model.yaml:7: validation.gates[0].value: expected at_least or at_most");
  EXPECT_EQ(ErrorOf(WithGates("validation:\n  gates:\n    - value: auc > 0.8\n")),
            "model.yaml:7: validation.gates[0].value: expected 'METRIC >= NUMBER' or 'METRIC <= "
            "NUMBER', got 'auc > 0.8'");
  EXPECT_EQ(ErrorOf(WithGates("validation:\n  gates:\n    - significance: {metric: f1, test: "
                              "delong}\n")),
            "model.yaml:7: validation.gates[0].significance.test: delong compares ROC AUCs "
            "(expected metric: auc, got f1; use test: bootstrap)");
  EXPECT_EQ(ErrorOf(WithGates("validation:\n  gates:\n    - segments: {columns: [city], max_loss: "
                              "0.1}\n")),
            "model.yaml:7: validation.gates[0].segments.columns[0]: 'city' is not a segment "
            "column (expected one of schema.segments: region, sex)");
  EXPECT_EQ(ErrorOf(WithGates("validation:\n  gates:\n    - bias: {column: sex, favourable: "
                              "maybe, min_impact_ratio: 0.8}\n")),
            "model.yaml:7: validation.gates[0].bias.favourable: expected a label value: 'yes' "
            "or 'no', got 'maybe'");
  EXPECT_EQ(ErrorOf(WithGates("validation:\n  gates:\n    - latency: {p99: 2 minutes}\n")),
            "model.yaml:7: validation.gates[0].latency.p99: expected a positive time such as "
            "250ns, 100us, 1.5ms or 1s, got '2 minutes'");
  EXPECT_EQ(ErrorOf(WithGates("validation:\n  gates:\n    - sanity: {}\n    - sanity: {}\n")),
            "model.yaml:8: validation.gates[1]: duplicate gate name 'sanity' (also on line 7; "
            "give each gate its own `name`)");
  EXPECT_EQ(ErrorOf(WithGates("validation:\n  gates: []\n")),
            "model.yaml:6: validation.gates: expected a non-empty list of gates (value, change, "
            "significance, segments, bias, latency, sanity), got an empty list");
  EXPECT_EQ(ErrorOf(MinimalWith("validation:\n  gates:\n    - segments: {max_loss: 0.1}\n")),
            "model.yaml:6: validation.gates[0].segments: expected columns, or segment columns "
            "in schema.segments");
  EXPECT_EQ(ErrorOf(kMinimalRegression.data() +
                    std::string("validation:\n  gates:\n    - bias: {column: a}\n")),
            "model.yaml:6: validation.gates[0].bias: bias gates need schema.label.task: binary");
}

}  // namespace
}  // namespace mlloop::config
