// ServerMetrics: counters recorded from many threads at once (each into its own shard) add
// up to every request, in the snapshots and in the exposition text.
#include "serve/server_metrics.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <string>
#include <thread>
#include <vector>

namespace mlloop::serve {
namespace {

using ::testing::HasSubstr;

TEST(ServerMetricsTest, CountsFromManyThreadsAddUp) {
  ServerMetrics metrics;
  auto version = metrics.ForVersion("toy", "1");
  // More threads than shards, so that some share one.
  constexpr int kThreads = static_cast<int>(kMetricShards) + 3, kEach = 2000;
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < kEach; ++i) {
        version->Record(VersionMetrics::Outcome::kOk, 2, 300'000);  // 0.3 ms
        version->Record(VersionMetrics::Outcome::kClientError, 0, 20'000);
        version->RecordShadow(VersionMetrics::Outcome::kOk, 2, 30'000);
        metrics.CountResponse(200);
        metrics.CountResponse(400);
      }
    });
  }
  for (auto& t : threads) t.join();
  constexpr uint64_t kAll = uint64_t{kThreads} * kEach;
  const VersionMetrics::Snapshot served = version->Served();
  EXPECT_EQ(served.requests[0], kAll);
  EXPECT_EQ(served.requests[1], kAll);
  EXPECT_EQ(served.rows, 2 * kAll);
  EXPECT_EQ(served.buckets[0], kAll);  // 20 us: the first bucket (<= 50 us)
  EXPECT_EQ(served.buckets[3], kAll);  // 300 us: (0.25 ms, 0.5 ms]
  EXPECT_EQ(served.latency_ns_sum, kAll * 320'000);
  EXPECT_EQ(version->requests(VersionMetrics::Outcome::kOk), kAll);
  EXPECT_EQ(version->Shadowed().total(), kAll);

  const std::string text = metrics.Render({});
  const std::string all = std::to_string(kAll);
  EXPECT_THAT(text, HasSubstr("mlloop_http_responses_total{code=\"200\"} " + all + "\n"));
  EXPECT_THAT(text, HasSubstr("mlloop_http_responses_total{code=\"400\"} " + all + "\n"));
  EXPECT_THAT(text, HasSubstr("mlloop_prediction_requests_total{model=\"toy\",version=\"1\","
                              "outcome=\"ok\"} " + all + "\n"));
  EXPECT_THAT(text, HasSubstr("mlloop_prediction_rows_total{model=\"toy\",version=\"1\"} " +
                              std::to_string(2 * kAll) + "\n"));
  EXPECT_THAT(text, HasSubstr("mlloop_prediction_latency_seconds_count{model=\"toy\",version=\"1\"} " +
                              std::to_string(2 * kAll) + "\n"));
  EXPECT_THAT(text, HasSubstr("mlloop_shadow_predictions_total{model=\"toy\",version=\"1\","
                              "outcome=\"ok\"} " + all + "\n"));
}

}  // namespace
}  // namespace mlloop::serve
