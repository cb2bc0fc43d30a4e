// Controller: one model's loop. A tick runs monitor -> policy -> pipeline -> validate ->
// registry: it observes, decides (always writing a decision record), and when the decision
// is to retrain, trains a candidate on the configured window, scores it and the champion on
// the same recent labelled rows that neither trained on, and promotes or rejects it.
//
// The controller only sees a Clock: `mlloop simulate` drives it with a VirtualClock over a
// replayed dataset; `mlloop serve` (later) with the real clock over live traffic. The code
// path is the same.
//
// Thread-safety: none; one thread drives a controller.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "config/model_config.h"
#include "core/clock.h"
#include "core/schema.h"
#include "core/status.h"
#include "monitor/model_monitor.h"
#include "pipeline/xgb/xgb_model.h"
#include "policy/retrain_policy.h"
#include "registry/registry.h"
#include "validate/gates.h"

namespace mlloop::loop {

struct ControllerOptions {
  std::string policy_name = "configured";  // recorded with every decision
  bool validate = true;  // false: every candidate is promoted unseen (the schedule baseline)
  std::string actor = "mlloop-controller";
  // Retraining is not deployment (`mlloop serve` with its rollout controller,
  // rollout/rollout_controller.h): a version that passes validation is approved (approval:
  // auto) and left in `approved` for the rollout to deploy. The controller then never
  // promotes, follows the registry's champion through AdoptChampion(), and starts no retrain
  // while a version of the model is approved or in canary (it would be validated against a
  // champion about to change).
  bool hand_off = false;
};

// What one retrain did.
struct RetrainOutcome {
  int64_t version_id = 0;
  int64_t version = 0;
  bool promoted = false;
  bool awaiting_approval = false;  // passed validation; approval: manual waits for a person
  bool handed_off = false;  // passed validation, approved, left to the rollout (hand_off)
  size_t train_begin = 0, train_end = 0;      // data rows [begin, end)
  size_t holdout_begin = 0, holdout_end = 0;  // data rows [begin, end)
  std::string training_window;  // how [train_begin, train_end) was chosen, as in lineage
  double train_seconds = 0;
  // The validation gates' verdicts (none when validation is off), and in one line what
  // they decided: evaluation.Summary(), or why validation was off.
  validate::Evaluation evaluation;
  std::string validation;
  // The candidate's predictions on the holdout rows [holdout_begin, holdout_end), as
  // validation scored them (empty when validation is off): the rollout's drift reference.
  std::vector<float> holdout_scores;

  // What came of it: "promoted", "handed_off", "awaiting_approval" or "rejected".
  std::string_view Verdict() const {
    return promoted ? "promoted" : handed_off ? "handed_off"
           : awaiting_approval ? "awaiting_approval" : "rejected";
  }
};


struct TickOutcome {
  monitor::Observation observation;  // what the monitor saw, which the decision read
  policy::Decision decision;
  std::string signals_json;  // decision.SignalsJson(), as recorded
  int64_t decision_id = 0;
  std::optional<RetrainOutcome> retrain;
  // An approved version this tick promoted before deciding (approval: manual).
  std::optional<registry::ModelVersion> promoted_approved;
  // Live, with hand_off: the champion the rollout (or an operator) made since the last tick,
  // which the controller took before deciding (LiveLoop::FollowChampion).
  std::optional<registry::ModelVersion> followed_champion;
};

// What the controller trains `config`'s model with: task, parameters, rounds and seed. The
// one place they are derived, so `mlloop reproduce` trains exactly as the loop did.
pipeline::TrainOptions TrainOptionsFor(const config::ModelConfig& config);
// The trainer, its parameters, rounds and seed as the JSON object recorded in lineage.
std::string TrainerParamsJson(const config::ModelConfig& config);

class Controller {
 public:
  // `registry` and `clock` are not owned and must outlive the controller.
  Controller(const config::ModelConfig& config, ControllerOptions options,
             registry::Registry* registry, const core::Clock* clock);

  // Trains the first model on the training window chosen from rows [0, labelled_end) of
  // `data`, registers it and makes it champion — with `approval: manual`, it stays
  // validated until a person approves it and PromoteApproved() runs. `data` must outlive
  // the controller: later retrains read their windows from it. Empty window ->
  // InvalidArgument naming the window.
  Status Bootstrap(const core::Dataset& data, size_t labelled_end);

  // With `approval: manual`: promotes the newest approved version of the model (loading its
  // artifact through the registry, which verifies it) and returns it; nullopt when none is
  // approved, and always with `approval: auto` (the controller approves and promotes in
  // one step). Tick() calls it first. FailedPrecondition when the version's training rows
  // are not in this controller's data; the registry's error when its artifact fails to load.
  Result<std::optional<registry::ModelVersion>> PromoteApproved();

  // The champion predicts rows [begin, end); each prediction is handed to the monitor with
  // the data row as request id. Predictions are appended to `out`. FailedPrecondition when
  // there is no champion yet (approval: manual, first version not approved).
  Status PredictRows(size_t begin, size_t end, std::vector<float>* out);

  // The labels of rows [labelled_end, end) arrived. FailedPrecondition, changing nothing,
  // when some of those rows were never predicted.
  Status RevealLabels(size_t end);

  // Live traffic (`mlloop serve`): the server predicts, the controller observes.
  //
  // Resume takes the registry's champion as the champion (its artifact loaded through the
  // registry's checks) instead of training one. `data` is the labelled live rows so far, row
  // numbers being the inference log's row ids, ascending; it grows (ObserveLabelledRows) and
  // must outlive the controller. `source` names where those rows come from (the log's
  // directory) in the lineage of versions trained on them. The champion's training rows,
  // the monitor's drift reference, are rows [begin, end) of `reference`, which need not
  // outlive the call. NotFound when the model has no champion; the registry's error when its
  // artifact fails to load. The policy's cooldown, budget and schedule go on from the
  // registration times of the model's versions.
  Status Resume(const core::Dataset& data, const std::string& source,
                const core::Dataset& reference, size_t begin, size_t end);
  // The server answered prediction `id` (a log row id) with `prediction` for `features`.
  void ObservePrediction(int64_t id, const float* features, float prediction);
  // Rows were appended to the data since the last call: their labels go to the monitor, and
  // they are training rows from now on. A label whose prediction the monitor never saw is
  // not scored.
  void ObserveLabelledRows();
  // A label whose row could not join the data (older than its last row): the monitor only.
  void ObserveLabel(int64_t id, float label);
  // After Resume(): a prediction made and a label joined before the server restarted,
  // replayed from its inference log so that the monitor goes on where it was
  // (ModelMonitor::ReplayPrediction; `features` may be null).
  void ReplayPrediction(int64_t id, const float* features, float prediction) {
    monitor_.ReplayPrediction(id, features, prediction);
  }
  void ReplayLabel(int64_t id, float label) { monitor_.ReplayLabel(id, label); }
  // With hand_off: the registry's champion is now `version` (the rollout promoted it or
  // rolled a version back): the monitor judges it from here, its training rows [begin, end)
  // of `reference` being the drift reference, while the policy's cooldown and budget carry
  // on. `reference` need not outlive the call. The registry's error when its artifact fails
  // to load (the controller keeps its champion then).
  Status AdoptChampion(const registry::ModelVersion& version, const core::Dataset& reference,
                       size_t begin, size_t end);
  // Predictions before `id` will get no label any more (the log's join window has passed
  // them): the monitor stops waiting for them. Returns how many it forgot.
  size_t ForgetPredictionsBefore(int64_t id) { return monitor_.ForgetPendingBefore(id); }

  // One tick at clock->Now(): PromoteApproved(), then monitor -> policy -> decision, and a
  // retrain when decided. FailedPrecondition when there is no champion.
  Result<TickOutcome> Tick();

  int retrains() const { return retrains_; }
  int rejected() const { return rejected_; }
  // Versions that passed validation and wait for a person (approval: manual).
  int awaiting_approval() const { return awaiting_approval_; }
  double train_seconds() const { return train_seconds_; }
  const std::optional<registry::ModelVersion>& champion() const { return champion_version_; }

 private:
  // Where a change began, as a detector trigger located it (trainer.window.since_change).
  struct ChangePoint {
    size_t row = 0;      // index into data_ of the first row of the new regime
    std::string source;  // "adwin on errors (trigger at line 28)"
  };
  // The rows a retrain learns from, and how they were chosen.
  struct TrainingPlan {
    size_t holdout_begin = 0;  // the holdout is [holdout_begin, labelled_end_)
    size_t begin = 0, end = 0;
    size_t since_change = 0;   // with a change: labelled rows since it, before the holdout
    std::string description;   // recorded with the decision and in the version's lineage
  };
  // Rows the window selects from [0, end). Empty range when it selects nothing.
  std::pair<size_t, size_t> WindowRows(size_t end) const;
  // The most recent labelled rows that the champion did not train on (validation's holdout).
  size_t HoldoutBegin() const;
  // The window's rows before `holdout_begin`; with `change`, only those since the change (at
  // least since_change.min_rows of them, never more than the window).
  TrainingPlan PlanTraining(size_t holdout_begin, const std::optional<ChangePoint>& change) const;
  // The latest change a fired detector trigger located, when it lies in this data.
  std::optional<ChangePoint> LatestChange(const monitor::Observation& obs) const;
  // With since_change: turns a retrain into a wait until enough rows since the change exist,
  // or a quiet tick into the scheduled refresh; fills decision->training_window.
  std::optional<TrainingPlan> ChooseTraining(const monitor::Observation& obs,
                                             policy::Decision* decision);
  Result<std::unique_ptr<pipeline::XgbModel>> TrainTimed(size_t begin, size_t end);
  // `artifact`: the model serialized, as it is stored.
  Result<registry::ModelVersion> RegisterCandidate(const std::string& artifact, size_t begin,
                                                   size_t end, const std::string& window,
                                                   std::optional<int64_t> decision_id,
                                                   double seconds);
  // Marks `version` validated for `reason`; with approval: auto also approves it and, unless
  // it is handed off to the rollout (hand_off, and there is a champion), promotes it. Sets
  // out->promoted, out->awaiting_approval and out->handed_off.
  Status Accept(const registry::ModelVersion& version, const std::string& reason,
                std::unique_ptr<pipeline::XgbModel> model, size_t begin, size_t end,
                RetrainOutcome* out);
  // Why the retrain `plan` must wait, or "" when it may run: its window holds no labelled
  // rows, its holdout is below validation.min_rows (validation would have to reject), or
  // (hand_off) a version of the model is approved or in canary.
  Result<std::string> WhyRetrainWaits(const TrainingPlan& plan);
  // Makes the approved `version` champion, serving `model`, trained on data rows
  // [begin, end).
  Status Promote(const registry::ModelVersion& version, const std::string& reason,
                 std::unique_ptr<pipeline::XgbModel> model, size_t begin, size_t end);
  Status NeedChampion() const;
  // The model of a stored `version`, read through the registry's hash and signature checks.
  Result<std::unique_ptr<pipeline::XgbModel>> LoadModel(const registry::ModelVersion& version);
  // REQUIRES: `plan` selects rows (WhyRetrainWaits() said nothing).
  Result<RetrainOutcome> Retrain(int64_t decision_id, const TrainingPlan& plan);
  // Records `evaluation` of `version` against the current champion in the registry: the
  // validation metric's numbers, the verdict, the summary and the report JSON.
  Status RecordEvaluation(const registry::ModelVersion& version,
                          const validate::Evaluation& evaluation, int64_t now);


  const config::ModelConfig& config_;
  ControllerOptions options_;
  registry::Registry* registry_;
  const core::Clock* clock_;
  const core::Dataset* data_ = nullptr;

  monitor::ModelMonitor monitor_;
  std::unique_ptr<policy::RetrainPolicy> policy_;
  pipeline::TrainOptions train_options_;
  std::string params_json_;
  std::string data_file_hash_;  // of config_.data_path, computed at the first registration
  std::string live_source_;     // Resume()'s `source`: recorded instead of config_.data_path

  std::unique_ptr<pipeline::XgbModel> champion_;
  std::optional<registry::ModelVersion> champion_version_;
  size_t champion_train_end_ = 0;  // rows before this may be in the champion's training data
  // since_change with refresh_labels: the change the last since-change retrain learnt from,
  // until its refresh has run.
  std::optional<ChangePoint> refresh_;

  size_t labelled_end_ = 0;
  size_t predicted_end_ = 0;
  int retrains_ = 0;
  int rejected_ = 0;
  int awaiting_approval_ = 0;
  double train_seconds_ = 0;
};

}  // namespace mlloop::loop
