#include "validate/holdout_gate.h"

#include "config/model_config.h"
#include "core/format.h"
#include "stats/metrics.h"

namespace mlloop::validate {

Result<GateResult> HoldoutGate(const HoldoutScores& scores, const std::string& metric,
                               double margin, int64_t min_rows) {
  GateResult r;
  r.metric = metric;
  r.rows = static_cast<int64_t>(scores.rows);
  r.margin = margin;
  if (r.rows < min_rows) {
    r.passed = false;
    r.reason = "not enough clean holdout rows: " + std::to_string(r.rows) + " < " +
               std::to_string(min_rows) + " (rows that neither model trained on)";
    return r;
  }
  MLLOOP_ASSIGN_OR_RETURN(r.candidate_value,
                          stats::ComputeMetric(metric, scores.y, scores.candidate, scores.rows));
  if (scores.champion == nullptr) {
    r.passed = true;
    r.reason = "no champion: candidate " + metric + " " + core::FormatFixed(r.candidate_value, 4) +
               " on " + std::to_string(r.rows) + " rows";
    return r;
  }
  MLLOOP_ASSIGN_OR_RETURN(double champion,
                          stats::ComputeMetric(metric, scores.y, scores.champion, scores.rows));
  r.champion_value = champion;
  r.delta = r.candidate_value - champion;
  // Positive `worse` means the candidate is worse, whichever way the metric points.
  const double worse = config::HigherIsBetter(metric) ? -r.delta : r.delta;
  r.passed = worse <= margin;
  r.reason = std::string(r.passed ? "passed" : "rejected") + ": candidate " + metric + " " +
             core::FormatFixed(r.candidate_value, 4) + " vs champion " +
             core::FormatFixed(champion, 4) + " on " + std::to_string(r.rows) + " rows (" +
             (worse > 0 ? "worse" : "better") + " by " +
             core::FormatFixed(worse > 0 ? worse : -worse, 4) + ", margin " +
             core::FormatFixed(margin, 4) + ")";
  return r;
}

}  // namespace mlloop::validate
