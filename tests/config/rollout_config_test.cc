// The `rollout` section of a model config: defaults, each strategy, and errors that name the
// file, the line and the key.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "config/model_config.h"

namespace mlloop::config {
namespace {

using ::testing::HasSubstr;

Result<ModelConfig> Parse(std::string_view rollout) {
  return ParseModelConfig("schema:\n  features: [a, b]\n  label: {name: y}\n" + std::string(rollout),
                          "m.yaml");
}

std::string Error(std::string_view rollout) {
  auto r = Parse(rollout);
  EXPECT_FALSE(r.ok());
  return r.ok() ? "" : r.status().message();
}

TEST(RolloutConfigTest, AbsentSectionGivesACanaryWithDefaults) {
  auto r = Parse("");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_EQ(r->rollout.strategy, RolloutConfig::Strategy::kCanary);
  EXPECT_EQ(r->rollout.steps, (std::vector<double>{0.05, 0.25, 0.5}));
  EXPECT_EQ(r->rollout.step_duration, 300);
  EXPECT_EQ(r->rollout.guard.metric, "accuracy");
  EXPECT_EQ(r->rollout.watch, 1800);
  EXPECT_EQ(r->rollout.line, 0);
}

TEST(RolloutConfigTest, EveryKeyIsRead) {
  auto r = Parse(R"(rollout:
  strategy: linear
  steps: 5
  step_duration: 2m
  step_requests: 500
  sticky: {header: X-User-Id}
  guard: {min_requests: 50, max_error_rate: 0.02, max_error_rate_increase: 0.005,
          max_latency_p99_ratio: 1.5, max_prediction_psi: 0.1, metric: accuracy,
          max_metric_loss: 0.01, min_labels: 300}
  watch: 1h
)");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  const RolloutConfig& c = r->rollout;
  EXPECT_EQ(c.strategy, RolloutConfig::Strategy::kLinear);
  EXPECT_EQ(c.steps, (std::vector<double>{0.2, 0.4, 0.6, 0.8, 1.0}));
  EXPECT_EQ(c.step_duration, 120);
  EXPECT_EQ(c.step_requests, 500);
  EXPECT_EQ(c.sticky_source, RolloutConfig::StickySource::kHeader);
  EXPECT_EQ(c.sticky_name, "X-User-Id");
  EXPECT_EQ(c.guard.min_requests, 50);
  EXPECT_DOUBLE_EQ(c.guard.max_error_rate, 0.02);
  EXPECT_DOUBLE_EQ(c.guard.max_error_rate_increase, 0.005);
  EXPECT_DOUBLE_EQ(c.guard.max_latency_p99_ratio, 1.5);
  EXPECT_DOUBLE_EQ(c.guard.max_prediction_psi, 0.1);
  EXPECT_DOUBLE_EQ(c.guard.max_metric_loss, 0.01);
  EXPECT_EQ(c.guard.min_labels, 300);
  EXPECT_EQ(c.watch, 3600);
  EXPECT_EQ(c.line, 5);  // where the section's keys begin
}

TEST(RolloutConfigTest, BlueGreenAndShadowTakeNoSteps) {
  auto r = Parse("rollout: {strategy: blue_green}\n");
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  EXPECT_TRUE(r->rollout.steps.empty());
  EXPECT_THAT(Error("rollout:\n  strategy: shadow\n  steps: [0.5]\n"),
              HasSubstr("m.yaml:6: rollout.steps: not used by strategy shadow"));
}

TEST(RolloutConfigTest, BadValuesNameFileLineAndKey) {
  EXPECT_THAT(Error("rollout:\n  stratgy: canary\n"),
              HasSubstr("m.yaml:5: rollout.stratgy: unknown key (expected one of: strategy, steps"));
  EXPECT_THAT(Error("rollout:\n  strategy: big_bang\n"),
              HasSubstr("m.yaml:5: rollout.strategy: expected one of (canary, linear, blue_green, "
                        "shadow), got 'big_bang'"));
  EXPECT_THAT(Error("rollout:\n  steps: [0.5, 0.25]\n"),
              HasSubstr("rollout.steps[1]: expected shares that grow step by step, got 0.25 after 0.5"));
  EXPECT_THAT(Error("rollout:\n  steps: [0, 0.5]\n"),
              HasSubstr("rollout.steps[0]: expected a traffic share in (0, 1], got 0"));
  EXPECT_THAT(Error("rollout:\n  step_duration: 0\n"),
              HasSubstr("m.yaml:5: rollout.step_duration: a step would never end"));
  EXPECT_THAT(Error("rollout:\n  sticky: {header: A, field: b}\n"),
              HasSubstr("rollout.sticky: expected exactly one of {header: NAME} or {field: NAME}"));
  EXPECT_THAT(Error("rollout:\n  guard:\n    max_error: 0.1\n"),
              HasSubstr("m.yaml:6: rollout.guard.max_error: unknown key"));
  EXPECT_THAT(Error("rollout:\n  guard: {metric: auc}\n"),
              HasSubstr("'auc' cannot be judged one label at a time"));
  EXPECT_THAT(Error("rollout:\n  guard: {max_latency_p99_ratio: 0.5}\n"),
              HasSubstr("expected a ratio >= 1, or 0 for no latency guard, got 0.5"));
}

}  // namespace
}  // namespace mlloop::config
