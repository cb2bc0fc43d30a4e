#include "core/format.h"

#include <cstdio>

namespace mlloop::core {

std::string FormatFixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

}  // namespace mlloop::core
