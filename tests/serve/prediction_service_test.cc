// The server as a client sees it: a real HTTP client (cpp-httplib) against PredictionService
// behind HttpServer on 127.0.0.1, any free port, a bounded number of requests.
#include "serve/prediction_service.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <memory>
#include <string>
#include <vector>

#include "serve/json_value.h"
#include "serve/serve_fixture.h"
#include "testutil/testutil.h"

namespace mlloop::serve {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr const char* kJson = "application/json";

// The prediction the toy model of `variant` gives `row`, computed in process.
float Expected(int variant, std::vector<float> row) {
  auto model = testing::TrainToyModel(variant);
  std::vector<float> out;
  EXPECT_TRUE(model->Predict(row.data(), 1, row.size(), &out).ok());
  return out[0];
}

TEST(PredictionServiceTest, KserveV1PredictsSingleRowsAndBatches) {
  testing::ServerFixture fixture;
  auto client = fixture.Client();
  auto res = client->Post("/v1/models/toy:predict", R"({"instances": [[0.5, 1, 2]]})", kJson);
  ASSERT_TRUE(res) << httplib::to_string(res.error());
  EXPECT_EQ(res->status, 200) << res->body;
  auto body = ParseJson(res->body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->Find("predictions")->items.at(0).number, Expected(0, {0.5f, 1, 2}));
  EXPECT_EQ(body->Find("model_version")->text, "1");
  EXPECT_EQ(res->get_header_value("X-Model-Version"), "1");
  EXPECT_FALSE(body->Find("request_id")->text.empty());
  EXPECT_EQ(body->Find("request_id")->text, res->get_header_value("X-Request-Id"));

  res = client->Post("/v1/models/toy:predict",
                     R"({"instances": [[0.5, 1, 2], {"x": 0.1, "flag": false, "color": "red"}, [0.9, 0, 0]]})",
                     kJson);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  body = ParseJson(res->body);
  const auto& p = body->Find("predictions")->items;
  ASSERT_EQ(p.size(), 3u);
  EXPECT_EQ(p[0].number, Expected(0, {0.5f, 1, 2}));
  EXPECT_EQ(p[1].number, Expected(0, {0.1f, 0, 0}));
  EXPECT_EQ(p[2].number, Expected(0, {0.9f, 0, 0}));
}

TEST(PredictionServiceTest, InferenceV2PredictsAndEchoesItsId) {
  testing::ServerFixture fixture;
  auto client = fixture.Client();
  auto res = client->Post("/v2/models/toy/infer",
                          R"({"id": "abc", "inputs": [{"name": "input-0", "shape": [2, 3],
                              "datatype": "FP32", "data": [[0.5, 1, 2], [0.1, 0, 0]]}]})",
                          kJson);
  ASSERT_TRUE(res);
  ASSERT_EQ(res->status, 200) << res->body;
  auto body = ParseJson(res->body);
  ASSERT_TRUE(body.ok());
  EXPECT_EQ(body->Find("id")->text, "abc");
  EXPECT_EQ(res->get_header_value("X-Request-Id"), "abc");
  EXPECT_EQ(body->Find("model_version")->text, "1");
  const JsonValue& out = body->Find("outputs")->items.at(0);
  EXPECT_EQ(out.Find("shape")->items.at(0).number, 2.0f);
  EXPECT_EQ(out.Find("data")->items.at(1).number, Expected(0, {0.1f, 0, 0}));
}

TEST(PredictionServiceTest, ClientRequestIdWins) {
  testing::ServerFixture fixture;
  auto client = fixture.Client();
  httplib::Headers headers = {{"X-Request-Id", "client-42"}};
  auto res = client->Post("/v2/models/toy/infer", headers,
                          R"({"id": "body-id", "inputs": [{"name": "i", "shape": [3], "datatype": "FP32", "data": [0.5, 1, 2]}]})",
                          kJson);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_EQ(res->get_header_value("X-Request-Id"), "client-42");
  EXPECT_THAT(res->body, HasSubstr(R"("id":"client-42")"));
  // Generated ids differ from request to request.
  auto a = client->Get("/healthz");
  auto b = client->Get("/healthz");
  ASSERT_TRUE(a && b);
  EXPECT_NE(a->get_header_value("X-Request-Id"), b->get_header_value("X-Request-Id"));
}

TEST(PredictionServiceTest, HealthReadinessAndMetadata) {
  testing::ServerFixture fixture;
  auto client = fixture.Client();
  for (const char* path : {"/healthz", "/v2/health/live", "/readyz", "/v2/health/ready",
                           "/v2/models/toy/ready", "/v1/models/toy"}) {
    auto res = client->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 200) << path << ": " << res->body;
  }
  auto meta = client->Get("/v2/models/toy");
  ASSERT_TRUE(meta);
  EXPECT_EQ(meta->status, 200);
  EXPECT_THAT(meta->body, HasSubstr(R"("name":"toy","versions":["1"],"platform":"xgboost")"));
  EXPECT_THAT(meta->body, HasSubstr(R"("shape":[-1,3])"));

  // OIP server metadata, and versioned routes that answer only for the live version.
  auto server = client->Get("/v2");
  ASSERT_TRUE(server);
  EXPECT_EQ(server->status, 200);
  EXPECT_THAT(server->body, HasSubstr(R"({"name":"mlloop","version":")"));
  const char* row = R"({"inputs": [{"name": "i", "shape": [3], "datatype": "FP32", "data": [0.5, 1, 2]}]})";
  EXPECT_EQ(client->Post("/v2/models/toy/versions/1/infer", row, kJson)->status, 200);
  EXPECT_EQ(client->Get("/v2/models/toy/versions/1/ready")->status, 200);
  EXPECT_EQ(client->Get("/v2/models/toy/versions/1")->status, 200);
  for (const char* path : {"/v2/models/toy/versions/7/infer", "/v2/models/toy/versions/7/ready",
                           "/v2/models/toy/versions/7"}) {
    auto res = std::string(path).ends_with("infer") ? client->Post(path, row, kJson) : client->Get(path);
    ASSERT_TRUE(res) << path;
    EXPECT_EQ(res->status, 404) << path;
    EXPECT_THAT(res->body, HasSubstr("model 'toy' version 7 is not served (live version: 1)")) << path;
  }

  // Not ready while draining or without a live version.
  fixture.service().SetDraining(true);
  EXPECT_EQ(client->Get("/readyz")->status, 503);
  fixture.service().SetDraining(false);
  fixture.slot().Swap(nullptr);
  EXPECT_EQ(client->Get("/v2/health/ready")->status, 503);
  EXPECT_EQ(client->Get("/v2/models/toy/ready")->status, 503);
  auto none = client->Post("/v1/models/toy:predict", R"({"instances": [[0.5, 1, 2]]})", kJson);
  EXPECT_EQ(none->status, 503);
  EXPECT_THAT(none->body, HasSubstr("has no live version"));
}

// Each bad request gets a 4xx whose JSON names the field, and the next good request on the
// same server (and connection, where HTTP allows it) still succeeds.
TEST(PredictionServiceTest, BadInputIsRefusedAndServingContinues) {
  HttpServer::Options options;
  options.max_body_bytes = 4096;
  PredictionService::Options service_options;
  service_options.max_rows = 5;
  testing::ServerFixture fixture(options, service_options);
  auto client = fixture.Client();
  struct Case {
    std::string path, body;
    int status;
    std::string message;
  };
  const std::vector<Case> cases = {
      {"/v1/models/toy:predict", R"({"instances": [[0.5, 1, 2]})", 400, "request body: malformed JSON at byte"},
      {"/v1/models/toy:predict", R"({"instances": [[0.5, 1]]})", 400, "instances[0]: expected 3 values (x, flag, color), got 2"},
      {"/v1/models/toy:predict", R"({"instances": [{"x": 0.5, "flag": 1, "colour": 1}]})", 400, "instances[0].colour: unknown feature"},
      {"/v1/models/toy:predict", R"({"instances": [[0.5, "yes", 2]]})", 400, "instances[0][1]: expected a boolean"},
      {"/v1/models/toy:predict", R"({"instances": [[1,0,1],[1,0,1],[1,0,1],[1,0,1],[1,0,1],[1,0,1]]})", 400, "instances: 6 rows, at most 5"},
      {"/v2/models/toy/infer", R"({"inputs": [{"name": "i", "shape": [1, 3], "datatype": "FP32"}]})", 400, "inputs[0].data: required"},
      {"/v1/models/nope:predict", R"({"instances": [[0.5, 1, 2]]})", 404, "model 'nope' is not served here (models: toy)"},
      {"/v3/anything", "", 404, "no route for POST /v3/anything"},
  };
  for (const Case& c : cases) {
    auto res = client->Post(c.path, c.body, kJson);
    ASSERT_TRUE(res) << c.path << " " << c.body;
    EXPECT_EQ(res->status, c.status) << c.body << " -> " << res->body;
    auto body = ParseJson(res->body);
    ASSERT_TRUE(body.ok()) << res->body;
    ASSERT_NE(body->Find("error"), nullptr) << res->body;
    EXPECT_THAT(body->Find("error")->text, HasSubstr(c.message)) << c.body;
    EXPECT_FALSE(body->Find("request_id")->text.empty());
    auto ok = client->Post("/v1/models/toy:predict", R"({"instances": [[0.5, 1, 2]]})", kJson);
    ASSERT_TRUE(ok);
    EXPECT_EQ(ok->status, 200);
  }
  EXPECT_EQ(client->Get("/v1/models/toy:predict")->status, 405);

  // An oversized body: 413, the connection is closed, a new one is served.
  std::string big = R"({"instances": [)" + std::string(5000, ' ') + "[0.5, 1, 2]]}";
  auto res = client->Post("/v1/models/toy:predict", big, kJson);
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 413);
  EXPECT_THAT(res->body, HasSubstr("request body: larger than the limit of 4096 bytes"));
  auto fresh = fixture.Client();
  auto ok = fresh->Post("/v1/models/toy:predict", R"({"instances": [[0.5, 1, 2]]})", kJson);
  ASSERT_TRUE(ok);
  EXPECT_EQ(ok->status, 200);
}

TEST(PredictionServiceTest, MetricsCountRequestsAndLatencyPerVersion) {
  testing::ServerFixture fixture;
  auto client = fixture.Client();
  for (int i = 0; i < 3; ++i) {
    ASSERT_EQ(client->Post("/v1/models/toy:predict", R"({"instances": [[0.5, 1, 2], [0.1, 0, 0]]})", kJson)->status, 200);
  }
  ASSERT_EQ(client->Post("/v1/models/toy:predict", R"({"instances": 1})", kJson)->status, 400);
  fixture.slot().Swap(testing::ToyServedModel(2, 1, &fixture.service().metrics()));
  ASSERT_EQ(client->Post("/v2/models/toy/infer", R"({"inputs": [{"name": "i", "shape": [3], "datatype": "FP32", "data": [0.5, 1, 2]}]})", kJson)->status, 200);
  auto res = client->Get("/metrics");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200);
  EXPECT_THAT(res->get_header_value("Content-Type"), StartsWith("text/plain; version=0.0.4"));
  const std::string& m = res->body;
  EXPECT_THAT(m, HasSubstr("# TYPE mlloop_prediction_latency_seconds histogram\n"));
  EXPECT_THAT(m, HasSubstr("mlloop_prediction_requests_total{model=\"toy\",version=\"1\",outcome=\"ok\"} 3\n"));
  EXPECT_THAT(m, HasSubstr("mlloop_prediction_requests_total{model=\"toy\",version=\"1\",outcome=\"client_error\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("mlloop_prediction_requests_total{model=\"toy\",version=\"2\",outcome=\"ok\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("mlloop_prediction_rows_total{model=\"toy\",version=\"1\"} 6\n"));
  EXPECT_THAT(m, HasSubstr("mlloop_prediction_latency_seconds_bucket{model=\"toy\",version=\"1\",le=\"+Inf\"} 4\n"));
  EXPECT_THAT(m, HasSubstr("mlloop_prediction_latency_seconds_count{model=\"toy\",version=\"2\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("mlloop_model_live{model=\"toy\",version=\"2\"} 1\n"));
  EXPECT_THAT(m, HasSubstr("mlloop_model_swaps_total{model=\"toy\"} 2\n"));
  EXPECT_THAT(m, HasSubstr("mlloop_http_responses_total{code=\"400\"} 1\n"));
}

// In shadow, the challenger's answers go to the inference log beside the champion's record of
// the same rows, never to the client; labels of those rows carry them, live and after a
// reopen; a shadow that fails on a request logs nothing for it.
TEST(PredictionServiceTest, AShadowsAnswersAreLoggedForLabelsAndNeverReturned) {
  testutil::TempDir dir;
  const InferenceLog::Options options = testing::ToyLogOptions();
  auto log = InferenceLog::Open(dir.path(), options);
  ASSERT_TRUE(log.ok()) << log.status().ToString();
  auto fixture = std::make_unique<testing::ServerFixture>(HttpServer::Options{},
                                                         PredictionService::Options{}, log->get());
  ModelSlot& slot = fixture->slot();
  auto champion = slot.Get();
  auto shadow = testing::ToyServedModel(2, 1, &fixture->service().metrics());
  // Version 3 is variant 1 with a config that knows two colours: "blue" fails its decoding.
  std::vector<core::FeatureSpec> two_colours = testing::ToyFeatures();
  two_colours[2].categories = {"red", "green"};
  auto narrow = ServedModel::Create("toy", 3, two_colours, testing::TrainToyModel(1), nullptr);
  ASSERT_TRUE(narrow.ok()) << narrow.status().ToString();
  auto with_shadow = TrafficRoute::Make(champion, shadow, ChallengerMode::kShadow, 0);
  auto with_narrow = TrafficRoute::Make(champion, *narrow, ChallengerMode::kShadow, 0);
  ASSERT_TRUE(with_shadow.ok() && with_narrow.ok());
  auto client = fixture->Client();
  // POSTs `instances` as request `id`; the predictions returned.
  auto predict = [&](const std::string& id, const std::string& instances) {
    auto res = client->Post("/v1/models/toy:predict", {{"X-Request-Id", id}},
                            R"({"instances": )" + instances + "}", kJson);
    std::vector<float> predictions;
    EXPECT_TRUE(res) << id;
    if (!res) return predictions;
    EXPECT_EQ(res->status, 200) << res->body;
    EXPECT_EQ(res->get_header_value("X-Model-Version"), "1") << "only the champion answers";
    auto body = ParseJson(res->body);
    EXPECT_TRUE(body.ok()) << res->body;
    if (!body.ok()) return predictions;
    EXPECT_EQ(body->Find("model_version")->text, "1");
    for (const JsonValue& p : body->Find("predictions")->items) predictions.push_back(p.number);
    return predictions;
  };

  slot.SetRoute(*with_shadow);
  EXPECT_EQ(predict("a", "[[0.5, 1, 2]]"), (std::vector<float>{Expected(0, {0.5f, 1, 2})}));
  ASSERT_NE(Expected(0, {0.5f, 1, 2}), Expected(1, {0.5f, 1, 2})) << "the variants must differ";
  EXPECT_EQ(predict("b", R"([[0.2, true, "red"], [0.9, false, "blue"]])"),
            (std::vector<float>{Expected(0, {0.2f, 1, 0}), Expected(0, {0.9f, 0, 2})}));
  slot.SetRoute(*with_narrow);
  EXPECT_EQ(predict("c", R"([[0.2, true, "red"]])"),
            (std::vector<float>{Expected(0, {0.2f, 1, 0})}));
  EXPECT_EQ(predict("d", R"([[0.9, false, "blue"]])"),
            (std::vector<float>{Expected(0, {0.9f, 0, 2})}));
  EXPECT_EQ((*narrow)->metrics().Shadowed().requests[0], 1u);
  EXPECT_EQ((*narrow)->metrics().Shadowed().requests[1], 1u) << "d's blue is no colour of v3";

  auto fed = client->Post("/v1/models/toy/feedback",
                          R"({"feedback": [{"id": "a", "label": 1}, {"id": "b", "row": 1, "label": 0},
                                           {"id": "c", "label": 1}, {"id": "d", "label": 0}]})",
                          kJson);
  ASSERT_TRUE(fed);
  ASSERT_EQ(fed->status, 200) << fed->body;
  EXPECT_THAT(fed->body, HasSubstr(R"("joined":4,"not_joined":0)"));
  fixture.reset();  // no request in flight any more

  struct Shadowed {
    uint64_t row_id;
    int64_t shadow_version;
    float shadow_prediction;
  };
  const std::vector<Shadowed> expected = {{0, 2, Expected(1, {0.5f, 1, 2})},
                                          {2, 2, Expected(1, {0.9f, 0, 2})},
                                          {3, 3, Expected(1, {0.2f, 1, 0})},
                                          {4, 0, 0.0f}};
  auto check = [&](const LogEvents& events, const char* when) {
    size_t predictions = 0, labels = 0;
    for (const LogEvents::Event& e : events.events) {
      EXPECT_EQ(e.version, 1) << when;
      if (e.kind == LogEvents::Kind::kPrediction) {
        ++predictions;
        continue;
      }
      ASSERT_LT(labels, expected.size()) << when;
      const Shadowed& want = expected[labels++];
      EXPECT_EQ(e.row_id, want.row_id) << when;
      EXPECT_EQ(e.shadow_version, want.shadow_version) << when << " row " << e.row_id;
      EXPECT_EQ(e.shadow_prediction, want.shadow_prediction) << when << " row " << e.row_id;
      EXPECT_NE(e.prediction, e.shadow_prediction) << when << " row " << e.row_id;
    }
    EXPECT_EQ(predictions, 5u) << when << ": the champion's rows only";
    EXPECT_EQ(labels, expected.size()) << when;
  };
  LogEvents events;
  (*log)->TakeEvents(&events);
  check(events, "live");
  EXPECT_EQ((*log)->rows_logged(), 5u);
  ASSERT_TRUE((*log)->Close().ok());

  LogEvents replayed;
  auto reopened = InferenceLog::Open(dir.path(), options, [&](const LogEvents& chunk) {
    replayed.events.insert(replayed.events.end(), chunk.events.begin(), chunk.events.end());
  });
  ASSERT_TRUE(reopened.ok()) << reopened.status().ToString();
  check(replayed, "replayed");
  EXPECT_EQ((*reopened)->replay_report().predictions, 4u);
  EXPECT_EQ((*reopened)->replay_report().shadows, 3u) << "a, b and c; not the failed d";
}

}  // namespace
}  // namespace mlloop::serve
