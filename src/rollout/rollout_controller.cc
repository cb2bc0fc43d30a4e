#include "rollout/rollout_controller.h"

#include <algorithm>
#include <cmath>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "rollout/rollout_record.h"

namespace mlloop::rollout {
namespace {

using registry::ModelVersion;
using registry::VersionState;
using Strategy = config::RolloutConfig::Strategy;

std::string Label(const ModelVersion& v) { return v.model + " v" + std::to_string(v.version); }

std::string Percent(double share) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g%%", std::round(share * 1000) / 10);
  return buf;
}

std::string Number(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%.4g", v);
  return buf;
}

double FailedShare(const serve::VersionMetrics::Snapshot& s) {
  return s.total() == 0 ? 0.0 : static_cast<double>(s.requests[1] + s.requests[2]) / s.total();
}

serve::StickyKey StickyOf(const config::RolloutConfig& c) {
  serve::StickyKey key;
  key.name = c.sticky_name;
  key.source = c.sticky_source == config::RolloutConfig::StickySource::kHeader
                   ? serve::StickyKey::Source::kHeader
               : c.sticky_source == config::RolloutConfig::StickySource::kField
                   ? serve::StickyKey::Source::kField
                   : serve::StickyKey::Source::kNone;
  return key;
}

}  // namespace

std::string_view PhaseName(Phase phase) {
  switch (phase) {
    case Phase::kIdle: return "idle";
    case Phase::kRolling: return "rolling";
    case Phase::kWatching: return "watching";
  }
  return "idle";
}

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kNone: return "none";
    case Action::kStarted: return "started";
    case Action::kAdvanced: return "advanced";
    case Action::kPromoted: return "promoted";
    case Action::kRolledBack: return "rolled_back";
    case Action::kWatchEnded: return "watch_ended";
    case Action::kFollowed: return "followed";
  }
  return "none";
}

RolloutController::RolloutController(registry::Registry* registry, const core::Clock* clock,
                                     serve::ModelSlot* slot, Loader loader, Options options)
    : registry_(registry),
      clock_(clock),
      slot_(slot),
      loader_(std::move(loader)),
      options_(std::move(options)) {}

// ---------------------------------------------------------------------------------------------
// Steps

size_t StepCount(const config::RolloutConfig& config) {
  return config.strategy == Strategy::kCanary || config.strategy == Strategy::kLinear
             ? config.steps.size()
             : 1;
}

double StepWeight(const config::RolloutConfig& config, size_t step) {
  switch (config.strategy) {
    case Strategy::kCanary:
    case Strategy::kLinear:
      return config.steps.empty() ? 0.0 : config.steps[std::min(step, config.steps.size() - 1)];
    case Strategy::kBlueGreen: return 1.0;
    case Strategy::kShadow: return 0.0;
  }
  return 0.0;
}

size_t RolloutController::StepCount() const { return rollout::StepCount(config_); }

double RolloutController::WeightAt(size_t step) const { return StepWeight(config_, step); }

Status RolloutController::PublishRoute() {
  if (phase_ != Phase::kRolling) {
    slot_->SetRoute(serve::TrafficRoute::ChampionOnly(
        phase_ == Phase::kWatching ? challenger_ : champion_));
    return Status::Ok();
  }
  MLLOOP_ASSIGN_OR_RETURN(
      auto route,
      serve::TrafficRoute::Make(champion_, challenger_,
                                config_.strategy == Strategy::kShadow
                                    ? serve::ChallengerMode::kShadow
                                    : serve::ChallengerMode::kSplit,
                                WeightAt(step_), StickyOf(config_)));
  slot_->SetRoute(std::move(route));
  return Status::Ok();
}

Result<int64_t> RolloutController::Record(const std::string& actor, const std::string& action,
                                          const std::string& reason,
                                          const std::vector<GuardReading>& guards,
                                          const std::string& audit_action,
                                          std::optional<VersionState> to) {
  RolloutStep step;
  step.version = *challenger_version_;
  step.champion = champion_version_ ? Label(*champion_version_) : "";
  step.strategy = std::string(config::RolloutStrategyName(config_.strategy));
  step.step = phase_ == Phase::kRolling ? step_ + 1 : 0;
  step.steps = StepCount();
  step.weight = phase_ == Phase::kRolling ? WeightAt(step_) : 0.0;
  step.actor = actor;
  step.action = action;
  step.reason = reason;
  step.guards = guards;
  step.audit_action = audit_action;
  step.to = to;
  step.time = clock_->Now();
  MLLOOP_ASSIGN_OR_RETURN(int64_t id, RecordRolloutStep(*registry_, step));
  MLLOOP_ASSIGN_OR_RETURN(challenger_version_, registry_->GetVersionById(step.version.id));
  return id;
}

// ---------------------------------------------------------------------------------------------
// Guards

std::optional<double> RolloutController::MetricOf(const Outcomes& o) const {
  if (o.n == 0) return std::nullopt;
  const double n = static_cast<double>(o.n);
  const std::string& metric = config_.guard.metric;
  if (metric == "accuracy") return o.correct / n;
  if (metric == "mae") return o.abs_error / n;
  return std::sqrt(o.sq_error / n);
}

std::optional<double> RolloutController::Metric(int64_t version, uint64_t* labels) const {
  std::lock_guard lock(outcomes_mu_);
  for (const auto& [v, o] : outcomes_) {
    if (v != version) continue;
    *labels = o.n;
    return MetricOf(o);
  }
  *labels = 0;
  return std::nullopt;
}

void RolloutController::Add(Outcomes* o, double prediction, double label) {
  ++o->n;
  o->correct += (prediction >= 0.5) == (label >= 0.5) ? 1 : 0;
  const double error = prediction - label;
  o->abs_error += std::fabs(error);
  o->sq_error += error * error;
}

void RolloutController::StartWatch() {
  std::lock_guard lock(outcomes_mu_);
  watch_previous_ = champion_;
  watch_version_ = challenger_version_->version;
  watch_new_ = watch_old_ = {};
}

void RolloutController::EndWatch() {
  std::lock_guard lock(outcomes_mu_);
  watch_previous_.reset();
  watch_version_ = 0;
}

std::vector<GuardReading> RolloutController::Judge() const {
  std::vector<GuardReading> out;
  const auto& g = config_.guard;
  const bool shadow = phase_ == Phase::kRolling && config_.strategy == Strategy::kShadow;
  const auto challenger_now =
      shadow ? challenger_->metrics().Shadowed() : challenger_->metrics().Served();
  const auto ch = challenger_now.Since(challenger_start_);
  // The champion over the same period; before it, when it saw too few requests meanwhile
  // (blue/green sends it none).
  auto base = phase_ == Phase::kRolling ? champion_->metrics().Served().Since(champion_start_)
                                        : champion_during_;
  std::string base_period = phase_ == Phase::kRolling ? "same period" : "during the rollout";
  if (base.total() < static_cast<uint64_t>(g.min_requests)) {
    base = champion_start_;
    base_period = "before the rollout";
  }
  const uint64_t min = static_cast<uint64_t>(g.min_requests);
  const std::string ch_name = "v" + challenger_->version_text();
  const std::string base_name = "v" + champion_->version_text();
  if (ch.total() >= min) {
    const double rate = static_cast<double>(ch.requests[2]) / ch.total();
    out.push_back({"error_rate", rate, g.max_error_rate, rate > g.max_error_rate,
                   ch_name + ": " + std::to_string(ch.requests[2]) + " server errors in " +
                       std::to_string(ch.total()) + (shadow ? " shadow predictions" : " requests")});
    if (base.total() >= min) {
      const double increase = FailedShare(ch) - FailedShare(base);
      out.push_back({"error_rate_increase", increase, g.max_error_rate_increase,
                     increase > g.max_error_rate_increase,
                     ch_name + " fails " + Number(FailedShare(ch)) + ", " + base_name + " " +
                         Number(FailedShare(base)) + " (" + base_period + ")"});
      if (g.max_latency_p99_ratio > 0 && !shadow) {
        const double p99 = ch.LatencyQuantile(0.99), base_p99 = base.LatencyQuantile(0.99);
        if (base_p99 > 0) {
          const double ratio = p99 / base_p99;
          out.push_back({"latency_p99_ratio", ratio, g.max_latency_p99_ratio,
                         ratio > g.max_latency_p99_ratio,
                         ch_name + " p99 " + Number(p99 * 1e3) + " ms, " + base_name + " " +
                             Number(base_p99 * 1e3) + " ms (" + base_period + ")"});
        }
      }
    }
  }
  if (g.max_prediction_psi > 0) {
    auto bins = drift_.load();
    if (bins && bins->version == challenger_version_->version) {
      std::vector<size_t> counts(bins->reference.slots());
      size_t total = 0;
      for (size_t i = 0; i < counts.size(); ++i) {
        counts[i] = bins->counts[i].load(std::memory_order_relaxed);
        total += counts[i];
      }
      if (total >= min) {
        const double psi = bins->reference.PsiOfCounts(counts.data(), total);
        out.push_back({"prediction_psi", psi, g.max_prediction_psi, psi > g.max_prediction_psi,
                       ch_name + ": " + std::to_string(total) +
                           " live predictions against its validation predictions"});
      }
    }
  }
  uint64_t ch_labels = 0, base_labels = 0;
  std::optional<double> ch_metric, base_metric;
  bool same_rows = false;
  if (phase_ == Phase::kWatching) {
    std::lock_guard lock(outcomes_mu_);
    if (watch_new_.n > 0) {
      same_rows = true;
      ch_labels = base_labels = watch_new_.n;
      ch_metric = MetricOf(watch_new_);
      base_metric = MetricOf(watch_old_);
    }
  }
  if (!same_rows) {
    ch_metric = Metric(challenger_version_->version, &ch_labels);
    base_metric = Metric(champion_->version(), &base_labels);
  }
  const uint64_t min_labels = static_cast<uint64_t>(g.min_labels);
  if (ch_metric && base_metric && ch_labels >= min_labels && base_labels >= min_labels) {
    const double loss = config::HigherIsBetter(g.metric) ? *base_metric - *ch_metric
                                                        : *ch_metric - *base_metric;
    out.push_back({g.metric + "_loss", loss, g.max_metric_loss, loss > g.max_metric_loss,
                   same_rows ? ch_name + " " + g.metric + " " + Number(*ch_metric) + ", " +
                                   base_name + " " + Number(*base_metric) + " on the same " +
                                   std::to_string(ch_labels) + " labelled rows since the promotion"
                             : ch_name + " " + g.metric + " " + Number(*ch_metric) + " on " +
                                   std::to_string(ch_labels) + " labels, " + base_name + " " +
                                   Number(*base_metric) + " on " + std::to_string(base_labels)});
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// The state machine

Result<TickResult> RolloutController::Start(const ModelVersion& version) {
  config_ = options_.default_config;
  if (!version.lineage.config_text.empty()) {
    // Its guard metric defaults to its task's (ModelConfig::DefaultMetric).
    auto config = config::ParseModelConfig(version.lineage.config_text, version.model + ".yaml");
    if (!config.ok()) return config.status().WithContext("rolling out " + Label(version));
    config_ = config->rollout;
  }
  // Without a recorded config the task is unknown: judged as a binary one.
  if (config_.guard.metric.empty()) config_.guard.metric = "accuracy";
  MLLOOP_ASSIGN_OR_RETURN(std::optional<ModelVersion> champion,
                          registry_->Champion(version.model));
  if (!champion) {
    return Status::FailedPrecondition("rolling out " + Label(version) +
                                      ": the model has no champion to compare it with");
  }
  auto challenger = loader_(version);
  if (!challenger.ok()) {
    // A version that cannot be served is not retried at every tick: it is rejected, saying why.
    rejected_loads_.push_back(version.id);
    const std::string reason = "cannot be served: " + challenger.status().message();
    if (version.state == VersionState::kApproved) {
      MLLOOP_RETURN_IF_ERROR(registry_->Reject(version.id, options_.actor, reason, clock_->Now()));
    }
    return challenger.status().WithContext("rolling out " + Label(version));
  }
  std::shared_ptr<const serve::ServedModel> live = slot_->Get();
  if (live == nullptr || live->version() != champion->version) {
    MLLOOP_ASSIGN_OR_RETURN(live, loader_(*champion));
  }
  challenger_ = std::move(*challenger);
  champion_ = std::move(live);
  challenger_version_ = version;
  champion_version_ = champion;
  step_ = 0;
  phase_ = Phase::kRolling;
  phase_started_ = clock_->Now();
  challenger_start_ = config_.strategy == Strategy::kShadow ? challenger_->metrics().Shadowed()
                                                            : challenger_->metrics().Served();
  step_start_requests_ = 0;
  champion_start_ = champion_->metrics().Served();
  champion_during_ = {};
  ResetDrift();
  {
    std::lock_guard lock(outcomes_mu_);
    outcomes_.clear();
    outcomes_.push_back({challenger_->version(), {}});
    outcomes_.push_back({champion_->version(), {}});
  }
  const bool resumed = version.state == VersionState::kCanary;
  std::string reason = std::string(resumed ? "resumed" : "started") + " the " +
                       std::string(config::RolloutStrategyName(config_.strategy)) + " rollout of " +
                       Label(version) + " against " + Label(*champion) + ": ";
  reason += config_.strategy == Strategy::kShadow
                ? "it predicts a copy of every request, the champion answers"
                : "step 1/" + std::to_string(StepCount()) + ", " + Percent(WeightAt(0)) +
                      " of traffic";
  if (config_.sticky_source != config::RolloutConfig::StickySource::kNone) {
    reason += ", sticky by " + StickyOf(config_).Describe();
  }
  MLLOOP_ASSIGN_OR_RETURN(
      int64_t id, Record(options_.actor, "none", reason, {}, "rollout_start",
                         resumed ? std::nullopt : std::optional(VersionState::kCanary)));
  MLLOOP_RETURN_IF_ERROR(PublishRoute());
  last_guards_.clear();
  return TickResult{Action::kStarted, id, reason};
}

Result<TickResult> RolloutController::AdvanceOrPromote(const std::vector<GuardReading>& guards) {
  if (step_ + 1 >= StepCount()) {
    return Promoted(options_.actor,
                    "promoted " + Label(*challenger_version_) + " after " +
                        std::to_string(StepCount()) + " step" + (StepCount() > 1 ? "s" : "") +
                        " of its " + std::string(config::RolloutStrategyName(config_.strategy)) +
                        " rollout with every guard holding",
                    guards);
  }
  ++step_;
  phase_started_ = clock_->Now();
  const auto now = config_.strategy == Strategy::kShadow ? challenger_->metrics().Shadowed()
                                                         : challenger_->metrics().Served();
  step_start_requests_ = now.Since(challenger_start_).total();
  const std::string reason = Label(*challenger_version_) + ": step " + std::to_string(step_ + 1) +
                             "/" + std::to_string(StepCount()) + ", " + Percent(WeightAt(step_)) +
                             " of traffic; every guard held";
  MLLOOP_ASSIGN_OR_RETURN(int64_t id,
                          Record(options_.actor, "none", reason, guards, "rollout_step", std::nullopt));
  MLLOOP_RETURN_IF_ERROR(PublishRoute());
  return TickResult{Action::kAdvanced, id, reason};
}

Result<TickResult> RolloutController::Promoted(const std::string& actor, const std::string& reason,
                                               const std::vector<GuardReading>& guards) {
  MLLOOP_ASSIGN_OR_RETURN(int64_t id, Record(actor, "none", reason, guards, "rollout_promote",
                                             VersionState::kChampion));
  ServeAsChampion();
  return TickResult{Action::kPromoted, id, reason};
}

void RolloutController::ServeAsChampion() {
  // What the old champion did during the rollout is the yardstick of the watch.
  champion_during_ = champion_->metrics().Served().Since(champion_start_);
  challenger_start_ = challenger_->metrics().Served();
  phase_ = config_.watch > 0 ? Phase::kWatching : Phase::kIdle;
  phase_started_ = clock_->Now();
  if (phase_ == Phase::kWatching) StartWatch();
  // Served counts only: the new champion answers everything now.
  slot_->SetRoute(serve::TrafficRoute::ChampionOnly(challenger_));
  // The drift counts see only challenger predictions; a champion's are not observed.
  drift_.store(nullptr);
}

Result<TickResult> RolloutController::RollBack(const std::string& actor, const std::string& reason,
                                               const std::vector<GuardReading>& guards) {
  MLLOOP_ASSIGN_OR_RETURN(int64_t id, Record(actor, "rollback", reason, guards, "rollout_rollback",
                                             VersionState::kRolledBack));
  // Rolling: the champion never stopped being champion. Watching: the registry restored the
  // previous champion, which is still loaded.
  slot_->SetRoute(serve::TrafficRoute::ChampionOnly(champion_));
  phase_ = Phase::kIdle;
  EndWatch();
  drift_.store(nullptr);
  return TickResult{Action::kRolledBack, id, reason};
}

Result<TickResult> RolloutController::Follow() {
  const std::string& model = slot_->name();
  MLLOOP_ASSIGN_OR_RETURN(ModelVersion now, registry_->GetVersionById(challenger_version_->id));
  MLLOOP_ASSIGN_OR_RETURN(std::optional<ModelVersion> champion, registry_->Champion(model));
  auto serve_champion = [&]() -> Result<TickResult> {
    phase_ = Phase::kIdle;
    EndWatch();
    drift_.store(nullptr);
    challenger_version_ = now;
    if (!champion) return TickResult{Action::kFollowed, std::nullopt, model + " has no champion"};
    std::shared_ptr<const serve::ServedModel> served =
        champion->version == champion_->version()      ? champion_
        : champion->version == challenger_->version()  ? challenger_
                                                       : nullptr;
    if (served == nullptr) {
      MLLOOP_ASSIGN_OR_RETURN(served, loader_(*champion));
    }
    slot_->SetRoute(serve::TrafficRoute::ChampionOnly(served));
    return TickResult{Action::kFollowed, std::nullopt,
                      Label(now) + " is " + std::string(registry::VersionStateName(now.state)) +
                          " in the registry; serving " + Label(*champion)};
  };
  if (phase_ == Phase::kRolling) {
    if (now.state == VersionState::kCanary && champion && champion->id == champion_version_->id) {
      return TickResult{};
    }
    if (now.state == VersionState::kCanary) {
      // The champion changed under the rollout (a rollback elsewhere): the comparison no
      // longer means anything, so the canary ends.
      const std::string reason = "aborted: the champion changed from " +
                                 Label(*champion_version_) + " to " +
                                 (champion ? Label(*champion) : "none") + " during the rollout";
      MLLOOP_ASSIGN_OR_RETURN(int64_t id, Record(options_.actor, "rollback", reason, {},
                                                 "rollout_rollback", VersionState::kRolledBack));
      MLLOOP_ASSIGN_OR_RETURN(now, registry_->GetVersionById(now.id));
      auto followed = serve_champion();
      if (followed.ok()) followed->decision_id = id;
      return followed;
    }
    if (now.state == VersionState::kChampion && config_.watch > 0) {
      // Promoted by someone else (mlloop rollout promote): serve it and watch it, as a
      // promotion here would.
      challenger_version_ = now;
      ServeAsChampion();
      return TickResult{Action::kFollowed, std::nullopt,
                        Label(now) + " was promoted in the registry; watching it"};
    }
    return serve_champion();
  }
  // Watching.
  if (now.state == VersionState::kChampion) return TickResult{};
  return serve_champion();
}

Result<TickResult> RolloutController::Tick() {
  if (phase_ != Phase::kIdle) {
    MLLOOP_ASSIGN_OR_RETURN(TickResult followed, Follow());
    if (followed.action != Action::kNone) return followed;
  }
  const int64_t now = clock_->Now();
  if (phase_ == Phase::kIdle) {
    MLLOOP_ASSIGN_OR_RETURN(auto versions, registry_->ListVersions(slot_->name()));
    const ModelVersion* next = nullptr;
    for (const ModelVersion& v : versions) {  // by version: the newest wins; a canary first
      const bool rejected =
          std::find(rejected_loads_.begin(), rejected_loads_.end(), v.id) != rejected_loads_.end();
      if (rejected) continue;
      if (v.state == VersionState::kCanary) {
        next = &v;
        break;
      }
      if (v.state == VersionState::kApproved) next = &v;
    }
    if (next == nullptr) return TickResult{};
    return Start(*next);
  }
  last_guards_ = Judge();
  std::string fired;
  for (const GuardReading& g : last_guards_) {
    if (g.fired) fired += (fired.empty() ? "" : "; ") + g.name + " " + Number(g.value) + " > " +
                          Number(g.threshold) + " (" + g.note + ")";
  }
  if (phase_ == Phase::kRolling) {
    if (!fired.empty()) {
      return RollBack(options_.actor, "rolled back " + Label(*challenger_version_) +
                                          " at step " + std::to_string(step_ + 1) + "/" +
                                          std::to_string(StepCount()) + ": " + fired,
                      last_guards_);
    }
    const auto counts = config_.strategy == Strategy::kShadow ? challenger_->metrics().Shadowed()
                                                              : challenger_->metrics().Served();
    const uint64_t step_requests = counts.Since(challenger_start_).total() - step_start_requests_;
    const bool timed_out = now - phase_started_ >= config_.step_duration;
    const bool enough = step_requests >= static_cast<uint64_t>(config_.step_requests);
    if (timed_out && enough) return AdvanceOrPromote(last_guards_);
    return TickResult{};
  }
  // Watching the new champion.
  if (!fired.empty()) {
    return RollBack(options_.actor,
                    "rolled back " + Label(*challenger_version_) + " " +
                        std::to_string(now - phase_started_) + " s after its promotion; " +
                        Label(*champion_version_) + " is champion again: " + fired,
                    last_guards_);
  }
  if (now - phase_started_ >= config_.watch) {
    const std::string reason = "watched " + Label(*challenger_version_) + " for " +
                               core::FormatDuration(config_.watch) +
                               " after its promotion; every guard held";
    MLLOOP_ASSIGN_OR_RETURN(int64_t id, Record(options_.actor, "none", reason, last_guards_,
                                               "rollout_watch_end", std::nullopt));
    phase_ = Phase::kIdle;
    EndWatch();
    champion_ = challenger_;
    drift_.store(nullptr);
    return TickResult{Action::kWatchEnded, id, reason};
  }
  return TickResult{};
}

Result<TickResult> RolloutController::Promote(const std::string& actor, const std::string& reason) {
  if (phase_ != Phase::kRolling) {
    return Status::FailedPrecondition("no rollout of " + slot_->name() +
                                      " in progress to promote (" +
                                      std::string(PhaseName(phase_)) + ")");
  }
  return Promoted(actor, "promoted " + Label(*challenger_version_) + " by " + actor + " at step " +
                             std::to_string(step_ + 1) + "/" + std::to_string(StepCount()) +
                             (reason.empty() ? "" : ": " + reason),
                  Judge());
}

Result<TickResult> RolloutController::Abort(const std::string& actor, const std::string& reason) {
  if (phase_ == Phase::kIdle) {
    return Status::FailedPrecondition("no rollout of " + slot_->name() + " in progress to abort");
  }
  return RollBack(actor, "aborted by " + actor + (reason.empty() ? "" : ": " + reason), Judge());
}

RolloutStatus RolloutController::status() const {
  RolloutStatus s;
  s.model = slot_->name();
  s.phase = phase_;
  s.strategy = config_.strategy;
  if (phase_ == Phase::kIdle) return s;
  s.challenger = challenger_version_;
  s.champion = champion_version_;
  s.step = phase_ == Phase::kRolling ? step_ + 1 : 0;
  s.steps = StepCount();
  s.weight = phase_ == Phase::kRolling ? WeightAt(step_) : 1.0;
  s.phase_started = phase_started_;
  const bool shadow = phase_ == Phase::kRolling && config_.strategy == Strategy::kShadow;
  s.challenger_requests =
      (shadow ? challenger_->metrics().Shadowed() : challenger_->metrics().Served())
          .Since(challenger_start_)
          .total();
  s.champion_requests = champion_->metrics().Served().Since(champion_start_).total();
  s.guards = last_guards_;
  return s;
}

// ---------------------------------------------------------------------------------------------
// Hooks

void RolloutController::RecordOutcome(int64_t version, double prediction, double label,
                                      const float* x) {
  std::lock_guard lock(outcomes_mu_);
  for (auto& [v, o] : outcomes_) {
    if (v == version) Add(&o, prediction, label);
  }
  if (x != nullptr && watch_previous_ != nullptr && version == watch_version_) {
    std::vector<float> previous;
    if (watch_previous_->Predict(x, 1, &previous).ok() && previous.size() == 1) {
      Add(&watch_new_, prediction, label);
      Add(&watch_old_, previous[0], label);
    }
  }
}

void RolloutController::SetValidationPredictions(int64_t version,
                                                 const std::vector<float>& predictions) {
  {
    std::lock_guard lock(outcomes_mu_);
    auto it = std::find_if(references_.begin(), references_.end(),
                           [&](const auto& r) { return r.first == version; });
    if (it != references_.end()) {
      it->second = predictions;
    } else {
      references_.push_back({version, predictions});
    }
  }
  if (challenger_version_ && challenger_version_->version == version && phase_ != Phase::kIdle) {
    ResetDrift();
  }
}

void RolloutController::ResetDrift() {
  std::vector<float> reference;
  {
    std::lock_guard lock(outcomes_mu_);
    for (const auto& [v, p] : references_) {
      if (v == challenger_version_->version) reference = p;
    }
  }
  if (reference.empty()) {
    drift_.store(nullptr);
    return;
  }
  auto bins = std::make_shared<DriftBins>();
  bins->version = challenger_version_->version;
  bins->reference = stats::PsiReference::BuildNumeric(reference, 10);
  drift_.store(std::move(bins));
}

serve::ChallengerObserver RolloutController::Observer() {
  return [this](const serve::ChallengerPrediction& p) {
    if (!p.status.ok()) return;
    std::shared_ptr<DriftBins> bins = drift_.load();
    if (bins == nullptr || bins->version != p.challenger.version()) return;
    for (float v : p.predictions) {
      const size_t slot = std::min(bins->reference.Slot(v), bins->counts.size() - 1);
      bins->counts[slot].fetch_add(1, std::memory_order_relaxed);
    }
  };
}

}  // namespace mlloop::rollout
