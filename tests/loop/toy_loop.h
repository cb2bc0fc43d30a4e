// The toy problem the loop's unit tests share: one numeric feature x, the label 1 when x is
// above 0.5, one row an hour, and a config that retrains on schedule every hour.
#pragma once

#include <random>

#include "config/model_config.h"
#include "core/schema.h"

namespace mlloop::loop::toy {

inline constexpr int64_t kHour = 3600;

// `n` rows drawn with `seed`; row i is at i hours and is data row i.
inline core::Dataset ToyRows(size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(0, 1);
  core::Dataset d;
  d.n_features = 1;
  d.categories = {{}};
  for (size_t i = 0; i < n; ++i) {
    const float x = u(gen);
    d.x.push_back(x);
    d.y.push_back(x > 0.5f ? 1.0f : 0.0f);
    d.time.push_back(static_cast<int64_t>(i) * kHour);
    d.row.push_back(static_cast<int64_t>(i));
  }
  return d;
}

// Model "toy": 5 rounds on the last `window_rows` rows, a 20-row holdout judged on accuracy
// (at least 10 rows), a scheduled retrain every hour.
inline config::ModelConfig ToyConfig(int64_t window_rows) {
  config::ModelConfig c;
  c.name = "toy";
  c.schema.features = {{"x", core::FeatureType::kNumeric, {}}};
  c.schema.label.name = "y";
  c.trainer.rounds = 5;
  c.trainer.window.rows = window_rows;
  c.trainer.params = {{"objective", "binary:logistic"}, {"nthread", "1"}};
  c.validation.metric = "accuracy";
  c.validation.holdout_rows = 20;
  c.validation.min_rows = 10;
  c.policy.tick = kHour;
  c.policy.trigger.kind = config::Trigger::Kind::kSchedule;
  c.policy.trigger.every = kHour;
  return c;
}

}  // namespace mlloop::loop::toy
