// Time in mlloop is int64 Unix seconds, UTC. Parsing and formatting of timestamps and
// durations as they appear in configuration files and CSV columns.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mlloop::core {

// Parses "1996-05-07", "1996-05-07T13:30:00", "1996-05-07 13:30:00", with an optional
// trailing "Z" or "+HH:MM"/"-HH:MM" offset, or a plain integer of Unix seconds.
Result<int64_t> ParseTimestamp(std::string_view text);

// Parses a duration: an integer followed by s, m, h, d or w ("30m", "7d"); a bare integer
// is seconds. Negative durations are refused.
Result<int64_t> ParseDuration(std::string_view text);

// "1996-05-07T13:30:00Z".
std::string FormatTimestamp(int64_t unix_seconds);
// "30m", "7d", "1d12h" — exact, with days as the largest unit.
std::string FormatDuration(int64_t seconds);

// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
int64_t DaysFromCivil(int64_t y, unsigned m, unsigned d);

}  // namespace mlloop::core
