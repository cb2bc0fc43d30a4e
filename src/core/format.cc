#include "core/format.h"

#include <charconv>
#include <cstdio>

namespace mlloop::core {

std::string FormatFixed(double v, int digits) {
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%.*f", digits, v);
  return buf;
}

namespace {

template <typename T>
std::string Shortest(T v) {
  char buf[64];  // std::to_chars' shortest form of a double needs at most 24
  const auto end = std::to_chars(buf, buf + sizeof(buf), v).ptr;
  return std::string(buf, end);
}

}  // namespace

std::string FormatShortest(float v) { return Shortest(v); }
std::string FormatShortest(double v) { return Shortest(v); }

}  // namespace mlloop::core
