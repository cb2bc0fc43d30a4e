#include "policy/retrain_policy.h"

#include <algorithm>
#include <cstdio>
#include <nlohmann/json.hpp>

#include "core/format.h"
#include "core/time.h"

namespace mlloop::policy {

std::string_view ActionName(Action action) {
  switch (action) {
    case Action::kNone:
      return "none";
    case Action::kAlert:
      return "alert";
    case Action::kRetrain:
      return "retrain";
    case Action::kRollback:
      return "rollback";
  }
  return "unknown";
}

namespace {

std::string Describe(const Signal& s) {
  if (s.name == "schedule") {
    return "schedule: " + core::FormatDuration(static_cast<int64_t>(s.value)) + " since training " +
           s.comparison + " " + core::FormatDuration(static_cast<int64_t>(s.threshold));
  }
  if (s.name == "new_labels") {
    return "new_labels: " + std::to_string(static_cast<int64_t>(s.value)) + " " + s.comparison +
           " " + std::to_string(static_cast<int64_t>(s.threshold));
  }
  std::string out = s.name + ": " + core::FormatFixed(s.value, 4) + " " + s.comparison + " " +
                    core::FormatFixed(s.threshold, 4);
  if (!s.detail.empty()) out += " (" + s.detail + ")";
  return out;
}

// The monitor's check for the trigger at `line`; nullptr, with `s` marked unavailable and
// the check's reason in its detail, when there is none or it has no value yet.
template <typename Check>
const Check* FindCheck(const std::map<int, Check>& checks, int line, Signal& s) {
  const auto it = checks.find(line);
  if (it != checks.end() && it->second.available) return &it->second;
  s.available = false;
  s.detail = it == checks.end() ? "no champion yet" : it->second.detail;
  return nullptr;
}

}  // namespace

std::string Decision::SignalsJson() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& s : signals) {
    arr.push_back({{"name", s.name},
                   {"path", s.path},
                   {"value", s.value},
                   {"threshold", s.threshold},
                   {"comparison", s.comparison},
                   {"available", s.available},
                   {"fired", s.fired},
                   {"detail", s.detail}});
  }
  nlohmann::json out{{"signals", arr}};
  if (!training_window.empty()) out["training_window"] = training_window;
  return out.dump();
}

RetrainPolicy::RetrainPolicy(config::PolicyConfig config, int64_t start)
    : config_(std::move(config)), last_training_time_(start) {}

bool RetrainPolicy::Evaluate(const config::Trigger& node, const std::string& path,
                             const monitor::Observation& obs, std::vector<Signal>* signals) const {
  using Kind = config::Trigger::Kind;
  if (node.kind == Kind::kAny || node.kind == Kind::kAll) {
    const bool any = node.kind == Kind::kAny;
    // An empty `any` never fires: it is how the `never` baseline is expressed.
    if (node.children.empty()) return !any;
    bool result = !any;
    const std::string base =
        path.empty() ? (any ? "any" : "all") : path + "." + (any ? "any" : "all");
    for (size_t i = 0; i < node.children.size(); ++i) {
      // Every child is evaluated, even after the outcome is known: the record shows them all.
      bool fired = Evaluate(node.children[i], base + "[" + std::to_string(i) + "]", obs, signals);
      result = any ? (result || fired) : (result && fired);
    }
    return result;
  }

  Signal s;
  s.path = path.empty() ? "trigger" : path;
  switch (node.kind) {
    case Kind::kPerformance: {
      s.name = "performance";
      const bool higher = config::HigherIsBetter(node.metric);
      s.threshold = node.threshold;
      s.comparison = higher ? "<" : ">";
      s.detail = node.metric + " over " + std::to_string(obs.metric_labels) + " labels";
      if (node.metric != obs.metric || !obs.metric_value.has_value() ||
          obs.metric_labels < node.min_labels) {
        s.available = false;
        s.detail += node.metric != obs.metric ? " (the monitor watches " + obs.metric + ")"
                                              : " (needs " + std::to_string(node.min_labels) + ")";
        if (obs.metric_value.has_value()) s.value = *obs.metric_value;
        break;
      }
      s.value = *obs.metric_value;
      s.fired = higher ? s.value < s.threshold : s.value > s.threshold;
      break;
    }
    case Kind::kDrift: {
      s.name = "drift";
      s.threshold = node.min_share;
      s.comparison = ">=";
      if (node.method != "psi") {
        const auto it = obs.drift_checks.find(node.line);
        if (it == obs.drift_checks.end() || !it->second.available) {
          s.available = false;
          s.detail = it == obs.drift_checks.end() || it->second.detail.empty()
                         ? "no recent rows yet"
                         : it->second.detail;
          break;
        }
        const monitor::DriftCheck& check = it->second;
        s.value = static_cast<double>(check.drifted) / static_cast<double>(check.computable);
        s.fired = s.value >= node.min_share;
        s.detail = "by " + node.method + ": " + check.detail;
        break;
      }
      if (obs.psi.empty()) {
        s.available = false;
        s.detail = "no recent rows yet";
        break;
      }
      size_t drifted = 0;
      std::string names;
      for (size_t j = 0; j < obs.psi.size(); ++j) {
        if (obs.psi[j] > node.psi_above) {
          ++drifted;
          if (!names.empty()) names += ", ";
          names += obs.features[j] + " " + core::FormatFixed(obs.psi[j], 2);
        }
      }
      s.value = static_cast<double>(drifted) / static_cast<double>(obs.psi.size());
      s.fired = s.value >= node.min_share;
      s.detail = std::to_string(drifted) + "/" + std::to_string(obs.psi.size()) +
                 " features with PSI > " + core::FormatFixed(node.psi_above, 2) +
                 (names.empty() ? "" : ": " + names);
      break;
    }
    case Kind::kDetector: {
      s.name = "detector";
      s.threshold = 1;
      s.comparison = ">=";
      const monitor::DetectorCheck* check = FindCheck(obs.detector_checks, node.line, s);
      if (check == nullptr) break;
      s.value = check->fired ? 1.0 : 0.0;
      s.fired = check->fired;
      s.detail = check->detail;
      break;
    }
    case Kind::kEstimatedPerformance: {
      s.name = "estimated_performance";
      s.threshold = node.threshold;
      s.comparison = "<";
      const monitor::EstimateCheck* check = FindCheck(obs.estimate_checks, node.line, s);
      if (check == nullptr) break;
      s.value = check->value;
      s.fired = s.value < s.threshold;
      s.detail = check->detail;
      break;
    }
    case Kind::kNewLabels:
      s.name = "new_labels";
      s.value = static_cast<double>(obs.labels_total - labels_at_last_training_);
      s.threshold = static_cast<double>(node.at_least);
      s.comparison = ">=";
      s.fired = s.value >= s.threshold;
      break;
    case Kind::kSchedule:
      s.name = "schedule";
      s.value = static_cast<double>(obs.time - last_training_time_);
      s.threshold = static_cast<double>(node.every);
      s.comparison = ">=";
      s.fired = s.value >= s.threshold;
      break;
    default:
      break;
  }
  const bool fired = s.fired;
  signals->push_back(std::move(s));
  return fired;
}

int RetrainPolicy::RetrainsInPeriod(int64_t now) const {
  return static_cast<int>(
      std::count_if(retrain_times_.begin(), retrain_times_.end(),
                    [&](int64_t t) { return t > now - config_.budget_period; }));
}

Decision RetrainPolicy::Decide(const monitor::Observation& obs) const {
  Decision d;
  d.time = obs.time;
  d.triggered = Evaluate(config_.trigger, "", obs, &d.signals);
  const bool limited = config_.max_retrains > 0;
  const int used = limited ? RetrainsInPeriod(obs.time) : 0;
  d.budget_left = limited ? config_.max_retrains - used : -1;

  std::string fired;
  for (const auto& s : d.signals) {
    if (!s.fired) continue;
    if (!fired.empty()) fired += "; ";
    fired += Describe(s);
  }
  // A broken feed explains falling metrics and shifted features alike, and a model trained
  // on broken data would learn the breakage: alert a person, whatever the triggers say.
  if (!obs.quality.empty()) {
    std::string issues;
    for (const auto& q : obs.quality) {
      if (!issues.empty()) issues += ", ";
      issues += q.feature + " " +
                (q.kind == "missing_rate_jump"
                     ? "missing " + core::FormatFixed(100 * q.current, 1) + "% (training " +
                           core::FormatFixed(100 * q.reference, 1) + "%)"
                     : core::FormatFixed(100 * q.current, 1) + "% unseen categories");
    }
    d.action = Action::kAlert;
    d.reason = "data quality: " + issues +
               (d.triggered ? "; not retraining on a broken feed (" + fired + ")" : "");
    return d;
  }
  if (!d.triggered) {
    d.action = Action::kNone;
    d.reason = "no trigger fired";
    return d;
  }
  if (std::string blocked = RetrainBlocked(obs.time, &d.action); !blocked.empty()) {
    d.reason = blocked + " (" + fired + ")";
    return d;
  }
  d.action = Action::kRetrain;
  d.reason = fired;
  if (limited) d.budget_left -= 1;
  return d;
}

std::string RetrainPolicy::RetrainBlocked(int64_t now, Action* action) const {
  // The cooldown runs from the last training, the first one included.
  if (config_.cooldown > 0 && now - last_training_time_ < config_.cooldown) {
    *action = Action::kNone;
    return "cooldown until " + core::FormatTimestamp(last_training_time_ + config_.cooldown);
  }
  if (config_.max_retrains > 0 && RetrainsInPeriod(now) >= config_.max_retrains) {
    *action = Action::kAlert;
    return "retraining justified but the budget of " + std::to_string(config_.max_retrains) +
           " per " + core::FormatDuration(config_.budget_period) + " is spent";
  }
  return "";
}

void RetrainPolicy::RecordRetrain(int64_t time, int64_t labels_total) {
  last_training_time_ = time;
  labels_at_last_training_ = labels_total;
  retrain_times_.push_back(time);
  while (!retrain_times_.empty() && retrain_times_.front() <= time - config_.budget_period) {
    retrain_times_.pop_front();
  }
}

}  // namespace mlloop::policy
