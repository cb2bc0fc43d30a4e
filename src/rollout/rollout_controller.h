// RolloutController: moves an approved version of one model into production through the steps
// of its `rollout` config (config/model_config.h) while the server answers traffic, judges it
// live against the champion, and promotes it or rolls it back.
//
//   idle ──(an approved version)──> rolling: canary state, step 1 of the strategy
//   rolling ──(step done, guards hold)──> next step ... ──(last step done)──> promoted
//   rolling ──(a guard fires)──> rolled back (canary -> rolled_back), champion alone again
//   promoted ──> watching for `watch` ──(a guard fires)──> rolled back to the previous champion
//                                     ──(the period ends)──> idle
//
// Strategies: canary and linear give the challenger the configured shares of traffic in turn;
// blue_green gives it all of the traffic at once while the champion stays loaded; shadow gives
// it a copy of every request and returns only the champion's answers. A step ends when it has
// lasted `step_duration` and the challenger has seen `step_requests` requests.
//
// Guards (each judged once the version has `min_requests` requests, or `min_labels` labels):
// the challenger's server-error rate; its failed-request rate above the champion's over the
// same period; its p99 latency over the champion's (not in shadow, where it times only the
// prediction); the PSI of its live predictions against its predictions on its validation
// holdout (SetValidationPredictions); the online metric from labelled predictions
// (RecordOutcome, fed by label feedback) against the champion's. While watching after a
// promotion, the new champion is judged against what the old one did during the rollout.
//
// Every step — start, each new share, promotion, rollback, end of the watch, an operator's
// promote or abort — is a decision record (policy "rollout:<strategy>", action none or
// rollback, the guards as signals) and an audit entry, in one registry transaction; state
// changes go through Registry::Transition (approved -> canary -> champion | rolled_back;
// champion -> rolled_back restores the previous champion). Routes are published to the
// server's ModelSlot after the registry committed; the registry stays the truth, so a change
// made elsewhere (`mlloop rollout abort` from another process) is followed at the next Tick().
//
// It only reads a Clock, so tests run it on a VirtualClock without HTTP: they drive a
// PredictionService's Handle() or a real server, and call Tick().
//
// Thread-safety: Tick(), Promote(), Abort() and status() from one thread (the server's rollout
// thread); RecordOutcome() and the observer from Observer() from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "config/model_config.h"
#include "core/clock.h"
#include "core/status.h"
#include "registry/registry.h"
#include "serve/server_metrics.h"
#include "serve/traffic_router.h"
#include "stats/psi.h"

namespace mlloop::rollout {

enum class Phase { kIdle, kRolling, kWatching };
std::string_view PhaseName(Phase phase);  // "idle", "rolling", "watching"

// How many steps `config`'s strategy takes: one per share (canary, linear), else one.
size_t StepCount(const config::RolloutConfig& config);
// The challenger's share of traffic at `step` (0-based; past the last, the last share) of
// `config`'s strategy: its shares (canary, linear; 0 without any), 1 (blue/green), 0 (shadow).
double StepWeight(const config::RolloutConfig& config, size_t step);

// One guard's verdict.
struct GuardReading {
  std::string name;  // error_rate, error_rate_increase, latency_p99_ratio, prediction_psi, <metric>_loss
  double value = 0;
  double threshold = 0;
  bool fired = false;
  std::string note;  // e.g. "challenger 0.012 vs champion 0.003 over 1,200 / 23,000 requests"
};

// Where a rollout stands.
struct RolloutStatus {
  std::string model;
  Phase phase = Phase::kIdle;
  config::RolloutConfig::Strategy strategy = config::RolloutConfig::Strategy::kCanary;
  std::optional<registry::ModelVersion> challenger;  // rolling: the canary; watching: the new champion
  std::optional<registry::ModelVersion> champion;    // rolling: the champion; watching: the previous one
  size_t step = 0;          // 1-based while rolling; 0 otherwise
  size_t steps = 0;         // how many the strategy has
  double weight = 0;        // the challenger's share of traffic now (shadow: 0)
  int64_t phase_started = 0;  // when this step (or the watch) began
  uint64_t challenger_requests = 0;  // since the rollout began (shadow: predictions)
  uint64_t champion_requests = 0;
  std::vector<GuardReading> guards;  // at the last Tick()
};

// What one Tick() did.
enum class Action { kNone, kStarted, kAdvanced, kPromoted, kRolledBack, kWatchEnded, kFollowed };
std::string_view ActionName(Action action);

struct TickResult {
  Action action = Action::kNone;
  std::optional<int64_t> decision_id;  // the decision recorded for it, if any
  std::string reason;
};

class RolloutController {
 public:
  // Loads a version for serving (ServedModel::LoadVersion in production).
  using Loader =
      std::function<Result<std::shared_ptr<const serve::ServedModel>>(const registry::ModelVersion&)>;

  struct Options {
    std::string actor = "mlloop-rollout";
    // Used for versions whose lineage records no config (and so no rollout section).
    config::RolloutConfig default_config;
  };

  // `registry`, `clock`, `slot` must outlive the controller. The slot must already serve the
  // model's champion. The registry belongs to the controller's thread.
  RolloutController(registry::Registry* registry, const core::Clock* clock,
                    serve::ModelSlot* slot, Loader loader, Options options);

  // One step of the state machine at clock->Now(): follows changes made in the registry by
  // others, starts a rollout of the newest approved (or a canary left by a restart) version
  // when idle, judges the guards, and advances, promotes, rolls back or ends the watch.
  // Errors are the registry's or the loader's; a version that cannot be loaded is rejected
  // (audited with the reason) rather than retried forever.
  Result<TickResult> Tick();

  // An operator's word (audited as `actor`): promote the challenger now, or abort the rollout
  // (canary -> rolled_back) — or, while watching, roll back to the previous champion.
  // FailedPrecondition when there is nothing to promote or abort.
  Result<TickResult> Promote(const std::string& actor, const std::string& reason);
  Result<TickResult> Abort(const std::string& actor, const std::string& reason);

  RolloutStatus status() const;

  // The feedback hook: one labelled prediction of `version` (the label joined to the logged
  // prediction). Feeds the online-metric guard. Thread-safe; ignored for versions not in the
  // current rollout. With the row's features `x` (n_features floats), while watching a new
  // champion, the previous champion predicts the same row too, and the watch compares the
  // two on the same labelled rows (otherwise: the new champion's labels against the old
  // one's from the rollout, which on a drifting stream compares two periods).
  void RecordOutcome(int64_t version, double prediction, double label, const float* x = nullptr);

  // The predictions `version` made on its validation holdout, the reference of the
  // prediction-drift guard (10 quantile bins, PSI). Without one that guard is not judged.
  void SetValidationPredictions(int64_t version, const std::vector<float>& predictions);

  // An observer for PredictionService::AddChallengerObserver: counts the challenger's live
  // predictions into the prediction-drift bins. Thread-safe; valid while the controller is.
  serve::ChallengerObserver Observer();

 private:
  Result<TickResult> Start(const registry::ModelVersion& version);
  Result<TickResult> AdvanceOrPromote(const std::vector<GuardReading>& guards);
  Result<TickResult> RollBack(const std::string& actor, const std::string& reason,
                              const std::vector<GuardReading>& guards);
  Result<TickResult> Promoted(const std::string& actor, const std::string& reason,
                              const std::vector<GuardReading>& guards);
  Result<TickResult> Follow();
  // After the challenger became champion (here or elsewhere): it answers all traffic, and
  // the watch (if configured) starts, its yardsticks taken now.
  void ServeAsChampion();
  std::vector<GuardReading> Judge() const;
  // StepCount() and StepWeight() of the current strategy; `step` is 0-based.
  size_t StepCount() const;
  double WeightAt(size_t step) const;
  Status PublishRoute();
  // Records the decision, audits the step and applies `to` (if any) in one transaction.
  Result<int64_t> Record(const std::string& actor, const std::string& action,
                         const std::string& reason, const std::vector<GuardReading>& guards,
                         const std::string& audit_action,
                         std::optional<registry::VersionState> to);
  void ResetDrift();
  std::optional<double> Metric(int64_t version, uint64_t* labels) const;

  registry::Registry* registry_;
  const core::Clock* clock_;
  serve::ModelSlot* slot_;
  Loader loader_;
  Options options_;

  // The rollout in progress (touched by the controller's thread only).
  Phase phase_ = Phase::kIdle;
  config::RolloutConfig config_;
  std::optional<registry::ModelVersion> challenger_version_;
  std::optional<registry::ModelVersion> champion_version_;
  std::shared_ptr<const serve::ServedModel> challenger_;
  std::shared_ptr<const serve::ServedModel> champion_;
  size_t step_ = 0;  // 0-based
  int64_t phase_started_ = 0;
  uint64_t step_start_requests_ = 0;
  // The counters when the rollout began (the challenger's are reset when its watch begins);
  // the champion's are also its record from before the rollout, the guards' fallback.
  serve::VersionMetrics::Snapshot challenger_start_, champion_start_;
  serve::VersionMetrics::Snapshot champion_during_;  // the old champion over the rollout
  std::vector<GuardReading> last_guards_;
  std::vector<int64_t> rejected_loads_;  // versions that failed to load, not retried

  // Prediction drift: one version's reference bins and its live counts, replaced whole (so
  // request threads never lock; see Observer()).
  struct DriftBins {
    int64_t version = 0;
    stats::PsiReference reference;
    std::array<std::atomic<uint64_t>, 16> counts{};  // by PsiReference::Slot (<= 12 slots)
  };
  std::atomic<std::shared_ptr<DriftBins>> drift_;
  // Validation predictions given before the version's rollout began, by version.
  std::vector<std::pair<int64_t, std::vector<float>>> references_;  // guarded by outcomes_mu_

  // Online metric (written by the feedback path through RecordOutcome()).
  struct Outcomes {
    uint64_t n = 0;
    double correct = 0;     // binary: predictions on the right side of 0.5
    double abs_error = 0;
    double sq_error = 0;
  };
  static void Add(Outcomes* o, double prediction, double label);
  std::optional<double> MetricOf(const Outcomes& o) const;
  // While watching: the previous champion scores the new one's labelled rows as well.
  void StartWatch();
  void EndWatch();
  mutable std::mutex outcomes_mu_;
  std::vector<std::pair<int64_t, Outcomes>> outcomes_;  // by version; guarded by outcomes_mu_
  std::shared_ptr<const serve::ServedModel> watch_previous_;  // guarded by outcomes_mu_
  int64_t watch_version_ = 0;                                  // guarded by outcomes_mu_
  Outcomes watch_new_, watch_old_;  // the same rows, both models; guarded by outcomes_mu_
};

}  // namespace mlloop::rollout
