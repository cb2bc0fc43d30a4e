#include "serve/feedback.h"

#include <cmath>

namespace mlloop::serve {
namespace {

Status Bad(const std::string& where, const std::string& what) {
  return Status::InvalidArgument(where + ": " + what);
}

Status DecodeLabel(const JsonValue& v, const core::LabelSpec& spec, const std::string& where,
                   float* out) {
  if (spec.task == core::Task::kRegression) {
    if (v.kind != JsonValue::Kind::kNumber || !std::isfinite(v.number)) {
      return Bad(where, std::string("expected a finite number (regression label '") + spec.name +
                            "'), got " + std::string(JsonKindName(v.kind)));
    }
    *out = v.number;
    return Status::Ok();
  }
  const std::string expected = "expected 0, 1, true, false, \"" + spec.positive + "\" or \"" +
                               spec.negative + "\" (binary label '" + spec.name + "')";
  switch (v.kind) {
    case JsonValue::Kind::kNumber:
      if (v.number == 0.0f || v.number == 1.0f) {
        *out = v.number;
        return Status::Ok();
      }
      return Bad(where, expected + ", got " + std::to_string(v.number_double));
    case JsonValue::Kind::kBool:
      *out = v.boolean ? 1.0f : 0.0f;
      return Status::Ok();
    case JsonValue::Kind::kString:
      if (v.text == spec.positive) {
        *out = 1.0f;
        return Status::Ok();
      }
      if (v.text == spec.negative) {
        *out = 0.0f;
        return Status::Ok();
      }
      return Bad(where, expected + ", got \"" + v.text + "\"");
    default:
      return Bad(where, expected + ", got " + std::string(JsonKindName(v.kind)));
  }
}

std::string JoinMessage(JoinResult r, const LabelItem& item) {
  switch (r) {
    case JoinResult::kJoined: return "";
    case JoinResult::kUnknownId:
      return "no logged prediction has request id '" + item.request_id +
             "' (never answered here, or older than the join window)";
    case JoinResult::kNoSuchRow:
      return "request '" + item.request_id + "' has no row " + std::to_string(item.row);
    case JoinResult::kAlreadyLabelled:
      return "row " + std::to_string(item.row) + " of request '" + item.request_id +
             "' already has a label; the first one stands";
  }
  return "";
}

}  // namespace

Result<std::vector<LabelItem>> DecodeFeedback(const JsonValue& body, const core::LabelSpec& label) {
  if (body.kind != JsonValue::Kind::kObject) {
    return Bad("request body", "expected an object {\"feedback\": [...]}, got " +
                                   std::string(JsonKindName(body.kind)));
  }
  for (const auto& [key, v] : body.members) {
    if (key != "feedback") return Bad(key, "unknown field (expected only \"feedback\")");
  }
  const JsonValue* list = body.Find("feedback");
  if (list == nullptr) {
    return Bad("feedback", "required: [{\"id\": \"<request id>\", \"label\": ...}, ...]");
  }
  if (list->kind != JsonValue::Kind::kArray) {
    return Bad("feedback", "expected an array of {\"id\", \"label\"} objects, got " +
                               std::string(JsonKindName(list->kind)));
  }
  if (list->items.empty()) return Bad("feedback", "no items");
  if (list->items.size() > kMaxFeedbackItems) {
    return Bad("feedback", std::to_string(list->items.size()) + " items, at most " +
                               std::to_string(kMaxFeedbackItems) + " per request");
  }
  std::vector<LabelItem> items(list->items.size());
  for (size_t i = 0; i < items.size(); ++i) {
    const JsonValue& item = list->items[i];
    const std::string where = "feedback[" + std::to_string(i) + "]";
    if (item.kind != JsonValue::Kind::kObject) {
      return Bad(where, "expected an object {\"id\", \"label\"}, got " +
                            std::string(JsonKindName(item.kind)));
    }
    bool has_id = false, has_label = false;
    for (const auto& [key, v] : item.members) {
      if (key == "id") {
        if (v.kind != JsonValue::Kind::kString || v.text.empty()) {
          return Bad(where + ".id", "expected the prediction's request id (a non-empty string), got " +
                                        std::string(v.kind == JsonValue::Kind::kString
                                                        ? "an empty string"
                                                        : JsonKindName(v.kind)));
        }
        items[i].request_id = v.text;
        has_id = true;
      } else if (key == "label") {
        MLLOOP_RETURN_IF_ERROR(DecodeLabel(v, label, where + ".label", &items[i].label));
        has_label = true;
      } else if (key == "row") {
        if (v.kind != JsonValue::Kind::kNumber || !v.is_integer || v.number_double < 0 ||
            v.number_double > 4e9) {
          return Bad(where + ".row", "expected a row index of the request (0, 1, ...)");
        }
        items[i].row = static_cast<uint32_t>(v.number_double);
      } else {
        return Bad(where + "." + key, "unknown field (expected id, label and optionally row)");
      }
    }
    if (!has_id) return Bad(where + ".id", "required: the prediction's request id");
    if (!has_label) return Bad(where + ".label", "required");
  }
  return items;
}

void EncodeFeedbackResponse(std::string_view model_name, const std::vector<LabelItem>& items,
                            const std::vector<JoinResult>& results, std::string_view request_id,
                            std::string* out) {
  size_t joined = 0;
  for (JoinResult r : results) joined += r == JoinResult::kJoined;
  out->clear();
  *out += "{\"model_name\":";
  AppendJsonString(model_name, out);
  *out += ",\"joined\":" + std::to_string(joined) +
          ",\"not_joined\":" + std::to_string(results.size() - joined) + ",\"results\":[";
  for (size_t i = 0; i < items.size(); ++i) {
    if (i) out->push_back(',');
    *out += "{\"id\":";
    AppendJsonString(items[i].request_id, out);
    *out += ",\"row\":" + std::to_string(items[i].row) + ",\"status\":\"";
    *out += JoinResultName(results[i]);
    *out += "\"";
    if (results[i] != JoinResult::kJoined) {
      *out += ",\"error\":";
      AppendJsonString(JoinMessage(results[i], items[i]), out);
    }
    *out += "}";
  }
  *out += "],\"request_id\":";
  AppendJsonString(request_id, out);
  *out += "}";
}

Result<std::string> AnswerFeedback(std::string_view model_name, InferenceLog& log,
                                   const core::LabelSpec& label, std::string_view body,
                                   std::string_view request_id) {
  auto json = ParseJson(body);
  if (!json.ok()) return json.status().WithContext("request body");
  MLLOOP_ASSIGN_OR_RETURN(std::vector<LabelItem> items, DecodeFeedback(*json, label));
  MLLOOP_ASSIGN_OR_RETURN(std::vector<JoinResult> results, log.AddLabels(items));
  std::string out;
  EncodeFeedbackResponse(model_name, items, results, request_id, &out);
  return out;
}

}  // namespace mlloop::serve
