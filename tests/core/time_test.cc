#include "core/time.h"

#include <gtest/gtest.h>

namespace mlloop::core {
namespace {

TEST(TimeTest, ParsesDatesAndDateTimes) {
  // 1996-05-07T00:00:00Z = 831427200 (date -u -d 1996-05-07 +%s).
  EXPECT_EQ(*ParseTimestamp("1996-05-07"), 831427200);
  EXPECT_EQ(*ParseTimestamp("1996-05-07T00:30:00Z"), 831427200 + 1800);
  EXPECT_EQ(*ParseTimestamp("1996-05-07 00:30:00"), 831427200 + 1800);
  EXPECT_EQ(*ParseTimestamp("1996-05-07T02:30:00+02:00"), 831427200 + 1800);
  EXPECT_EQ(*ParseTimestamp("831427200"), 831427200);
  EXPECT_EQ(*ParseTimestamp("1970-01-01T00:00:00.250Z"), 0);
}

TEST(TimeTest, RefusesMalformedTimestamps) {
  for (const char* bad : {"", "1996-13-01", "1996-05-07X", "yesterday", "1996-05-07T25:00"}) {
    auto r = ParseTimestamp(bad);
    EXPECT_FALSE(r.ok()) << bad;
  }
  EXPECT_NE(ParseTimestamp("soon").status().message().find("expected YYYY-MM-DD"),
            std::string::npos);
}

TEST(TimeTest, FormatsRoundTrip) {
  EXPECT_EQ(FormatTimestamp(831427200 + 1800), "1996-05-07T00:30:00Z");
  EXPECT_EQ(FormatTimestamp(0), "1970-01-01T00:00:00Z");
  EXPECT_EQ(*ParseTimestamp(FormatTimestamp(1354752000)), 1354752000);
}

TEST(TimeTest, ParsesDurations) {
  EXPECT_EQ(*ParseDuration("30m"), 1800);
  EXPECT_EQ(*ParseDuration("7d"), 7 * 86400);
  EXPECT_EQ(*ParseDuration("2w"), 14 * 86400);
  EXPECT_EQ(*ParseDuration("1h30m"), 5400);
  EXPECT_EQ(*ParseDuration("45"), 45);
  EXPECT_FALSE(ParseDuration("5 days").ok());
  EXPECT_FALSE(ParseDuration("-3d").ok());
  EXPECT_FALSE(ParseDuration("").ok());
  EXPECT_EQ(FormatDuration(5400), "1h30m");
  EXPECT_EQ(FormatDuration(30 * 86400), "30d");
}

}  // namespace
}  // namespace mlloop::core
