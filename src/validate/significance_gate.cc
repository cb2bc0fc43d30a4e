// The significance gate: does the candidate's improvement over the champion hold at the
// configured confidence? See gates.h.
//
// Every test reports the difference candidate - champion with a two-sided interval at
// `confidence`; the gate passes when the interval's bound on the *gain* (the difference in
// the metric's better direction) is above min_gain (default 0: a significant improvement):
//   delong     DeLong's normal interval of the AUC difference (stats/delong.h);
//   bootstrap  the seeded paired bootstrap's percentile interval (stats/bootstrap.h),
//              stratified by label for a classifier so every resample keeps both classes;
//   mcnemar    McNemar's exact test decides (p < 1 - confidence with the candidate right
//              more often); the interval reported is the paired bootstrap's of the
//              accuracy difference, since McNemar's test gives none.
#include <cmath>

#include "core/format.h"
#include "stats/bootstrap.h"
#include "stats/delong.h"
#include "stats/mcnemar.h"
#include "stats/metrics.h"
#include "validate/gates.h"

namespace mlloop::validate {
namespace {

std::string F4(double v) { return core::FormatFixed(v, 4); }

std::string Pct(double level) { return core::FormatShortest(level * 100) + "%"; }

}  // namespace

Result<stats::PairedBootstrapResult> MetricBootstrap(const EvaluationInput& in,
                                                     const std::string& metric,
                                                     const stats::BootstrapOptions& options) {
  stats::ArrayMetric fn = [metric](std::span<const float> y, std::span<const float> p) {
    auto v = stats::ComputeMetric(metric, y.data(), p.data(), y.size());
    return v.ok() ? *v : NAN;
  };
  const auto sampling = in.task == core::Task::kBinaryClassification
                            ? stats::BootstrapSampling::kStratifiedByLabel
                            : stats::BootstrapSampling::kRows;
  return stats::PairedBootstrap(in.labels, in.champion, in.candidate, fn,
                                config::HigherIsBetter(metric) ? stats::Better::kHigher
                                                               : stats::Better::kLower,
                                options, sampling);
}

Result<GateOutcome> SignificanceGate(const config::GateConfig& gate, const EvaluationInput& in) {
  GateOutcome out;
  out.name = gate.name;
  out.kind = std::string(config::GateKindName(gate.kind));
  out.metric = gate.metric;
  out.test = gate.test;
  if (in.champion.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(out.candidate_value, stats::ComputeMetric(gate.metric, in.labels.data(),
                                                                      in.candidate.data(),
                                                                      in.labels.size()));
    out.passed = true;
    out.reason = "passed: no champion to compare with";
    return out;
  }
  const bool higher = config::HigherIsBetter(gate.metric);
  const double min_gain = gate.min_gain.value_or(0);
  auto not_computable = [&](const Status& s) {
    out.passed = false;
    out.reason = "rejected: " + gate.test + " test not computable on " +
                 std::to_string(in.labels.size()) + " rows: " + s.message();
    return out;
  };

  std::string decision;
  if (gate.test == "delong") {
    auto r = stats::DeLongTest(in.labels, in.champion, in.candidate, gate.confidence);
    if (!r.ok()) return not_computable(r.status());
    out.candidate_value = r->candidate_auc;
    out.champion_value = r->champion_auc;
    out.difference = r->difference;
    out.interval = Interval{r->lower, r->upper, gate.confidence};
    out.p_value = r->p_value;
  } else {
    stats::BootstrapOptions options;
    options.resamples = gate.resamples;
    options.seed = gate.seed;
    options.level = gate.confidence;
    auto boot = MetricBootstrap(in, gate.metric, options);
    if (!boot.ok()) return not_computable(boot.status());
    out.candidate_value = boot->candidate;
    out.champion_value = boot->champion;
    out.difference = boot->difference;
    out.interval = Interval{boot->lower, boot->upper, gate.confidence};
    out.p_value = boot->p_value;
    if (gate.test == "mcnemar") {
      std::vector<uint8_t> champ_right(in.labels.size()), cand_right(in.labels.size());
      for (size_t i = 0; i < in.labels.size(); ++i) {
        const bool y = in.labels[i] >= 0.5f;
        champ_right[i] = (in.champion[i] >= 0.5f) == y;
        cand_right[i] = (in.candidate[i] >= 0.5f) == y;
      }
      MLLOOP_ASSIGN_OR_RETURN(stats::PairedCorrectness table,
                              stats::CountPairedCorrectness(champ_right, cand_right));
      MLLOOP_ASSIGN_OR_RETURN(stats::McNemarResult m, stats::McNemarTest(table));
      out.p_value = m.p_value;
      const bool better = table.only_candidate_right > table.only_champion_right;
      out.passed = better && m.p_value < 1 - gate.confidence;
      decision = "McNemar exact p " + core::FormatShortest(m.p_value) + " (candidate alone right " +
                 std::to_string(table.only_candidate_right) + ", champion alone right " +
                 std::to_string(table.only_champion_right) + "; needs p < " +
                 core::FormatShortest(1 - gate.confidence) + " with the candidate ahead)";
    }
  }
  // The interval's bound on the gain, in the metric's better direction.
  const double gain_bound = higher ? out.interval->lower : -out.interval->upper;
  if (gate.test != "mcnemar") {
    out.passed = gain_bound > min_gain;
    decision = "gain's lower bound " + F4(gain_bound) + (out.passed ? " > " : " <= ") +
               "min_gain " + core::FormatShortest(min_gain);
  }
  out.reason = std::string(out.passed ? "passed" : "rejected") + ": " + gate.metric + " " +
               F4(*out.candidate_value) + " vs champion " + F4(*out.champion_value) +
               ", difference " + F4(*out.difference) + " (" + Pct(gate.confidence) + " " +
               (gate.test == "delong" ? "DeLong" : "paired bootstrap") + " interval " +
               F4(out.interval->lower) + " .. " + F4(out.interval->upper) + ", " +
               (higher ? "higher" : "lower") + " is better); " + decision;
  return out;
}

}  // namespace mlloop::validate
