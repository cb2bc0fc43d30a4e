// LoopMetrics: what the controller of `mlloop serve` adds to /metrics, in the Prometheus text
// format (serve/server_metrics.h renders it after the server's own families):
//
//   mlloop_loop_ticks_total{model}                      ticks run
//   mlloop_loop_decisions_total{model,action}           decisions, by action (none, alert,
//                                                       retrain, rollback)
//   mlloop_loop_retrains_total{model,outcome}           retrains, by what came of them:
//                                                       promoted, handed_off (to the rollout),
//                                                       awaiting_approval, rejected, failed
//   mlloop_loop_signal_value{model,signal,path}         each trigger's value at the last tick
//   mlloop_loop_signal_threshold{model,signal,path}     (performance: the metric; drift: the
//   mlloop_loop_signal_fired{model,signal,path}         share of drifted features; detector:
//                                                       1 when it flagged a change; ...), for
//                                                       the signals that had enough evidence
//   mlloop_loop_metric{model,metric}                    the champion's online metric over the
//                                                       rolling window of labelled predictions
//   mlloop_loop_feature_psi{model,feature}              each feature's PSI, recent window
//                                                       against the champion's training rows
//   mlloop_loop_last_tick_timestamp_seconds{model}      when the last tick ran (Unix time)
//
// Thread-safety: none; the thread that ticks the loop owns it.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>

#include "loop/controller.h"

namespace mlloop::loop {

class LoopMetrics {
 public:
  explicit LoopMetrics(std::string model) : model_(std::move(model)) {}

  // Counts one tick and keeps its signals for Render().
  void Count(const TickOutcome& outcome);

  // The exposition text, with # HELP and # TYPE lines.
  std::string Render() const;

 private:
  const std::string model_;
  uint64_t ticks_ = 0;
  std::array<uint64_t, 4> decisions_{};  // by policy::Action
  std::array<uint64_t, 5> retrains_{};   // by the outcomes above, in that order
  std::optional<TickOutcome> last_;
};

}  // namespace mlloop::loop
