#include "serve/serve_fixture.h"

#include <gtest/gtest.h>

#include <random>

namespace mlloop::serve::testing {

std::vector<core::FeatureSpec> ToyFeatures() {
  return {{"x", core::FeatureType::kNumeric, {}},
          {"flag", core::FeatureType::kBoolean, {}},
          {"color", core::FeatureType::kCategorical, {"red", "green", "blue"}}};
}

std::unique_ptr<pipeline::XgbModel> TrainToyModel(int variant) {
  core::Dataset data;
  data.n_features = 3;
  std::mt19937 rng(7 + variant);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (int i = 0; i < 400; ++i) {
    float x = uniform(rng), flag = uniform(rng) < 0.5f ? 1.0f : 0.0f;
    float color = static_cast<float>(i % 3);
    data.x.insert(data.x.end(), {x, flag, color});
    bool positive = variant % 2 ? (x > 0.3f) != (color == 2.0f) : x + 0.3f * flag > 0.6f;
    data.y.push_back(positive ? 1.0f : 0.0f);
    data.time.push_back(i);
    data.row.push_back(i);
  }
  data.categories.resize(3);
  pipeline::TrainOptions options;
  options.rounds = 3 + variant;
  options.params["max_depth"] = "3";
  auto model = pipeline::XgbModel::Train(data, 0, data.rows(), options);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return std::move(*model);
}

std::shared_ptr<const ServedModel> ToyServedModel(int64_t version, int variant,
                                                  ServerMetrics* metrics) {
  auto served = ServedModel::Create(
      "toy", version, ToyFeatures(), TrainToyModel(variant),
      metrics ? metrics->ForVersion("toy", std::to_string(version)) : nullptr);
  EXPECT_TRUE(served.ok()) << served.status().ToString();
  return *served;
}

HttpResponse PredictToy(PredictionService& service, std::string_view body) {
  HttpRequest request;
  request.method = "POST";
  request.target = "/v1/models/toy:predict";
  request.body = body;
  request.request_id = "r";
  HttpResponse response;
  service.Handle(request, &response);
  return response;
}

std::map<std::string, int> SendToyRows(PredictionService& service, int n, std::string_view rest) {
  std::map<std::string, int> by_version;
  for (int i = 0; i < n; ++i) {
    const std::string body = "{\"instances\": [[0." + std::to_string(i % 10) + ", " +
                             std::string(rest) + "]]}";
    const HttpResponse response = PredictToy(service, body);
    ++by_version[response.model_version + (response.status == 200 ? "" : ":error")];
  }
  return by_version;
}

InferenceLog::Options ToyLogOptions() {
  InferenceLog::Options options;
  options.width = ToyFeatures().size();
  options.queue_events = true;
  return options;
}

ServerFixture::ServerFixture(HttpServer::Options options,
                             PredictionService::Options service_options, InferenceLog* log)
    : service_(service_options), slot_(&service_.AddModel("toy")) {
  slot_->Swap(ToyServedModel(1, 0, &service_.metrics()));
  if (log != nullptr) {
    core::LabelSpec label;
    label.name = "y";
    service_.AttachLog(*slot_, log, label);
  }
  options.host = "127.0.0.1";
  options.port = 0;
  auto server = HttpServer::Start(options, [this](const HttpRequest& request, HttpResponse* response) {
    service_.Handle(request, response);
  });
  EXPECT_TRUE(server.ok()) << server.status().ToString();
  server_ = std::move(*server);
}

ServerFixture::~ServerFixture() { server_->Shutdown(); }

std::unique_ptr<httplib::Client> ServerFixture::Client() const {
  auto client = std::make_unique<httplib::Client>("127.0.0.1", server_->port());
  client->set_keep_alive(true);
  client->set_tcp_nodelay(true);  // headers and body go out separately: no Nagle delay
  client->set_connection_timeout(5);
  client->set_read_timeout(5);
  client->set_write_timeout(5);
  return client;
}

}  // namespace mlloop::serve::testing
