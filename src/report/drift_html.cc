#include "report/drift_html.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <numeric>
#include <string_view>
#include <utility>
#include <vector>

#include "core/schema.h"
#include "report/html_util.h"

namespace mlloop::report {

namespace {

using drift::DriftReport;
using drift::FeatureDrift;
using html::Coord;
using html::Escape;
using html::FormatCount;
using html::FormatNumber;
using html::FormatPercent;
using html::FormatPValue;
using html::NiceStep;
using html::Printf;
using html::SvgOpen;

// Charts of categorical features show at most this many categories (the largest ones); the
// rest are summed into one "other" bar, so a high-cardinality column cannot blow up the page.
constexpr size_t kMaxCategories = 30;
// Axis labels longer than this are cut with an ellipsis; the full text is in the tooltip.
constexpr size_t kMaxLabelChars = 22;

// Chart geometry, in SVG user units (= CSS pixels at 100%).
constexpr double kChartWidth = 960;
constexpr double kPlotTop = 34;
constexpr double kPlotHeight = 190;
constexpr double kRightMargin = 16;
constexpr double kLabelCharWidth = 6.8;  // generous average advance of an 11px sans-serif character
constexpr double kMinRotatedPitch = 18;  // closest spacing of 45-degree labels that stays legible

std::string KindInWords(std::string_view kind) {
  if (kind == "missing_rate_jump") return "missing values jumped";
  if (kind == "type_violation") return "values of the wrong type";
  if (kind == "out_of_range") return "values out of the reference range";
  if (kind == "unseen_category") return "categories never seen in the reference";
  if (kind == "became_constant") return "column became constant";
  if (kind == "column_missing") return "column missing from the current data";
  if (kind == "column_added") return "column not in the reference";
  return Escape(kind);
}

size_t Utf8Length(std::string_view s) {
  return static_cast<size_t>(
      std::count_if(s.begin(), s.end(), [](char c) { return (c & 0xC0) != 0x80; }));
}

// At most `max_chars` characters (not bytes, so a multi-byte character is never split).
std::string Truncate(std::string_view s, size_t max_chars) {
  if (Utf8Length(s) <= max_chars) return std::string(s);
  size_t chars = 0, end = 0;
  for (; end < s.size(); ++end) {
    if ((s[end] & 0xC0) != 0x80) {
      if (chars == max_chars - 1) break;
      ++chars;
    }
  }
  return std::string(s.substr(0, end)) + "\u2026";
}

// At most `max_chars` characters keeping the start and the end, since category values that
// share a long prefix ("Mozilla/5.0 (X11; ...") differ at the end: "Mozilla/5.…build 12".
std::string TruncateMiddle(std::string_view s, size_t max_chars) {
  const size_t length = Utf8Length(s);
  if (length <= max_chars || max_chars < 5) return Truncate(s, max_chars);
  const size_t tail_chars = (max_chars - 1) / 2;
  // Byte offset where the last `tail_chars` characters start.
  size_t tail = s.size(), seen = 0;
  while (tail > 0 && seen < tail_chars) {
    --tail;
    if ((s[tail] & 0xC0) != 0x80) ++seen;
  }
  return Truncate(s, max_chars - tail_chars) + std::string(s.substr(tail));
}

// `s` on at most two lines of `width` characters, broken at the last space that fits (or
// inside a word when none does); what does not fit on the second line is cut.
std::pair<std::string, std::string> WrapInTwo(std::string_view s, size_t width) {
  if (Utf8Length(s) <= width) return {std::string(s), ""};
  size_t chars = 0, cut = s.size(), last_space = std::string_view::npos;
  for (size_t i = 0; i < s.size(); ++i) {
    if ((s[i] & 0xC0) == 0x80) continue;
    if (chars == width) {
      cut = i;
      break;
    }
    if (s[i] == ' ') last_space = i;
    ++chars;
  }
  if (cut < s.size() && s[cut] == ' ') last_space = cut;
  if (last_space != std::string_view::npos && last_space > 0) {
    return {std::string(s.substr(0, last_space)), TruncateMiddle(s.substr(last_space + 1), width)};
  }
  return {std::string(s.substr(0, cut)), TruncateMiddle(s.substr(cut), width)};
}

enum class Verdict { kDrift, kNotComputable, kNoDrift };

Verdict VerdictOf(const FeatureDrift& f) {
  if (!f.computable) return Verdict::kNotComputable;
  return f.drift ? Verdict::kDrift : Verdict::kNoDrift;
}

const char* VerdictClass(Verdict v) {
  switch (v) {
    case Verdict::kDrift:
      return "v-drift";
    case Verdict::kNotComputable:
      return "v-na";
    case Verdict::kNoDrift:
      return "v-ok";
  }
  return "v-na";
}

const char* VerdictWords(Verdict v) {
  switch (v) {
    case Verdict::kDrift:
      return "drift";
    case Verdict::kNotComputable:
      return "not computable";
    case Verdict::kNoDrift:
      return "no drift";
  }
  return "";
}

std::string VerdictBadge(const FeatureDrift& f) {
  const Verdict v = VerdictOf(f);
  return std::string("<span class=\"verdict ") + VerdictClass(v) + "\">" + VerdictWords(v) +
         "</span>";
}

// "ks: p-value 1.2e-08 < 0.05 -> drift (statistic 0.3125)" for a test, "psi: 0.2301 >= 0.1
// -> drift" for a distance. The comparison sign follows the numbers; the verdict is the
// report's own.
std::string VerdictLine(const FeatureDrift& f) {
  std::string out = "<span class=\"method\">" + Escape(f.method) + "</span>: ";
  if (!f.computable) return out + "not computable (see below)";
  if (f.p_value) {
    const double p = *f.p_value;
    out += "p-value " + FormatPValue(p) + (p < f.threshold ? " &lt; " : " &ge; ") +
           FormatNumber(f.threshold);
  } else if (f.statistic) {
    const double s = *f.statistic;
    out += FormatNumber(s) + (s >= f.threshold ? " &ge; " : " &lt; ") + FormatNumber(f.threshold);
  } else {
    out += "no statistic vs " + FormatNumber(f.threshold);
  }
  out += " &rarr; " + VerdictBadge(f);
  if (f.p_value && f.statistic) out += " (statistic " + FormatNumber(*f.statistic) + ")";
  return out;
}

struct Bar {
  std::string label;
  double reference = 0;
  double current = 0;
};

double ShareAt(const std::vector<double>& shares, size_t i) {
  if (i >= shares.size() || !std::isfinite(shares[i]) || shares[i] < 0) return 0;
  return shares[i];
}

// The bars to draw and how many categories were folded into "other". Numeric bins keep their
// order and are all drawn; categories beyond kMaxCategories are folded, keeping the largest.
std::pair<std::vector<Bar>, size_t> ChartBars(const FeatureDrift& f) {
  const drift::Distribution& d = f.distribution;
  std::vector<Bar> bars;
  bars.reserve(d.labels.size());
  for (size_t i = 0; i < d.labels.size(); ++i) {
    bars.push_back({d.labels[i], ShareAt(d.reference, i), ShareAt(d.current, i)});
  }
  if (f.type == core::FeatureType::kNumeric || bars.size() <= kMaxCategories) return {bars, 0};
  std::stable_sort(bars.begin(), bars.end(), [](const Bar& a, const Bar& b) {
    return std::max(a.reference, a.current) > std::max(b.reference, b.current);
  });
  Bar other{"other", 0, 0};
  for (size_t i = kMaxCategories - 1; i < bars.size(); ++i) {
    other.reference += bars[i].reference;
    other.current += bars[i].current;
  }
  const size_t folded = bars.size() - (kMaxCategories - 1);
  bars.resize(kMaxCategories - 1);
  other.label = "other (" + std::to_string(folded) + ")";
  bars.push_back(other);
  return {bars, folded};
}

// Grouped bars, reference then current, per category or bin, with a percentage axis.
void AppendChart(std::string& out, const FeatureDrift& f) {
  auto [bars, folded] = ChartBars(f);
  const size_t n = bars.size();

  double max_share = 0;
  for (const Bar& b : bars) max_share = std::max({max_share, b.reference, b.current});
  if (max_share <= 0) max_share = 0.1;
  const double step = NiceStep(max_share);
  const double y_max = std::ceil(max_share / step - 1e-9) * step;

  // Labels lie flat when each fits its group (cut to what fits when the groups are wide);
  // otherwise they turn 45 degrees, and when even then they would touch, only every
  // `label_every`-th is written.
  double left = 56;
  double pitch = (kChartWidth - left - kRightMargin) / static_cast<double>(n);
  const size_t flat_chars = static_cast<size_t>(std::max(0.0, (pitch - 8) / kLabelCharWidth));
  size_t longest_full = 0;
  for (const Bar& b : bars) longest_full = std::max(longest_full, Utf8Length(b.label));
  const bool rotate = longest_full > flat_chars && flat_chars < kMaxLabelChars;
  const size_t max_chars = rotate ? kMaxLabelChars : std::max<size_t>(flat_chars, 2);
  std::vector<std::string> labels, second_lines;  // flat labels may take two lines
  size_t longest = 0;
  for (const Bar& b : bars) {
    auto [first, second] = rotate ? std::pair{TruncateMiddle(b.label, max_chars), std::string()}
                                  : WrapInTwo(b.label, max_chars);
    longest = std::max(longest, Utf8Length(first));
    labels.push_back(std::move(first));
    second_lines.push_back(std::move(second));
  }
  const bool two_lines = std::any_of(second_lines.begin(), second_lines.end(),
                                     [](const std::string& l) { return !l.empty(); });
  const double label_px = static_cast<double>(longest) * kLabelCharWidth;
  if (rotate) {
    // The first label runs down-left from its bar: leave it room.
    const double reach = label_px * 0.71 - pitch / 2 + 8;
    left = std::clamp(reach, 56.0, 150.0);
    pitch = (kChartWidth - left - kRightMargin) / static_cast<double>(n);
  }
  const size_t label_every = rotate ? static_cast<size_t>(std::ceil(kMinRotatedPitch / pitch)) : 1;
  const double plot_bottom = kPlotTop + kPlotHeight;
  const double bottom = rotate ? label_px * 0.71 + 22 : (two_lines ? 44 : 30);
  const double height = plot_bottom + bottom;

  out += SvgOpen(kChartWidth, height, "reference and current distributions of " + f.name);
  // Axis caption and legend.
  out += "<text class=\"cap\" x=\"" + Coord(left) + "\" y=\"14\">share of non-missing rows</text>";
  // Legend, right-aligned; its text widths are estimated (13px, ~7.5px a character).
  const std::string ref_text = "reference (" + FormatCount(f.reference_rows) + " rows)";
  const std::string cur_text = "current (" + FormatCount(f.current_rows) + " rows)";
  const double cur_x = kChartWidth - kRightMargin - 17 - 7.5 * static_cast<double>(cur_text.size());
  const double ref_x = cur_x - 24 - 17 - 7.5 * static_cast<double>(ref_text.size());
  out += "<rect class=\"r\" x=\"" + Coord(ref_x) + "\" y=\"5\" width=\"12\" height=\"12\"/>";
  out += "<text class=\"lg\" x=\"" + Coord(ref_x + 17) + "\" y=\"15\">" + ref_text + "</text>";
  out += "<rect class=\"c\" x=\"" + Coord(cur_x) + "\" y=\"5\" width=\"12\" height=\"12\"/>";
  out += "<text class=\"lg\" x=\"" + Coord(cur_x + 17) + "\" y=\"15\">" + cur_text + "</text>\n";
  // Gridlines with percentage labels.
  for (double tick = 0; tick <= y_max + step / 2; tick += step) {
    const double y = plot_bottom - tick / y_max * kPlotHeight;
    out += "<line class=\"" + std::string(tick == 0 ? "axis" : "grid") + "\" x1=\"" + Coord(left) +
           "\" x2=\"" + Coord(kChartWidth - kRightMargin) + "\" y1=\"" + Coord(y) + "\" y2=\"" +
           Coord(y) + "\"/><text class=\"tick\" x=\"" + Coord(left - 6) + "\" y=\"" + Coord(y + 4) +
           "\">" + Printf("%.3g", tick * 100) + "%</text>";
  }
  out += "\n";
  // Bars: two per group, with the exact shares in a tooltip.
  const double bar_w = std::min(pitch * 0.4, 48.0);
  // The shares are written over the bars when a bar is wide enough for "12.5%".
  const bool show_values = bar_w >= 30;
  for (size_t i = 0; i < n; ++i) {
    const Bar& b = bars[i];
    const double cx = left + pitch * (static_cast<double>(i) + 0.5);
    const double h_ref = b.reference / y_max * kPlotHeight;
    const double h_cur = b.current / y_max * kPlotHeight;
    out += "<g><title>" + Escape(b.label) + ": reference " + FormatPercent(b.reference) +
           ", current " + FormatPercent(b.current) + "</title>";
    out += "<rect class=\"r\" x=\"" + Coord(cx - bar_w - 0.5) + "\" y=\"" +
           Coord(plot_bottom - h_ref) + "\" width=\"" + Coord(bar_w) + "\" height=\"" +
           Coord(h_ref) + "\"/>";
    out += "<rect class=\"c\" x=\"" + Coord(cx + 0.5) + "\" y=\"" + Coord(plot_bottom - h_cur) +
           "\" width=\"" + Coord(bar_w) + "\" height=\"" + Coord(h_cur) + "\"/>";
    if (show_values) {
      out += "<text class=\"val\" x=\"" + Coord(cx - bar_w / 2 - 0.5) + "\" y=\"" +
             Coord(plot_bottom - h_ref - 3) + "\">" + FormatPercent(b.reference) + "</text>";
      out += "<text class=\"val\" x=\"" + Coord(cx + bar_w / 2 + 0.5) + "\" y=\"" +
             Coord(plot_bottom - h_cur - 3) + "\">" + FormatPercent(b.current) + "</text>";
    }
    if (i % label_every == 0) {
      const double ly = plot_bottom + 14;
      if (rotate) {
        out += "<text class=\"xl\" text-anchor=\"end\" x=\"" + Coord(cx + 3) + "\" y=\"" +
               Coord(ly) + "\" transform=\"rotate(-45 " + Coord(cx + 3) + " " + Coord(ly) + ")\">" +
               Escape(labels[i]) + "</text>";
      } else {
        out += "<text class=\"xl\" text-anchor=\"middle\" x=\"" + Coord(cx) + "\" y=\"" +
               Coord(ly + 2) + "\">" + Escape(labels[i]);
        if (!second_lines[i].empty()) {
          out += "<tspan x=\"" + Coord(cx) + "\" dy=\"13\">" + Escape(second_lines[i]) + "</tspan>";
        }
        out += "</text>";
      }
    }
    out += "</g>\n";
  }
  out += "</svg>\n";
  if (folded > 0) {
    out += "<p class=\"small\">The " + std::to_string(kMaxCategories - 1) +
           " largest categories are drawn; the other " + std::to_string(folded) +
           " are summed in \u201cother\u201d.</p>\n";
  }
  if (rotate && label_every > 1) {
    out += "<p class=\"small\">One label in " + std::to_string(label_every) +
           " is written; hover a bar for its label and shares.</p>\n";
  }
}

std::string RowsLine(size_t rows, size_t missing) {
  std::string out = FormatCount(rows);
  if (missing > 0) {
    const double share = static_cast<double>(missing) / static_cast<double>(rows + missing);
    out += " (+" + FormatCount(missing) + " missing, " + FormatPercent(share) + ")";
  }
  return out;
}

// `badge`: "target", "model output" or empty.
void AppendFeatureSection(std::string& out, const FeatureDrift& f, size_t anchor,
                          std::string_view badge) {
  const Verdict v = VerdictOf(f);
  out += "<section class=\"feature " + std::string(VerdictClass(v)) + "-edge\" id=\"f" +
         std::to_string(anchor) + "\">\n<h3>" + Escape(f.name);
  if (!badge.empty()) out += " <span class=\"badge\">" + std::string(badge) + "</span>";
  out += " " + VerdictBadge(f) + "</h3>\n";
  out += "<p class=\"line\">" + VerdictLine(f) + "</p>\n";
  out += "<p class=\"small\">" + std::string(core::FeatureTypeName(f.type)) +
         " &middot; reference rows " + RowsLine(f.reference_rows, f.reference_missing) +
         " &middot; current rows " + RowsLine(f.current_rows, f.current_missing) + "</p>\n";
  if (f.computable && !f.note.empty()) {
    out += "<p class=\"note\">Note: " + Escape(f.note) + "</p>\n";
  }
  if (!f.computable) {
    out +=
        "<p class=\"why\">No chart: " +
        (f.note.empty() ? std::string("the comparison could not be computed.") : Escape(f.note)) +
        "</p>\n";
  } else if (f.distribution.labels.empty()) {
    out += "<p class=\"why\">No distribution was recorded for this feature.</p>\n";
  } else {
    AppendChart(out, f);
  }
  out += "<p class=\"up\"><a href=\"#features\">&uarr; all features</a></p>\n</section>\n";
}

void AppendFeatureRow(std::string& out, const FeatureDrift& f, size_t anchor,
                      std::string_view badge) {
  out += "<tr><td class=\"name\"><a href=\"#f" + std::to_string(anchor) + "\">" + Escape(f.name) +
         "</a>";
  if (!badge.empty()) out += " <span class=\"badge\">" + std::string(badge) + "</span>";
  out += "</td><td>" + std::string(core::FeatureTypeName(f.type)) + "</td><td>" + Escape(f.method) +
         "</td><td class=\"num\">" +
         (f.statistic ? FormatNumber(*f.statistic) : std::string("&ndash;")) +
         "</td><td class=\"num\">" +
         (f.p_value ? FormatPValue(*f.p_value) : std::string("&ndash;")) +
         "</td><td class=\"num\">" + FormatNumber(f.threshold) + "</td><td>" + VerdictBadge(f);
  if (!f.note.empty()) out += "<div class=\"small\">" + Escape(f.note) + "</div>";
  out += "</td></tr>\n";
}

Verdict VerdictOf(bool computable, bool drift) {
  if (!computable) return Verdict::kNotComputable;
  return drift ? Verdict::kDrift : Verdict::kNoDrift;
}

std::string Badge(bool computable, bool drift) {
  const Verdict v = VerdictOf(computable, drift);
  return std::string("<span class=\"verdict ") + VerdictClass(v) + "\">" + VerdictWords(v) +
         "</span>";
}

// The note under a detector: a caveat when it computed, the reason when it could not.
std::string DetectorNote(bool computable, const std::string& note) {
  return std::string(computable ? "<p class=\"note\">Note: " : "<p class=\"why\">Not computable: ") +
         Escape(note) + "</p>\n";
}

// Horizontal bars of the features' shares of the domain classifier's gain.
void AppendGainChart(std::string& out, const std::vector<drift::SeparatingFeature>& features) {
  constexpr double kLabelWidth = 170, kBarMax = 600, kRow = 22;
  const double height = kRow * static_cast<double>(features.size()) + 8;
  const double width = kLabelWidth + kBarMax + 70;
  out += SvgOpen(width, height, "features that separate the tables", "chart gain");
  double top = 0;
  for (const auto& f : features) top = std::max(top, f.gain_share);
  if (!(top > 0)) top = 1;
  for (size_t i = 0; i < features.size(); ++i) {
    const auto& f = features[i];
    const double y = 4 + kRow * static_cast<double>(i);
    const double w = std::max(1.0, f.gain_share / top * kBarMax);
    out += "<g><title>" + Escape(f.name) + ": " + FormatPercent(f.gain_share) +
           " of the gain</title><text class=\"xl\" text-anchor=\"end\" x=\"" +
           Coord(kLabelWidth - 8) + "\" y=\"" + Coord(y + 14) + "\">" +
           Escape(TruncateMiddle(f.name, kMaxLabelChars)) + "</text><rect class=\"c\" x=\"" +
           Coord(kLabelWidth) + "\" y=\"" + Coord(y + 3) + "\" width=\"" + Coord(w) +
           "\" height=\"14\"/><text class=\"xl\" x=\"" + Coord(kLabelWidth + w + 6) +
           "\" y=\"" + Coord(y + 14) + "\">" + FormatPercent(f.gain_share) + "</text></g>\n";
  }
  out += "</svg>\n";
}

void AppendMultivariateSection(std::string& out, const drift::MultivariateDrift& m) {
  out += "<section id=\"multivariate\">\n<h2>Multivariate drift</h2>\n";
  out += "<p class=\"small\">Changes no single feature shows (a correlation that flips, say). "
         "They do not count towards dataset drift above, but a flag here is drift.</p>\n";
  const drift::DomainClassifierDrift& dc = m.domain_classifier;
  out += "<div class=\"feature " + std::string(VerdictClass(VerdictOf(dc.computable, dc.drift))) +
         "-edge\" id=\"domain-classifier\">\n<h3>Domain classifier " +
         Badge(dc.computable, dc.drift) + "</h3>\n";
  if (dc.computable && dc.auc) {
    out += "<p class=\"line\">Out-of-fold ROC AUC " + FormatNumber(*dc.auc) + " &plusmn; " +
           FormatNumber(dc.auc_std.value_or(0)) + (*dc.auc >= dc.threshold ? " &ge; " : " &lt; ") +
           FormatNumber(dc.threshold) + " &rarr; " + Badge(true, dc.drift) + "</p>\n";
    out += "<p class=\"small\">XGBoost told reference rows from current rows in " +
           std::to_string(dc.folds) + "-fold cross-validation on " + FormatCount(dc.rows_per_side) +
           " rows a side; 0.5 means the tables look the same.</p>\n";
    if (!dc.top_features.empty()) {
      out += "<p class=\"small\">Features that separate the tables most (share of the "
             "classifier's gain):</p>\n";
      AppendGainChart(out, dc.top_features);
    }
  }
  if (!dc.note.empty()) out += DetectorNote(dc.computable, dc.note);
  out += "</div>\n";

  const drift::PcaDrift& p = m.pca;
  out += "<div class=\"feature " + std::string(VerdictClass(VerdictOf(p.computable, p.drift))) +
         "-edge\" id=\"pca\">\n<h3>PCA reconstruction error " + Badge(p.computable, p.drift) +
         "</h3>\n";
  if (p.computable && p.reference_mean && p.current_mean) {
    out += "<p class=\"line\">Current mean error " + FormatNumber(*p.current_mean) +
           " against the reference's " + FormatNumber(*p.reference_mean) + " (std " +
           FormatNumber(p.reference_std.value_or(0)) + "): ratio " +
           (p.ratio ? FormatNumber(*p.ratio) : std::string("n/a")) + " &rarr; " +
           Badge(true, p.drift) + "</p>\n";
    out += "<p class=\"small\">" + std::to_string(p.components) + " components of " +
           std::to_string(p.features.size()) + " numeric features keep " +
           FormatPercent(p.explained_variance.value_or(0)) +
           " of the reference's variance; drift when the current mean exceeds the reference's "
           "by more than 3 standard errors and by more than 10%.</p>\n";
  }
  if (!p.note.empty()) out += DetectorNote(p.computable, p.note);
  out += "</div>\n</section>\n";
}

}  // namespace

std::string RenderDriftHtml(const drift::DriftReport& report, const DriftHtmlOptions& options) {
  std::string out;
  out.reserve(8192 + report.features.size() * 6000);
  const std::string title = Escape(options.title.empty() ? "Drift report" : options.title);
  out +=
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>" +
      title + "</title>\n<style>" + std::string(html::kStyle) + "</style>\n</head>\n<body>\n<main>\n";

  // Header.
  out += "<header>\n<h1>" + title + "</h1>\n";
  auto side = [](const std::string& name, size_t rows) {
    return (name.empty() ? std::string("(unnamed)") : Escape(name)) + "</b> &middot; " +
           FormatCount(rows) + " rows";
  };
  out += "<p class=\"meta\">Reference: <b>" + side(options.reference_name, report.reference_rows) +
         "</p>\n<p class=\"meta\">Current: <b>" + side(options.current_name, report.current_rows) +
         "</p>\n</header>\n";

  // Summary.
  out += "<section id=\"summary\">\n<div class=\"banner " +
         std::string(report.dataset_drift ? "yes" : "no") +
         "\">DATASET DRIFT: " + (report.dataset_drift ? "YES" : "NO") + "<span class=\"sub\">" +
         std::to_string(report.features_drifted) + " of " +
         std::to_string(report.features_computable) + " features drifted (share " +
         FormatPercent(report.drift_share) + ", threshold " +
         FormatPercent(report.dataset_drift_threshold) + ")</span></div>\n";
  const size_t not_computable =
      static_cast<size_t>(std::count_if(report.features.begin(), report.features.end(),
                                        [](const FeatureDrift& f) { return !f.computable; }));
  if (not_computable > 0) {
    out += "<p class=\"small\">" + std::to_string(not_computable) + " of " +
           std::to_string(report.features.size()) +
           " features could not be compared and are not counted.</p>\n";
  }
  if (report.multivariate && report.multivariate->drift()) {
    out += "<p class=\"drifted\"><a href=\"#multivariate\"><b>Multivariate drift</b></a>: " +
           Badge(true, true) + " (" +
           std::string(report.multivariate->domain_classifier.drift ? "domain classifier" : "") +
           (report.multivariate->domain_classifier.drift && report.multivariate->pca.drift ? ", "
                                                                                          : "") +
           (report.multivariate->pca.drift ? "PCA reconstruction error" : "") + ")</p>\n";
  }
  if (report.mostly_data_quality) {
    out +=
        "<div class=\"warn\" id=\"quality-warning\"><b>&#9888; This looks like a broken "
        "pipeline (data quality), not drift.</b> The data-quality findings below explain "
        "most of what changed: fix the data feed first. Retraining on this data is not the "
        "answer.</div>\n";
  }
  if (report.target) {
    out += "<p class=\"drifted\">Target <a href=\"#f0\"><b>" + Escape(report.target->name) +
           "</b></a>: " + VerdictBadge(*report.target) + "</p>\n";
  }
  // The prediction's anchor comes after every feature's.
  const size_t prediction_anchor = report.features.size() + 1;
  if (report.prediction) {
    out += "<p class=\"drifted\">Model prediction <a href=\"#f" +
           std::to_string(prediction_anchor) + "\"><b>" + Escape(report.prediction->name) +
           "</b></a>: " + VerdictBadge(*report.prediction) + "</p>\n";
  }

  // Display order: the target, then drifted, not computable and stable features, each group
  // in schema order.
  std::vector<size_t> order(report.features.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
    return static_cast<int>(VerdictOf(report.features[a])) <
           static_cast<int>(VerdictOf(report.features[b]));
  });
  const size_t first_anchor = report.target ? 1 : 0;

  std::vector<std::string> drifted_links;
  for (size_t k = 0; k < order.size(); ++k) {
    const FeatureDrift& f = report.features[order[k]];
    if (VerdictOf(f) != Verdict::kDrift) break;
    drifted_links.push_back("<a href=\"#f" + std::to_string(first_anchor + k) + "\">" +
                            Escape(f.name) + "</a>");
  }
  if (!drifted_links.empty()) {
    out += "<p class=\"drifted\">Drifted: ";
    const size_t shown = std::min<size_t>(drifted_links.size(), 20);
    for (size_t k = 0; k < shown; ++k) out += (k > 0 ? ", " : "") + drifted_links[k];
    if (shown < drifted_links.size()) {
      out += " and " + std::to_string(drifted_links.size() - shown) + " more";
    }
    out += "</p>\n";
  }
  out += "</section>\n";

  if (report.multivariate) AppendMultivariateSection(out, *report.multivariate);

  // Data quality.
  out += "<section id=\"quality\">\n<h2>Data quality</h2>\n";
  if (report.quality.empty()) {
    out += "<p class=\"none\">none</p>\n";
  } else {
    out +=
        "<table>\n<thead><tr><th>column</th><th>problem</th><th>detail</th></tr></thead>\n"
        "<tbody>\n";
    for (const drift::QualityFinding& q : report.quality) {
      out += "<tr><td class=\"name\">" + Escape(q.column) + "</td><td>" + KindInWords(q.kind) +
             "</td><td>" + Escape(q.detail) + "</td></tr>\n";
    }
    out += "</tbody>\n</table>\n";
  }
  out += "</section>\n";

  // All features.
  out += "<section id=\"features\">\n<h2>Features</h2>\n";
  if (report.features.empty() && !report.target) {
    out += "<p class=\"none\">No features were compared.</p>\n";
  } else {
    out +=
        "<table>\n<thead><tr><th>feature</th><th>type</th><th>method</th><th>statistic</th>"
        "<th>p-value</th><th>threshold</th><th>verdict</th></tr></thead>\n<tbody>\n";
    if (report.target) AppendFeatureRow(out, *report.target, 0, "target");
    if (report.prediction) {
      AppendFeatureRow(out, *report.prediction, prediction_anchor, "model output");
    }
    for (size_t k = 0; k < order.size(); ++k) {
      AppendFeatureRow(out, report.features[order[k]], first_anchor + k, "");
    }
    out += "</tbody>\n</table>\n";
  }
  out += "</section>\n";

  // One section per feature.
  out += "<section id=\"details\">\n<h2>Distributions</h2>\n";
  if (report.target) AppendFeatureSection(out, *report.target, 0, "target");
  if (report.prediction) {
    AppendFeatureSection(out, *report.prediction, prediction_anchor, "model output");
  }
  for (size_t k = 0; k < order.size(); ++k) {
    AppendFeatureSection(out, report.features[order[k]], first_anchor + k, "");
  }
  if (report.features.empty() && !report.target) out += "<p class=\"none\">none</p>\n";
  out += "</section>\n</main>\n</body>\n</html>\n";
  return out;
}

}  // namespace mlloop::report
