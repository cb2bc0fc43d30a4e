// RolloutService: the rollout controller of `mlloop serve` on a thread of its own, and the
// admin API that lets operators see and steer it over HTTP.
//
// The thread ticks the RolloutController (rollout_controller.h) every Options::interval, and
// sooner when work is posted to it. Other threads reach the controller only through the
// service: RecordOutcome() and Observer() are the controller's own thread-safe hooks; the
// validation predictions and every admin request are posted to the thread and run there
// before its next tick, so the controller keeps its one-thread contract.
//
// Admin API (HandleAdmin), for one model NAME:
//   GET  /v1/admin/models/NAME/rollout            where the rollout stands (JSON below)
//   POST /v1/admin/models/NAME/rollout:promote    promote the challenger now   (approve)
//   POST /v1/admin/models/NAME/rollout:abort      abort, or roll back while watching (roll back)
// A POST needs `Authorization: Bearer <token>` of a role that holds the permission in
// brackets (registry/access.h); the caller is the audited actor. Without a token, or with one
// that does not hold it, the answer is 403 and the refusal is audited; a store without
// tokens takes no admin POSTs over HTTP (its local admin uses `mlloop rollout`). The body may
// be {"reason": "..."}. The GET is open, as /metrics is. Status JSON:
//   {"model", "phase": "idle|rolling|watching", "strategy", "challenger": {"version", "state"},
//    "champion": {...}, "step", "steps", "weight", "phase_started" (ISO 8601),
//    "challenger_requests", "champion_requests",
//    "guards": [{"name", "value", "threshold", "fired", "note"}]}
// A POST answers {"action", "reason", "decision_id", "status": {...}}; nothing to promote or
// abort is a 409 naming the phase.
//
// /metrics (ServerMetrics::SetExternal, refreshed after every tick):
//   mlloop_rollout_phase{model,phase}           1 for the phase the rollout is in, else 0
//   mlloop_rollout_step{model}                  the step (1-based) while rolling, else 0
//   mlloop_rollout_guard_value{model,guard}     each guard's value at the last judgement,
//   mlloop_rollout_guard_threshold{model,guard} its limit, and 1 when it fired
//   mlloop_rollout_guard_fired{model,guard}
//   mlloop_rollout_actions_total{model,action}  started, advanced, promoted, rolled_back,
//                                               watch_ended, followed
//
// Thread-safety: the public functions may be called from any thread once constructed; the
// destructor stops the thread (finishing a tick in progress) and must not race with them.
#pragma once

#include <array>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "core/clock.h"
#include "registry/registry.h"
#include "rollout/rollout_controller.h"
#include "serve/http_server.h"
#include "serve/traffic_router.h"

namespace mlloop::rollout {

class RolloutService {
 public:
  struct Options {
    std::chrono::milliseconds interval{1000};  // between ticks
    RolloutController::Options controller;
    // Called with what is worth a log: each step the controller took (`action` its
    // ActionName, `reason` why), each new error (`action` "error") and warning ("warning").
    std::function<void(std::string_view action, const std::string& reason)> report =
        [](std::string_view, const std::string&) {};
    // Called on the service's thread after each tick that left no rollout in progress (the
    // server uses it to follow a champion changed elsewhere).
    std::function<void()> when_idle = [] {};
  };

  // `registry` is the service's own connection. `slot` (already serving the champion),
  // `metrics` and `clock` must outlive the service. Starts the thread.
  RolloutService(std::unique_ptr<registry::Registry> registry, serve::ModelSlot* slot,
                 serve::ServerMetrics* metrics, const core::Clock* clock, Options options);
  ~RolloutService();
  RolloutService(const RolloutService&) = delete;
  RolloutService& operator=(const RolloutService&) = delete;

  // A labelled prediction of `version` for the row `x` (from the inference log's joins): the
  // online metric (RolloutController::RecordOutcome).
  void RecordOutcome(int64_t version, double prediction, double label, const float* x = nullptr) {
    controller_.RecordOutcome(version, prediction, label, x);
  }
  // For PredictionService::AddChallengerObserver.
  serve::ChallengerObserver Observer() { return controller_.Observer(); }
  // What `version` predicted on its validation holdout (the prediction-drift guard's
  // reference); taken on the service's thread. A version that starts its rollout without
  // one gets it from its lineage's data file when it can (validation_predictions.h).
  void SetValidationPredictions(int64_t version, std::vector<float> predictions);

  // The admin API above. Returns false, leaving `response` alone, when `request` is not an
  // admin route of this model. Blocks the calling (server) thread until the service's
  // thread has answered, at most 10 s (then 503).
  bool HandleAdmin(const serve::HttpRequest& request, serve::HttpResponse* response);

 private:
  void Run();
  void Step();
  // Runs `task` on the service's thread; false when it did not finish within `timeout`.
  bool Call(std::function<void()> task, std::chrono::milliseconds timeout);
  void Report(const Result<TickResult>& result);  // also counts it and refreshes /metrics
  void PublishMetrics();
  void Admin(std::string_view method, std::string_view action, const serve::HttpRequest& request,
             serve::HttpResponse* response);

  std::unique_ptr<registry::Registry> registry_;  // the service thread's
  serve::ModelSlot* slot_;
  serve::ServerMetrics* metrics_;
  const core::Clock* clock_;
  Options options_;
  RolloutController controller_;
  std::set<int64_t> references_;  // versions given validation predictions (service thread)
  std::string last_error_;        // reported once until it changes (service thread)
  std::array<uint64_t, 7> actions_{};  // by Action (service thread)

  std::mutex mu_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> inbox_;  // guarded by mu_
  bool stop_ = false;                        // guarded by mu_
  std::thread thread_;                       // last: starts running at once
};

}  // namespace mlloop::rollout
