#include "report/evaluation_html.h"

#include <algorithm>
#include <cmath>
#include <map>
#include <nlohmann/json.hpp>

#include "report/html_util.h"

namespace mlloop::report {
namespace {

using html::Coord;
using html::Escape;
using html::FormatCount;
using html::FormatNumber;
using html::SvgOpen;
using validate::ComparisonDetails;
using validate::GateOutcome;
using validate::MetricDelta;

constexpr double kWidth = 960;

std::string Badge(bool passed) {
  return std::string("<span class=\"verdict ") + (passed ? "v-ok\">passed" : "v-drift\">failed") +
         "</span>";
}

// Legend: candidate (orange) and champion (blue), right-aligned at the top.
std::string Legend(double right, bool champion) {
  std::string out;
  double x = right - 100;
  out += "<rect class=\"cand\" x=\"" + Coord(x) + "\" y=\"5\" width=\"12\" height=\"12\"/>" +
         "<text class=\"lg\" x=\"" + Coord(x + 17) + "\" y=\"15\">candidate</text>";
  if (champion) {
    x -= 100;
    out += "<rect class=\"champ\" x=\"" + Coord(x) + "\" y=\"5\" width=\"12\" height=\"12\"/>" +
           "<text class=\"lg\" x=\"" + Coord(x + 17) + "\" y=\"15\">champion</text>";
  }
  return out + "\n";
}

void AppendGates(std::string& out, const validate::Evaluation& ev) {
  out += "<section id=\"gates\">\n<h2>Gates</h2>\n<table>\n<thead><tr><th>gate</th><th>kind</th>"
         "<th>verdict</th><th>numbers</th></tr></thead>\n<tbody>\n";
  for (const GateOutcome& g : ev.gates) {
    out += "<tr class=\"gate\"><td class=\"name\">" + Escape(g.name) + "</td><td>" +
           Escape(g.kind) + "</td><td>" + Badge(g.passed) + "</td><td>" + Escape(g.reason) +
           "</td></tr>\n";
  }
  out += "</tbody>\n</table>\n</section>\n";
}

// One row per metric: the difference's interval drawn around zero on the row's own scale,
// green when the whole interval is on the better side, red when on the worse side.
void AppendMetricDeltas(std::string& out, const ComparisonDetails& d, bool champion) {
  out += "<section id=\"metrics\">\n<h2>Metrics</h2>\n";
  out += "<table>\n<thead><tr><th>metric</th><th>better</th><th>candidate</th>";
  if (champion) out += "<th>champion</th><th>difference</th><th>95% interval</th>";
  out += "</tr></thead>\n<tbody>\n";
  for (const MetricDelta& m : d.metrics) {
    out += "<tr><td class=\"name\">" + Escape(m.metric) + "</td><td>" +
           (m.higher_is_better ? "higher" : "lower") + "</td><td class=\"num\">" +
           (m.note.empty() || m.difference ? FormatNumber(m.candidate) : std::string("&ndash;")) +
           "</td>";
    if (champion) {
      out += "<td class=\"num\">" + (m.champion ? FormatNumber(*m.champion) : "&ndash;") +
             "</td><td class=\"num\">" + (m.difference ? FormatNumber(*m.difference) : "&ndash;") +
             "</td><td class=\"num\">" +
             (m.interval ? FormatNumber(m.interval->lower) + " .. " + FormatNumber(m.interval->upper)
                         : Escape(m.note.empty() ? "–" : m.note)) +
             "</td>";
    }
    out += "</tr>\n";
  }
  out += "</tbody>\n</table>\n";
  if (!champion) {
    out += "<p class=\"small\">No champion: nothing to compare with.</p>\n</section>\n";
    return;
  }
  std::vector<const MetricDelta*> rows;
  for (const MetricDelta& m : d.metrics) {
    if (m.interval && m.difference) rows.push_back(&m);
  }
  constexpr double kRow = 30, kLeft = 120, kRight = 24, kTop = 26;
  const double height = kTop + kRow * static_cast<double>(rows.size()) + 10;
  const double plot = kWidth - kLeft - kRight;
  const double mid = kLeft + plot / 2;
  out += "<p class=\"small\">Candidate minus champion, with the paired bootstrap's 95% interval; "
         "each row on its own scale, the dashed line at no change. Green: better beyond doubt; "
         "red: worse beyond doubt.</p>\n";
  out += SvgOpen(kWidth, height, "metric differences with intervals", "chart deltas");
  out += "<line class=\"zero\" x1=\"" + Coord(mid) + "\" x2=\"" + Coord(mid) + "\" y1=\"" +
         Coord(kTop - 6) + "\" y2=\"" + Coord(height - 6) + "\"/>";
  out += "<text class=\"cap\" x=\"" + Coord(mid) + "\" y=\"14\" text-anchor=\"middle\">no change"
         "</text>\n";
  for (size_t i = 0; i < rows.size(); ++i) {
    const MetricDelta& m = *rows[i];
    const double y = kTop + kRow * (static_cast<double>(i) + 0.5);
    const double reach = std::max({std::fabs(m.interval->lower), std::fabs(m.interval->upper),
                                   std::fabs(*m.difference), 1e-12}) * 1.15;
    auto x = [&](double v) { return mid + v / reach * (plot / 2); };
    const double better_low = m.higher_is_better ? m.interval->lower : -m.interval->upper;
    const double better_high = m.higher_is_better ? m.interval->upper : -m.interval->lower;
    const std::string color = better_low > 0 ? "#2e7d32" : better_high < 0 ? "#c62828" : "#57606a";
    out += "<g><title>" + Escape(m.metric) + ": " + FormatNumber(*m.difference) + " [" +
           FormatNumber(m.interval->lower) + ", " + FormatNumber(m.interval->upper) +
           "]</title><text class=\"xl\" text-anchor=\"end\" x=\"" + Coord(kLeft - 10) + "\" y=\"" +
           Coord(y + 4) + "\">" + Escape(m.metric) + "</text><line class=\"ci\" style=\"stroke:" +
           color + "\" x1=\"" + Coord(x(m.interval->lower)) + "\" x2=\"" +
           Coord(x(m.interval->upper)) + "\" y1=\"" + Coord(y) + "\" y2=\"" + Coord(y) +
           "\"/><circle cx=\"" + Coord(x(*m.difference)) + "\" cy=\"" + Coord(y) +
           "\" r=\"5\" style=\"fill:" + color + "\"/><text class=\"val\" x=\"" +
           Coord(x(*m.difference)) + "\" y=\"" + Coord(y - 8) + "\">" +
           FormatNumber(*m.difference) + "</text></g>\n";
  }
  out += "</svg>\n</section>\n";
}

// Grouped bars per segment value: candidate and champion side by side, for one column.
void AppendSegmentChart(std::string& out, const std::string& column, const std::string& metric,
                        const std::vector<const validate::SegmentMetric*>& segs, bool champion) {
  double top = 0;
  for (const auto* s : segs) {
    top = std::max({top, s->candidate.value_or(0), s->champion.value_or(0)});
  }
  if (!(top > 0)) top = 1;
  const double step = html::NiceStep(top);
  const double y_max = std::ceil(top / step - 1e-9) * step;
  constexpr double kLeft = 56, kTop = 30, kPlot = 180, kRight = 16;
  const double height = kTop + kPlot + 34;
  const double pitch = (kWidth - kLeft - kRight) / static_cast<double>(segs.size());
  const double bar = std::min(pitch * 0.4, 48.0);
  const double bottom = kTop + kPlot;
  out += "<h3>" + Escape(column) + "</h3>\n";
  out += SvgOpen(kWidth, height, metric + " per " + column, "chart segments");
  out += "<text class=\"cap\" x=\"" + Coord(kLeft) + "\" y=\"14\">" + Escape(metric) + "</text>" +
         Legend(kWidth - kRight, champion);
  for (double tick = 0; tick <= y_max + step / 2; tick += step) {
    const double y = bottom - tick / y_max * kPlot;
    out += "<line class=\"" + std::string(tick == 0 ? "axis" : "grid") + "\" x1=\"" +
           Coord(kLeft) + "\" x2=\"" + Coord(kWidth - kRight) + "\" y1=\"" + Coord(y) +
           "\" y2=\"" + Coord(y) + "\"/><text class=\"tick\" x=\"" + Coord(kLeft - 6) +
           "\" y=\"" + Coord(y + 4) + "\">" + html::Printf("%.3g", tick) + "</text>";
  }
  out += "\n";
  for (size_t i = 0; i < segs.size(); ++i) {
    const validate::SegmentMetric& s = *segs[i];
    const double cx = kLeft + pitch * (static_cast<double>(i) + 0.5);
    out += "<g><title>" + Escape(column) + "=" + Escape(s.value) + ": " + FormatCount(s.rows) +
           " rows; candidate " + (s.candidate ? FormatNumber(*s.candidate) : "n/a") +
           (champion ? ", champion " + (s.champion ? FormatNumber(*s.champion) : "n/a") : "") +
           "</title>";
    auto rect = [&](const char* cls, std::optional<double> v, double x0) {
      if (!v) return;
      const double h = *v / y_max * kPlot;
      out += "<rect class=\"" + std::string(cls) + "\" x=\"" + Coord(x0) + "\" y=\"" +
             Coord(bottom - h) + "\" width=\"" + Coord(bar) + "\" height=\"" + Coord(h) + "\"/>";
      if (bar >= 30) {
        out += "<text class=\"val\" x=\"" + Coord(x0 + bar / 2) + "\" y=\"" +
               Coord(bottom - h - 3) + "\">" + FormatNumber(*v) + "</text>";
      }
    };
    if (champion) {
      rect("champ", s.champion, cx - bar - 0.5);
      rect("cand", s.candidate, cx + 0.5);
    } else {
      rect("cand", s.candidate, cx - bar / 2);
    }
    out += "<text class=\"xl\" text-anchor=\"middle\" x=\"" + Coord(cx) + "\" y=\"" +
           Coord(bottom + 16) + "\">" + Escape(s.value) + "</text><text class=\"val\" x=\"" +
           Coord(cx) + "\" y=\"" + Coord(bottom + 29) + "\">" + FormatCount(s.rows) +
           " rows</text></g>\n";
  }
  out += "</svg>\n";
}

void AppendSegments(std::string& out, const ComparisonDetails& d, const std::string& metric,
                    bool champion) {
  out += "<section id=\"segments\">\n<h2>Segments</h2>\n";
  if (d.segments.empty()) {
    out += "<p class=\"none\">No segment columns (schema.segments).</p>\n</section>\n";
    return;
  }
  std::vector<std::string> order;
  std::map<std::string, std::vector<const validate::SegmentMetric*>> by_column;
  for (const auto& s : d.segments) {
    if (by_column[s.column].empty()) order.push_back(s.column);
    by_column[s.column].push_back(&s);
  }
  for (const std::string& column : order) {
    AppendSegmentChart(out, column, metric, by_column[column], champion);
  }
  out += "</section>\n";
}

// Reliability curves: mean predicted probability against the observed share of positives
// per bin; a calibrated model follows the diagonal.
void AppendCalibration(std::string& out, const ComparisonDetails& d, bool champion) {
  out += "<section id=\"calibration\">\n<h2>Calibration</h2>\n";
  constexpr double kSize = 300, kLeft = 50, kTop = 26, kPad = 40;
  const double w = kLeft + kSize + 130, h = kTop + kSize + kPad;
  out += SvgOpen(w, h, "calibration curves", "chart calibration");
  auto px = [&](double v) { return kLeft + v * kSize; };
  auto py = [&](double v) { return kTop + (1 - v) * kSize; };
  for (int t = 0; t <= 4; ++t) {
    const double v = t / 4.0;
    out += "<line class=\"grid\" x1=\"" + Coord(px(0)) + "\" x2=\"" + Coord(px(1)) + "\" y1=\"" +
           Coord(py(v)) + "\" y2=\"" + Coord(py(v)) + "\"/><text class=\"tick\" x=\"" +
           Coord(px(0) - 6) + "\" y=\"" + Coord(py(v) + 4) + "\">" + html::Printf("%.2g", v) +
           "</text><text class=\"xl\" text-anchor=\"middle\" x=\"" + Coord(px(v)) + "\" y=\"" +
           Coord(py(0) + 16) + "\">" + html::Printf("%.2g", v) + "</text>";
  }
  out += "<line class=\"diag\" x1=\"" + Coord(px(0)) + "\" y1=\"" + Coord(py(0)) + "\" x2=\"" +
         Coord(px(1)) + "\" y2=\"" + Coord(py(1)) + "\"/>\n";
  out += "<text class=\"cap\" x=\"" + Coord(px(0.5)) + "\" y=\"" + Coord(h - 4) +
         "\" text-anchor=\"middle\">mean predicted probability</text><text class=\"cap\" x=\"" +
         Coord(kLeft) + "\" y=\"14\">observed share of positives</text>\n";
  auto curve = [&](const std::vector<validate::CalibrationBin>& bins, const char* line,
                   const char* dot, const char* who, double legend_y) {
    std::string points;
    for (const auto& b : bins) points += Coord(px(b.mean_score)) + "," + Coord(py(b.observed_rate)) + " ";
    out += "<polyline class=\"" + std::string(line) + "\" points=\"" + points + "\"/>";
    for (const auto& b : bins) {
      out += "<g><title>" + std::string(who) + ", scores " + html::Printf("%.1f", b.lower) + ".." +
             html::Printf("%.1f", b.upper) + ": " + FormatCount(static_cast<size_t>(b.rows)) +
             " rows, mean score " + FormatNumber(b.mean_score) + ", observed " +
             FormatNumber(b.observed_rate) + "</title><circle class=\"" + dot + "\" cx=\"" +
             Coord(px(b.mean_score)) + "\" cy=\"" + Coord(py(b.observed_rate)) +
             "\" r=\"4\"/></g>";
    }
    out += "<rect class=\"" + std::string(dot) + "\" x=\"" + Coord(px(1) + 16) + "\" y=\"" +
           Coord(legend_y - 10) + "\" width=\"12\" height=\"12\"/><text class=\"lg\" x=\"" +
           Coord(px(1) + 33) + "\" y=\"" + Coord(legend_y) + "\">" + who + "</text>\n";
  };
  if (champion) curve(d.champion_calibration, "champ-line", "champ", "champion", kTop + 34);
  curve(d.candidate_calibration, "cand-line", "cand", "candidate", kTop + 14);
  out += "</svg>\n</section>\n";
}

void AppendConfusion(std::string& out, const ComparisonDetails& d) {
  out += "<section id=\"confusion\">\n<h2>Confusion matrices</h2>\n<p class=\"small\">Decisions "
         "at score &ge; 0.5 against the labels.</p>\n<div class=\"grid2\">\n";
  auto table = [&](const char* who, const validate::Confusion& c) {
    out += "<div><h3>" + std::string(who) + "</h3><table class=\"cm\"><thead><tr><th></th>"
           "<th>predicted 1</th><th>predicted 0</th></tr></thead><tbody><tr><th>actual 1</th><td>" +
           FormatCount(static_cast<size_t>(c.true_positive)) + "</td><td>" +
           FormatCount(static_cast<size_t>(c.false_negative)) +
           "</td></tr><tr><th>actual 0</th><td>" +
           FormatCount(static_cast<size_t>(c.false_positive)) + "</td><td>" +
           FormatCount(static_cast<size_t>(c.true_negative)) + "</td></tr></tbody></table></div>\n";
  };
  if (d.candidate_confusion) table("candidate", *d.candidate_confusion);
  if (d.champion_confusion) table("champion", *d.champion_confusion);
  out += "</div>\n</section>\n";
}

void AppendLatency(std::string& out, const ComparisonDetails& d) {
  out += "<section id=\"latency\">\n<h2>Latency</h2>\n";
  if (!d.latency) {
    out += "<p class=\"none\">Not measured.</p>\n</section>\n";
    return;
  }
  const validate::LatencyPair& l = *d.latency;
  out += "<p class=\"small\">Single-row predictions in process through the serving path, " +
         std::to_string(l.candidate.samples) + " timed calls per model, interleaved.</p>\n";
  out += "<table>\n<thead><tr><th>model</th><th>p50</th><th>p99</th><th>mean</th></tr></thead>"
         "\n<tbody>\n";
  auto row = [&](const char* who, const validate::LatencyStats& s) {
    out += "<tr><td>" + std::string(who) + "</td><td class=\"num\">" + FormatNumber(s.p50_us) +
           " &micro;s</td><td class=\"num\">" + FormatNumber(s.p99_us) +
           " &micro;s</td><td class=\"num\">" + FormatNumber(s.mean_us) + " &micro;s</td></tr>\n";
  };
  row("candidate", l.candidate);
  if (l.champion) row("champion", *l.champion);
  out += "</tbody>\n</table>\n";
  // Horizontal bars of p50 and p99 on one scale.
  double top = std::max(l.candidate.p99_us, l.champion ? l.champion->p99_us : 0.0);
  if (!(top > 0)) top = 1;
  constexpr double kLeft = 150, kRow = 22;
  const int n = l.champion ? 4 : 2;
  const double h = 10 + kRow * n;
  out += SvgOpen(kWidth, h, "single-row latency", "chart latency");
  int i = 0;
  auto bar = [&](const std::string& label, const char* cls, double v) {
    const double y = 6 + kRow * i++;
    const double w = std::max(1.0, v / top * (kWidth - kLeft - 90));
    out += "<text class=\"xl\" text-anchor=\"end\" x=\"" + Coord(kLeft - 8) + "\" y=\"" +
           Coord(y + 12) + "\">" + label + "</text><rect class=\"" + cls + "\" x=\"" +
           Coord(kLeft) + "\" y=\"" + Coord(y) + "\" width=\"" + Coord(w) +
           "\" height=\"14\"/><text class=\"xl\" x=\"" + Coord(kLeft + w + 6) + "\" y=\"" +
           Coord(y + 12) + "\">" + FormatNumber(v) + " &micro;s</text>\n";
  };
  bar("candidate p50", "cand", l.candidate.p50_us);
  bar("candidate p99", "cand", l.candidate.p99_us);
  if (l.champion) {
    bar("champion p50", "champ", l.champion->p50_us);
    bar("champion p99", "champ", l.champion->p99_us);
  }
  out += "</svg>\n</section>\n";
}

}  // namespace

std::string RenderEvaluationHtml(const validate::Comparison& c, const ComparisonDetails& d,
                                 const EvaluationReportOptions& options) {
  const bool champion = !c.champion.empty();
  const validate::Evaluation& ev = c.evaluation;
  const std::string title = Escape(options.title.empty() ? "Evaluation report" : options.title);
  std::string out;
  out.reserve(32768);
  out += "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
         "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
         title + "</title>\n<style>" + std::string(html::kStyle) + "</style>\n</head>\n<body>\n"
         "<main>\n<header>\n<h1>" + title + "</h1>\n";
  out += "<p class=\"meta\">Model: <b>" + Escape(options.model) + "</b></p>\n";
  out += "<p class=\"meta\">Candidate: <b>" + Escape(options.candidate_name) + "</b></p>\n";
  out += "<p class=\"meta\">Champion: <b>" +
         (champion ? Escape(options.champion_name) : std::string("none")) + "</b></p>\n";
  out += "<p class=\"meta\">Data: <b>" + Escape(options.data_name) + "</b> &middot; " +
         FormatCount(c.labels.size()) + " labelled rows</p>\n</header>\n";
  out += "<section id=\"summary\">\n<div class=\"banner " + std::string(ev.passed ? "no" : "yes") +
         "\" id=\"verdict\">" + (ev.passed ? "PASSED" : "REJECTED") + "<span class=\"sub\">" +
         Escape(ev.Summary()) + "</span></div>\n</section>\n";
  AppendGates(out, ev);
  AppendMetricDeltas(out, d, champion);
  const std::string metric = d.metrics.empty() ? "" : d.metrics.front().metric;
  AppendSegments(out, d, metric, champion);
  if (d.candidate_confusion) {
    AppendCalibration(out, d, champion);
    AppendConfusion(out, d);
  }
  AppendLatency(out, d);
  out += "</main>\n</body>\n</html>\n";
  return out;
}

std::string EvaluationReportJson(const validate::Comparison& c, const ComparisonDetails& d,
                                 const EvaluationReportOptions& options) {
  auto number = [](double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); };
  nlohmann::json metrics = nlohmann::json::array();
  for (const MetricDelta& m : d.metrics) {
    nlohmann::json j = {{"metric", m.metric},
                        {"higher_is_better", m.higher_is_better},
                        {"candidate", number(m.candidate)}};
    if (m.champion) j["champion"] = number(*m.champion);
    if (m.difference) j["difference"] = number(*m.difference);
    if (m.interval) {
      j["interval"] = {{"lower", m.interval->lower}, {"upper", m.interval->upper},
                       {"level", m.interval->level}};
    }
    if (!m.note.empty()) j["note"] = m.note;
    metrics.push_back(std::move(j));
  }
  nlohmann::json segments = nlohmann::json::array();
  for (const auto& s : d.segments) {
    segments.push_back({{"column", s.column},
                        {"value", s.value},
                        {"rows", s.rows},
                        {"candidate", s.candidate ? number(*s.candidate) : nlohmann::json()},
                        {"champion", s.champion ? number(*s.champion) : nlohmann::json()}});
  }
  auto bins = [&](const std::vector<validate::CalibrationBin>& v) {
    nlohmann::json a = nlohmann::json::array();
    for (const auto& b : v) {
      a.push_back({{"lower", b.lower}, {"upper", b.upper}, {"rows", b.rows},
                   {"mean_score", b.mean_score}, {"observed_rate", b.observed_rate}});
    }
    return a;
  };
  auto confusion = [](const validate::Confusion& m) {
    return nlohmann::json{{"true_positive", m.true_positive}, {"false_positive", m.false_positive},
                          {"true_negative", m.true_negative}, {"false_negative", m.false_negative}};
  };
  auto latency = [](const validate::LatencyStats& s) {
    return nlohmann::json{{"p50_us", s.p50_us}, {"p99_us", s.p99_us}, {"mean_us", s.mean_us},
                          {"samples", s.samples}};
  };
  nlohmann::json out = {{"model", options.model},
                        {"candidate", options.candidate_name},
                        {"champion", c.champion.empty() ? nlohmann::json()
                                                        : nlohmann::json(options.champion_name)},
                        {"data", options.data_name},
                        {"rows", c.labels.size()},
                        {"evaluation", nlohmann::json::parse(c.evaluation.ToJson())},
                        {"metrics", metrics},
                        {"segments", segments}};
  if (d.candidate_confusion) {
    out["calibration"] = {{"candidate", bins(d.candidate_calibration)},
                          {"champion", bins(d.champion_calibration)}};
    out["confusion"] = {{"candidate", confusion(*d.candidate_confusion)}};
    if (d.champion_confusion) out["confusion"]["champion"] = confusion(*d.champion_confusion);
  }
  if (d.latency) {
    out["latency"] = {{"candidate", latency(d.latency->candidate)}};
    if (d.latency->champion) out["latency"]["champion"] = latency(*d.latency->champion);
  }
  return out.dump(2);
}

}  // namespace mlloop::report
