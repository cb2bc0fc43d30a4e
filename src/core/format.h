// Number formatting shared by every human-facing message (decision reasons, gate results,
// CLI tables), so the same value always prints the same way.
#pragma once

#include <string>

namespace mlloop::core {

// `v` with exactly `digits` digits after the point: FormatFixed(0.71234, 4) == "0.7123".
std::string FormatFixed(double v, int digits);

}  // namespace mlloop::core
