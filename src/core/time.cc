#include "core/time.h"

#include <charconv>
#include <cstdio>

namespace mlloop::core {

int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d) {
  // http://howardhinnant.github.io/date_algorithms.html#days_from_civil
  y -= m <= 2;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const unsigned yoe = static_cast<unsigned>(y - era * 400);
  const unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + static_cast<int64_t>(doe) - 719468;
}

namespace {

bool ReadInt(std::string_view s, size_t pos, size_t len, int& out) {
  if (pos + len > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + len; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

void CivilFromDays(int64_t z, int64_t& y, unsigned& m, unsigned& d) {
  z += 719468;
  const int64_t era = (z >= 0 ? z : z - 146096) / 146097;
  const unsigned doe = static_cast<unsigned>(z - era * 146097);
  const unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  y = static_cast<int64_t>(yoe) + era * 400;
  const unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  const unsigned mp = (5 * doy + 2) / 153;
  d = doy - (153 * mp + 2) / 5 + 1;
  m = mp < 10 ? mp + 3 : mp - 9;
  y += m <= 2;
}

Status BadTimestamp(std::string_view text) {
  return Status::InvalidArgument("'" + std::string(text) +
                                 "' is not a timestamp (expected YYYY-MM-DD, "
                                 "YYYY-MM-DDTHH:MM:SS[Z|±HH:MM] or Unix seconds)");
}

}  // namespace

Result<int64_t> ParseTimestamp(std::string_view text) {
  while (!text.empty() && text.front() == ' ') text.remove_prefix(1);
  while (!text.empty() && text.back() == ' ') text.remove_suffix(1);
  if (text.empty()) return BadTimestamp(text);
  // Plain integer: Unix seconds.
  if (text.size() < 10 || text[4] != '-') {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size()) return BadTimestamp(text);
    return v;
  }
  int y, mo, d;
  if (!ReadInt(text, 0, 4, y) || text[4] != '-' || !ReadInt(text, 5, 2, mo) || text[7] != '-' ||
      !ReadInt(text, 8, 2, d)) {
    return BadTimestamp(text);
  }
  if (mo < 1 || mo > 12 || d < 1 || d > 31) return BadTimestamp(text);
  int64_t secs = DaysFromCivil(y, static_cast<unsigned>(mo), static_cast<unsigned>(d)) * 86400;
  size_t pos = 10;
  if (pos < text.size()) {
    if (text[pos] != 'T' && text[pos] != ' ') return BadTimestamp(text);
    int hh, mm, ss = 0;
    if (!ReadInt(text, pos + 1, 2, hh) || pos + 3 >= text.size() || text[pos + 3] != ':' ||
        !ReadInt(text, pos + 4, 2, mm)) {
      return BadTimestamp(text);
    }
    pos += 6;
    if (pos < text.size() && text[pos] == ':') {
      if (!ReadInt(text, pos + 1, 2, ss)) return BadTimestamp(text);
      pos += 3;
      // Fractional seconds are accepted and dropped: mlloop's clock has one-second resolution.
      if (pos < text.size() && text[pos] == '.') {
        ++pos;
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
      }
    }
    if (hh > 23 || mm > 59 || ss > 60) return BadTimestamp(text);
    secs += hh * 3600 + mm * 60 + ss;
    if (pos < text.size()) {
      if (text[pos] == 'Z' && pos + 1 == text.size()) {
        pos += 1;
      } else if ((text[pos] == '+' || text[pos] == '-') && text.size() - pos == 6 &&
                 text[pos + 3] == ':') {
        int oh, om;
        if (!ReadInt(text, pos + 1, 2, oh) || !ReadInt(text, pos + 4, 2, om)) {
          return BadTimestamp(text);
        }
        const int64_t off = oh * 3600 + om * 60;
        secs += text[pos] == '+' ? -off : off;
        pos = text.size();
      } else {
        return BadTimestamp(text);
      }
    }
  }
  return secs;
}

Result<int64_t> ParseDuration(std::string_view text) {
  if (text.empty()) return Status::InvalidArgument("empty duration");
  int64_t total = 0;
  size_t pos = 0;
  bool any = false;
  while (pos < text.size()) {
    int64_t v = 0;
    auto [p, ec] = std::from_chars(text.data() + pos, text.data() + text.size(), v);
    if (ec != std::errc() || v < 0) {
      return Status::InvalidArgument("'" + std::string(text) +
                                     "' is not a duration (expected e.g. 90s, 30m, 6h, 7d, 2w)");
    }
    pos = static_cast<size_t>(p - text.data());
    int64_t unit = 1;
    if (pos < text.size()) {
      switch (text[pos]) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        case 'w': unit = 7 * 86400; break;
        default:
          return Status::InvalidArgument("'" + std::string(text) +
                                         "' is not a duration (units are s, m, h, d, w)");
      }
      ++pos;
    } else if (any) {
      return Status::InvalidArgument("'" + std::string(text) + "' has a number without a unit");
    }
    total += v * unit;
    any = true;
  }
  return total;
}

std::string FormatTimestamp(int64_t t) {
  int64_t days = t >= 0 ? t / 86400 : (t - 86399) / 86400;
  int64_t rem = t - days * 86400;
  int64_t y;
  unsigned m, d;
  CivilFromDays(days, y, m, d);
  char buf[64];
  std::snprintf(buf, sizeof(buf), "%04lld-%02u-%02uT%02lld:%02lld:%02lldZ", static_cast<long long>(y),
                m, d, static_cast<long long>(rem / 3600), static_cast<long long>(rem / 60 % 60),
                static_cast<long long>(rem % 60));
  return buf;
}

std::string FormatDuration(int64_t s) {
  if (s == 0) return "0s";
  // Days are the largest unit: "30d" reads better than "4w2d".
  static constexpr std::pair<int64_t, char> kUnits[] = {
      {86400, 'd'}, {3600, 'h'}, {60, 'm'}, {1, 's'}};
  std::string out;
  if (s < 0) {
    out = "-";
    s = -s;
  }
  for (auto [len, c] : kUnits) {
    if (s >= len) {
      out += std::to_string(s / len);
      out += c;
      s %= len;
    }
  }
  return out;
}

}  // namespace mlloop::core
