// The bias gate (see gates.h): fairness gaps of the candidate's decisions (score >= 0.5)
// across the groups of a protected segment column, with bootstrap intervals
// (stats/fairness.h). The champion's values are computed for the report, not judged.
#include <algorithm>

#include "core/format.h"
#include "stats/fairness.h"
#include "validate/gates.h"

namespace mlloop::validate {
namespace {

std::string F4(double v) { return core::FormatFixed(v, 4); }

enum class Measure { kParity, kImpact, kOpportunity };

Result<stats::FairnessGap> Compute(Measure m, std::span<const float> labels,
                                   std::span<const float> decisions,
                                   std::span<const int32_t> groups,
                                   const stats::FairnessOptions& options) {
  switch (m) {
    case Measure::kParity:
      return stats::DemographicParityDifference(decisions, groups, options);
    case Measure::kImpact:
      return stats::DisparateImpactRatio(decisions, groups, options);
    case Measure::kOpportunity:
      return stats::EqualOpportunityDifference(labels, decisions, groups, options);
  }
  return Status::Internal("unknown fairness measure");
}

std::vector<float> Decisions(std::span<const float> scores) {
  std::vector<float> d(scores.size());
  for (size_t i = 0; i < scores.size(); ++i) d[i] = scores[i] >= 0.5f ? 1.0f : 0.0f;
  return d;
}

}  // namespace

Result<GateOutcome> BiasGate(const config::GateConfig& gate, const EvaluationInput& in) {
  const SegmentCodes* column = nullptr;
  for (const SegmentCodes& s : in.segments) {
    if (s.name == gate.column) column = &s;
  }
  if (column == nullptr || column->codes.size() != in.labels.size()) {
    return Status::InvalidArgument("gate " + gate.name + ": protected column '" + gate.column +
                                   "' is not among the holdout's segment columns");
  }
  GateOutcome out;
  out.name = gate.name;
  out.kind = std::string(config::GateKindName(gate.kind));
  std::vector<int32_t> groups(column->codes.begin(), column->codes.end());
  stats::FairnessOptions options;
  options.favourable_label = static_cast<float>(gate.favourable);
  options.bootstrap.resamples = gate.resamples;
  options.bootstrap.seed = gate.seed;
  options.bootstrap.level = gate.confidence;
  const std::vector<float> cand = Decisions(in.candidate);
  const std::vector<float> champ = in.champion.empty() ? std::vector<float>()
                                                       : Decisions(in.champion);
  struct Spec {
    Measure measure;
    const char* name;
    std::optional<double> limit;
    bool minimum;
  };
  const Spec specs[] = {
      {Measure::kParity, "parity_difference", gate.max_parity_difference, false},
      {Measure::kImpact, "impact_ratio", gate.min_impact_ratio, true},
      {Measure::kOpportunity, "opportunity_difference", gate.max_opportunity_difference, false},
  };
  std::vector<std::string> parts, broken;
  for (const Spec& spec : specs) {
    auto gap = Compute(spec.measure, in.labels, cand, groups, options);
    if (!gap.ok()) {
      if (!spec.limit) continue;  // reported only when computable
      broken.push_back(std::string(spec.name) + " not computable: " + gap.status().message());
      continue;
    }
    FairnessMeasure m;
    m.name = spec.name;
    m.candidate = gap->value;
    m.interval = Interval{gap->lower, gap->upper, gap->level};
    m.limit = spec.limit;
    m.limit_is_minimum = spec.minimum;
    if (!champ.empty()) {
      auto c = Compute(spec.measure, in.labels, champ, groups, options);
      if (c.ok()) m.champion = c->value;
    }
    std::string text = std::string(spec.name) + " " + F4(m.candidate) + " [" +
                       F4(m.interval.lower) + ", " + F4(m.interval.upper) + "]";
    if (m.limit) {
      m.failed = spec.minimum ? m.candidate < *m.limit : m.candidate > *m.limit;
      text += std::string(spec.minimum ? " (min " : " (max ") + core::FormatShortest(*m.limit) + ")";
      if (m.failed) {
        broken.push_back(std::string(spec.name) + " " + F4(m.candidate) +
                         (spec.minimum ? " < min_impact_ratio " : " > max_") +
                         (spec.minimum ? "" : spec.name + std::string(" ")) +
                         core::FormatShortest(*m.limit));
      }
    }
    parts.push_back(text);
    out.fairness.push_back(std::move(m));
  }
  std::string numbers = "column " + gate.column + ", " + core::FormatShortest(gate.confidence * 100) +
                        "% bootstrap intervals: ";
  for (size_t i = 0; i < parts.size(); ++i) numbers += (i ? ", " : "") + parts[i];
  for (const std::string& b : broken) numbers += "; " + b;
  out.passed = broken.empty();
  out.reason = std::string(out.passed ? "passed" : "rejected") + ": " + numbers;
  return out;
}

}  // namespace mlloop::validate
