// The segments gate and per-segment metrics (see gates.h).
#include <algorithm>
#include <cmath>

#include "core/format.h"
#include "stats/metrics.h"
#include "validate/gates.h"

namespace mlloop::validate {
namespace {

std::string F4(double v) { return core::FormatFixed(v, 4); }

Result<const SegmentCodes*> FindColumn(const EvaluationInput& in, const std::string& name,
                                       const std::string& gate) {
  for (const SegmentCodes& s : in.segments) {
    if (s.name != name) continue;
    if (s.codes.size() != in.labels.size()) {
      return Status::InvalidArgument("gate " + gate + ": segment column '" + name + "' has " +
                                     std::to_string(s.codes.size()) + " codes for " +
                                     std::to_string(in.labels.size()) + " rows");
    }
    return &s;
  }
  std::string known;
  for (const SegmentCodes& s : in.segments) known += (known.empty() ? "" : ", ") + s.name;
  return Status::InvalidArgument("gate " + gate + ": segment column '" + name +
                                 "' is not in the data (segment columns: " +
                                 (known.empty() ? "none" : known) + ")");
}

// The metric on `rows`, or nullopt when it means nothing there (auc with one class).
std::optional<double> MetricOn(const std::string& metric, std::span<const float> y,
                               std::span<const float> scores, const std::vector<size_t>& rows) {
  std::vector<float> ys, ps;
  ys.reserve(rows.size());
  ps.reserve(rows.size());
  bool pos = false, neg = false;
  for (size_t r : rows) {
    ys.push_back(y[r]);
    ps.push_back(scores[r]);
    (y[r] >= 0.5f ? pos : neg) = true;
  }
  if (metric == "auc" && !(pos && neg)) return std::nullopt;
  auto v = stats::ComputeMetric(metric, ys.data(), ps.data(), ys.size());
  if (!v.ok() || !std::isfinite(*v)) return std::nullopt;
  return *v;
}

}  // namespace

Result<std::vector<SegmentMetric>> SegmentMetrics(const EvaluationInput& in,
                                                  const std::string& metric,
                                                  const SegmentCodes& column, int64_t min_rows) {
  std::vector<std::vector<size_t>> rows_of(column.values.size());
  for (size_t i = 0; i < column.codes.size(); ++i) {
    const uint32_t code = column.codes[i];
    if (code >= rows_of.size()) {
      return Status::InvalidArgument("segment column '" + column.name + "': row " +
                                     std::to_string(i) + " has code " + std::to_string(code) +
                                     " but only " + std::to_string(rows_of.size()) +
                                     " values are known");
    }
    rows_of[code].push_back(i);
  }
  std::vector<SegmentMetric> out;
  for (size_t code = 0; code < rows_of.size(); ++code) {
    if (rows_of[code].empty()) continue;
    SegmentMetric s;
    s.column = column.name;
    s.value = column.values[code];
    s.rows = static_cast<int64_t>(rows_of[code].size());
    s.candidate = MetricOn(metric, in.labels, in.candidate, rows_of[code]);
    if (!in.champion.empty()) s.champion = MetricOn(metric, in.labels, in.champion, rows_of[code]);
    s.judged = s.rows >= min_rows && s.candidate.has_value();
    out.push_back(std::move(s));
  }
  return out;
}

Result<GateOutcome> SegmentsGate(const config::GateConfig& gate, const EvaluationInput& in) {
  GateOutcome out;
  out.name = gate.name;
  out.kind = std::string(config::GateKindName(gate.kind));
  out.metric = gate.metric;
  const bool higher = config::HigherIsBetter(gate.metric);
  std::vector<std::string> broken;
  const SegmentMetric* worst_loss = nullptr;
  double worst_loss_value = 0;
  int judged = 0;
  std::string gaps;
  for (const std::string& name : gate.columns) {
    MLLOOP_ASSIGN_OR_RETURN(const SegmentCodes* column, FindColumn(in, name, gate.name));
    MLLOOP_ASSIGN_OR_RETURN(std::vector<SegmentMetric> segs,
                            SegmentMetrics(in, gate.metric, *column, gate.min_rows));
    const size_t first = out.segments.size();
    for (SegmentMetric& s : segs) out.segments.push_back(std::move(s));
    const SegmentMetric* best = nullptr;
    const SegmentMetric* worst = nullptr;
    for (size_t i = first; i < out.segments.size(); ++i) {
      SegmentMetric& s = out.segments[i];
      if (!s.judged) continue;
      ++judged;
      const double v = *s.candidate;
      auto better = [&](double a, double b) { return higher ? a > b : a < b; };
      if (best == nullptr || better(v, *best->candidate)) best = &s;
      if (worst == nullptr || better(*worst->candidate, v)) worst = &s;
      if (!s.champion || !gate.max_loss) continue;
      const double loss = higher ? *s.champion - v : v - *s.champion;
      if (loss > *gate.max_loss) {
        s.failed = true;
        if (worst_loss == nullptr || loss > worst_loss_value) {
          worst_loss = &s;
          worst_loss_value = loss;
        }
      }
    }
    if (best != nullptr) {
      const double gap = std::fabs(*best->candidate - *worst->candidate);
      gaps += (gaps.empty() ? "" : "; ") + name + " gap " + F4(gap) + " (best " + name + "=" +
              best->value + " " + F4(*best->candidate) + ", worst " + name + "=" + worst->value +
              " " + F4(*worst->candidate) + ")";
      if (gate.max_gap && gap > *gate.max_gap) {
        broken.push_back(name + " gap between best and worst segment " + F4(gap) + " > max_gap " +
                         core::FormatShortest(*gate.max_gap));
      }
    }
  }
  int failed = 0;
  for (const SegmentMetric& s : out.segments) failed += s.failed ? 1 : 0;
  if (worst_loss != nullptr) {
    broken.insert(
        broken.begin(),
        "segment " + worst_loss->column + "=" + worst_loss->value + " " + gate.metric + " " +
            F4(*worst_loss->candidate) + " vs champion " + F4(*worst_loss->champion) + " on " +
            std::to_string(worst_loss->rows) + " rows (worse by " + F4(worst_loss_value) +
            " > max_loss " + core::FormatShortest(*gate.max_loss) + ")" +
            (failed > 1 ? "; " + std::to_string(failed - 1) + " more segment" +
                              (failed > 2 ? "s" : "") + " worse by more than max_loss"
                        : ""));
  }
  std::string numbers;
  for (const std::string& b : broken) numbers += (numbers.empty() ? "" : "; ") + b;
  if (broken.empty()) {
    numbers = std::to_string(judged) + " segments with >= " + std::to_string(gate.min_rows) +
              " rows judged on " + gate.metric +
              (in.champion.empty() || !gate.max_loss
                   ? ""
                   : ", none worse than the champion by more than " +
                         core::FormatShortest(*gate.max_loss)) +
              (gaps.empty() ? "" : "; " + gaps);
  }
  out.passed = broken.empty();
  out.reason = std::string(out.passed ? "passed" : "rejected") + ": " + numbers;
  return out;
}

}  // namespace mlloop::validate
