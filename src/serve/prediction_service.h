// PredictionService: the HTTP API of `mlloop serve`, as an HttpServer::Handler.
//
//   POST /v1/models/NAME:predict   KServe v1 prediction            (prediction_api.h)
//   GET  /v1/models/NAME           KServe v1 model status           {"name", "ready"}
//   POST /v1/models/NAME/feedback  late labels, joined by request id (feedback.h)
//   POST /v2/models/NAME/infer     Open Inference Protocol v2      (prediction_api.h)
//   GET  /v2/models/NAME           OIP v2 model metadata
//   GET  /v2/models/NAME/ready     200 when NAME has a live version, else 503
//        /v2/models/NAME/versions/V/{infer,ready,}   the same, 404 unless V is the live version
//   GET  /v2                       OIP v2 server metadata
//   GET  /v2/health/live, /healthz     200 while the process runs
//   GET  /v2/health/ready, /readyz     200 when every model has a live version and the server
//                                      is not draining, else 503
//   GET  /metrics                  Prometheus text (server_metrics.h)
//
// Every prediction response names the model version that computed it (in the body and as
// X-Model-Version) and the request id. Which version computes it is the slot's TrafficRoute
// (traffic_router.h): the champion, or during a rollout a challenger for a share of requests;
// a shadow challenger predicts a copy after the champion's response is ready and its answers
// go to metrics, to the challenger observers and to the model's inference log (beside the
// champion's record of the same rows, so labels join both; a failed shadow logs nothing),
// never to the client. The /versions/V/ routes of OIP v2 pin a request to V when V is the
// champion or a challenger that answers traffic.
// Errors are {"error": "...", "request_id": "..."} with a status from HttpStatusFor(); a bad
// request changes nothing and the server keeps serving.
//
// Thread-safety: Handle() is called from the server's threads at once; AddModel() only before
// the server starts; slots may be swapped at any time (served_model.h).
#pragma once

#include <atomic>
#include <cstddef>
#include <memory>
#include <string>
#include <vector>

#include "core/schema.h"
#include "serve/http_server.h"
#include "serve/inference_log.h"
#include "serve/served_model.h"
#include "serve/server_metrics.h"
#include "serve/traffic_router.h"

namespace mlloop::serve {

// The one table from StatusCode to HTTP status: InvalidArgument 400, NotFound 404,
// AlreadyExists and FailedPrecondition 409, Unavailable 503, anything else 500.
int HttpStatusFor(StatusCode code);

class PredictionService {
 public:
  struct Options {
    size_t max_rows = 10000;  // rows per prediction request
  };

  explicit PredictionService(Options options) : options_(options) {}
  PredictionService(const PredictionService&) = delete;
  PredictionService& operator=(const PredictionService&) = delete;

  // The slot that serves `name` (created empty on first call). REQUIRES: before the server
  // starts calling Handle().
  ModelSlot& AddModel(const std::string& name);
  // The slot of `name`, or null.
  ModelSlot* FindModel(std::string_view name) const;

  ServerMetrics& metrics() { return metrics_; }

  // Adds an observer of every challenger prediction, answered or in shadow (see
  // ChallengerPrediction). REQUIRES: before the server starts calling Handle().
  void AddChallengerObserver(ChallengerObserver observer) {
    challenger_observers_.push_back(std::move(observer));
  }

  // Logs every prediction `slot` answers, and every shadow prediction of them, into `log`
  // (not owned; must outlive the service), and takes its labels at
  // POST /v1/models/NAME/feedback (feedback.h), read as `label` says. Without a log, the
  // feedback route answers 404. REQUIRES: before the server starts calling Handle().
  void AttachLog(const ModelSlot& slot, InferenceLog* log, core::LabelSpec label) {
    logs_.push_back({&slot, log, std::move(label)});
  }

  // Readiness turns false (503) while the server drains, so load balancers stop sending.
  void SetDraining(bool draining) { draining_.store(draining); }

  void Handle(const HttpRequest& request, HttpResponse* response);

 private:
  enum class Protocol { kKserveV1, kInferenceV2 };
  // `required_version`: from OIP's /versions/V/ routes; empty: whichever version is live.
  void Predict(Protocol protocol, ModelSlot& slot, std::string_view required_version,
               const HttpRequest& request, HttpResponse* response);
  bool Ready() const;
  struct LogBinding {
    const ModelSlot* slot;
    InferenceLog* log;
    core::LabelSpec label;
  };
  const LogBinding* LogFor(const ModelSlot& slot) const {
    for (const LogBinding& b : logs_) {
      if (b.slot == &slot) return &b;
    }
    return nullptr;
  }
  void Feedback(const ModelSlot& slot, const HttpRequest& request, HttpResponse* response);
  // The challenger's shadow prediction of the rows the champion answered; logged into `log`
  // (may be null) beside the champion's record, whose first row id is `first_row`, when it
  // succeeded; then the observers.
  void Shadow(const TrafficRoute& route, bool kserve_v1, const HttpRequest& request,
              const HttpResponse& response, InferenceLog* log, uint64_t first_row);

  const Options options_;
  ServerMetrics metrics_;
  std::vector<std::unique_ptr<ModelSlot>> slots_;  // fixed once serving starts
  std::atomic<bool> draining_{false};
  std::vector<LogBinding> logs_;  // fixed once serving starts
  std::vector<ChallengerObserver> challenger_observers_;  // fixed once serving starts
};

}  // namespace mlloop::serve
