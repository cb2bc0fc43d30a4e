#include "serve/prediction_service.h"

#include <charconv>
#include <chrono>
#include <optional>
#include <utility>

#include "core/version.h"
#include "serve/feedback.h"
#include "serve/json_value.h"
#include "serve/prediction_api.h"

namespace mlloop::serve {
namespace {

std::string ErrorBody(std::string_view message, std::string_view request_id,
                      const ServedModel* model) {
  std::string body = "{\"error\":";
  AppendJsonString(message, &body);
  if (model != nullptr) {
    body += ",\"model_name\":";
    AppendJsonString(model->name(), &body);
    body += ",\"model_version\":\"" + model->version_text() + "\"";
  }
  body += ",\"request_id\":";
  AppendJsonString(request_id, &body);
  body += "}";
  return body;
}

void SetError(int status, std::string_view message, HttpResponse* response,
              const ServedModel* model = nullptr) {
  response->status = status;
  response->content_type = "application/json";
  response->body = ErrorBody(message, response->request_id, model);
  if (model != nullptr) response->model_version = model->version_text();
}

// Splits "/v1/models/NAME:predict" style targets. The query string is ignored.
std::string_view PathOf(std::string_view target) {
  size_t q = target.find('?');
  return q == std::string_view::npos ? target : target.substr(0, q);
}

bool ConsumePrefix(std::string_view* s, std::string_view prefix) {
  if (s->substr(0, prefix.size()) != prefix) return false;
  s->remove_prefix(prefix.size());
  return true;
}

bool ConsumeSuffix(std::string_view* s, std::string_view suffix) {
  if (s->size() < suffix.size() || s->substr(s->size() - suffix.size()) != suffix) return false;
  s->remove_suffix(suffix.size());
  return true;
}

std::string VersionNotLive(std::string_view name, std::string_view version,
                           const ServedModel& live) {
  return "model '" + std::string(name) + "' version " + std::string(version) +
         " is not served (live version: " + live.version_text() + ")";
}

// The version of `route` that answers a request for `version` (OIP's /versions/V/ routes):
// the champion, or a challenger that answers traffic (never a shadow); the champion when
// `version` is empty; null when no such version answers.
const ServedModel* PinnedVersion(const TrafficRoute& route, std::string_view version) {
  if (route.challenger != nullptr && route.mode == ChallengerMode::kSplit &&
      route.challenger->version_text() == version) {
    return route.challenger.get();
  }
  if (version.empty() || route.champion->version_text() == version) return route.champion.get();
  return nullptr;
}

// Per-thread buffers reused across requests: the hot path allocates little.
struct Scratch {
  DecodedRows rows;
  std::vector<float> predictions;
  std::optional<JsonValue> body;  // when the body was parsed before decoding (a sticky field)
  DecodedRows shadow_rows;        // a shadow whose features differ from the champion's
  std::vector<float> shadow_predictions;
};
thread_local Scratch scratch;

uint64_t NanosecondsSince(std::chrono::steady_clock::time_point start) {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                   std::chrono::steady_clock::now() - start)
                                   .count());
}

// The request's rows in `model`'s feature order. `parsed`: the body already parsed, or null.
// KServe v1 rows of numbers take the direct reader; everything else, errors included, the
// general parser.
Status DecodeRows(bool kserve_v1, const ServedModel& model, std::string_view body,
                  const JsonValue* parsed, size_t max_rows, DecodedRows* rows) {
  rows->id.clear();
  if (kserve_v1 && parsed == nullptr && DecodeKserveV1Numeric(body, model, max_rows, rows)) {
    return Status::Ok();
  }
  Result<JsonValue> own = Status::Internal("unparsed");
  if (parsed == nullptr) {
    own = ParseJson(body);
    if (!own.ok()) return own.status().WithContext("request body");
    parsed = &*own;
  }
  return kserve_v1 ? DecodeKserveV1(*parsed, model, max_rows, rows)
                   : DecodeInferenceV2(*parsed, model, max_rows, rows);
}

// A sticky field's value as text: a string as it is, a number or boolean as written by
// JSON; nullopt when the body has no such top-level field (OIP v2: nor parameters.NAME) or
// it is null, an array or an object.
std::optional<std::string> FieldKey(const JsonValue& body, const std::string& name) {
  const JsonValue* v = body.Find(name);
  if (v == nullptr) {
    if (const JsonValue* parameters = body.Find("parameters")) v = parameters->Find(name);
  }
  if (v == nullptr) return std::nullopt;
  switch (v->kind) {
    case JsonValue::Kind::kString: return v->text;
    case JsonValue::Kind::kBool: return std::string(v->boolean ? "true" : "false");
    case JsonValue::Kind::kNumber: {
      char buf[32];
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v->number_double);
      return std::string(buf, ptr);
    }
    default: return std::nullopt;
  }
}

}  // namespace

int HttpStatusFor(StatusCode code) {
  switch (code) {
    case StatusCode::kOk: return 200;
    case StatusCode::kInvalidArgument: return 400;
    case StatusCode::kNotFound: return 404;
    case StatusCode::kAlreadyExists:
    case StatusCode::kFailedPrecondition: return 409;
    case StatusCode::kUnavailable: return 503;
    case StatusCode::kDataLoss:
    case StatusCode::kInternal: return 500;
  }
  return 500;
}

ModelSlot& PredictionService::AddModel(const std::string& name) {
  if (ModelSlot* slot = FindModel(name)) return *slot;
  slots_.push_back(std::make_unique<ModelSlot>(name));
  return *slots_.back();
}

ModelSlot* PredictionService::FindModel(std::string_view name) const {
  for (const auto& slot : slots_) {
    if (slot->name() == name) return slot.get();
  }
  return nullptr;
}

bool PredictionService::Ready() const {
  if (draining_.load() || slots_.empty()) return false;
  for (const auto& slot : slots_) {
    if (slot->Get() == nullptr) return false;
  }
  return true;
}

void PredictionService::Handle(const HttpRequest& request, HttpResponse* response) {
  std::string_view path = PathOf(request.target);
  const bool get = request.method == "GET";
  const bool post = request.method == "POST";
  auto finish = [&] { metrics_.CountResponse(response->status); };

  auto model_route = [&](std::string_view rest, std::string_view suffix,
                         ModelSlot** slot) -> bool {
    if (!ConsumeSuffix(&rest, suffix)) return false;
    if (rest.empty() || rest.find('/') != std::string_view::npos) return false;
    *slot = FindModel(rest);
    if (*slot == nullptr) {
      std::string names;
      for (const auto& s : slots_) names += (names.empty() ? "" : ", ") + s->name();
      SetError(404, "model '" + std::string(rest) + "' is not served here (models: " + names + ")",
               response);
    }
    return true;
  };

  ModelSlot* slot = nullptr;
  std::string_view required_version;  // OIP's /versions/V/ routes
  // The live version of `slot` when it is the required one (if any); otherwise null, with
  // the error response set.
  auto live_version = [&]() -> std::shared_ptr<const ServedModel> {
    std::shared_ptr<const TrafficRoute> route = slot->route();
    if (route == nullptr) return nullptr;
    const ServedModel* pinned = PinnedVersion(*route, required_version);
    if (pinned == nullptr) {
      SetError(404, VersionNotLive(slot->name(), required_version, *route->champion), response);
      return nullptr;
    }
    return std::shared_ptr<const ServedModel>(std::move(route), pinned);  // shares the route
  };
  // After model_route() matched: a prediction (POST only), or the model's readiness.
  auto predict = [&](Protocol protocol) {
    if (slot != nullptr && post) {
      Predict(protocol, *slot, required_version, request, response);
    } else if (slot != nullptr) {
      SetError(405, "use POST to predict", response);
    }
    finish();
  };
  auto model_status = [&](bool with_version) {
    if (slot != nullptr) {
      auto live = live_version();
      if (response->status == 404) return finish();
      response->status = live ? 200 : 503;
      response->body = "{\"name\":";
      AppendJsonString(slot->name(), &response->body);
      response->body += live ? ",\"ready\":true" : ",\"ready\":false";
      if (live && with_version) response->body += ",\"model_version\":\"" + live->version_text() + "\"";
      response->body += "}";
    }
    finish();
  };
  std::string_view rest = path;
  if (ConsumePrefix(&rest, "/v1/models/")) {
    if (model_route(rest, ":predict", &slot)) return predict(Protocol::kKserveV1);
    if (model_route(rest, "/feedback", &slot)) {
      if (slot != nullptr) Feedback(*slot, request, response);
      return finish();
    }
    if (model_route(rest, "", &slot)) return model_status(/*with_version=*/true);
  } else if (ConsumePrefix(&rest, "/v2/models/")) {
    // /v2/models/NAME/versions/V/SUFFIX is routed as /v2/models/NAME/SUFFIX for version V.
    std::string unversioned;
    if (size_t v = rest.find("/versions/"); v != std::string_view::npos) {
      std::string_view after = rest.substr(v + std::string_view("/versions/").size());
      const size_t slash = after.find('/');
      required_version = after.substr(0, slash);
      unversioned = std::string(rest.substr(0, v)) +
                    std::string(slash == std::string_view::npos ? "" : after.substr(slash));
      rest = unversioned;
    }
    if (model_route(rest, "/infer", &slot)) return predict(Protocol::kInferenceV2);
    if (model_route(rest, "/ready", &slot)) return model_status(/*with_version=*/false);
    if (model_route(rest, "", &slot)) {
      if (slot == nullptr) return finish();
      auto live = live_version();
      if (response->status == 404) return finish();
      if (!live) {
        SetError(503, "model '" + slot->name() + "' has no live version yet", response);
        return finish();
      }
      response->body = InferenceV2Metadata(*live);
      response->model_version = live->version_text();
      return finish();
    }
  } else if (get && path == "/v2") {
    response->body = std::string("{\"name\":\"mlloop\",\"version\":\"") + core::kMlloopVersion +
                     "\",\"extensions\":[]}";
    return finish();
  } else if (get && (path == "/healthz" || path == "/v2/health/live")) {
    response->body = "{\"live\":true}";
    return finish();
  } else if (get && (path == "/readyz" || path == "/v2/health/ready")) {
    const bool ready = Ready();
    response->status = ready ? 200 : 503;
    response->body = ready ? "{\"ready\":true}" : "{\"ready\":false}";
    return finish();
  } else if (get && path == "/metrics") {
    std::vector<ServerMetrics::LiveModel> live;
    for (const auto& s : slots_) {
      auto route = s->route();
      ServerMetrics::LiveModel l;
      l.model = s->name();
      l.version = route ? route->champion->version_text() : "";
      l.swaps = s->swaps();
      if (route && route->challenger) {
        l.challenger_version = route->challenger->version_text();
        l.shadow = route->mode == ChallengerMode::kShadow;
        l.challenger_weight = route->challenger_weight;
      }
      live.push_back(std::move(l));
    }
    response->content_type = "text/plain; version=0.0.4";
    metrics_.CountResponse(200);  // counted before rendering, so the scrape sees itself
    response->body = metrics_.Render(live);
    return;
  }
  SetError(404, "no route for " + std::string(request.method) + " " + std::string(path), response);
  finish();
}

void PredictionService::Predict(Protocol protocol, ModelSlot& slot,
                                 std::string_view required_version, const HttpRequest& request,
                                 HttpResponse* response) {
  const auto start = std::chrono::steady_clock::now();
  // One route for the whole request: a swap or a new weight meanwhile does not change who
  // answers, and this thread's reference keeps the versions in it alive until the response
  // is written (nothing below takes LocalRoute() again).
  const std::shared_ptr<const TrafficRoute>& route = slot.LocalRoute();
  if (route == nullptr) {
    SetError(503, "model '" + slot.name() + "' has no live version yet", response);
    return;
  }
  const bool kserve_v1 = protocol == Protocol::kKserveV1;
  scratch.body.reset();
  RouteChoice choice{route->champion.get(), nullptr};
  if (!required_version.empty()) {
    // Pinned: the champion (and its shadow, if any), or a challenger that answers traffic.
    choice.answer = PinnedVersion(*route, required_version);
    if (choice.answer == nullptr) {
      SetError(404, VersionNotLive(slot.name(), required_version, *route->champion), response);
      return;
    }
    if (choice.answer == route->champion.get() && route->mode == ChallengerMode::kShadow) {
      choice.shadow = route->challenger.get();
    }
  } else if (route->challenger != nullptr) {
    std::optional<std::string> field;
    std::optional<std::string_view> key;
    if (route->sticky.source == StickyKey::Source::kHeader) {
      std::string_view header = request.Header(route->sticky.name);
      if (!header.empty()) key = header;
    } else if (route->sticky.source == StickyKey::Source::kField) {
      auto body = ParseJson(request.body);
      if (body.ok()) {  // a malformed body is reported by the decoder below
        field = FieldKey(*body, route->sticky.name);
        if (field) key = *field;
        scratch.body = std::move(*body);
      }
    }
    choice = Choose(*route, key);
  }
  const ServedModel& model = *choice.answer;
  auto fail = [&](const Status& status) {
    const int code = HttpStatusFor(status.code());
    SetError(code, status.message(), response, &model);
    model.metrics().Record(code < 500 ? VersionMetrics::Outcome::kClientError
                                      : VersionMetrics::Outcome::kServerError,
                           0, NanosecondsSince(start));
  };

  Status decoded = DecodeRows(kserve_v1, model, request.body,
                              scratch.body ? &*scratch.body : nullptr, options_.max_rows,
                              &scratch.rows);
  if (!decoded.ok()) return fail(decoded);
  // An OIP request's own "id" names it when the client sent no X-Request-Id.
  if (!scratch.rows.id.empty() && request.request_id_generated) response->request_id = scratch.rows.id;
  Status predicted = model.Predict(scratch.rows.x.data(), scratch.rows.rows, &scratch.predictions);
  if (!predicted.ok()) return fail(predicted.WithContext("predicting"));
  if (kserve_v1) {
    EncodeKserveV1(model, scratch.predictions, response->request_id, &response->body);
  } else {
    EncodeInferenceV2(model, scratch.predictions, response->request_id, &response->body);
  }
  response->model_version = model.version_text();
  const uint64_t latency_ns = NanosecondsSince(start);
  model.metrics().Record(VersionMetrics::Outcome::kOk, scratch.rows.rows, latency_ns);
  const LogBinding* log = LogFor(slot);
  uint64_t first_row = 0;
  if (log != nullptr) {  // a copy into a buffer; written off this path
    first_row = log->log->AppendPrediction(response->request_id, model.version(),
                                           scratch.rows.x.data(), scratch.rows.rows,
                                           scratch.predictions.data());
  }

  if (choice.shadow != nullptr) {
    Shadow(*route, kserve_v1, request, *response, log != nullptr ? log->log : nullptr, first_row);
  } else if (&model != route->champion.get() && !challenger_observers_.empty()) {
    const ChallengerPrediction seen{*route->champion, model, ChallengerMode::kSplit,
                                    response->request_id, scratch.rows.rows, scratch.rows.x.data(),
                                    scratch.predictions, nullptr, Status::Ok(), latency_ns};
    for (const auto& observer : challenger_observers_) observer(seen);
  }
}

void PredictionService::Feedback(const ModelSlot& slot, const HttpRequest& request,
                                 HttpResponse* response) {
  const LogBinding* log = LogFor(slot);
  if (request.method != "POST") return SetError(405, "use POST to send feedback", response);
  if (log == nullptr) {
    return SetError(404, "model '" + slot.name() + "' keeps no inference log here, so it takes " +
                             "no feedback", response);
  }
  auto body = AnswerFeedback(slot.name(), *log->log, log->label, request.body, response->request_id);
  if (!body.ok()) return SetError(HttpStatusFor(body.status().code()), body.status().message(), response);
  response->body = std::move(body).value();
}

void PredictionService::Shadow(const TrafficRoute& route, bool kserve_v1,
                               const HttpRequest& request, const HttpResponse& response,
                               InferenceLog* log, uint64_t first_row) {
  const ServedModel& shadow = *route.challenger;
  const auto start = std::chrono::steady_clock::now();
  // The champion's rows serve when the features are the same; otherwise the body is read
  // again for the shadow's features.
  const DecodedRows* rows = &scratch.rows;
  Status status = Status::Ok();
  if (!route.same_features) {
    status = DecodeRows(kserve_v1, shadow, request.body, scratch.body ? &*scratch.body : nullptr,
                        options_.max_rows, &scratch.shadow_rows);
    rows = &scratch.shadow_rows;
  }
  scratch.shadow_predictions.clear();
  if (status.ok()) {
    status = shadow.Predict(rows->x.data(), rows->rows, &scratch.shadow_predictions);
    if (!status.ok()) scratch.shadow_predictions.clear();
  }
  const uint64_t latency_ns = NanosecondsSince(start);
  shadow.metrics().RecordShadow(
      status.ok() ? VersionMetrics::Outcome::kOk
      : HttpStatusFor(status.code()) < 500 ? VersionMetrics::Outcome::kClientError
                                           : VersionMetrics::Outcome::kServerError,
      status.ok() ? rows->rows : 0, latency_ns);
  // Beside the champion's record of the same rows (the same count: the same instances).
  if (log != nullptr && status.ok() && rows->rows == scratch.rows.rows) {
    log->AppendShadow(first_row, shadow.version(), rows->rows, scratch.shadow_predictions.data());
  }
  if (challenger_observers_.empty()) return;
  const ChallengerPrediction seen{*route.champion,  shadow,
                                  ChallengerMode::kShadow, response.request_id,
                                  rows->rows,       rows->x.data(),
                                  scratch.shadow_predictions, &scratch.predictions,
                                  status,           latency_ns};
  for (const auto& observer : challenger_observers_) observer(seen);
}

}  // namespace mlloop::serve
