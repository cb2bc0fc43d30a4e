#include "serve/json_value.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>

namespace mlloop::serve {
namespace {

using ::testing::HasSubstr;

TEST(JsonValueTest, ParsesNestedDocument) {
  auto v = ParseJson(R"({"a": [1, 2.5, null, true, "s"], "b": {"c": -3}})");
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  ASSERT_EQ(v->kind, JsonValue::Kind::kObject);
  const JsonValue* a = v->Find("a");
  ASSERT_NE(a, nullptr);
  ASSERT_EQ(a->items.size(), 5u);
  EXPECT_TRUE(a->items[0].is_integer);
  EXPECT_EQ(a->items[0].number, 1.0f);
  EXPECT_FALSE(a->items[1].is_integer);
  EXPECT_EQ(a->items[1].number, 2.5f);
  EXPECT_EQ(a->items[2].kind, JsonValue::Kind::kNull);
  EXPECT_TRUE(a->items[3].boolean);
  EXPECT_EQ(a->items[4].text, "s");
  EXPECT_EQ(v->Find("b")->Find("c")->number, -3.0f);
  EXPECT_EQ(v->Find("nope"), nullptr);
}

// A decimal that lies just above a midpoint between two floats: rounding it to double first
// lands exactly on the midpoint, and the cast to float then rounds to even, one float below
// the correctly rounded value. The server must read numbers as the CSV reader does
// (from_chars to float), or the same row over HTTP and from a file could differ in a bit.
TEST(JsonValueTest, NumbersRoundOnceToFloatLikeTheCsvReader) {
  const char* text = "1.00000005960464477539062500000001";  // 1 + 2^-24 + 1e-32
  float direct = 0;
  std::from_chars(text, text + std::strlen(text), direct);
  ASSERT_NE(direct, static_cast<float>(std::strtod(text, nullptr)))
      << "the example must show double rounding";
  auto v = ParseJson(std::string("[") + text + "]");
  ASSERT_TRUE(v.ok());
  EXPECT_EQ(std::bit_cast<uint32_t>(v->items[0].number), std::bit_cast<uint32_t>(direct));
}

TEST(JsonValueTest, MalformedDocumentsNameTheByte) {
  for (const char* bad : {"{", "[1,]", "{\"a\" 1}", "tru", "", "[1] 2"}) {
    auto v = ParseJson(bad);
    ASSERT_FALSE(v.ok()) << bad;
    EXPECT_EQ(v.status().code(), StatusCode::kInvalidArgument);
    EXPECT_THAT(v.status().message(), HasSubstr("malformed JSON")) << bad;
  }
  EXPECT_THAT(ParseJson("[1,]").status().message(), HasSubstr("at byte 4"));
}

TEST(JsonValueTest, RefusesDeepNesting) {
  auto v = ParseJson(std::string(100, '[') + std::string(100, ']'));
  ASSERT_FALSE(v.ok());
  EXPECT_THAT(v.status().message(), HasSubstr("deeper than 64"));
}

TEST(JsonValueTest, WritesStringsAndShortestFloats) {
  std::string out;
  AppendJsonString("a\"b\\c\n\x01", &out);
  EXPECT_EQ(out, R"("a\"b\\c\n\u0001")");
  out.clear();
  AppendJsonNumber(0.1f, &out);
  out += ",";
  AppendJsonNumber(std::nanf(""), &out);
  EXPECT_EQ(out, "0.1,null");
}

}  // namespace
}  // namespace mlloop::serve
