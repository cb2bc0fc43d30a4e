// Zero downtime: model swaps under concurrent load fail no request, and every response names a
// version that was live while the request was in flight; graceful shutdown drains requests.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "serve/json_value.h"
#include "serve/serve_fixture.h"

namespace mlloop::serve {
namespace {

using ::testing::HasSubstr;

constexpr const char* kRow = R"({"instances": [[0.5, 1, 2]]})";

TEST(ModelSwapTest, ManySwapsUnderLoadFailNoRequest) {
  testing::ServerFixture fixture;
  // Two model variants with different answers; version v serves variant v % 2. Versions
  // only increase, so "the answer came from a version live during the request" reads as
  // live-before-send <= answered <= live-after-receive.
  std::vector<std::shared_ptr<const pipeline::XgbModel>> models;
  std::vector<float> expected;
  for (int variant = 0; variant < 2; ++variant) {
    models.push_back(testing::TrainToyModel(variant));
    std::vector<float> row = {0.5f, 1, 2}, out;
    ASSERT_TRUE(models.back()->Predict(row.data(), 1, 3, &out).ok());
    expected.push_back(out[0]);
  }
  ASSERT_NE(expected[0], expected[1]);
  auto make_version = [&](int64_t v) {
    return *ServedModel::Create("toy", v, testing::ToyFeatures(), models[v % 2],
                                fixture.service().metrics().ForVersion("toy", std::to_string(v)));
  };
  fixture.slot().Swap(make_version(2));

  constexpr int kRequestsPerClient = 1000;
  std::atomic<int> clients_running{2};
  std::atomic<int> failed{0}, wrong_version{0}, wrong_answer{0}, ok{0};
  auto client_loop = [&] {
    auto client = fixture.Client();
    for (int i = 0; i < kRequestsPerClient; ++i) {
      const int64_t before = fixture.slot().Get()->version();
      auto res = client->Post("/v1/models/toy:predict", kRow, "application/json");
      const int64_t after = fixture.slot().Get()->version();
      if (!res || res->status != 200) {
        ++failed;
        continue;
      }
      auto body = ParseJson(res->body);
      if (!body.ok() || body->Find("model_version") == nullptr) {
        ++failed;
        continue;
      }
      const int64_t v = std::stoll(body->Find("model_version")->text);
      if (v < before || v > after || res->get_header_value("X-Model-Version") != std::to_string(v)) {
        ++wrong_version;
      }
      if (body->Find("predictions")->items.at(0).number != expected[v % 2]) ++wrong_answer;
      ++ok;
    }
    --clients_running;
  };
  std::thread a(client_loop), b(client_loop);
  int64_t version = 2;
  while (clients_running.load() > 0) {
    fixture.slot().Swap(make_version(++version));
    std::this_thread::sleep_for(std::chrono::microseconds(50));
  }
  a.join();
  b.join();
  const int64_t swaps = version - 2;
  EXPECT_EQ(failed.load(), 0);
  EXPECT_EQ(wrong_version.load(), 0);
  EXPECT_EQ(wrong_answer.load(), 0);
  EXPECT_EQ(ok.load(), 2 * kRequestsPerClient);
  EXPECT_GE(swaps, 100) << "too few swaps to mean anything";
  std::cout << "[          ] " << 2 * kRequestsPerClient << " requests, " << swaps
            << " swaps, 0 failed\n";
}

TEST(HttpServerTest, ShutdownDrainsInFlightRequestsAndClosesIdleConnections) {
  std::atomic<bool> entered{false};
  HttpServer::Options options;
  options.drain_timeout = std::chrono::milliseconds(5000);
  auto server = HttpServer::Start(options, [&](const HttpRequest& request, HttpResponse* response) {
    if (request.target == "/slow") {
      entered = true;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
    }
    response->body = "{\"done\":true}";
  });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const int port = (*server)->port();

  // An idle keep-alive connection must not hold the shutdown up.
  httplib::Client idle("127.0.0.1", port);
  idle.set_keep_alive(true);
  ASSERT_EQ(idle.Get("/fast")->status, 200);

  httplib::Client slow("127.0.0.1", port);
  slow.set_read_timeout(5);
  httplib::Result slow_result{nullptr, httplib::Error::Unknown};
  std::thread t([&] { slow_result = slow.Get("/slow"); });
  while (!entered.load()) std::this_thread::sleep_for(std::chrono::milliseconds(1));

  const auto start = std::chrono::steady_clock::now();
  EXPECT_EQ((*server)->Shutdown(), 0u);
  const auto took = std::chrono::steady_clock::now() - start;
  t.join();
  ASSERT_TRUE(slow_result) << httplib::to_string(slow_result.error());
  EXPECT_EQ(slow_result->status, 200);
  EXPECT_EQ(slow_result->body, "{\"done\":true}");
  EXPECT_EQ(slow_result->get_header_value("Connection"), "close");
  EXPECT_LT(took, std::chrono::milliseconds(2000));

  httplib::Client after("127.0.0.1", port);
  after.set_connection_timeout(1);
  EXPECT_FALSE(after.Get("/fast"));
}

}  // namespace
}  // namespace mlloop::serve
