#include "serve/json_value.h"

#include <charconv>
#include <cmath>
#include <nlohmann/json.hpp>
#include <system_error>

namespace mlloop::serve {
namespace {

constexpr size_t kMaxDepth = 64;

// Builds JsonValues from nlohmann's SAX events. `stack_` holds the open containers; a
// finished value is attached to the innermost one (under the pending key for an object).
class TreeBuilder {
 public:
  using json = nlohmann::json;

  bool null() { return Add(JsonValue{}); }
  bool boolean(bool b) {
    JsonValue v;
    v.kind = JsonValue::Kind::kBool;
    v.boolean = b;
    return Add(std::move(v));
  }
  bool number_integer(json::number_integer_t i) { return Integer(static_cast<double>(i), static_cast<float>(i)); }
  bool number_unsigned(json::number_unsigned_t u) { return Integer(static_cast<double>(u), static_cast<float>(u)); }
  bool number_float(json::number_float_t d, const json::string_t& text) {
    JsonValue v;
    v.kind = JsonValue::Kind::kNumber;
    v.number_double = d;
    auto [ptr, ec] = std::from_chars(text.data(), text.data() + text.size(), v.number);
    if (ec != std::errc() || ptr != text.data() + text.size()) {
      v.number = static_cast<float>(d);  // out of float range: +-inf or 0, as strtof gives
    }
    return Add(std::move(v));
  }
  bool string(json::string_t& s) {
    JsonValue v;
    v.kind = JsonValue::Kind::kString;
    v.text = std::move(s);
    return Add(std::move(v));
  }
  bool binary(json::binary_t&) { return false; }  // never produced by the text parser
  bool start_object(size_t) { return Open(JsonValue::Kind::kObject); }
  bool key(json::string_t& k) {
    keys_.back() = std::move(k);
    return true;
  }
  bool end_object() { return Close(); }
  bool start_array(size_t) { return Open(JsonValue::Kind::kArray); }
  bool end_array() { return Close(); }
  bool parse_error(size_t position, const std::string&, const nlohmann::detail::exception& e) {
    error_ = Status::InvalidArgument("malformed JSON at byte " + std::to_string(position) + ": " +
                                     Reason(e.what()));
    return false;
  }

  Result<JsonValue> Finish(bool ok) {
    if (!error_.ok()) return error_;
    if (!ok || !done_) return Status::InvalidArgument("malformed JSON: incomplete document");
    return std::move(root_);
  }

 private:
  // nlohmann's messages read "[json.exception.parse_error.101] parse error at line 1, column
  // 3: syntax error while parsing value - invalid literal; last read: 'tru'"; keep the part
  // after "parse error ...: ".
  static std::string Reason(std::string_view what) {
    size_t p = what.find("syntax error");
    if (p != std::string_view::npos) return std::string(what.substr(p));
    p = what.find("] ");
    return std::string(p == std::string_view::npos ? what : what.substr(p + 2));
  }

  bool Integer(double d, float f) {
    JsonValue v;
    v.kind = JsonValue::Kind::kNumber;
    v.number_double = d;
    v.number = f;  // one rounding from the exact integer, as from_chars would give
    v.is_integer = true;
    return Add(std::move(v));
  }
  bool Open(JsonValue::Kind kind) {
    if (stack_.size() >= kMaxDepth) {
      error_ = Status::InvalidArgument("malformed JSON: nested deeper than " +
                                       std::to_string(kMaxDepth) + " levels");
      return false;
    }
    JsonValue v;
    v.kind = kind;
    stack_.push_back(std::move(v));
    keys_.emplace_back();
    return true;
  }
  bool Close() {
    JsonValue v = std::move(stack_.back());
    stack_.pop_back();
    keys_.pop_back();
    return Add(std::move(v));
  }
  bool Add(JsonValue v) {
    if (stack_.empty()) {
      root_ = std::move(v);
      done_ = true;
    } else if (stack_.back().kind == JsonValue::Kind::kArray) {
      stack_.back().items.push_back(std::move(v));
    } else {
      stack_.back().members.emplace_back(std::move(keys_.back()), std::move(v));
    }
    return true;
  }

  std::vector<JsonValue> stack_;
  std::vector<std::string> keys_;
  JsonValue root_;
  bool done_ = false;
  Status error_;
};

}  // namespace

const JsonValue* JsonValue::Find(std::string_view key) const {
  for (const auto& [k, v] : members) {
    if (k == key) return &v;
  }
  return nullptr;
}

std::string_view JsonKindName(JsonValue::Kind kind) {
  switch (kind) {
    case JsonValue::Kind::kNull: return "null";
    case JsonValue::Kind::kBool: return "a boolean";
    case JsonValue::Kind::kNumber: return "a number";
    case JsonValue::Kind::kString: return "a string";
    case JsonValue::Kind::kArray: return "an array";
    case JsonValue::Kind::kObject: return "an object";
  }
  return "?";
}

Result<JsonValue> ParseJson(std::string_view text) {
  TreeBuilder builder;
  bool ok = nlohmann::json::sax_parse(text.begin(), text.end(), &builder,
                                      nlohmann::json::input_format_t::json, /*strict=*/true);
  return builder.Finish(ok);
}

void AppendJsonString(std::string_view s, std::string* out) {
  out->push_back('"');
  for (char c : s) {
    switch (c) {
      case '"': *out += "\\\""; break;
      case '\\': *out += "\\\\"; break;
      case '\n': *out += "\\n"; break;
      case '\r': *out += "\\r"; break;
      case '\t': *out += "\\t"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          static const char kHex[] = "0123456789abcdef";
          *out += "\\u00";
          out->push_back(kHex[(c >> 4) & 0xf]);
          out->push_back(kHex[c & 0xf]);
        } else {
          out->push_back(c);
        }
    }
  }
  out->push_back('"');
}

void AppendJsonNumber(float v, std::string* out) {
  if (!std::isfinite(v)) {
    *out += "null";
    return;
  }
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, ptr);
}

}  // namespace mlloop::serve
