// Number formatting shared by every human-facing message (decision reasons, gate results,
// CLI tables), so the same value always prints the same way.
#pragma once

#include <string>

namespace mlloop::core {

// `v` with exactly `digits` digits after the point: FormatFixed(0.71234, 4) == "0.7123".
std::string FormatFixed(double v, int digits);

// The shortest text that reads back as the same number: "0.1" for 0.1f (not
// 0.10000000149011612), "12", "nan", "inf". For messages and labels that quote data.
std::string FormatShortest(float v);
std::string FormatShortest(double v);

}  // namespace mlloop::core
