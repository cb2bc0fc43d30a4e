// Simulation: replays a dataset in time order as production traffic on a virtual clock and
// drives the same Controller that a server runs. The champion predicts each row, its label
// comes back `label_delay` later, and the controller ticks every `policy.tick`.
//
// With `compare`, the same stream is replayed under the baselines too:
//   never     — train once on the first window, never again;
//   schedule  — retrain every `simulation.baseline_every` on the latest labelled window,
//               promoting every candidate without validation;
//   detector  — retrain when ADWIN flags a change in the live model's errors, under the
//               configured cooldown, budget and validation;
// so that the configured policy's accuracy and cost can be judged against them.
//
// Thread-safety: none.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "config/model_config.h"
#include "core/schema.h"
#include "core/status.h"

namespace mlloop::loop {

struct SimulationOptions {
  bool compare = false;
  // Registry directory for the configured policy; empty keeps it in memory. Baselines always
  // run against in-memory registries.
  std::string store_dir;
};

struct DecisionRow {
  std::string policy;
  int64_t time = 0;
  std::string action;
  std::string reason;
  int64_t budget_left = -1;
  std::string signals_json;
  std::optional<int64_t> version;  // the version a retrain produced
  std::optional<bool> promoted;
  bool awaiting_approval = false;  // approval: manual, validated and waiting for a person
  // A validated retrain: what the gates decided (Evaluation::Summary), the first gate that
  // failed ("" when all passed) and every gate's verdict as JSON [{name, passed, reason}].
  std::string validation;
  std::string failed_gate;
  std::string gates_json;
};

struct PolicyRun {
  std::string name;
  std::string metric;         // "accuracy" or "rmse"
  double value = 0;           // prequential metric over every row after the first training
  int64_t rows_scored = 0;
  int retrains = 0;           // retrains after the first training
  int rejected = 0;
  std::map<std::string, int> rejected_by_gate;  // the first failed gate of each rejection
  int awaiting_approval = 0;  // approval: manual: validated candidates nobody approved
  double train_seconds = 0;   // inside XGBoost training, the first training included
  double wall_seconds = 0;    // the whole replay of this policy
  int64_t ticks = 0;
  std::vector<DecisionRow> decisions;
};

struct SimulationResult {
  std::string model;
  int64_t rows = 0;
  int64_t initial_rows = 0;
  int64_t label_delay = 0;
  int64_t tick = 0;
  std::vector<PolicyRun> policies;  // configured first
  // Classification only: accuracy of predicting each row's label as the previous row's, on
  // the same scored rows — the no-change reference (Elec2's SOURCE.md reports 85.3%).
  std::optional<double> no_change_accuracy;
  double load_seconds = 0;   // reading the data, set by the caller that read it
  double total_seconds = 0;  // load plus every policy's replay, set by the caller

  std::string ToJson() const;
};

// Runs the simulation of `config` on `data` (rows in time order).
Result<SimulationResult> Simulate(const config::ModelConfig& config, const core::Dataset& data,
                                  const SimulationOptions& options);

}  // namespace mlloop::loop
