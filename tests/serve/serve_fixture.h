// Small models and a running server for the serve tests.
#pragma once

#include <httplib.h>

#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "serve/http_server.h"
#include "serve/prediction_service.h"
#include "serve/served_model.h"

namespace mlloop::serve::testing {

// The three features of the toy models: x (numeric), flag (boolean), color (categorical,
// categories red, green, blue).
std::vector<core::FeatureSpec> ToyFeatures();

// A binary classifier on ToyFeatures(), trained on 400 seeded rows in a few milliseconds.
// Different `variant`s give different predictions (different labels and rounds).
std::unique_ptr<pipeline::XgbModel> TrainToyModel(int variant);

// TrainToyModel(variant) served as ("toy", version).
std::shared_ptr<const ServedModel> ToyServedModel(int64_t version, int variant,
                                                  ServerMetrics* metrics = nullptr);

// `service`'s answer to a POST of `body` to /v1/models/toy:predict, without HTTP.
HttpResponse PredictToy(PredictionService& service, std::string_view body);

// `n` single-row requests to "toy" on `service`, without HTTP: the first value of each row
// cycles through 0.0, 0.1, ... 0.9, the others are `rest` (e.g. "1, 2"). Returns the versions
// that answered, counted ("2"; "2:error" for a request that failed).
std::map<std::string, int> SendToyRows(PredictionService& service, int n, std::string_view rest);

// An inference log for the toy models' rows (width 3) that queues its events.
InferenceLog::Options ToyLogOptions();

// A PredictionService serving "toy" behind an HttpServer on 127.0.0.1, any free port; with
// `log` (not owned), "toy" is logged there and takes feedback (label "y").
class ServerFixture {
 public:
  explicit ServerFixture(HttpServer::Options options = {},
                         PredictionService::Options service_options = {},
                         InferenceLog* log = nullptr);
  ~ServerFixture();

  PredictionService& service() { return service_; }
  ModelSlot& slot() { return *slot_; }
  HttpServer& server() { return *server_; }
  // A client of the server (keep-alive, 5 s timeouts).
  std::unique_ptr<httplib::Client> Client() const;

 private:
  PredictionService service_;
  ModelSlot* slot_;
  std::unique_ptr<HttpServer> server_;
};

}  // namespace mlloop::serve::testing
