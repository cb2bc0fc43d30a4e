#include "serve/prediction_service.h"

#include <chrono>
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

// Per-thread buffers reused across requests: the hot path allocates little.
struct Scratch {
  DecodedRows rows;
  std::vector<float> predictions;
};

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
    auto live = slot->Get();
    if (!required_version.empty() && live && live->version_text() != required_version) {
      SetError(404, VersionNotLive(slot->name(), required_version, *live), response);
      return nullptr;
    }
    return live;
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
      auto m = s->Get();
      live.push_back({s->name(), m ? m->version_text() : std::string(), s->swaps()});
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
  // One reference for the whole request: a swap meanwhile does not change who answers.
  std::shared_ptr<const ServedModel> model = slot.Get();
  if (model == nullptr) {
    SetError(503, "model '" + slot.name() + "' has no live version yet", response);
    return;
  }
  if (!required_version.empty() && model->version_text() != required_version) {
    SetError(404, VersionNotLive(slot.name(), required_version, *model), response);
    return;
  }
  thread_local Scratch scratch;
  auto elapsed_ns = [&] {
    return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                     std::chrono::steady_clock::now() - start)
                                     .count());
  };
  auto fail = [&](const Status& status) {
    const int code = HttpStatusFor(status.code());
    SetError(code, status.message(), response, model.get());
    model->metrics().Record(code < 500 ? VersionMetrics::Outcome::kClientError
                                       : VersionMetrics::Outcome::kServerError,
                            0, elapsed_ns());
  };

  scratch.rows.id.clear();
  // The commonest body (KServe v1 rows of numbers) is read directly; everything else, errors
  // included, goes through the general parser.
  if (protocol != Protocol::kKserveV1 ||
      !DecodeKserveV1Numeric(request.body, *model, options_.max_rows, &scratch.rows)) {
    auto body = ParseJson(request.body);
    if (!body.ok()) return fail(body.status().WithContext("request body"));
    Status decoded = protocol == Protocol::kKserveV1
                         ? DecodeKserveV1(*body, *model, options_.max_rows, &scratch.rows)
                         : DecodeInferenceV2(*body, *model, options_.max_rows, &scratch.rows);
    if (!decoded.ok()) return fail(decoded);
  }
  // An OIP request's own "id" names it when the client sent no X-Request-Id.
  if (!scratch.rows.id.empty() && request.request_id_generated) response->request_id = scratch.rows.id;
  Status predicted = model->Predict(scratch.rows.x.data(), scratch.rows.rows, &scratch.predictions);
  if (!predicted.ok()) return fail(predicted.WithContext("predicting"));
  if (protocol == Protocol::kKserveV1) {
    EncodeKserveV1(*model, scratch.predictions, response->request_id, &response->body);
  } else {
    EncodeInferenceV2(*model, scratch.predictions, response->request_id, &response->body);
  }
  response->model_version = model->version_text();
  model->metrics().Record(VersionMetrics::Outcome::kOk, scratch.rows.rows, elapsed_ns());
  if (const LogBinding* log = LogFor(slot)) {  // a copy into a buffer; written off this path
    log->log->AppendPrediction(response->request_id, model->version(), scratch.rows.x.data(),
                               scratch.rows.rows, scratch.predictions.data());
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

}  // namespace mlloop::serve
