// JsonValue: a request body parsed into a small tree that keeps what prediction needs exactly:
// every number is also converted to float straight from its text (std::from_chars, as
// io/csv_reader does), so "0.056443" sent over HTTP becomes the same float as the same text
// in a CSV, and the flat forest answers the same bits (a parse to double and a cast to float
// rounds twice and can differ in the last bit). Parsing is nlohmann::json's SAX reader; no
// nlohmann type leaves json_value.cc.
//
// Thread-safety: plain values.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/status.h"

namespace mlloop::serve {

struct JsonValue {
  enum class Kind { kNull, kBool, kNumber, kString, kArray, kObject };

  Kind kind = Kind::kNull;
  bool boolean = false;
  float number = 0.0f;       // kNumber: the text rounded once to float
  double number_double = 0;  // kNumber: the text rounded to double (for counts and shapes)
  bool is_integer = false;   // kNumber written without fraction or exponent
  std::string text;          // kString
  std::vector<JsonValue> items;                            // kArray
  std::vector<std::pair<std::string, JsonValue>> members;  // kObject, in document order

  // The member called `key` of an object, or null when absent (or not an object).
  const JsonValue* Find(std::string_view key) const;
};

// "null", "a boolean", "a number", "a string", "an array", "an object": for messages such
// as "instances[0][2]: expected a number, got a string".
std::string_view JsonKindName(JsonValue::Kind kind);

// Parses one JSON document. InvalidArgument "malformed JSON at byte N: ..." otherwise, also
// for nesting deeper than 64 levels (a request body never needs more).
Result<JsonValue> ParseJson(std::string_view text);

// Appends `s` to *out as a JSON string literal (quotes and escapes included).
void AppendJsonString(std::string_view s, std::string* out);
// Appends the shortest decimal text that reads back as exactly `v` (std::to_chars); NaN and
// infinities, which JSON cannot carry, as null.
void AppendJsonNumber(float v, std::string* out);

}  // namespace mlloop::serve
