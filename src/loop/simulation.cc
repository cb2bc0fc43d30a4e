#include "loop/simulation.h"

#include <algorithm>
#include <filesystem>

#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/time.h"
#include "loop/controller.h"
#include "registry/registry.h"
#include "stats/metrics.h"

namespace mlloop::loop {

namespace {

struct PolicySpec {
  std::string name;
  config::PolicyConfig policy;
  bool validate = true;
};

// Replays `data` under one policy against `registry`.
Result<PolicyRun> RunPolicy(const config::ModelConfig& base, const PolicySpec& spec,
                            const core::Dataset& data, registry::Registry* registry) {
  const double wall_start = core::MonotonicSeconds();
  config::ModelConfig config = base;
  config.policy = spec.policy;
  // The baselines stand for what a cron job would do: nobody approves them.
  if (spec.name != "configured") config.approval = config::ApprovalMode::kAuto;
  const size_t n = data.rows();
  const size_t initial = static_cast<size_t>(
      config.simulation.initial_rows > 0 ? config.simulation.initial_rows : config.trainer.window.rows);
  if (initial >= n) {
    return Status::InvalidArgument("the first training takes " + std::to_string(initial) +
                                   " rows (simulation.initial_rows), leaving none of the " +
                                   std::to_string(n) + " rows to replay");
  }

  // The first model is trained on history known before the replay starts.
  core::VirtualClock clock(data.time[initial]);
  Controller controller(config, ControllerOptions{spec.name, spec.validate, "mlloop-simulate"},
                        registry, &clock);
  MLLOOP_RETURN_IF_ERROR(registry->Begin());
  MLLOOP_RETURN_IF_ERROR(controller.Bootstrap(data, initial).WithContext("first training"));
  if (config.approval == config::ApprovalMode::kManual) {
    // A replay cannot wait for a person, and it needs a first champion; later candidates
    // wait in `validated`, as they would in production, and are counted.
    MLLOOP_ASSIGN_OR_RETURN(auto versions, registry->ListVersions(config.name));
    MLLOOP_RETURN_IF_ERROR(registry->Approve(
        versions.back().id, "mlloop-simulate",
        "simulation with approval: manual: the replay starts from the first model", clock.Now()));
    MLLOOP_RETURN_IF_ERROR(controller.PromoteApproved().status());
  }
  MLLOOP_RETURN_IF_ERROR(registry->Commit());

  PolicyRun run;
  run.name = spec.name;
  run.metric = config.DefaultMetric();
  std::vector<float> preds;
  preds.reserve(n - initial);

  const int64_t tick = config.policy.tick;
  const int64_t delay = config.simulation.label_delay;
  size_t next = initial;      // next row to predict
  size_t labelled = initial;  // rows before this have their labels
  int64_t now = data.time[initial];
  while (next < n) {
    const int64_t tick_time = now + tick;
    // Rows arriving before the tick are answered by the champion of this interval, which
    // cannot change until the tick: one batch call gives the same answers as one per row.
    size_t until = static_cast<size_t>(
        std::lower_bound(data.time.begin() + static_cast<std::ptrdiff_t>(next), data.time.end(), tick_time) -
        data.time.begin());
    MLLOOP_RETURN_IF_ERROR(controller.PredictRows(next, until, &preds));
    next = until;
    // Labels whose delay has passed by the tick come back (rows are in time order, and so
    // are their label times).
    size_t reveal = labelled;
    while (reveal < next && data.time[reveal] + delay <= tick_time) ++reveal;
    MLLOOP_RETURN_IF_ERROR(controller.RevealLabels(reveal));
    labelled = reveal;

    clock.AdvanceTo(tick_time);
    now = tick_time;
    MLLOOP_RETURN_IF_ERROR(registry->Begin());
    auto outcome = controller.Tick();
    if (!outcome.ok()) {
      registry->Rollback().IgnoreError();  // the tick's own error is the one to report
      return outcome.status().WithContext("tick at " + core::FormatTimestamp(now));
    }
    MLLOOP_RETURN_IF_ERROR(registry->Commit());
    ++run.ticks;

    DecisionRow row;
    row.policy = spec.name;
    row.time = now;
    row.action = std::string(policy::ActionName(outcome->decision.action));
    row.reason = outcome->decision.reason;
    row.budget_left = outcome->decision.budget_left;
    row.signals_json = std::move(outcome->signals_json);
    if (outcome->retrain) {
      row.version = outcome->retrain->version;
      row.promoted = outcome->retrain->promoted;
      row.awaiting_approval = outcome->retrain->awaiting_approval;
      const validate::Evaluation& ev = outcome->retrain->evaluation;
      row.validation = outcome->retrain->validation;
      nlohmann::json gates = nlohmann::json::array();
      for (const validate::GateOutcome& g : ev.gates) {
        gates.push_back({{"name", g.name}, {"passed", g.passed}, {"reason", g.reason}});
      }
      row.gates_json = gates.dump();
      if (const validate::GateOutcome* failed = ev.FirstFailure()) {
        row.failed_gate = failed->name;
        ++run.rejected_by_gate[failed->name];
      }
    }
    run.decisions.push_back(std::move(row));
  }

  run.rows_scored = static_cast<int64_t>(preds.size());
  MLLOOP_ASSIGN_OR_RETURN(run.value, stats::ComputeMetric(run.metric, data.y.data() + initial,
                                                           preds.data(), preds.size()));
  run.retrains = controller.retrains();
  run.rejected = controller.rejected();
  run.awaiting_approval = controller.awaiting_approval();
  run.train_seconds = controller.train_seconds();
  run.wall_seconds = core::MonotonicSeconds() - wall_start;
  return run;
}

}  // namespace

Result<SimulationResult> Simulate(const config::ModelConfig& config, const core::Dataset& data,
                                  const SimulationOptions& options) {
  if (data.rows() == 0) return Status::InvalidArgument("no rows to simulate");
  for (size_t i = 1; i < data.rows(); ++i) {
    if (data.time[i] < data.time[i - 1]) {
      return Status::InvalidArgument("rows are not in time order: data row " + std::to_string(data.row[i]) +
                                     " (" + core::FormatTimestamp(data.time[i]) + ") comes before row " +
                                     std::to_string(data.row[i - 1]) + " (" +
                                     core::FormatTimestamp(data.time[i - 1]) + ")");
    }
  }

  std::vector<PolicySpec> specs;
  specs.push_back({"configured", config.policy, true});
  if (options.compare) {
    config::PolicyConfig never;
    never.tick = config.policy.tick;
    never.trigger = config::Trigger{};  // an empty `any` never fires
    specs.push_back({"never", never, true});

    config::PolicyConfig schedule;
    schedule.tick = config.policy.tick;
    schedule.trigger.kind = config::Trigger::Kind::kSchedule;
    schedule.trigger.every = config.simulation.baseline_every;
    specs.push_back({"schedule", schedule, false});

    // A streaming detector on the live model's errors (ADWIN, River's defaults), with the
    // configured policy's cooldown, budget and validation: what a detector-driven policy
    // does on the same stream.
    config::PolicyConfig detector = config.policy;
    detector.trigger = config::Trigger{};
    detector.trigger.kind = config::Trigger::Kind::kDetector;
    detector.trigger.detector = "adwin";
    detector.trigger.detector_on = "errors";
    detector.trigger.line = -1;  // not from the file; the monitor keys its check by this
    specs.push_back({"detector", detector, true});
  }

  SimulationResult result;
  result.model = config.name;
  result.rows = static_cast<int64_t>(data.rows());
  result.initial_rows = config.simulation.initial_rows > 0 ? config.simulation.initial_rows
                                                           : config.trainer.window.rows;
  result.label_delay = config.simulation.label_delay;
  result.tick = config.policy.tick;

  for (const auto& spec : specs) {
    std::unique_ptr<registry::Registry> registry;
    if (spec.name == "configured" && !options.store_dir.empty()) {
      MLLOOP_ASSIGN_OR_RETURN(registry, registry::Registry::Open(options.store_dir));
      MLLOOP_ASSIGN_OR_RETURN(auto existing, registry->ListVersions(config.name));
      if (!existing.empty()) {
        return Status::AlreadyExists("store " + options.store_dir + " already holds " +
                                     std::to_string(existing.size()) + " versions of model '" +
                                     config.name + "'; simulate into a new --store directory");
      }
    } else {
      MLLOOP_ASSIGN_OR_RETURN(registry, registry::Registry::OpenInMemory());
    }
    MLLOOP_ASSIGN_OR_RETURN(PolicyRun run, RunPolicy(config, spec, data, registry.get()));
    result.policies.push_back(std::move(run));
  }

  if (config.schema.label.task == core::Task::kBinaryClassification) {
    const size_t initial = static_cast<size_t>(result.initial_rows);
    size_t same = 0;
    for (size_t i = initial; i < data.rows(); ++i) same += data.y[i] == data.y[i - 1];
    result.no_change_accuracy = static_cast<double>(same) / static_cast<double>(data.rows() - initial);
  }
  return result;
}

std::string SimulationResult::ToJson() const {
  nlohmann::json policies_json = nlohmann::json::array();
  nlohmann::json decisions_json = nlohmann::json::array();
  for (const auto& p : policies) {
    nlohmann::json pj = {{"name", p.name},
                         {p.metric, p.value},
                         {"metric", p.metric},
                         {"rows_scored", p.rows_scored},
                         {"retrains", p.retrains},
                         {"rejected", p.rejected},
                         {"rejected_by_gate", p.rejected_by_gate},
                         {"awaiting_approval", p.awaiting_approval},
                         {"train_seconds", p.train_seconds},
                         {"wall_seconds", p.wall_seconds},
                         {"ticks", p.ticks}};
    policies_json.push_back(pj);
    for (const auto& d : p.decisions) {
      nlohmann::json dj = {{"policy", d.policy},
                           {"time", core::FormatTimestamp(d.time)},
                           {"action", d.action},
                           {"reason", d.reason},
                           {"budget_left", d.budget_left},
                           {"signals", nlohmann::json::parse(d.signals_json)["signals"]}};
      if (d.version) dj["version"] = *d.version;
      if (d.promoted) dj["promoted"] = *d.promoted;
      if (d.awaiting_approval) dj["awaiting_approval"] = true;
      if (!d.validation.empty()) dj["validation"] = d.validation;
      if (!d.failed_gate.empty()) dj["failed_gate"] = d.failed_gate;
      if (!d.gates_json.empty()) dj["gates"] = nlohmann::json::parse(d.gates_json);
      decisions_json.push_back(std::move(dj));
    }
  }
  nlohmann::json out = {{"model", model},
                        {"rows", rows},
                        {"initial_rows", initial_rows},
                        {"label_delay", core::FormatDuration(label_delay)},
                        {"tick", core::FormatDuration(tick)},
                        {"load_seconds", load_seconds},
                        {"total_seconds", total_seconds},
                        {"policies", policies_json},
                        {"decisions", decisions_json}};
  if (no_change_accuracy) out["reference"] = {{"no_change_accuracy", *no_change_accuracy}};
  return out.dump(2);
}

}  // namespace mlloop::loop
