#include "serve/prediction_api.h"

#include <array>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <system_error>
#include <limits>

namespace mlloop::serve {
namespace {

constexpr float kMissing = std::numeric_limits<float>::quiet_NaN();

// OIP v2 tensor data types (the protocol's list); BYTES carries strings.
constexpr std::array<std::string_view, 13> kDatatypes = {
    "BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16",
    "INT32", "INT64", "FP16", "FP32",   "FP64",   "BYTES"};

std::string Expected(std::string_view where, std::string_view what, const JsonValue& got) {
  return std::string(where) + ": expected " + std::string(what) + ", got " +
         std::string(JsonKindName(got.kind));
}

std::string FeatureList(const ServedModel& model) {
  std::string s;
  for (size_t i = 0; i < model.n_features(); ++i) {
    if (i == 6 && model.n_features() > 7) {
      s += ", ...";
      break;
    }
    s += (i ? ", " : "") + model.features()[i].name;
  }
  return s;
}

std::string TooManyRows(std::string_view where, size_t rows, size_t max_rows) {
  return std::string(where) + ": " + std::to_string(rows) + " rows, at most " +
         std::to_string(max_rows) + " per request";
}

// One value of feature `f` (see the file comment of prediction_api.h for what is accepted).
Status DecodeValue(const JsonValue& v, const core::FeatureSpec& f, const std::string& where,
                   float* out) {
  switch (v.kind) {
    case JsonValue::Kind::kNull:
      *out = kMissing;
      return Status::Ok();
    case JsonValue::Kind::kNumber:
      if (f.type == core::FeatureType::kBoolean && v.number != 0.0f && v.number != 1.0f) {
        return Status::InvalidArgument(where + ": boolean feature '" + f.name +
                                       "' takes true, false, 0 or 1");
      }
      if (f.type == core::FeatureType::kCategorical && !f.categories.empty() &&
          (!v.is_integer || v.number_double < 0 ||
           v.number_double >= static_cast<double>(f.categories.size()))) {
        return Status::InvalidArgument(where + ": categorical feature '" + f.name +
                                       "' takes a code from 0 to " +
                                       std::to_string(f.categories.size() - 1) + " or its value");
      }
      *out = v.number;
      return Status::Ok();
    case JsonValue::Kind::kBool:
      if (f.type == core::FeatureType::kNumeric) break;
      *out = v.boolean ? 1.0f : 0.0f;
      return Status::Ok();
    case JsonValue::Kind::kString:
      if (f.type != core::FeatureType::kCategorical) break;
      if (f.categories.empty()) {
        return Status::InvalidArgument(
            where + ": categorical feature '" + f.name +
            "' has no categories listed in the model's config, so send its code as a number");
      }
      for (size_t c = 0; c < f.categories.size(); ++c) {
        if (f.categories[c] == v.text) {
          *out = static_cast<float>(c);
          return Status::Ok();
        }
      }
      return Status::InvalidArgument(where + ": '" + v.text + "' is not a category of '" + f.name +
                                     "'");
    default:
      break;
  }
  std::string_view want = f.type == core::FeatureType::kNumeric   ? "a number or null"
                          : f.type == core::FeatureType::kBoolean ? "a boolean, 0/1 or null"
                                                                  : "a category, its code or null";
  return Status::InvalidArgument(Expected(where, want, v) + " (feature '" + f.name + "')");
}

// Flattens nested arrays (row-major) into *leaves; InvalidArgument past `depth` levels.
Status Flatten(const JsonValue& v, const std::string& where, size_t depth,
               std::vector<const JsonValue*>* leaves) {
  if (v.kind != JsonValue::Kind::kArray) {
    leaves->push_back(&v);
    return Status::Ok();
  }
  if (depth == 0) return Status::InvalidArgument(where + ": nested deeper than the shape");
  for (const JsonValue& item : v.items) {
    MLLOOP_RETURN_IF_ERROR(Flatten(item, where, depth - 1, leaves));
  }
  return Status::Ok();
}

// An OIP v2 input tensor's shape, datatype and flattened data, checked against each other.
struct Tensor {
  std::string name;
  std::vector<size_t> shape;
  std::vector<const JsonValue*> data;
};

Status ReadTensor(const JsonValue& t, const std::string& where, Tensor* out) {
  if (t.kind != JsonValue::Kind::kObject) {
    return Status::InvalidArgument(Expected(where, "an object (a tensor)", t));
  }
  const JsonValue* name = t.Find("name");
  if (name == nullptr || name->kind != JsonValue::Kind::kString) {
    return Status::InvalidArgument(where + ".name: required, a string");
  }
  out->name = name->text;
  const JsonValue* datatype = t.Find("datatype");
  if (datatype == nullptr || datatype->kind != JsonValue::Kind::kString) {
    return Status::InvalidArgument(where + ".datatype: required, a string such as \"FP32\"");
  }
  bool known = false;
  for (auto d : kDatatypes) known = known || d == datatype->text;
  if (!known) {
    std::string names;
    for (auto d : kDatatypes) names += (names.empty() ? "" : ", ") + std::string(d);
    return Status::InvalidArgument(where + ".datatype: expected one of " + names + ", got '" +
                                   datatype->text + "'");
  }
  const JsonValue* shape = t.Find("shape");
  if (shape == nullptr || shape->kind != JsonValue::Kind::kArray || shape->items.empty() ||
      shape->items.size() > 2) {
    return Status::InvalidArgument(where + ".shape: required, [rows, features] or [values]");
  }
  size_t count = 1;
  for (size_t i = 0; i < shape->items.size(); ++i) {
    const JsonValue& d = shape->items[i];
    if (d.kind != JsonValue::Kind::kNumber || !d.is_integer || d.number_double < 0 ||
        d.number_double > 1e9) {
      return Status::InvalidArgument(where + ".shape[" + std::to_string(i) +
                                     "]: expected a non-negative integer");
    }
    out->shape.push_back(static_cast<size_t>(d.number_double));
    count *= out->shape.back();
  }
  const JsonValue* data = t.Find("data");
  if (data == nullptr || data->kind != JsonValue::Kind::kArray) {
    return Status::InvalidArgument(where + ".data: required, an array");
  }
  MLLOOP_RETURN_IF_ERROR(Flatten(*data, where + ".data", shape->items.size(), &out->data));
  if (out->data.size() != count) {
    return Status::InvalidArgument(where + ".data: " + std::to_string(out->data.size()) +
                                   " values for shape of " + std::to_string(count));
  }
  return Status::Ok();
}

void AppendPredictions(const std::vector<float>& predictions, std::string* out) {
  out->push_back('[');
  for (size_t i = 0; i < predictions.size(); ++i) {
    if (i) out->push_back(',');
    AppendJsonNumber(predictions[i], out);
  }
  out->push_back(']');
}

}  // namespace

Status DecodeKserveV1(const JsonValue& body, const ServedModel& model, size_t max_rows,
                      DecodedRows* out) {
  if (body.kind != JsonValue::Kind::kObject) {
    return Status::InvalidArgument(Expected("request body", "an object {\"instances\": [...]}", body));
  }
  const JsonValue* instances = body.Find("instances");
  if (instances == nullptr) {
    return Status::InvalidArgument("instances: required ({\"instances\": [[...], ...]})");
  }
  if (instances->kind != JsonValue::Kind::kArray) {
    return Status::InvalidArgument(Expected("instances", "an array of rows", *instances));
  }
  const size_t rows = instances->items.size();
  if (rows == 0) return Status::InvalidArgument("instances: no rows");
  if (rows > max_rows) return Status::InvalidArgument(TooManyRows("instances", rows, max_rows));
  const size_t width = model.n_features();
  const auto& features = model.features();
  out->rows = rows;
  out->x.assign(rows * width, kMissing);
  std::vector<bool> seen;
  for (size_t r = 0; r < rows; ++r) {
    const JsonValue& row = instances->items[r];
    const std::string where = "instances[" + std::to_string(r) + "]";
    float* dst = out->x.data() + r * width;
    if (row.kind == JsonValue::Kind::kArray) {
      if (row.items.size() != width) {
        return Status::InvalidArgument(where + ": expected " + std::to_string(width) + " values (" +
                                       FeatureList(model) + "), got " +
                                       std::to_string(row.items.size()));
      }
      for (size_t j = 0; j < width; ++j) {
        const JsonValue& v = row.items[j];
        if (v.kind == JsonValue::Kind::kNumber && features[j].type == core::FeatureType::kNumeric) {
          dst[j] = v.number;  // the common case, without building a field name
          continue;
        }
        MLLOOP_RETURN_IF_ERROR(DecodeValue(v, features[j], where + "[" + std::to_string(j) + "]", &dst[j]));
      }
    } else if (row.kind == JsonValue::Kind::kObject) {
      seen.assign(width, false);
      for (const auto& [key, v] : row.members) {
        std::optional<size_t> j;
        for (size_t k = 0; k < width && !j; ++k) {
          if (features[k].name == key) j = k;
        }
        if (!j) {
          return Status::InvalidArgument(where + "." + key + ": unknown feature (features: " +
                                         FeatureList(model) + ")");
        }
        if (seen[*j]) return Status::InvalidArgument(where + "." + key + ": given twice");
        seen[*j] = true;
        MLLOOP_RETURN_IF_ERROR(DecodeValue(v, features[*j], where + "." + key, &dst[*j]));
      }
      for (size_t j = 0; j < width; ++j) {
        if (!seen[j]) {
          return Status::InvalidArgument(where + "." + features[j].name +
                                         ": missing (send null for a missing value)");
        }
      }
    } else {
      return Status::InvalidArgument(Expected(where, "an array of values or an object by feature name", row));
    }
  }
  return Status::Ok();
}

Status DecodeInferenceV2(const JsonValue& body, const ServedModel& model, size_t max_rows,
                         DecodedRows* out) {
  if (body.kind != JsonValue::Kind::kObject) {
    return Status::InvalidArgument(Expected("request body", "an object {\"inputs\": [...]}", body));
  }
  if (const JsonValue* id = body.Find("id")) {
    if (id->kind != JsonValue::Kind::kString) return Status::InvalidArgument(Expected("id", "a string", *id));
    out->id = id->text;
  }
  const JsonValue* inputs = body.Find("inputs");
  if (inputs == nullptr) return Status::InvalidArgument("inputs: required, an array of tensors");
  if (inputs->kind != JsonValue::Kind::kArray || inputs->items.empty()) {
    return Status::InvalidArgument(Expected("inputs", "a non-empty array of tensors", *inputs));
  }
  const size_t width = model.n_features();
  const auto& features = model.features();
  std::vector<Tensor> tensors(inputs->items.size());
  for (size_t i = 0; i < tensors.size(); ++i) {
    MLLOOP_RETURN_IF_ERROR(ReadTensor(inputs->items[i], "inputs[" + std::to_string(i) + "]", &tensors[i]));
  }
  auto feature_index = [&](const std::string& name) -> std::optional<size_t> {
    for (size_t k = 0; k < width; ++k) {
      if (features[k].name == name) return k;
    }
    return std::nullopt;
  };
  bool by_feature = true;
  for (const Tensor& t : tensors) by_feature = by_feature && feature_index(t.name).has_value();
  if (by_feature && !(tensors.size() == 1 && width > 1)) {
    // One tensor per feature: shape [n] or [n, 1] each, all of the same n.
    const size_t rows = tensors[0].shape[0];
    if (rows > max_rows) return Status::InvalidArgument(TooManyRows("inputs[0].shape", rows, max_rows));
    out->rows = rows;
    out->x.assign(rows * width, kMissing);
    std::vector<bool> seen(width, false);
    for (size_t i = 0; i < tensors.size(); ++i) {
      const Tensor& t = tensors[i];
      const std::string where = "inputs[" + std::to_string(i) + "]";
      const size_t j = *feature_index(t.name);
      if (seen[j]) return Status::InvalidArgument(where + ".name: feature '" + t.name + "' given twice");
      seen[j] = true;
      if (t.shape[0] != rows || (t.shape.size() == 2 && t.shape[1] != 1)) {
        return Status::InvalidArgument(where + ".shape: expected [" + std::to_string(rows) +
                                       "] like inputs[0] (one value per row)");
      }
      for (size_t r = 0; r < rows; ++r) {
        MLLOOP_RETURN_IF_ERROR(DecodeValue(*t.data[r], features[j],
                                           where + ".data[" + std::to_string(r) + "]",
                                           &out->x[r * width + j]));
      }
    }
    for (size_t j = 0; j < width; ++j) {
      if (!seen[j]) {
        return Status::InvalidArgument("inputs: no tensor for feature '" + features[j].name +
                                       "' (one tensor per feature, or one tensor of rows)");
      }
    }
  } else {
    if (tensors.size() != 1) {
      for (const Tensor& t : tensors) {
        if (!feature_index(t.name)) {
          return Status::InvalidArgument("inputs: tensor '" + t.name + "' is not a feature (features: " +
                                         FeatureList(model) + ")");
        }
      }
    }
    const Tensor& t = tensors[0];
    const size_t cols = t.shape.back();
    const size_t rows = t.shape.size() == 2 ? t.shape[0] : 1;
    if (cols != width) {
      return Status::InvalidArgument("inputs[0].shape: expected [rows, " + std::to_string(width) +
                                     "] (" + FeatureList(model) + "), got " +
                                     std::to_string(cols) + " columns");
    }
    if (rows > max_rows) return Status::InvalidArgument(TooManyRows("inputs[0].shape", rows, max_rows));
    if (rows == 0) return Status::InvalidArgument("inputs[0].shape: no rows");
    out->rows = rows;
    out->x.resize(rows * width);
    for (size_t k = 0; k < rows * width; ++k) {
      const JsonValue& v = *t.data[k];
      const size_t j = k % width;
      if (v.kind == JsonValue::Kind::kNumber && features[j].type == core::FeatureType::kNumeric) {
        out->x[k] = v.number;
        continue;
      }
      MLLOOP_RETURN_IF_ERROR(DecodeValue(v, features[j], "inputs[0].data[" + std::to_string(k) + "]",
                                         &out->x[k]));
    }
  }
  return Status::Ok();
}

namespace {

// A cursor over a request body for DecodeKserveV1Numeric; every method returns false when
// the text is not what it expects.
class NumericReader {
 public:
  explicit NumericReader(std::string_view text) : p_(text.data()), end_(text.data() + text.size()) {}

  void SkipSpace() {
    while (p_ < end_ && (*p_ == ' ' || *p_ == '\n' || *p_ == '\r' || *p_ == '\t')) ++p_;
  }
  bool Consume(char c) {
    SkipSpace();
    if (p_ == end_ || *p_ != c) return false;
    ++p_;
    return true;
  }
  bool ConsumeLiteral(std::string_view literal) {
    SkipSpace();
    if (static_cast<size_t>(end_ - p_) < literal.size() ||
        std::string_view(p_, literal.size()) != literal) {
      return false;
    }
    p_ += literal.size();
    return true;
  }
  bool Peek(char c) {
    SkipSpace();
    return p_ < end_ && *p_ == c;
  }
  bool AtEnd() {
    SkipSpace();
    return p_ == end_;
  }
  // One JSON number (RFC 8259 grammar: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?),
  // rounded once to float as ParseJson rounds it (from_chars). False outside float range,
  // where ParseJson's rounding through double takes over.
  // Plain decimals take Clinger's fast path, as io/csv_reader.cc's ParseFloat does: when the
  // digits form an integer w <= 2^24 with at most 10 after the point, w and 10^k are exact
  // floats and one division rounds correctly, so the result is from_chars's, bit for bit
  // (W. D. Clinger, "How to read floating point numbers accurately", PLDI 1990).
  bool Number(float* out) {
    static constexpr float kPow10[] = {1e0f, 1e1f, 1e2f, 1e3f, 1e4f, 1e5f,
                                       1e6f, 1e7f, 1e8f, 1e9f, 1e10f};
    SkipSpace();
    const char* start = p_;
    const bool negative = p_ < end_ && *p_ == '-';
    p_ += negative;
    if (p_ == end_) return false;
    uint64_t w = 0;
    size_t digits = 0, fraction_digits = 0;
    if (*p_ == '0') {
      ++p_;
      digits = 1;
    } else if (*p_ >= '1' && *p_ <= '9') {
      digits = Digits(&w);
    } else {
      return false;
    }
    bool integer = true, exponent = false;
    if (p_ < end_ && *p_ == '.') {
      ++p_;
      integer = false;
      fraction_digits = Digits(&w);
      if (fraction_digits == 0) return false;
    }
    if (p_ < end_ && (*p_ == 'e' || *p_ == 'E')) {
      ++p_;
      integer = false;
      exponent = true;
      if (p_ < end_ && (*p_ == '+' || *p_ == '-')) ++p_;
      uint64_t ignored = 0;
      if (Digits(&ignored) == 0) return false;
    }
    if (!exponent && digits + fraction_digits <= 19 && w <= (uint64_t{1} << 24) &&
        fraction_digits <= 10) {
      const float v = static_cast<float>(w) / kPow10[fraction_digits];
      // nlohmann reads "-0" as the integer 0, so ParseJson gives +0; so does this path.
      *out = negative && !(integer && w == 0) ? -v : v;
      return true;
    }
    auto [ptr, ec] = std::from_chars(start, p_, *out);
    if (ec != std::errc() || ptr != p_) return false;
    if (integer && *out == 0.0f) *out = 0.0f;
    return true;
  }

 private:
  static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
  // Consumes digits, accumulating them into *w (which may overflow past 19 digits; callers
  // only trust w up to that); returns how many.
  size_t Digits(uint64_t* w) {
    const char* start = p_;
    while (p_ < end_ && IsDigit(*p_)) *w = *w * 10 + static_cast<uint64_t>(*p_++ - '0');
    return static_cast<size_t>(p_ - start);
  }

  const char* p_;
  const char* end_;
};

}  // namespace

bool DecodeKserveV1Numeric(std::string_view body, const ServedModel& model, size_t max_rows,
                           DecodedRows* out) {
  for (const auto& f : model.features()) {
    if (f.type != core::FeatureType::kNumeric) return false;
  }
  const size_t width = model.n_features();
  NumericReader in(body);
  if (!in.Consume('{') || !in.ConsumeLiteral("\"instances\"") || !in.Consume(':') ||
      !in.Consume('[') || in.Peek(']')) {
    return false;
  }
  out->rows = 0;
  out->x.clear();
  do {
    if (out->rows == max_rows || !in.Consume('[')) return false;
    out->x.resize(out->x.size() + width);
    float* row = out->x.data() + out->rows * width;
    for (size_t j = 0; j < width; ++j) {
      if ((j > 0 && !in.Consume(',')) || !in.Number(&row[j])) return false;
    }
    if (!in.Consume(']')) return false;
    ++out->rows;
  } while (in.Consume(','));
  return in.Consume(']') && in.Consume('}') && in.AtEnd();
}

void EncodeKserveV1(const ServedModel& model, const std::vector<float>& predictions,
                    std::string_view request_id, std::string* out) {
  out->clear();
  // One allocation at most: about 16 characters a prediction, and the fixed fields.
  out->reserve(96 + model.name().size() + request_id.size() + 16 * predictions.size());
  *out += "{\"predictions\":";
  AppendPredictions(predictions, out);
  *out += ",\"model_name\":";
  AppendJsonString(model.name(), out);
  *out += ",\"model_version\":\"";
  *out += model.version_text();
  *out += "\",\"request_id\":";
  AppendJsonString(request_id, out);
  *out += "}";
}

void EncodeInferenceV2(const ServedModel& model, const std::vector<float>& predictions,
                       std::string_view request_id, std::string* out) {
  out->clear();
  out->reserve(160 + model.name().size() + request_id.size() + 16 * predictions.size());
  *out += "{\"id\":";
  AppendJsonString(request_id, out);
  *out += ",\"model_name\":";
  AppendJsonString(model.name(), out);
  *out += ",\"model_version\":\"";
  *out += model.version_text();
  *out += "\",\"outputs\":[{\"name\":\"predict\",\"datatype\":\"FP32\",\"shape\":[";
  *out += std::to_string(predictions.size());
  *out += "],\"data\":";
  AppendPredictions(predictions, out);
  *out += "}]}";
}

std::string InferenceV2Metadata(const ServedModel& model) {
  std::string out = "{\"name\":";
  AppendJsonString(model.name(), &out);
  out += ",\"versions\":[\"" + model.version_text() + "\"],\"platform\":\"xgboost\",\"inputs\":[";
  out += "{\"name\":\"input-0\",\"datatype\":\"FP32\",\"shape\":[-1," +
         std::to_string(model.n_features()) + "]}],\"outputs\":[{\"name\":\"predict\",";
  out += "\"datatype\":\"FP32\",\"shape\":[-1]}],\"parameters\":{\"task\":";
  AppendJsonString(core::TaskName(model.task()), &out);
  out += ",\"features\":[";
  for (size_t i = 0; i < model.n_features(); ++i) {
    const auto& f = model.features()[i];
    out += i ? ",{\"name\":" : "{\"name\":";
    AppendJsonString(f.name, &out);
    out += ",\"type\":";
    AppendJsonString(core::FeatureTypeName(f.type), &out);
    if (!f.categories.empty()) {
      out += ",\"categories\":[";
      for (size_t c = 0; c < f.categories.size(); ++c) {
        if (c) out.push_back(',');
        AppendJsonString(f.categories[c], &out);
      }
      out += "]";
    }
    out += "}";
  }
  out += "]}}";
  return out;
}

}  // namespace mlloop::serve
