// Helpers shared by the self-contained HTML reports (drift_html, evaluation_html): escaping,
// number formats, axis steps and the one stylesheet, so every report reads the same way.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace mlloop::report::html {

// Text from the data, escaped for element content and quoted attribute values.
std::string Escape(std::string_view text);
// printf of one double.
std::string Printf(const char* format, double v);
// 3-4 significant digits without exponent for the usual range, exponent for the tiny ones:
// 0.3124, 12.35, 1234, 123457, 1.2e-08; "n/a" for NaN.
std::string FormatNumber(double v);
// p-values: 0.0312, 0.42, 1.2e-08; an underflowed 0 is shown as a bound ("&lt;1e-300").
std::string FormatPValue(double p);
// A share as a percentage: 12.5%, 0.05%.
std::string FormatPercent(double share);
// 1234567 -> "1,234,567".
std::string FormatCount(size_t n);
// SVG coordinates with one decimal keep the markup short.
std::string Coord(double v);
// The opening <svg> tag of a chart `width` x `height` with class `cls`, described for screen
// readers by `label` (escaped here).
std::string SvgOpen(double width, double height, std::string_view label,
                    std::string_view cls = "chart");
// A step of 1, 2, 2.5 or 5 times a power of ten giving at most 5 gridlines up to `top`.
double NiceStep(double top);

// The reports' stylesheet (inline: the pages load nothing from the network).
extern const std::string_view kStyle;

}  // namespace mlloop::report::html
