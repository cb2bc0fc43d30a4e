#include "monitor/model_monitor.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/format.h"
#include "drift/detector_registry.h"
#include "stats/metrics.h"

namespace mlloop::monitor {

ModelMonitor::ModelMonitor(const config::MonitoringConfig& config, const core::Schema& schema,
                           std::string metric, const config::Trigger* trigger)
    : config_(config), metric_(std::move(metric)), n_features_(schema.features.size()) {
  schema_.features = schema.features;
  task_ = schema.label.task;
  for (const auto& f : schema.features) {
    feature_names_.push_back(f.name);
    feature_types_.push_back(f.type);
  }
  // After the names: a detector on a feature finds its column among them.
  if (trigger != nullptr) CollectDriftRules(*trigger);
  size_t ring = 0;
  for (const auto& e : estimates_) ring = std::max(ring, e.window);
  scores_.resize(ring);
  window_y_.resize(static_cast<size_t>(config_.metric_window));
  window_pred_.resize(static_cast<size_t>(config_.metric_window));
  recent_.resize(static_cast<size_t>(config_.drift_window) * n_features_);
  recent_slots_.resize(recent_.size());
}

void ModelMonitor::CollectDriftRules(const config::Trigger& node) {
  for (const auto& child : node.children) CollectDriftRules(child);
  if (node.kind == config::Trigger::Kind::kEstimatedPerformance) {
    EstimateWatch e;
    e.line = node.line;
    e.metric = node.metric;
    e.window = static_cast<size_t>(node.estimate_window);
    e.reference_size = static_cast<size_t>(node.reference_labels);
    estimates_.push_back(std::move(e));
    return;
  }
  if (node.kind == config::Trigger::Kind::kDetector) {
    DetectorWatch w;
    w.line = node.line;
    w.name = node.detector;
    w.on_errors = node.detector_on == "errors";
    for (size_t j = 0; j < feature_names_.size(); ++j) {
      if (feature_names_[j] == node.detector_on) w.feature = j;
    }
    auto created = drift::CreateDetector(node.detector, node.detector_params);
    if (created.ok()) {
      w.detector = std::move(created).value();
    } else {
      w.error = created.status().message();
    }
    detectors_.push_back(std::move(w));
    return;
  }
  if (node.kind != config::Trigger::Kind::kDrift || node.method == "psi") return;
  // The config checked every name against the same list, so parsing cannot fail here.
  const auto method = [](const std::string& name) {
    auto m = drift::ParseMethod(name);
    MLLOOP_CHECK(m.ok(), "drift method validated by the config");
    return *m;
  };
  DriftRule rule{node.line, {}};
  rule.options.method = method(node.method);
  rule.options.threads = 1;  // small windows, every tick: threads would cost more than save
  if (node.drift_threshold) {
    rule.options.distance_threshold = *node.drift_threshold;
    if (*node.drift_threshold <= 1) rule.options.p_threshold = *node.drift_threshold;
  }
  for (const auto& [name, r] : node.drift_features) {
    if (!r.method.empty()) rule.options.per_feature[name] = method(r.method);
    if (r.threshold) rule.options.per_feature_threshold[name] = *r.threshold;
  }
  drift_rules_.push_back(std::move(rule));
}

void ModelMonitor::Feed(DetectorWatch& w, double x, int64_t request_id) {
  if (!w.detector || w.fired) return;  // latched until the next champion
  w.ids.push_back(request_id);
  if (w.ids.size() > kDetectorIdMemory) {
    w.ids.pop_front();
    ++w.ids_dropped;
  }
  if (w.detector->Update(x) == drift::Verdict::kDrift) {
    w.fired = true;
    w.change_start = w.detector->ChangeStart();
    w.fired_at = w.detector->updates() - 1;
    w.fired_request = request_id;
    const uint64_t start = w.change_start.value_or(w.fired_at);
    w.change_request = w.ids[start > w.ids_dropped ? start - w.ids_dropped : 0];
    w.ids.clear();  // latched: no more values until the next champion
  }
}

DriftCheck ModelMonitor::CheckDrift(const DriftRule& rule, const core::Dataset& recent) const {
  DriftCheck check;
  auto report =
      drift::ComputeDriftAgainstProfile(*reference_profile_, recent, schema_, rule.options);
  if (!report.ok()) {
    check.detail = "drift report failed: " + report.status().message();
    return check;
  }
  check.available = report->features_computable > 0;
  check.drifted = report->features_drifted;
  check.computable = report->features_computable;
  check.detail = std::to_string(check.drifted) + "/" + std::to_string(check.computable) +
                 " features drifted";
  std::string names;
  for (const auto& f : report->features) {
    if (!f.drift) continue;
    names += (names.empty() ? ": " : ", ") + f.name + " (" + f.method + " " +
             (f.p_value ? "p=" + core::FormatFixed(*f.p_value, 4)
                        : core::FormatFixed(f.statistic.value_or(0), 3)) +
             ")";
  }
  check.detail += names;
  return check;
}

void ModelMonitor::CountRow(size_t ring_index, int delta) {
  for (size_t j = 0; j < n_features_; ++j) {
    const size_t k = ring_index * n_features_ + j;
    if (delta > 0) {
      recent_slots_[k] = static_cast<uint32_t>(reference_[j].Slot(recent_[k]));
      ++slot_counts_[j][recent_slots_[k]];
    } else {
      --slot_counts_[j][recent_slots_[k]];
    }
  }
}

void ModelMonitor::SetChampion(int64_t version_id, const core::Dataset& data, size_t begin,
                               size_t end) {
  champion_version_ = version_id;
  window_next_ = window_size_ = 0;
  reference_.clear();
  if (!drift_rules_.empty()) {
    // Every value kept and every category tracked: the profile is exact, and a tick's report
    // against it equals the report against the rows (reference_profile_test.cc).
    const size_t rows = end - begin;
    drift::ReferenceProfileOptions exact;
    exact.exact_values = static_cast<uint32_t>(std::min<size_t>(rows, size_t{1} << 24));
    exact.column.frequent_items_capacity = static_cast<uint32_t>(
        std::clamp<size_t>(rows, 1024, stats::kFrequentItemsMaxCapacity));
    exact.threads = 1;
    auto profile = drift::ReferenceProfile::Build(data.Slice(begin, end), schema_, exact);
    reference_profile_.reset();
    reference_error_.clear();
    if (profile.ok()) {
      reference_profile_ = std::move(profile).value();
    } else {
      reference_error_ = profile.status().message();
    }
    reference_categories_ = data.categories;
  }
  // A new champion: its detectors start afresh, on its own predictions only.
  for (auto& w : detectors_) {
    if (w.detector) w.detector->Reset();
    w.fired = false;
    w.change_start.reset();
    w.fired_at = 0;
    w.ids.clear();
    w.ids_dropped = 0;
    w.change_request.reset();
    w.fired_request = 0;
  }
  // A new champion's scores mean something else: its estimates start from a new reference.
  scores_next_ = scores_size_ = 0;
  for (auto& e : estimates_) {
    e.reference_scores.clear();
    e.reference_labels.clear();
    e.cbpe.reset();
    e.error.clear();
  }
  std::vector<float> column(end - begin);
  for (size_t j = 0; j < n_features_; ++j) {
    for (size_t i = begin; i < end; ++i) column[i - begin] = data.At(i, j);
    if (feature_types_[j] == core::FeatureType::kNumeric) {
      reference_.push_back(stats::PsiReference::BuildNumeric(column, config_.psi_bins));
    } else {
      reference_.push_back(stats::PsiReference::BuildCategorical(column));
    }
  }
  // The recent rows keep their values; their slots are re-read under the new reference.
  slot_counts_.assign(n_features_, {});
  for (size_t j = 0; j < n_features_; ++j) slot_counts_[j].assign(reference_[j].slots(), 0);
  for (size_t i = 0; i < recent_size_; ++i) CountRow(i, +1);
}

void ModelMonitor::OnPrediction(int64_t request_id, const float* features, float prediction) {
  TakePrediction(request_id, features, prediction);
  ++predictions_total_;
}

void ModelMonitor::ReplayPrediction(int64_t request_id, const float* features, float prediction) {
  TakePrediction(request_id, features, prediction);
}

void ModelMonitor::TakePrediction(int64_t request_id, const float* features, float prediction) {
  pending_[request_id] = Pending{prediction, champion_version_};
  if (champion_version_ >= 0 && !scores_.empty()) {
    scores_[scores_next_] = prediction;
    scores_next_ = (scores_next_ + 1) % scores_.size();
    scores_size_ = std::min(scores_size_ + 1, scores_.size());
  }
  if (features == nullptr) return;  // replayed, older than the drift window: awaits its label
  if (champion_version_ >= 0) {
    for (auto& w : detectors_) {
      if (!w.on_errors) Feed(w, features[w.feature], request_id);
    }
  }
  const bool full = recent_size_ == static_cast<size_t>(config_.drift_window);
  if (full && !reference_.empty()) CountRow(recent_next_, -1);  // the oldest row leaves
  std::copy(features, features + n_features_, recent_.begin() + static_cast<std::ptrdiff_t>(recent_next_ * n_features_));
  if (!reference_.empty()) CountRow(recent_next_, +1);
  recent_next_ = (recent_next_ + 1) % static_cast<size_t>(config_.drift_window);
  recent_size_ = std::min(recent_size_ + 1, static_cast<size_t>(config_.drift_window));
}

Status ModelMonitor::OnLabel(int64_t request_id, float label) {
  if (!TakeLabel(request_id, label)) {
    return Status::NotFound("label for request " + std::to_string(request_id) +
                            ": no prediction is waiting for it (never predicted, or labelled twice)");
  }
  ++labels_total_;
  return Status::Ok();
}

void ModelMonitor::ReplayLabel(int64_t request_id, float label) { TakeLabel(request_id, label); }

bool ModelMonitor::TakeLabel(int64_t request_id, float label) {
  auto it = pending_.find(request_id);
  if (it == pending_.end()) return false;
  if (it->second.version_id == champion_version_) {
    window_y_[window_next_] = label;
    window_pred_[window_next_] = it->second.prediction;
    window_next_ = (window_next_ + 1) % window_y_.size();
    window_size_ = std::min(window_size_ + 1, window_y_.size());
    // The error stream of the champion: 0/1 misclassification, or the absolute error.
    const float p = it->second.prediction;
    const double error = task_ == core::Task::kRegression
                             ? std::fabs(static_cast<double>(p) - label)
                             : ((p >= 0.5f) != (label >= 0.5f) ? 1.0 : 0.0);
    for (auto& w : detectors_) {
      if (w.on_errors) Feed(w, error, request_id);
    }
    for (auto& e : estimates_) {
      if (e.cbpe || !e.error.empty()) continue;
      e.reference_scores.push_back(p);
      e.reference_labels.push_back(label >= 0.5f ? 1.0f : 0.0f);
      if (e.reference_scores.size() < e.reference_size) continue;
      auto fitted = drift::CbpeEstimator::Fit(e.reference_scores, e.reference_labels);
      if (fitted.ok()) {
        e.cbpe = std::move(fitted).value();
      } else {
        e.error = fitted.status().message();
      }
      e.reference_scores = {};
      e.reference_labels = {};
    }
  }
  pending_.erase(it);
  return true;
}

size_t ModelMonitor::ForgetPendingBefore(int64_t request_id) {
  return std::erase_if(pending_, [request_id](const auto& p) { return p.first < request_id; });
}

Status ModelMonitor::status() const {
  for (const auto& w : detectors_) {
    if (!w.detector) {
      return Status::InvalidArgument("trigger at line " + std::to_string(w.line) + ": detector " +
                                     w.name + ": " + w.error);
    }
  }
  return Status::Ok();
}

EstimateCheck ModelMonitor::CheckEstimate(const EstimateWatch& e) const {
  EstimateCheck c;
  const std::string head = "estimated " + e.metric;
  if (!e.error.empty()) {
    c.detail = head + ": CBPE could not be fitted on the champion's first " +
               std::to_string(e.reference_size) + " labels: " + e.error;
    return c;
  }
  if (!e.cbpe) {
    c.detail = head + ": collecting the reference, " + std::to_string(e.reference_scores.size()) +
               " of " + std::to_string(e.reference_size) + " labels";
    return c;
  }
  // The latest `window` scores, oldest first (CBPE's AUC sorts them anyway).
  const size_t n = std::min(e.window, scores_size_);
  if (n < e.window) {
    c.detail = head + ": " + std::to_string(n) + " of " + std::to_string(e.window) +
               " predictions in the window";
    return c;
  }
  std::vector<float> window(n);
  for (size_t k = 0; k < n; ++k) {
    window[n - 1 - k] = scores_[(scores_next_ + scores_.size() - 1 - k) % scores_.size()];
  }
  auto estimate = e.cbpe->Estimate(window);
  if (!estimate.ok()) {
    c.detail = head + ": " + estimate.status().message();
    return c;
  }
  drift::CbpeMetric metric = drift::CbpeMetric::kAccuracy;
  for (drift::CbpeMetric m : drift::kCbpeMetrics) {
    if (drift::CbpeMetricName(m) == e.metric) metric = m;
  }
  const drift::MetricEstimate& m = (*estimate)[metric];
  c.rows = static_cast<int64_t>(n);
  c.reference = m.reference;
  if (!m.defined) {
    c.detail = head + ": undefined on the latest " + std::to_string(n) + " predictions";
    return c;
  }
  c.available = true;
  c.value = m.value;
  c.lower = m.lower;
  c.upper = m.upper;
  c.detail = head + " " + core::FormatFixed(m.value, 4) + " [" + core::FormatFixed(m.lower, 4) +
             ", " + core::FormatFixed(m.upper, 4) + "] over the latest " + std::to_string(n) +
             " predictions (realised " + core::FormatFixed(m.reference, 4) + " on the reference)";
  return c;
}

Observation ModelMonitor::Observe(int64_t now) const {
  Observation obs;
  obs.time = now;
  obs.metric = metric_;
  obs.metric_labels = static_cast<int64_t>(window_size_);
  obs.labels_total = labels_total_;
  obs.predictions_total = predictions_total_;
  obs.features = feature_names_;
  if (window_size_ > 0) {
    // The ring's order does not matter to any metric we compute.
    auto value = stats::ComputeMetric(metric_, window_y_.data(), window_pred_.data(), window_size_);
    if (value.ok()) obs.metric_value = *value;
  }
  if (!reference_.empty() && recent_size_ > 0) {
    obs.drift_rows = static_cast<int64_t>(recent_size_);
    const double n = static_cast<double>(recent_size_);
    for (size_t j = 0; j < n_features_; ++j) {
      const stats::PsiReference& ref = reference_[j];
      const std::vector<size_t>& counts = slot_counts_[j];
      obs.psi.push_back(ref.PsiOfCounts(counts.data(), recent_size_));
      // Slots: value bins, then missing, then unseen (see stats::PsiReference). The
      // reference's missing share is floored at 1e-4 there; below that it is "none".
      const size_t missing_slot = ref.shares().size() - 1;
      const double ref_missing = ref.shares()[missing_slot] <= stats::kPsiShareFloor
                                     ? 0.0
                                     : ref.shares()[missing_slot];
      const double cur_missing = static_cast<double>(counts[missing_slot]) / n;
      if (cur_missing - ref_missing >= kMissingJump) {
        obs.quality.push_back({feature_names_[j], "missing_rate_jump", cur_missing, ref_missing});
      }
      const double unseen = static_cast<double>(counts[missing_slot + 1]) / n;
      if (unseen >= kUnseenCategoryShare) {
        obs.quality.push_back({feature_names_[j], "unseen_category", unseen, 0.0});
      }
    }
  }
  for (const auto& w : detectors_) {
    DetectorCheck c;
    c.source = w.name + " on " + (w.on_errors ? "errors" : feature_names_[w.feature]);
    c.available = w.detector != nullptr;
    if (!c.available) {
      c.detail = "detector " + w.name + ": " + w.error;
    } else {
      c.fired = w.fired;
      c.updates = w.fired ? w.fired_at + 1 : w.detector->updates();
      c.change_start = w.change_start;
      c.fired_at = w.fired_at;
      c.change_request = w.change_request;
      c.fired_request = w.fired_request;
      if (w.fired) {
        c.detail = c.source + ": change at value " + std::to_string(w.fired_at);
        if (w.change_start) {
          c.detail += ", began at value " + std::to_string(*w.change_start) + " (" +
                      std::to_string(w.fired_at - std::min(w.fired_at, *w.change_start)) +
                      " values before the alarm)";
        }
      } else {
        c.detail = c.source + ": " +
                   std::string(drift::VerdictName(w.detector->verdict())) + " after " +
                   std::to_string(c.updates) + " values";
      }
    }
    obs.detector_checks[w.line] = std::move(c);
  }
  for (const auto& e : estimates_) obs.estimate_checks[e.line] = CheckEstimate(e);
  if (!drift_rules_.empty() && !reference_error_.empty() && recent_size_ > 0) {
    for (const DriftRule& rule : drift_rules_) {
      obs.drift_checks[rule.line].detail = "reference profile failed: " + reference_error_;
    }
  } else if (!drift_rules_.empty() && reference_profile_ && reference_profile_->rows() > 0 &&
             recent_size_ > 0) {
    // The recent ring as a table, read under the training data's dictionaries.
    core::Dataset recent;
    recent.n_features = n_features_;
    recent.categories = reference_categories_;
    recent.x.assign(recent_.begin(),
                    recent_.begin() + static_cast<std::ptrdiff_t>(recent_size_ * n_features_));
    recent.y.assign(recent_size_, std::numeric_limits<float>::quiet_NaN());
    recent.time.assign(recent_size_, now);
    recent.row.assign(recent_size_, 0);
    for (const DriftRule& rule : drift_rules_) obs.drift_checks[rule.line] = CheckDrift(rule, recent);
  }
  return obs;
}

}  // namespace mlloop::monitor
