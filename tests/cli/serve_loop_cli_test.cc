// `mlloop serve` closing the loop by itself: started on a store that `mlloop simulate` made
// from the Elec2 example, fed traffic and late labels over HTTP, it logs them, retrains on
// the labelled rows, validates, promotes and swaps in the new version, with no request
// failing; SIGTERM flushes the log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <string>
#include <thread>

#include "config/model_config.h"
#include "io/csv_reader.h"
#include "registry/registry.h"
#include "serve_process.h"
#include "testutil/testutil.h"

namespace mlloop {
namespace {

using ::testing::HasSubstr;

// The Elec2 example with everything shortened: small trees, a 1,000-row window, a retrain
// after 200 new labels, a 50-row holdout and a margin that any candidate passes (this test
// is about the loop running, not about the model getting better).
std::string ShortElec2Config() {
  return "model: elec2\n"
         "data: {path: " + testutil::SourcePath("examples/elec2/electricity.csv.gz") + "}\n"
         "schema:\n"
         "  features: [day, period, nswprice, nswdemand, vicprice, vicdemand, transfer]\n"
         "  label: {name: class, task: binary, positive: UP, negative: DOWN}\n"
         "  timestamp: {source: row_index, start: 1996-05-07T00:00:00Z, step: 30m}\n"
         "trainer: {rounds: 10, params: {max_depth: 4}, window: {last_rows: 1000}}\n"
         "monitoring: {metric_window: 200, drift_window: 200}\n"
         "policy: {tick: 1d, trigger: {new_labels: {at_least: 200}}}\n"
         "validation: {holdout_rows: 50, margin: 1.0, min_rows: 10}\n"
         "simulation: {label_delay: 30m, initial_rows: 45000}\n";
}

std::string Row(const core::Dataset& data, size_t i) {
  std::string body = "{\"instances\": [[";
  for (size_t j = 0; j < data.n_features; ++j) {
    body += (j ? ", " : "") + std::to_string(data.At(i, j));
  }
  return body + "]]}";
}

std::string VersionIn(const std::string& body) {
  const std::string key = "\"model_version\":\"";
  const size_t at = body.find(key);
  if (at == std::string::npos) return "";
  return body.substr(at + key.size(), body.find('"', at + key.size()) - at - key.size());
}

TEST(ServeLoopCliTest, RetrainsOnLoggedLabelsAndSwapsInTheNewChampionWithoutAFailedRequest) {
  testutil::TempDir dir;
  const std::string config_path = dir.File("elec2.yaml");
  const std::string store = dir.File("store");
  testutil::WriteFile(config_path, ShortElec2Config());
  testutil::CommandResult simulated =
      testutil::RunMlloop("simulate " + config_path + " --store " + store + " -q");
  ASSERT_EQ(simulated.exit_code, 0) << simulated.output;
  std::string first_version;
  {
    auto registry = registry::Registry::Open(store);
    ASSERT_TRUE(registry.ok());
    auto champion = (*registry)->Champion("elec2");
    ASSERT_TRUE(champion.ok() && champion->has_value());
    first_version = std::to_string((*champion)->version);
  }
  auto config = config::LoadModelConfig(config_path);
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto data = io::ReadCsv(config->data_path, config->schema);
  ASSERT_TRUE(data.ok()) << data.status().ToString();

  testutil::ServeProcess serve({"--store", store, "--port", "0", "--tick", "0.2",
                                "--reload-interval", "0", "--log-flush-ms", "10"});
  const int port = serve.Port();
  ASSERT_GT(port, 0) << serve.output();
  ASSERT_TRUE(serve.ReadUntil("labelled rows logged so far")) << serve.output();
  EXPECT_THAT(serve.output(), HasSubstr("the controller ticks every 200 ms on 0 labelled rows"));

  // Traffic from two clients: one also sends each row's true label, 50 rows late, in
  // batches of 50 (as a labelling job would); the other only predicts, all the time.
  std::atomic<bool> done{false};
  std::atomic<int> failed{0}, answered{0};
  std::string new_version;
  std::thread other([&] {
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(5);
    for (size_t i = 0; !done; i = (i + 1) % 200) {
      auto res = client.Post("/v1/models/elec2:predict", Row(*data, 44000 + i), "application/json");
      if (!res || res->status != 200) ++failed;
      ++answered;
    }
  });
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5);
  std::string labels;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  for (size_t i = 44000; i < data->rows() && std::chrono::steady_clock::now() < deadline; ++i) {
    const std::string id = "row-" + std::to_string(i);
    auto res = client.Post("/v1/models/elec2:predict", {{"X-Request-Id", id}}, Row(*data, i),
                           "application/json");
    if (!res || res->status != 200) {
      ++failed;
      continue;
    }
    ++answered;
    if (VersionIn(res->body) != first_version) {
      new_version = VersionIn(res->body);
      break;
    }
    if (i >= 44050) {
      const size_t labelled = i - 50;
      labels += std::string(labels.empty() ? "" : ", ") + "{\"id\": \"row-" +
                std::to_string(labelled) + "\", \"label\": " +
                (data->y[labelled] == 1.0f ? "\"UP\"" : "\"DOWN\"") + "}";
      if ((i + 1) % 50 == 0) {
        auto fed = client.Post("/v1/models/elec2/feedback", "{\"feedback\": [" + labels + "]}",
                               "application/json");
        ASSERT_TRUE(fed);
        ASSERT_EQ(fed->status, 200) << fed->body;
        EXPECT_THAT(fed->body, HasSubstr("\"not_joined\":0"));
        labels.clear();
      }
    }
  }
  done = true;
  other.join();
  ASSERT_FALSE(new_version.empty()) << "no new version served within 30 s\n" << serve.output();
  EXPECT_EQ(failed, 0);
  EXPECT_GT(answered, 250);
  ASSERT_TRUE(serve.ReadUntil("now serving elec2 v" + new_version)) << serve.output();
  EXPECT_THAT(serve.output(), HasSubstr("retrain (new_labels"));
  EXPECT_THAT(serve.output(), HasSubstr("v" + new_version + " promoted"));

  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(), 0);
  serve.ReadUntil("stopped");
  EXPECT_THAT(serve.output(), HasSubstr("mlloop serve: inference log flushed"));

  // The new version's lineage names the inference log as its data, and it trained on
  // labelled rows the server logged.
  auto registry = registry::Registry::Open(store);
  ASSERT_TRUE(registry.ok());
  auto champion = (*registry)->Champion("elec2");
  ASSERT_TRUE(champion.ok() && champion->has_value());
  EXPECT_EQ(std::to_string((*champion)->version), new_version);
  EXPECT_EQ((*champion)->lineage.data_source,
            std::filesystem::path(store + "/inference/elec2").lexically_normal().string());
  EXPECT_GE((*champion)->lineage.row_end - (*champion)->lineage.row_begin, 100);
}

}  // namespace
}  // namespace mlloop
