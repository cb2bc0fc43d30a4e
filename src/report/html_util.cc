#include "report/html_util.h"

#include <cmath>
#include <cstdio>

namespace mlloop::report::html {

std::string Escape(std::string_view text) {
  std::string out;
  out.reserve(text.size());
  for (char c : text) {
    switch (c) {
      case '&':
        out += "&amp;";
        break;
      case '<':
        out += "&lt;";
        break;
      case '>':
        out += "&gt;";
        break;
      case '"':
        out += "&quot;";
        break;
      case '\'':
        out += "&#39;";
        break;
      default:
        out += c;
    }
  }
  return out;
}

std::string Printf(const char* format, double v) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), format, v);
  return buf;
}

std::string FormatNumber(double v) {
  if (std::isnan(v)) return "n/a";
  if (std::isinf(v)) return v > 0 ? "inf" : "-inf";
  if (v == 0) return "0";
  const double a = std::fabs(v);
  if (a < 1e-3) return Printf("%.2g", v);
  if (a < 1e4) return Printf("%.4g", v);
  if (a < 1e12) return Printf("%.0f", v);
  return Printf("%.3g", v);
}

std::string FormatPValue(double p) {
  if (std::isnan(p)) return "n/a";
  if (p <= 0) return "&lt;1e-300";
  if (p < 1e-3) return Printf("%.1e", p);
  return Printf("%.3g", p);
}

std::string FormatPercent(double share) {
  if (std::isnan(share)) return "n/a";
  const double pct = share * 100;
  if (pct != 0 && std::fabs(pct) < 0.1) return Printf("%.2f%%", pct);
  return Printf("%.1f%%", pct);
}

std::string FormatCount(size_t n) {
  std::string digits = std::to_string(n);
  std::string out;
  for (size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

std::string Coord(double v) { return Printf("%.1f", v); }

std::string SvgOpen(double width, double height, std::string_view label, std::string_view cls) {
  return "<svg class=\"" + std::string(cls) + "\" viewBox=\"0 0 " + Coord(width) + " " +
         Coord(height) + "\" width=\"" + Coord(width) + "\" height=\"" + Coord(height) +
         "\" role=\"img\" aria-label=\"" + Escape(label) + "\">\n";
}

double NiceStep(double top) {
  const double raw = top / 5;
  const double magnitude = std::pow(10.0, std::floor(std::log10(raw)));
  for (double m : {1.0, 2.0, 2.5, 5.0, 10.0}) {
    if (m * magnitude >= raw) return m * magnitude;
  }
  return 10 * magnitude;
}

const std::string_view kStyle = R"(
*{box-sizing:border-box}
body{margin:0;padding:24px 32px 48px;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:#1f2328;background:#f6f7f9}
main{max-width:1040px;margin:0 auto}
h1{font-size:26px;margin:0 0 6px}
h2{font-size:19px;margin:32px 0 10px;padding-bottom:4px;border-bottom:1px solid #d0d7de}
h3{font-size:16px;margin:0 0 6px;overflow-wrap:anywhere}
.meta{color:#57606a;margin:0;overflow-wrap:anywhere}
.meta b{color:#1f2328}
.banner{margin:20px 0 8px;padding:16px 20px;border-radius:8px;font-size:22px;font-weight:700;color:#fff}
.banner.yes{background:#c62828}
.banner.no{background:#2e7d32}
.banner .sub{display:block;font-size:15px;font-weight:400;margin-top:4px}
.warn{margin:10px 0;padding:12px 16px;border-radius:8px;background:#fff4ce;border:1px solid #e0b000;color:#5c4400}
.warn b{color:#3d2d00}
.drifted{margin:6px 0;overflow-wrap:anywhere}
table{border-collapse:collapse;width:100%;background:#fff;border:1px solid #d0d7de;font-size:14px}
th,td{padding:6px 10px;border-bottom:1px solid #eaeef2;text-align:left;vertical-align:top}
th{background:#eef1f4;font-weight:600}
td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
td.name{overflow-wrap:anywhere;min-width:14em}
a{color:#0b57d0;text-decoration:none}
a:hover{text-decoration:underline}
.verdict{display:inline-block;padding:1px 8px;border-radius:10px;font-size:13px;font-weight:600;white-space:nowrap}
.v-drift{background:#fde2e1;color:#a50e0e}
.v-ok{background:#dcf2de;color:#1b5e20}
.v-na{background:#e8eaed;color:#444c56}
.badge{display:inline-block;padding:1px 7px;border-radius:10px;font-size:12px;font-weight:600;background:#e3e8fd;color:#1a3a9c;vertical-align:1px}
.feature{background:#fff;border:1px solid #d0d7de;border-left:6px solid #adb5bd;border-radius:6px;padding:14px 18px 6px;margin:14px 0}
.v-drift-edge{border-left-color:#c62828}
.v-ok-edge{border-left-color:#2e7d32}
.v-na-edge{border-left-color:#8c959f}
.line{margin:4px 0;font-size:15px}
.method{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-weight:600}
.small{font-size:13px;color:#57606a;margin:2px 0;overflow-wrap:anywhere}
.note{font-size:14px;color:#5c4400;margin:4px 0}
.why{padding:10px 14px;background:#f3f4f6;border-radius:6px;color:#444c56}
.up{text-align:right;font-size:13px;margin:0 0 6px}
.none{color:#57606a;font-style:italic}
svg.chart{display:block;max-width:100%;height:auto;margin:8px 0 4px}
svg .r{fill:#4c78a8}
svg .c{fill:#f58518}
svg .grid{stroke:#e3e6ea;stroke-width:1}
svg .axis{stroke:#8c959f;stroke-width:1}
svg text{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;fill:#444c56}
svg .tick{font-size:11px;text-anchor:end}
svg .xl{font-size:11px}
svg .val{font-size:10px;text-anchor:middle;fill:#57606a}
svg .cap{font-size:12px}
svg .lg{font-size:13px;fill:#1f2328}
svg g:hover rect{opacity:.8}
svg .cand{fill:#f58518}
svg .champ{fill:#4c78a8}
svg .cand-line{stroke:#f58518;stroke-width:2;fill:none}
svg .champ-line{stroke:#4c78a8;stroke-width:2;fill:none}
svg .diag{stroke:#8c959f;stroke-width:1;stroke-dasharray:4 3}
svg .ci{stroke:#1f2328;stroke-width:2}
svg .zero{stroke:#8c959f;stroke-width:1;stroke-dasharray:3 3}
.grid2{display:grid;grid-template-columns:repeat(auto-fit,minmax(300px,1fr));gap:16px}
table.cm{width:auto}
table.cm td{text-align:right;min-width:6em;font-variant-numeric:tabular-nums}
)";

}  // namespace mlloop::report::html
