#include "loop/controller.h"

#include <algorithm>
#include <filesystem>
#include <tuple>

#include <nlohmann/json.hpp>

#include "core/hash.h"
#include "core/time.h"
#include "io/snapshot.h"
#include "registry/environment.h"
#include "store/artifact_store.h"
#include "validate/comparison.h"

namespace mlloop::loop {

using registry::VersionState;

pipeline::TrainOptions TrainOptionsFor(const config::ModelConfig& config) {
  pipeline::TrainOptions options;
  options.task = config.schema.label.task;
  options.params = config.trainer.params;
  options.rounds = config.trainer.rounds;
  options.seed = config.trainer.seed;
  options.recency_half_life = config.trainer.window.recency_half_life;
  return options;
}

std::string TrainerParamsJson(const config::ModelConfig& config) {
  nlohmann::json params = nlohmann::json::object();
  for (const auto& [k, v] : config.trainer.params) params[k] = v;
  return nlohmann::json{{"trainer", config.trainer.kind},
                        {"params", params},
                        {"rounds", config.trainer.rounds},
                        {"seed", config.trainer.seed}}
      .dump();
}

Controller::Controller(const config::ModelConfig& config, ControllerOptions options,
                       registry::Registry* registry, const core::Clock* clock)
    : config_(config),
      options_(std::move(options)),
      registry_(registry),
      clock_(clock),
      monitor_(config.monitoring, config.schema, config.DefaultMetric(), &config.policy.trigger) {
  train_options_ = TrainOptionsFor(config);
  params_json_ = TrainerParamsJson(config);
}

std::pair<size_t, size_t> Controller::WindowRows(size_t end) const {
  using Kind = config::TrainingWindow::Kind;
  const auto& w = config_.trainer.window;
  const auto& time = data_->time;
  size_t begin = 0;
  switch (w.kind) {
    case Kind::kLastRows:
      begin = end > static_cast<size_t>(w.rows) ? end - static_cast<size_t>(w.rows) : 0;
      break;
    case Kind::kLastDuration:
      if (end > 0) {
        const int64_t from = time[end - 1] - w.seconds;
        begin = static_cast<size_t>(std::upper_bound(time.begin(), time.begin() + static_cast<std::ptrdiff_t>(end), from) -
                                    time.begin());
      }
      break;
    case Kind::kSince:
      begin = static_cast<size_t>(std::lower_bound(time.begin(), time.begin() + static_cast<std::ptrdiff_t>(end), w.since) -
                                  time.begin());
      break;
    case Kind::kAll:
      begin = 0;
      break;
  }
  return {begin, std::max(begin, end)};
}

size_t Controller::HoldoutBegin() const {
  // The schedule baseline skips validation and so trains on everything labelled.
  if (!options_.validate) return labelled_end_;
  size_t begin = 0;
  if (config_.validation.holdout_seconds > 0) {
    // The labelled rows of the last holdout_seconds, by the data's time.
    if (labelled_end_ > 0) {
      const auto& time = data_->time;
      const int64_t from = time[labelled_end_ - 1] - config_.validation.holdout_seconds;
      const auto end = time.begin() + static_cast<std::ptrdiff_t>(labelled_end_);
      begin = static_cast<size_t>(std::upper_bound(time.begin(), end, from) - time.begin());
    }
  } else {
    const size_t want = static_cast<size_t>(config_.validation.holdout_rows);
    begin = labelled_end_ > want ? labelled_end_ - want : 0;
  }
  begin = std::max(begin, champion_train_end_);
  return std::min(begin, labelled_end_);
}

Controller::TrainingPlan Controller::PlanTraining(size_t holdout_begin,
                                                 const std::optional<ChangePoint>& change) const {
  const config::TrainingWindow& window = config_.trainer.window;
  TrainingPlan plan;
  plan.holdout_begin = holdout_begin;
  std::tie(plan.begin, plan.end) = WindowRows(plan.holdout_begin);
  plan.description = window.DescribeRange();
  if (change && window.since_change) {
    const size_t end = plan.end;
    plan.since_change = end > change->row ? end - change->row : 0;
    const size_t min_rows = static_cast<size_t>(window.since_change->min_rows);
    size_t begin = std::min(change->row, end - std::min(end, min_rows));
    begin = std::max(begin, plan.begin);  // never further back than the window itself
    plan.description = "since the change at data row " + std::to_string(data_->row[change->row]) +
                       " (" + change->source + "): " + std::to_string(end - begin) + " rows";
    if (begin < change->row) {
      plan.description += ", " + std::to_string(change->row - begin) +
                          " of them from before the change to reach min_rows " +
                          std::to_string(min_rows);
    } else if (begin > change->row) {
      plan.description += ", the window (" + window.DescribeRange() + ") cuts " +
                          std::to_string(begin - change->row) + " rows since the change";
    }
    plan.begin = std::min(begin, end);
  }
  if (window.recency_half_life > 0) {
    plan.description += "; recency half-life " + std::to_string(window.recency_half_life) + " rows";
  }
  return plan;
}

std::optional<Controller::ChangePoint> Controller::LatestChange(
    const monitor::Observation& obs) const {
  std::optional<ChangePoint> latest;
  for (const auto& [line, check] : obs.detector_checks) {
    if (!check.fired || !check.change_request) continue;
    const auto& rows = data_->row;
    const auto it = std::lower_bound(rows.begin(), rows.end(), *check.change_request);
    if (it == rows.end() || *it != *check.change_request) continue;  // not a row of this data
    const size_t row = static_cast<size_t>(it - rows.begin());
    if (latest && latest->row >= row) continue;
    latest = ChangePoint{row, check.source + ", trigger at line " + std::to_string(line)};
  }
  return latest;
}

std::optional<Controller::TrainingPlan> Controller::ChooseTraining(
    const monitor::Observation& obs, policy::Decision* decision) {
  const auto& since_change = config_.trainer.window.since_change;
  std::optional<TrainingPlan> plan;
  if (decision->action == policy::Action::kRetrain) {
    const std::optional<ChangePoint> change =
        since_change ? LatestChange(obs) : std::optional<ChangePoint>();
    plan = PlanTraining(HoldoutBegin(), change);
    if (change && plan->since_change < static_cast<size_t>(since_change->wait_labels)) {
      // Training now would learn mostly the old concept; the detector stays fired, so the
      // trigger asks again at the next tick.
      decision->action = policy::Action::kNone;
      decision->reason = "waiting for labelled rows since the change at data row " +
                         std::to_string(data_->row[change->row]) + " (" + change->source +
                         "): " + std::to_string(plan->since_change) + " of " +
                         std::to_string(since_change->wait_labels) + " (" + decision->reason + ")";
      decision->training_window = plan->description;
      return std::nullopt;
    }
    if (change && since_change->refresh_labels > 0) {
      refresh_ = change;
    } else if (!change) {
      refresh_.reset();  // a retrain on the plain window supersedes a pending refresh
    }
  } else if (refresh_ && decision->action == policy::Action::kNone && !decision->triggered) {
    TrainingPlan refresh = PlanTraining(HoldoutBegin(), refresh_);
    policy::Action blocked_action = policy::Action::kNone;
    if (refresh.since_change >= static_cast<size_t>(since_change->refresh_labels) &&
        policy_->RetrainBlocked(decision->time, &blocked_action).empty()) {
      decision->action = policy::Action::kRetrain;
      decision->reason = "refresh: " + std::to_string(refresh.since_change) +
                         " labelled rows since the change at data row " +
                         std::to_string(data_->row[refresh_->row]) + " (" + refresh_->source + ")";
      if (decision->budget_left > 0) --decision->budget_left;
      refresh_.reset();
      plan = std::move(refresh);
    }
  }
  // A retrain names the rows it will learn from; any other decision, the window in force.
  decision->training_window = plan ? plan->description : config_.trainer.window.Describe();
  return plan;
}

Result<std::unique_ptr<pipeline::XgbModel>> Controller::TrainTimed(size_t begin, size_t end) {
  const double start = core::MonotonicSeconds();
  auto model = pipeline::XgbModel::Train(*data_, begin, end, train_options_);
  // Training time is XGBoost's own work; the rest of Train() (checks, serialisation, the flat
  // forest) is the loop's overhead and must not hide in the denominator. A failed training
  // counts whole.
  train_seconds_ += model.ok() ? (*model)->boosting_seconds() : core::MonotonicSeconds() - start;
  return model;
}

Result<registry::ModelVersion> Controller::RegisterCandidate(const std::string& artifact,
                                                             size_t begin, size_t end,
                                                             const std::string& window,
                                                             std::optional<int64_t> decision_id,
                                                             double seconds) {
  registry::Lineage lineage;
  // Live rows are in no file that `mlloop reproduce` could read again: their snapshot is
  // stored with the version (a few tens of bytes a row). A file's rows are named by the
  // file and its hashes.
  std::string snapshot;
  if (!live_source_.empty()) {
    snapshot = io::SnapshotBytes(*data_, begin, end);
    lineage.data_hash = core::Sha256Hex(snapshot);
    lineage.data_source = live_source_;  // live rows: the log's row ids
  } else {
    lineage.data_hash = io::SnapshotHash(*data_, begin, end);
    if (!config_.data_path.empty()) {
      // Absolute, so that `mlloop reproduce` finds the file from any working directory.
      lineage.data_source =
          std::filesystem::absolute(config_.data_path).lexically_normal().string();
      if (data_file_hash_.empty()) {
        MLLOOP_ASSIGN_OR_RETURN(data_file_hash_, store::Sha256OfFile(config_.data_path));
      }
      lineage.data_file_hash = data_file_hash_;
    }
  }
  lineage.row_begin = data_->row[begin];
  lineage.row_end = data_->row[end - 1] + 1;
  lineage.time_begin = data_->time[begin];
  lineage.time_end = data_->time[end - 1];
  lineage.training_window = window;
  lineage.config_hash = config_.config_hash;
  lineage.config_text = config_.text;
  lineage.params_json = params_json_;
  lineage.seed = config_.trainer.seed;
  lineage.rounds = config_.trainer.rounds;
  registry::RecordEnvironment(&lineage);
  lineage.xgboost_version = pipeline::XgboostVersion();
  lineage.train_seconds = seconds;
  return registry_->Register(config_.name, artifact, lineage, decision_id, options_.actor,
                             clock_->Now(), snapshot);
}

Status Controller::Accept(const registry::ModelVersion& version, const std::string& reason,
                          std::unique_ptr<pipeline::XgbModel> model, size_t begin, size_t end,
                          RetrainOutcome* out) {
  const int64_t now = clock_->Now();
  MLLOOP_RETURN_IF_ERROR(
      registry_->Transition(version.id, VersionState::kValidated, options_.actor, reason, now));
  if (config_.approval == config::ApprovalMode::kManual) {
    ++awaiting_approval_;
    out->awaiting_approval = true;
    // A person approves (mlloop approve); PromoteApproved() or the rollout takes it from there.
    return Status::Ok();
  }
  MLLOOP_RETURN_IF_ERROR(registry_->Approve(version.id, options_.actor,
                                            "approval: auto (all gates passed)", now));
  if (options_.hand_off && champion_) {
    out->handed_off = true;  // the rollout deploys it; AdoptChampion() follows
    return Status::Ok();
  }
  MLLOOP_RETURN_IF_ERROR(Promote(version, "promoted by the " + options_.policy_name + " policy",
                                 std::move(model), begin, end));
  out->promoted = true;
  return Status::Ok();
}

Status Controller::Promote(const registry::ModelVersion& version, const std::string& reason,
                           std::unique_ptr<pipeline::XgbModel> model, size_t begin, size_t end) {
  MLLOOP_RETURN_IF_ERROR(registry_->Transition(version.id, VersionState::kChampion,
                                               options_.actor, reason, clock_->Now()));
  MLLOOP_ASSIGN_OR_RETURN(champion_version_, registry_->GetVersionById(version.id));
  champion_ = std::move(model);
  champion_train_end_ = end;
  monitor_.SetChampion(version.id, *data_, begin, end);
  return Status::Ok();
}

Result<std::optional<registry::ModelVersion>> Controller::PromoteApproved() {
  using NoVersion = std::optional<registry::ModelVersion>;
  if (config_.approval != config::ApprovalMode::kManual || options_.hand_off) return NoVersion();
  MLLOOP_ASSIGN_OR_RETURN(std::vector<registry::ModelVersion> versions,
                          registry_->ListVersions(config_.name));
  const registry::ModelVersion* approved = nullptr;  // the newest: versions are in order
  for (const registry::ModelVersion& v : versions) {
    if (v.state == VersionState::kApproved) approved = &v;
  }
  if (approved == nullptr) return NoVersion();
  const std::string label = config_.name + " v" + std::to_string(approved->version);
  // Its training rows become the monitor's drift reference, as for any new champion.
  const auto& rows = data_->row;
  const size_t begin = static_cast<size_t>(
      std::lower_bound(rows.begin(), rows.end(), approved->lineage.row_begin) - rows.begin());
  const size_t end = static_cast<size_t>(
      std::lower_bound(rows.begin(), rows.end(), approved->lineage.row_end) - rows.begin());
  if (begin >= end || rows[begin] != approved->lineage.row_begin) {
    return Status::FailedPrecondition("promoting approved " + label + ": its training rows " +
                                      std::to_string(approved->lineage.row_begin) + ".." +
                                      std::to_string(approved->lineage.row_end) +
                                      " are not in the data this controller serves");
  }
  auto model = LoadModel(*approved);
  if (!model.ok()) return model.status().WithContext("promoting approved " + label);
  MLLOOP_ASSIGN_OR_RETURN(std::vector<registry::StateChange> history,
                          registry_->History(*approved));
  std::string approver = "?";
  for (const registry::StateChange& c : history) {
    if (c.to == VersionState::kApproved) approver = c.actor;
  }
  if (awaiting_approval_ > 0) --awaiting_approval_;
  MLLOOP_RETURN_IF_ERROR(Promote(*approved, "approved by " + approver + "; promoted at the next tick",
                                 std::move(model).value(), begin, end));
  return champion_version_;
}

Status Controller::Bootstrap(const core::Dataset& data, size_t labelled_end) {
  MLLOOP_RETURN_IF_ERROR(monitor_.status());
  data_ = &data;
  if (labelled_end > data.rows()) {
    return Status::InvalidArgument("the first training needs " + std::to_string(labelled_end) +
                                   " rows but the data has " + std::to_string(data.rows()));
  }
  labelled_end_ = predicted_end_ = labelled_end;
  const TrainingPlan plan = PlanTraining(labelled_end, std::nullopt);
  const size_t begin = plan.begin, end = plan.end;
  if (begin >= end) {
    return Status::InvalidArgument("training window '" + config_.trainer.window.Describe() +
                                   "' selects no rows of the first " + std::to_string(labelled_end) +
                                   " rows (" + core::FormatTimestamp(data.time.empty() ? 0 : data.time[0]) +
                                   " .. " + core::FormatTimestamp(labelled_end ? data.time[labelled_end - 1] : 0) + ")");
  }
  const double before = train_seconds_;
  MLLOOP_ASSIGN_OR_RETURN(auto model, TrainTimed(begin, end));
  MLLOOP_ASSIGN_OR_RETURN(std::string artifact, model->Serialize());
  MLLOOP_ASSIGN_OR_RETURN(auto version, RegisterCandidate(artifact, begin, end, plan.description,
                                                          std::nullopt, train_seconds_ - before));
  policy_ = std::make_unique<policy::RetrainPolicy>(config_.policy, clock_->Now());
  RetrainOutcome accepted;
  return Accept(version, "initial model: no champion to compare with", std::move(model), begin,
                end, &accepted);
}

Result<std::unique_ptr<pipeline::XgbModel>> Controller::LoadModel(
    const registry::ModelVersion& version) {
  // The artifact is read back through the registry, which checks its hash and signature.
  MLLOOP_ASSIGN_OR_RETURN(std::string bytes, registry_->LoadArtifact(version));
  return pipeline::XgbModel::Load(bytes, config_.schema.label.task);
}

Status Controller::Resume(const core::Dataset& data, const std::string& source,
                          const core::Dataset& reference, size_t begin, size_t end) {
  MLLOOP_RETURN_IF_ERROR(monitor_.status());
  data_ = &data;
  live_source_ = source;
  MLLOOP_ASSIGN_OR_RETURN(std::optional<registry::ModelVersion> champion,
                          registry_->Champion(config_.name));
  if (!champion) return Status::NotFound("model " + config_.name + " has no champion to resume");
  MLLOOP_RETURN_IF_ERROR(AdoptChampion(*champion, reference, begin, end));
  labelled_end_ = predicted_end_ = data.rows();
  // The cooldown, the budget and the schedule go on from the registry's record: every
  // version registered is a training that spent budget, the newest one the last training.
  // (A restart must neither retrain at once nor get a fresh budget.)
  MLLOOP_ASSIGN_OR_RETURN(std::vector<registry::ModelVersion> versions,
                          registry_->ListVersions(config_.name));
  std::vector<int64_t> trained;
  for (const registry::ModelVersion& v : versions) trained.push_back(v.created_at);
  std::sort(trained.begin(), trained.end());
  const int64_t now = clock_->Now();
  policy_ = std::make_unique<policy::RetrainPolicy>(
      config_.policy, trained.empty() ? now : std::min(trained.back(), now));
  for (int64_t t : trained) {
    if (t <= now && t > now - config_.policy.budget_period) policy_->RecordRetrain(t, 0);
  }
  return Status::Ok();
}

Status Controller::AdoptChampion(const registry::ModelVersion& version,
                                 const core::Dataset& reference, size_t begin, size_t end) {
  auto model = LoadModel(version);
  if (!model.ok()) {
    return model.status().WithContext("taking " + config_.name + " v" +
                                      std::to_string(version.version) + " as champion");
  }
  champion_ = std::move(model).value();
  champion_version_ = version;
  // A champion trained on these live rows must not be scored on them.
  champion_train_end_ = 0;
  const registry::Lineage& lineage = version.lineage;
  if (!live_source_.empty() && lineage.data_source == live_source_) {
    champion_train_end_ = static_cast<size_t>(
        std::lower_bound(data_->row.begin(), data_->row.end(), lineage.row_end) -
        data_->row.begin());
  }
  monitor_.SetChampion(version.id, reference, begin, end);
  return Status::Ok();
}

Result<std::string> Controller::WhyRetrainWaits(const TrainingPlan& plan) {
  // A retrain that could not train, or whose candidate validation would have to reject for
  // want of holdout rows, would spend budget and start the cooldown for nothing: it waits
  // for labels instead (a server that just started has predictions long before labels).
  if (plan.begin >= plan.end) {
    return "the training window '" + plan.description + "' has no labelled rows yet";
  }
  const size_t holdout = labelled_end_ - plan.holdout_begin;
  if (options_.validate && static_cast<int64_t>(holdout) < config_.validation.min_rows) {
    return std::to_string(holdout) + " labelled rows for the holdout, validation needs " +
           std::to_string(config_.validation.min_rows);
  }
  if (!options_.hand_off) return std::string();
  // One deployment at a time: a candidate validated against a champion about to be
  // replaced would be judged against the wrong model.
  MLLOOP_ASSIGN_OR_RETURN(std::vector<registry::ModelVersion> versions,
                          registry_->ListVersions(config_.name));
  for (const registry::ModelVersion& v : versions) {
    if (v.state == VersionState::kApproved || v.state == VersionState::kCanary) {
      return "v" + std::to_string(v.version) + " is " +
             std::string(registry::VersionStateName(v.state)) +
             (v.state == VersionState::kApproved ? " and waits for its rollout" : ", rolling out");
    }
  }
  return std::string();
}

void Controller::ObservePrediction(int64_t id, const float* features, float prediction) {
  monitor_.OnPrediction(id, features, prediction);
}

void Controller::ObserveLabelledRows() {
  for (size_t i = labelled_end_; i < data_->rows(); ++i) ObserveLabel(data_->row[i], data_->y[i]);
  labelled_end_ = predicted_end_ = data_->rows();
}

void Controller::ObserveLabel(int64_t id, float label) {
  // NotFound: predicted before a restart, so the monitor cannot score it.
  monitor_.OnLabel(id, label).IgnoreError();
}

Status Controller::NeedChampion() const {
  if (champion_) return Status::Ok();
  return Status::FailedPrecondition(
      "model " + config_.name + " has no champion yet: with approval: manual its first version " +
      "waits for `mlloop approve` (see `mlloop models list`)");
}

Status Controller::PredictRows(size_t begin, size_t end, std::vector<float>* out) {
  if (begin == end) return Status::Ok();
  MLLOOP_RETURN_IF_ERROR(NeedChampion());
  std::vector<float> preds;
  MLLOOP_RETURN_IF_ERROR(champion_->Predict(data_->Row(begin), end - begin, data_->n_features, &preds));
  for (size_t i = begin; i < end; ++i) {
    monitor_.OnPrediction(data_->row[i], data_->Row(i), preds[i - begin]);
  }
  out->insert(out->end(), preds.begin(), preds.end());
  predicted_end_ = std::max(predicted_end_, end);
  return Status::Ok();
}

Status Controller::RevealLabels(size_t end) {
  if (end > predicted_end_) {
    return Status::FailedPrecondition("labels up to row " + std::to_string(end) +
                                      " arrived, but only rows before " +
                                      std::to_string(predicted_end_) + " were predicted");
  }
  for (size_t i = labelled_end_; i < end; ++i) {
    MLLOOP_RETURN_IF_ERROR(monitor_.OnLabel(data_->row[i], data_->y[i]));
  }
  labelled_end_ = std::max(labelled_end_, end);
  return Status::Ok();
}

Result<RetrainOutcome> Controller::Retrain(int64_t decision_id, const TrainingPlan& plan) {
  RetrainOutcome out;
  // An attempt spends budget and starts the cooldown even if it then fails: a broken
  // trainer must not be run again on every tick.
  policy_->RecordRetrain(clock_->Now(), monitor_.labels_total());
  // The most recent labelled rows that the champion did not train on are the holdout; the
  // candidate trains on rows that end where the holdout begins, so neither model has seen it.
  const size_t holdout_begin = plan.holdout_begin;
  const size_t begin = plan.begin, end = plan.end;
  out.train_begin = begin;
  out.train_end = end;
  out.holdout_begin = holdout_begin;
  out.holdout_end = labelled_end_;
  out.training_window = plan.description;
  const double before = train_seconds_;
  MLLOOP_ASSIGN_OR_RETURN(auto model, TrainTimed(begin, end));
  out.train_seconds = train_seconds_ - before;
  ++retrains_;
  MLLOOP_ASSIGN_OR_RETURN(std::string artifact, model->Serialize());
  MLLOOP_ASSIGN_OR_RETURN(auto version, RegisterCandidate(artifact, begin, end, plan.description,
                                                          decision_id, out.train_seconds));
  out.version_id = version.id;
  out.version = version.version;

  const int64_t now = clock_->Now();
  if (!options_.validate) {
    out.evaluation.passed = true;
    out.validation = "validation off (" + options_.policy_name + " baseline)";
    MLLOOP_RETURN_IF_ERROR(Accept(version, out.validation, std::move(model), begin, end, &out));
    return out;
  }

  // Both models are scored by the code path that serves them, on the holdout, and held
  // against every gate of the validation section.
  MLLOOP_ASSIGN_OR_RETURN(
      validate::Comparison comparison,
      validate::CompareModels(config_, *data_, holdout_begin, labelled_end_, *model,
                              champion_.get(), static_cast<int64_t>(artifact.size())));
  out.evaluation = std::move(comparison.evaluation);
  out.holdout_scores = std::move(comparison.candidate);
  out.validation = out.evaluation.Summary();
  MLLOOP_RETURN_IF_ERROR(RecordEvaluation(version, out.evaluation, now));

  const std::string label = "v" + std::to_string(version.version);
  std::string outcome;
  if (out.evaluation.passed) {
    MLLOOP_RETURN_IF_ERROR(Accept(version, out.validation, std::move(model), begin, end, &out));
    outcome = label +
              (out.promoted     ? " promoted: "
               : out.handed_off ? " approved, handed to the rollout: "
                                : " validated, awaiting approval: ") +
              out.validation;
  } else {
    ++rejected_;
    // The audit entry of the rejection names the failed gate and its numbers.
    MLLOOP_RETURN_IF_ERROR(registry_->Transition(version.id, VersionState::kRejected, options_.actor,
                                                 out.validation, now));
    outcome = label + " rejected: " + out.validation;
  }
  MLLOOP_RETURN_IF_ERROR(registry_->RecordDecisionOutcome(decision_id, outcome));
  return out;
}

Status Controller::RecordEvaluation(const registry::ModelVersion& version,
                                    const validate::Evaluation& evaluation, int64_t now) {
  registry::Evaluation eval;
  eval.version_id = version.id;
  if (champion_version_) eval.champion_id = champion_version_->id;
  // The headline numbers are the validation metric's; every gate's are in the report.
  eval.metric = config_.validation.metric;
  eval.rows = evaluation.rows;
  eval.margin = config_.validation.margin;
  for (const validate::GateOutcome& g : evaluation.gates) {
    if (g.metric == eval.metric && g.candidate_value) {
      eval.candidate_value = *g.candidate_value;
      eval.champion_value = g.champion_value;
      break;
    }
  }
  eval.passed = evaluation.passed;
  eval.reason = evaluation.Summary();
  eval.report_json = evaluation.ToJson();
  eval.time = now;
  return registry_->RecordEvaluation(eval).status();
}

Result<TickOutcome> Controller::Tick() {
  TickOutcome out;
  const int64_t now = clock_->Now();
  MLLOOP_ASSIGN_OR_RETURN(out.promoted_approved, PromoteApproved());
  MLLOOP_RETURN_IF_ERROR(NeedChampion());
  out.observation = monitor_.Observe(now);
  const monitor::Observation& obs = out.observation;
  out.decision = policy_->Decide(obs);
  // A plan comes with a retrain decision only.
  const std::optional<TrainingPlan> plan = ChooseTraining(obs, &out.decision);
  if (plan) {
    MLLOOP_ASSIGN_OR_RETURN(std::string wait, WhyRetrainWaits(*plan));
    if (!wait.empty()) {
      out.decision.action = policy::Action::kNone;
      out.decision.reason += "; the retrain waits: " + wait;
    }
  }

  registry::Decision record;
  record.model = config_.name;
  record.policy = options_.policy_name;
  record.time = now;
  out.signals_json = out.decision.SignalsJson();
  record.signals_json = out.signals_json;
  record.action = std::string(policy::ActionName(out.decision.action));
  record.reason = out.decision.reason;
  record.budget_left = out.decision.budget_left;
  MLLOOP_ASSIGN_OR_RETURN(out.decision_id, registry_->RecordDecision(record));

  if (out.decision.action != policy::Action::kRetrain) return out;
  auto retrain = Retrain(out.decision_id, *plan);
  if (!retrain.ok()) {
    // A failed retrain must not stop the loop: the champion keeps serving, and the failure is
    // on record next to the decision that asked for it.
    registry::AuditEntry entry;
    entry.time = now;
    entry.actor = options_.actor;
    entry.action = "retrain_failed";
    entry.subject = config_.name;
    entry.details_json = nlohmann::json{{"decision", out.decision_id},
                                        {"error", retrain.status().ToString()}}.dump();
    MLLOOP_RETURN_IF_ERROR(registry_->Append(entry));
    out.decision.reason += "; retrain failed: " + retrain.status().message();
    return out;
  }
  out.retrain = std::move(retrain).value();
  return out;
}

}  // namespace mlloop::loop
