#include "loop/loop_metrics.h"

#include <algorithm>

#include "serve/server_metrics.h"

namespace mlloop::loop {
namespace {

constexpr std::array<std::string_view, 5> kRetrainOutcomes = {
    "promoted", "handed_off", "awaiting_approval", "rejected", "failed"};

}  // namespace

void LoopMetrics::Count(const TickOutcome& outcome) {
  ++ticks_;
  ++decisions_[static_cast<size_t>(outcome.decision.action)];
  if (outcome.decision.action == policy::Action::kRetrain) {
    // A retrain decision without an outcome failed (the decision's reason says why).
    const std::string_view verdict = outcome.retrain ? outcome.retrain->Verdict() : "failed";
    const auto kind = std::find(kRetrainOutcomes.begin(), kRetrainOutcomes.end(), verdict);
    ++retrains_[static_cast<size_t>(kind - kRetrainOutcomes.begin())];
  }
  last_ = outcome;
}

std::string LoopMetrics::Render() const {
  serve::PrometheusText t;
  const std::string_view model = model_;
  t.Family("mlloop_loop_ticks_total", "counter", "Controller ticks run by this server.");
  t.Sample("mlloop_loop_ticks_total", {{"model", model}}, static_cast<double>(ticks_));
  t.Family("mlloop_loop_decisions_total", "counter", "Controller decisions, by action.");
  for (size_t a = 0; a < decisions_.size(); ++a) {
    t.Sample("mlloop_loop_decisions_total",
             {{"model", model}, {"action", policy::ActionName(static_cast<policy::Action>(a))}},
             static_cast<double>(decisions_[a]));
  }
  t.Family("mlloop_loop_retrains_total", "counter",
           "Retrains, by outcome: promoted, handed_off (to the rollout), awaiting_approval, "
           "rejected (by validation), failed.");
  for (size_t k = 0; k < retrains_.size(); ++k) {
    t.Sample("mlloop_loop_retrains_total", {{"model", model}, {"outcome", kRetrainOutcomes[k]}},
             static_cast<double>(retrains_[k]));
  }
  if (!last_) return t.Take();
  const TickOutcome& last = *last_;
  t.Family("mlloop_loop_last_tick_timestamp_seconds", "gauge", "When the last tick ran.");
  t.Sample("mlloop_loop_last_tick_timestamp_seconds", {{"model", model}},
           static_cast<double>(last.decision.time));
  t.Family("mlloop_loop_signal_value", "gauge",
           "Each trigger signal's value at the last tick (those with enough evidence).");
  for (const policy::Signal& s : last.decision.signals) {
    if (s.available) {
      t.Sample("mlloop_loop_signal_value", {{"model", model}, {"signal", s.name}, {"path", s.path}},
               s.value);
    }
  }
  t.Family("mlloop_loop_signal_threshold", "gauge", "Each trigger signal's threshold.");
  for (const policy::Signal& s : last.decision.signals) {
    if (s.available) {
      t.Sample("mlloop_loop_signal_threshold",
               {{"model", model}, {"signal", s.name}, {"path", s.path}}, s.threshold);
    }
  }
  t.Family("mlloop_loop_signal_fired", "gauge", "1 when the signal fired at the last tick.");
  for (const policy::Signal& s : last.decision.signals) {
    if (s.available) {
      t.Sample("mlloop_loop_signal_fired", {{"model", model}, {"signal", s.name}, {"path", s.path}},
               s.fired ? 1 : 0);
    }
  }
  const monitor::Observation& obs = last.observation;
  if (obs.metric_value) {
    t.Family("mlloop_loop_metric", "gauge",
             "The champion's online metric over the rolling window of labelled predictions.");
    t.Sample("mlloop_loop_metric", {{"model", model}, {"metric", obs.metric}}, *obs.metric_value);
  }
  if (!obs.psi.empty() && obs.psi.size() == obs.features.size()) {
    t.Family("mlloop_loop_feature_psi", "gauge",
             "Each feature's PSI, the recent window against the champion's training rows.");
    for (size_t f = 0; f < obs.psi.size(); ++f) {
      t.Sample("mlloop_loop_feature_psi", {{"model", model}, {"feature", obs.features[f]}},
               obs.psi[f]);
    }
  }
  return t.Take();
}

}  // namespace mlloop::loop
