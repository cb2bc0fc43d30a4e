// ModelMonitor: what one model sees and how it does, as the policy needs it.
//
// It keeps (a) the predictions still waiting for their labels, joined by request id when a
// label arrives however late; (b) a rolling window of the current champion's labelled
// predictions, from which the watched metric is computed — labels for predictions that an
// earlier champion made are counted but kept out of the window, so a new model is judged on
// its own errors; (c) the most recent feature rows, compared per feature by PSI with the
// champion's training window; (d) for detector triggers, a streaming detector on the
// champion's errors or a feature, which places a change on the request where it began; (e)
// for estimated_performance triggers, CBPE fitted on the champion's first labels, estimating
// its metric on its latest predictions before their labels come.
//
// Thread-safety: none; the controller that owns it serialises access.
#pragma once

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "config/model_config.h"
#include "core/schema.h"
#include "core/status.h"
#include "drift/cbpe.h"
#include "drift/detector.h"
#include "drift/drift_report.h"
#include "drift/reference_profile.h"
#include "stats/psi.h"

namespace mlloop::monitor {

// A sign that the data feeding the model is broken, rather than that the world changed. The
// monitor reports only the unambiguous ones: they clear by themselves once the feed is
// fixed, so blocking retrains on them cannot deadlock the loop.
struct QualityIssue {
  std::string feature;
  std::string kind;    // "missing_rate_jump" or "unseen_category"
  double current = 0;  // share in the recent window
  double reference = 0;  // share in the champion's training window
};

// A missing share this much above the reference's is a broken feed, not drift.
inline constexpr double kMissingJump = 0.1;
// This share of recent values in categories the champion never saw is a broken feed.
inline constexpr double kUnseenCategoryShare = 0.05;

// A drift trigger's verdict over the recent window by the drift report's methods
// (config::Trigger::method other than psi), computed by the monitor at Observe().
struct DriftCheck {
  bool available = false;  // false: no champion or no recent rows yet
  size_t drifted = 0;      // features that drifted
  size_t computable = 0;   // features that could be compared
  std::string detail;      // "2/7 features drifted: nswprice (ks p=0.001), ..."
};

// A detector trigger's state (config::Trigger::Kind::kDetector), since the champion took over.
struct DetectorCheck {
  std::string source;      // "adwin on errors", "page_hinkley on nswprice"
  bool available = false;  // false: the detector could not be created (see `detail`)
  bool fired = false;      // flagged a change since the champion took over
  uint64_t updates = 0;    // values it has seen since then
  std::optional<uint64_t> change_start;  // when fired: the value where the change began
  uint64_t fired_at = 0;                  // when fired: the value that raised the alarm
  // When fired: the request whose value began the change (for errors, the prediction whose
  // label it was) and the one that raised the alarm. A change that began before the oldest
  // remembered value (kDetectorIdMemory) is placed there.
  std::optional<int64_t> change_request;
  int64_t fired_request = 0;
  std::string detail;
};

// An estimated_performance trigger's view (config::Trigger::Kind::kEstimatedPerformance):
// CBPE on the champion's latest predictions, fitted on its first labelled ones.
struct EstimateCheck {
  bool available = false;  // false: still collecting the reference, or CBPE failed (`detail`)
  double value = 0;        // the estimate, never NaN
  double lower = 0, upper = 0;  // its confidence band
  double reference = 0;    // realised on the reference labels
  int64_t rows = 0;        // predictions in the estimated window
  std::string detail;
};

// How many of a detector's latest values the monitor can place on a request id.
inline constexpr size_t kDetectorIdMemory = size_t{1} << 20;

// The monitor's view at one moment: the policy's only input besides the clock.
struct Observation {
  int64_t time = 0;
  std::string metric;                 // e.g. "accuracy"
  std::optional<double> metric_value; // over the rolling window; empty when it holds no label
  int64_t metric_labels = 0;          // labelled predictions in the rolling window
  int64_t labels_total = 0;           // every label received, for the new_labels trigger
  int64_t predictions_total = 0;
  std::vector<std::string> features;  // names, in schema order
  std::vector<double> psi;            // per feature; empty when no reference or no recent rows
  int64_t drift_rows = 0;             // rows in the recent window behind `psi`
  std::vector<QualityIssue> quality;  // over the same window
  std::map<int, DriftCheck> drift_checks;  // by the drift trigger's config line
  std::map<int, DetectorCheck> detector_checks;  // by the detector trigger's config line
  std::map<int, EstimateCheck> estimate_checks;  // by the estimated_performance trigger's line
};

class ModelMonitor {
 public:
  // `trigger`: drift triggers in it with a method other than psi are checked at each
  // Observe() by the drift report's functions (drift/drift_report.h) on the champion's
  // training window against the recent window.
  ModelMonitor(const config::MonitoringConfig& config, const core::Schema& schema,
               std::string metric, const config::Trigger* trigger = nullptr);

  // A new champion takes over: rows [begin, end) of `data` (its training window) become the
  // drift reference, and the rolling metric window starts empty.
  void SetChampion(int64_t version_id, const core::Dataset& data, size_t begin, size_t end);

  // The champion answered `request_id` with `prediction` for `features` (n_features floats).
  void OnPrediction(int64_t request_id, const float* features, float prediction);

  // The label of `request_id` arrived. NotFound when the id was never predicted or was
  // already labelled; nothing changes then.
  Status OnLabel(int64_t request_id, float label);

  // What a server saw before it restarted, replayed from its inference log after
  // SetChampion(), in log order: as OnPrediction() and OnLabel(), but not counted in
  // predictions_total / labels_total (those, and the new_labels trigger that reads them,
  // count from the start). `features` may be null for predictions older than the drift
  // window: they only wait for their labels. A label with no waiting prediction is ignored.
  // Detectors see only the replayed rows with features.
  void ReplayPrediction(int64_t request_id, const float* features, float prediction);
  void ReplayLabel(int64_t request_id, float label);

  Observation Observe(int64_t now) const;

  // InvalidArgument naming the trigger when a detector trigger's detector could not be
  // created (an unknown parameter, an invalid value); OK otherwise. Check before running.
  Status status() const;

  // Forgets the predictions still waiting for a label whose request id is below
  // `request_id`: their labels can no longer come (`mlloop serve` joins labels only to its
  // latest rows), and a server must not keep every unlabelled prediction forever. Returns how
  // many were forgotten. O(pending).
  size_t ForgetPendingBefore(int64_t request_id);

  size_t pending_labels() const { return pending_.size(); }
  int64_t labels_total() const { return labels_total_; }

 private:
  struct Pending {
    float prediction;
    int64_t version_id;
  };
  void TakePrediction(int64_t request_id, const float* features, float prediction);
  bool TakeLabel(int64_t request_id, float label);  // false: no prediction waits for it

  struct DriftRule {
    int line;
    drift::DriftOptions options;
  };
  void CollectDriftRules(const config::Trigger& node);
  // A detector trigger's detector and what it has seen under the current champion.
  struct DetectorWatch {
    int line = 0;
    std::string name;
    bool on_errors = true;
    size_t feature = 0;  // when !on_errors
    std::unique_ptr<drift::Detector> detector;  // null when it could not be created
    std::string error;
    bool fired = false;
    std::optional<uint64_t> change_start;
    uint64_t fired_at = 0;
    // The request id of each value fed since the champion took over, the latest
    // kDetectorIdMemory of them; ids.front() is value number `ids_dropped`.
    std::deque<int64_t> ids;
    uint64_t ids_dropped = 0;
    std::optional<int64_t> change_request;
    int64_t fired_request = 0;
  };
  static void Feed(DetectorWatch& w, double x, int64_t request_id);
  // An estimated_performance trigger: its reference, then its fitted estimator.
  struct EstimateWatch {
    int line = 0;
    std::string metric;
    size_t window = 0;
    size_t reference_size = 0;
    std::vector<float> reference_scores, reference_labels;
    std::optional<drift::CbpeEstimator> cbpe;
    std::string error;  // why CBPE could not be fitted on the reference
  };
  std::vector<EstimateWatch> estimates_;
  EstimateCheck CheckEstimate(const EstimateWatch& w) const;
  // The champion's latest predictions, for the estimates: a ring of the largest window.
  std::vector<float> scores_;
  size_t scores_next_ = 0, scores_size_ = 0;
  std::vector<DetectorWatch> detectors_;
  core::Task task_ = core::Task::kBinaryClassification;
  DriftCheck CheckDrift(const DriftRule& rule, const core::Dataset& recent) const;

  config::MonitoringConfig config_;
  core::Schema schema_;                 // features only
  std::vector<DriftRule> drift_rules_;
  // With drift_rules_: the champion's training window, profiled once with every value kept
  // (so each tick's report is the report on the rows, without sorting them again), and its
  // category dictionaries, under which the recent rows are read.
  std::optional<drift::ReferenceProfile> reference_profile_;
  std::vector<std::vector<std::string>> reference_categories_;
  std::string reference_error_;  // why the profile could not be built; reported each tick
  std::string metric_;
  std::vector<std::string> feature_names_;
  std::vector<core::FeatureType> feature_types_;
  size_t n_features_;

  int64_t champion_version_ = -1;
  std::vector<stats::PsiReference> reference_;  // per feature, from the champion's training rows

  std::unordered_map<int64_t, Pending> pending_;

  // Rolling window of the champion's (label, prediction), a ring of metric_window entries.
  std::vector<float> window_y_, window_pred_;
  size_t window_next_ = 0, window_size_ = 0;

  // Recent feature rows, a ring of drift_window rows, with each value's PSI slot under the
  // current reference and the per-feature slot counts over the ring. Counts move by one row
  // per prediction, so a tick's PSI costs O(bins), not O(window).
  void CountRow(size_t ring_index, int delta);
  std::vector<float> recent_;
  std::vector<uint32_t> recent_slots_;
  std::vector<std::vector<size_t>> slot_counts_;  // per feature
  size_t recent_next_ = 0, recent_size_ = 0;

  int64_t labels_total_ = 0;
  int64_t predictions_total_ = 0;
};

}  // namespace mlloop::monitor
