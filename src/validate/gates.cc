#include "validate/gates.h"

#include <cmath>
#include <nlohmann/json.hpp>

#include "core/format.h"
#include "stats/metrics.h"
#include "validate/holdout_gate.h"

namespace mlloop::validate {
namespace {

using Kind = config::GateConfig::Kind;

std::string F4(double v) { return core::FormatFixed(v, 4); }

GateOutcome Start(const config::GateConfig& gate) {
  GateOutcome out;
  out.name = gate.name;
  out.kind = std::string(config::GateKindName(gate.kind));
  out.metric = gate.metric;
  return out;
}

void Finish(GateOutcome& out, bool passed, const std::string& numbers) {
  out.passed = passed;
  out.reason = std::string(passed ? "passed" : "rejected") + ": " + numbers;
}

Result<double> Metric(const std::string& metric, std::span<const float> y,
                      std::span<const float> scores) {
  return stats::ComputeMetric(metric, y.data(), scores.data(), y.size());
}

Result<GateOutcome> MarginGate(const config::GateConfig& gate, const EvaluationInput& in,
                               int64_t min_rows) {
  HoldoutScores scores{in.labels.data(), in.candidate.data(),
                       in.champion.empty() ? nullptr : in.champion.data(), in.labels.size()};
  MLLOOP_ASSIGN_OR_RETURN(GateResult r,
                          HoldoutGate(scores, gate.metric, gate.max_loss.value_or(0), min_rows));
  GateOutcome out = Start(gate);
  out.passed = r.passed;
  out.reason = r.reason;
  out.candidate_value = r.candidate_value;
  out.champion_value = r.champion_value;
  return out;
}

Result<GateOutcome> ValueGate(const config::GateConfig& gate, const EvaluationInput& in) {
  GateOutcome out = Start(gate);
  MLLOOP_ASSIGN_OR_RETURN(double v, Metric(gate.metric, in.labels, in.candidate));
  out.candidate_value = v;
  if (!in.champion.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(out.champion_value, Metric(gate.metric, in.labels, in.champion));
  }
  bool ok = std::isfinite(v);
  std::string bounds;
  if (gate.at_least) {
    ok = ok && v >= *gate.at_least;
    bounds += ">= " + core::FormatShortest(*gate.at_least);
  }
  if (gate.at_most) {
    ok = ok && v <= *gate.at_most;
    bounds += std::string(bounds.empty() ? "" : " and ") + "<= " +
              core::FormatShortest(*gate.at_most);
  }
  Finish(out, ok,
         "candidate " + gate.metric + " " + F4(v) + " on " + std::to_string(in.labels.size()) +
             " rows (required " + bounds + ")");
  return out;
}

Result<GateOutcome> ChangeGate(const config::GateConfig& gate, const EvaluationInput& in) {
  GateOutcome out = Start(gate);
  MLLOOP_ASSIGN_OR_RETURN(double cand, Metric(gate.metric, in.labels, in.candidate));
  out.candidate_value = cand;
  if (in.champion.empty()) {
    Finish(out, true, "no champion: candidate " + gate.metric + " " + F4(cand));
    return out;
  }
  MLLOOP_ASSIGN_OR_RETURN(double champ, Metric(gate.metric, in.labels, in.champion));
  out.champion_value = champ;
  out.difference = cand - champ;
  const bool higher = config::HigherIsBetter(gate.metric);
  const double gain = higher ? cand - champ : champ - cand;
  // Relative to the champion's magnitude; a champion at exactly 0 makes any change infinite.
  const double base = std::fabs(champ);
  const double relative = base > 0 ? gain / base : (gain == 0 ? 0 : std::copysign(INFINITY, gain));
  std::vector<std::string> broken;
  if (gate.max_loss && -gain > *gate.max_loss) {
    broken.push_back("loss " + F4(-gain) + " > max_loss " + core::FormatShortest(*gate.max_loss));
  }
  if (gate.max_relative_loss && -relative > *gate.max_relative_loss) {
    broken.push_back("relative loss " + core::FormatFixed(-relative * 100, 2) +
                     "% > max_relative_loss " + core::FormatShortest(*gate.max_relative_loss * 100) +
                     "%");
  }
  if (gate.min_gain && gain < *gate.min_gain) {
    broken.push_back("gain " + F4(gain) + " < min_gain " + core::FormatShortest(*gate.min_gain));
  }
  if (gate.min_relative_gain && relative < *gate.min_relative_gain) {
    broken.push_back("relative gain " + core::FormatFixed(relative * 100, 2) +
                     "% < min_relative_gain " +
                     core::FormatShortest(*gate.min_relative_gain * 100) + "%");
  }
  std::string numbers = "candidate " + gate.metric + " " + F4(cand) + " vs champion " + F4(champ) +
                        " (" + (higher ? "higher" : "lower") + " is better; " +
                        (gain >= 0 ? "gain " + F4(gain) : "loss " + F4(-gain)) + ", " +
                        core::FormatFixed(std::fabs(relative) * 100, 2) + "% of the champion's)";
  for (const std::string& b : broken) numbers += "; " + b;
  Finish(out, broken.empty(), numbers);
  return out;
}

Result<GateOutcome> SanityGate(const config::GateConfig& gate, const EvaluationInput& in) {
  GateOutcome out = Start(gate);
  size_t bad = 0;
  double sum = 0, sum_sq = 0;
  size_t finite = 0;
  for (float p : in.candidate) {
    if (!std::isfinite(p)) {
      ++bad;
      continue;
    }
    sum += p;
    ++finite;
  }
  const double mean = finite > 0 ? sum / static_cast<double>(finite) : 0;
  for (float p : in.candidate) {
    if (std::isfinite(p)) sum_sq += (p - mean) * (p - mean);
  }
  const double sd = finite > 1 ? std::sqrt(sum_sq / static_cast<double>(finite - 1)) : 0;
  out.candidate_value = sd;
  std::vector<std::string> broken;
  if (bad > 0) broken.push_back(std::to_string(bad) + " NaN or infinite predictions");
  if (sd < gate.min_std) {
    broken.push_back("predictions collapsed: standard deviation " + core::FormatShortest(sd) +
                     " < min_std " + core::FormatShortest(gate.min_std));
  }
  std::string numbers = std::to_string(in.candidate.size()) + " predictions, " +
                        std::to_string(bad) + " not finite, standard deviation " + F4(sd);
  if (gate.max_model_bytes) {
    if (!in.candidate_model_bytes) {
      return Status::InvalidArgument("gate " + gate.name +
                                     ": max_model_size needs the candidate's size in bytes");
    }
    out.model_bytes = *in.candidate_model_bytes;
    numbers += ", model " + std::to_string(*in.candidate_model_bytes) + " bytes";
    if (*in.candidate_model_bytes > *gate.max_model_bytes) {
      broken.push_back("model " + std::to_string(*in.candidate_model_bytes) +
                       " bytes > max_model_size " + std::to_string(*gate.max_model_bytes));
    }
  } else if (in.candidate_model_bytes) {
    out.model_bytes = *in.candidate_model_bytes;
  }
  for (const std::string& b : broken) numbers += "; " + b;
  Finish(out, broken.empty(), numbers);
  return out;
}

std::string Us(double v) { return core::FormatFixed(v, 2) + " us"; }

}  // namespace

Result<GateOutcome> LatencyGate(const config::GateConfig& gate, const EvaluationInput& in) {
  if (!in.predict_candidate || in.features == nullptr) {
    return Status::InvalidArgument("gate " + gate.name +
                                   ": the latency gate needs the candidate's predict function "
                                   "and the holdout's features");
  }
  GateOutcome out = Start(gate);
  const PredictOne none;
  MLLOOP_ASSIGN_OR_RETURN(
      LatencyPair pair,
      MeasureLatency(in.predict_candidate, gate.max_ratio ? in.predict_champion : none,
                     in.features, in.labels.size(), in.n_features, gate.samples));
  out.candidate_latency = pair.candidate;
  out.champion_latency = pair.champion;
  const LatencyStats& c = pair.candidate;
  std::vector<std::string> broken;
  std::string numbers = "candidate p50 " + Us(c.p50_us) + ", p99 " + Us(c.p99_us);
  if (gate.p50_us && c.p50_us > *gate.p50_us) {
    broken.push_back("p50 " + Us(c.p50_us) + " > budget " + Us(*gate.p50_us));
  }
  if (gate.p99_us && c.p99_us > *gate.p99_us) {
    broken.push_back("p99 " + Us(c.p99_us) + " > budget " + Us(*gate.p99_us));
  }
  if (pair.champion) {
    const LatencyStats& h = *pair.champion;
    numbers += "; champion p50 " + Us(h.p50_us) + ", p99 " + Us(h.p99_us);
    const double r50 = c.p50_us / std::max(h.p50_us, 1e-3);
    const double r99 = c.p99_us / std::max(h.p99_us, 1e-3);
    numbers += " (x" + core::FormatFixed(r50, 2) + ", x" + core::FormatFixed(r99, 2) + ")";
    if (r50 > *gate.max_ratio) {
      broken.push_back("p50 x" + core::FormatFixed(r50, 2) + " the champion's > max_ratio " +
                       core::FormatShortest(*gate.max_ratio));
    }
    if (r99 > *gate.max_ratio) {
      broken.push_back("p99 x" + core::FormatFixed(r99, 2) + " the champion's > max_ratio " +
                       core::FormatShortest(*gate.max_ratio));
    }
  }
  numbers += " over " + std::to_string(c.samples) + " single-row calls";
  for (const std::string& b : broken) numbers += "; " + b;
  Finish(out, broken.empty(), numbers);
  return out;
}

const GateOutcome* Evaluation::FirstFailure() const {
  for (const GateOutcome& g : gates) {
    if (!g.passed) return &g;
  }
  return nullptr;
}

std::string Evaluation::Summary() const {
  const GateOutcome* failure = FirstFailure();
  if (failure == nullptr) {
    std::string names;
    for (const GateOutcome& g : gates) names += (names.empty() ? "" : ", ") + g.name;
    return std::string(gates.size() == 1 ? "the gate passed" : "all " +
                       std::to_string(gates.size()) + " gates passed") + " (" + names + ")";
  }
  std::string out = "gate " + failure->name + " " + failure->reason;
  std::string others;
  int count = 0;
  for (const GateOutcome& g : gates) {
    if (!g.passed && &g != failure) {
      others += (others.empty() ? "" : ", ") + g.name;
      ++count;
    }
  }
  if (count > 0) {
    out += "; +" + std::to_string(count) + " more gate" + (count > 1 ? "s" : "") +
           " failed: " + others;
  }
  return out;
}

namespace {

nlohmann::json IntervalJson(const Interval& i) {
  return {{"lower", i.lower}, {"upper", i.upper}, {"level", i.level}};
}

nlohmann::json LatencyJson(const LatencyStats& s) {
  return {{"p50_us", s.p50_us}, {"p99_us", s.p99_us}, {"mean_us", s.mean_us},
          {"samples", s.samples}};
}

// NaN and infinity are not JSON: they become null.
nlohmann::json Number(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }

}  // namespace

std::string Evaluation::ToJson() const {
  nlohmann::json gates_json = nlohmann::json::array();
  for (const GateOutcome& g : gates) {
    nlohmann::json j = {{"name", g.name}, {"kind", g.kind}, {"passed", g.passed},
                        {"reason", g.reason}};
    if (!g.metric.empty()) j["metric"] = g.metric;
    if (g.candidate_value) j["candidate"] = Number(*g.candidate_value);
    if (g.champion_value) j["champion"] = Number(*g.champion_value);
    if (!g.test.empty()) j["test"] = g.test;
    if (g.difference) j["difference"] = Number(*g.difference);
    if (g.interval) j["interval"] = IntervalJson(*g.interval);
    if (g.p_value) j["p_value"] = Number(*g.p_value);
    if (!g.segments.empty()) {
      nlohmann::json segs = nlohmann::json::array();
      for (const SegmentMetric& s : g.segments) {
        nlohmann::json sj = {{"column", s.column}, {"value", s.value}, {"rows", s.rows},
                             {"judged", s.judged}, {"failed", s.failed}};
        sj["candidate"] = s.candidate ? Number(*s.candidate) : nlohmann::json();
        sj["champion"] = s.champion ? Number(*s.champion) : nlohmann::json();
        segs.push_back(std::move(sj));
      }
      j["segments"] = std::move(segs);
    }
    if (!g.fairness.empty()) {
      nlohmann::json fair = nlohmann::json::array();
      for (const FairnessMeasure& f : g.fairness) {
        nlohmann::json fj = {{"name", f.name}, {"candidate", Number(f.candidate)},
                             {"interval", IntervalJson(f.interval)}, {"failed", f.failed}};
        if (f.champion) fj["champion"] = Number(*f.champion);
        if (f.limit) fj[f.limit_is_minimum ? "minimum" : "maximum"] = *f.limit;
        fair.push_back(std::move(fj));
      }
      j["fairness"] = std::move(fair);
    }
    if (g.candidate_latency) j["candidate_latency"] = LatencyJson(*g.candidate_latency);
    if (g.champion_latency) j["champion_latency"] = LatencyJson(*g.champion_latency);
    if (g.model_bytes) j["model_bytes"] = *g.model_bytes;
    gates_json.push_back(std::move(j));
  }
  return nlohmann::json{{"passed", passed}, {"rows", rows}, {"summary", Summary()},
                        {"gates", gates_json}}
      .dump();
}

Result<Evaluation> Evaluate(const config::ValidationConfig& config, const EvaluationInput& in) {
  if (in.labels.size() != in.candidate.size() ||
      (!in.champion.empty() && in.champion.size() != in.labels.size())) {
    return Status::InvalidArgument(
        "evaluation: " + std::to_string(in.labels.size()) + " labels but " +
        std::to_string(in.candidate.size()) + " candidate and " +
        std::to_string(in.champion.size()) + " champion scores (expected one score per label)");
  }
  Evaluation ev;
  ev.rows = static_cast<int64_t>(in.labels.size());
  if (ev.rows < config.min_rows) {
    GateOutcome holdout;
    holdout.name = holdout.kind = "holdout";
    holdout.passed = false;
    holdout.reason = "not enough clean holdout rows: " + std::to_string(ev.rows) + " < " +
                     std::to_string(config.min_rows) + " (rows that neither model trained on)";
    ev.gates.push_back(std::move(holdout));
    return ev;
  }
  // A config built in code rather than parsed may list no gates: the margin gate is implied,
  // as it is when the YAML has no `gates:`.
  std::vector<config::GateConfig> gates = config.gates;
  if (gates.empty()) {
    config::GateConfig margin;
    margin.kind = Kind::kMargin;
    margin.name = "margin";
    margin.metric = config.metric;
    margin.max_loss = config.margin;
    gates.push_back(std::move(margin));
  }
  for (const config::GateConfig& gate : gates) {
    Result<GateOutcome> r = Status::Internal("unreachable");
    switch (gate.kind) {
      case Kind::kMargin:
        r = MarginGate(gate, in, config.min_rows);
        break;
      case Kind::kValue:
        r = ValueGate(gate, in);
        break;
      case Kind::kChange:
        r = ChangeGate(gate, in);
        break;
      case Kind::kSignificance:
        r = SignificanceGate(gate, in);
        break;
      case Kind::kSegments:
        r = SegmentsGate(gate, in);
        break;
      case Kind::kBias:
        r = BiasGate(gate, in);
        break;
      case Kind::kLatency:
        r = LatencyGate(gate, in);
        break;
      case Kind::kSanity:
        r = SanityGate(gate, in);
        break;
    }
    if (!r.ok()) return r.status().WithContext("gate " + gate.name);
    ev.gates.push_back(std::move(r).value());
  }
  ev.passed = ev.FirstFailure() == nullptr;
  return ev;
}

}  // namespace mlloop::validate
