// The traffic router: weighted and sticky splits, shadows that never answer, pinned versions,
// bad routes refused, and what /metrics says about it — through a real HTTP client.
#include "serve/traffic_router.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <map>
#include <new>
#include <set>
#include <string>
#include <thread>

#include "serve/json_value.h"
#include "serve/serve_fixture.h"

namespace mlloop::serve {
namespace {

using ::testing::HasSubstr;

constexpr const char* kRow = R"({"instances": [[0.5, 1, 2]]})";

TEST(TrafficRouterTest, StickyCohortsOnlyGrowWithTheWeight) {
  auto champion = testing::ToyServedModel(1, 0);
  auto challenger = testing::ToyServedModel(2, 1);
  StickyKey sticky{StickyKey::Source::kHeader, "X-User"};
  std::set<std::string> previous;
  for (double weight : {0.05, 0.25, 0.5, 1.0}) {
    auto route = TrafficRoute::Make(champion, challenger, ChallengerMode::kSplit, weight, sticky);
    ASSERT_TRUE(route.ok()) << route.status().ToString();
    std::set<std::string> cohort;
    for (int user = 0; user < 4000; ++user) {
      const std::string key = "user-" + std::to_string(user);
      const RouteChoice choice = Choose(**route, key);
      EXPECT_EQ(Choose(**route, key).answer, choice.answer) << "the same key, another model";
      if (choice.answer == challenger.get()) cohort.insert(key);
    }
    EXPECT_NEAR(static_cast<double>(cohort.size()) / 4000, weight, 0.03) << weight;
    for (const auto& key : previous) EXPECT_TRUE(cohort.count(key)) << key << " moved back";
    previous = cohort;
  }
}

TEST(TrafficRouterTest, BadRoutesAreRefusedNamingWhy) {
  auto champion = testing::ToyServedModel(1, 0);
  auto challenger = testing::ToyServedModel(2, 1);
  EXPECT_THAT(TrafficRoute::Make(champion, challenger, ChallengerMode::kSplit, 1.5).status().message(),
              HasSubstr("challenger weight 1.5"));
  EXPECT_THAT(TrafficRoute::Make(champion, champion, ChallengerMode::kSplit, 0.5).status().message(),
              HasSubstr("same version (v1)"));
  EXPECT_THAT(TrafficRoute::Make(champion, nullptr, ChallengerMode::kSplit, 0.5).status().message(),
              HasSubstr("no challenger"));
  EXPECT_THAT(TrafficRoute::Make(champion, challenger, ChallengerMode::kSplit, 0.5,
                                 StickyKey{StickyKey::Source::kField, ""})
                  .status()
                  .message(),
              HasSubstr("sticky key needs"));
}

TEST(TrafficRouterTest, LocalRouteFollowsEveryPublishedRoute) {
  auto v1 = testing::ToyServedModel(1, 0);
  auto v2 = testing::ToyServedModel(2, 1);
  auto v3 = testing::ToyServedModel(3, 0);
  ModelSlot slot("toy");
  EXPECT_EQ(slot.LocalRoute(), nullptr);
  slot.Swap(v1);
  ASSERT_NE(slot.LocalRoute(), nullptr);
  EXPECT_EQ(slot.LocalRoute()->champion, v1);
  EXPECT_EQ(slot.LocalRoute()->challenger, nullptr);
  // A new weight keeps the champion but is a new route: it is seen too.
  slot.SetRoute(*TrafficRoute::Make(v1, v2, ChallengerMode::kSplit, 0.25));
  EXPECT_EQ(slot.LocalRoute()->challenger, v2);
  EXPECT_EQ(slot.LocalRoute()->challenger_weight, 0.25);
  slot.SetRoute(*TrafficRoute::Make(v1, v2, ChallengerMode::kSplit, 0.5));
  EXPECT_EQ(slot.LocalRoute()->challenger_weight, 0.5);
  slot.Swap(v3);
  EXPECT_EQ(slot.LocalRoute()->champion, v3);
  EXPECT_EQ(slot.LocalRoute()->challenger, nullptr);

  // Another thread takes its own copy, and sees the same route.
  std::shared_ptr<const TrafficRoute> seen;
  std::thread([&] { seen = slot.LocalRoute(); }).join();
  EXPECT_EQ(seen, slot.route());
}

TEST(TrafficRouterTest, LocalRouteIsNeverOlderThanARouteAlreadySeen) {
  // One thread publishes versions 1, 2, 3, ... as fast as it can; another reads Get() and
  // then LocalRoute(), which must never give an older version than Get() just did (a
  // request sent after its client saw a swap is answered by the new version or a newer one).
  // The window in question is between two stores of one publish: it takes many tries.
  ModelSlot slot("toy");
  const std::shared_ptr<const pipeline::XgbModel> model = testing::TrainToyModel(0);
  auto version = [&](int64_t v) {
    return *ServedModel::Create("toy", v, testing::ToyFeatures(), model, nullptr);
  };
  slot.Swap(version(1));
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int64_t v = 2; !done.load(std::memory_order_relaxed); ++v) slot.Swap(version(v));
  });
  int older = 0;
  const auto until = std::chrono::steady_clock::now() + std::chrono::milliseconds(1500);
  int64_t reads = 0;
  while (std::chrono::steady_clock::now() < until) {
    const int64_t seen = slot.Get()->version();
    const int64_t local = slot.LocalRoute()->champion->version();
    if (local < seen) ++older;
    ++reads;
  }
  done = true;
  writer.join();
  EXPECT_EQ(older, 0) << "of " << reads << " reads";
  EXPECT_GT(slot.swaps(), 1000u) << "too few swaps to mean anything";
}

TEST(TrafficRouterTest, LocalRouteOfASlotMadeWhereAnotherWasIsItsOwn) {
  // The thread's copy of a destroyed slot's route must not answer for a new slot at the same
  // address that has published as many routes.
  auto v1 = testing::ToyServedModel(1, 0);
  auto v2 = testing::ToyServedModel(2, 1);
  alignas(ModelSlot) unsigned char storage[sizeof(ModelSlot)];
  auto* first = new (storage) ModelSlot("toy");
  first->Swap(v1);
  EXPECT_EQ(first->LocalRoute()->champion, v1);
  first->~ModelSlot();
  auto* second = new (storage) ModelSlot("toy");
  second->Swap(v2);
  EXPECT_EQ(second->LocalRoute()->champion, v2);
  second->~ModelSlot();
}

TEST(TrafficRouterTest, AThreadDoesNotKeepTheRoutesOfManySlotsAlive) {
  std::weak_ptr<const ServedModel> first;
  for (int i = 0; i < 20; ++i) {
    auto model = testing::ToyServedModel(i + 1, i % 2);
    if (i == 0) first = model;
    ModelSlot slot("toy");
    slot.Swap(std::move(model));
    EXPECT_EQ(slot.LocalRoute()->champion->version(), i + 1);
  }
  EXPECT_TRUE(first.expired()) << "the first slot's model is still held by this thread";
}

TEST(TrafficRouterTest, HeaderStickinessOverHttpAndVersionsInEveryResponse) {
  testing::ServerFixture fixture;
  auto challenger = testing::ToyServedModel(2, 1, &fixture.service().metrics());
  auto route = TrafficRoute::Make(fixture.slot().Get(), challenger, ChallengerMode::kSplit, 0.5,
                                  StickyKey{StickyKey::Source::kHeader, "X-User-Id"});
  ASSERT_TRUE(route.ok());
  fixture.slot().SetRoute(*route);
  auto client = fixture.Client();
  std::map<std::string, int> versions;
  for (int user = 0; user < 40; ++user) {
    std::set<std::string> seen;
    for (int i = 0; i < 3; ++i) {
      auto res = client->Post("/v1/models/toy:predict",
                              {{"X-User-Id", "customer-" + std::to_string(user)}}, kRow,
                              "application/json");
      ASSERT_TRUE(res);
      ASSERT_EQ(res->status, 200) << res->body;
      auto body = ParseJson(res->body);
      ASSERT_TRUE(body.ok());
      EXPECT_EQ(body->Find("model_version")->text, res->get_header_value("X-Model-Version"));
      seen.insert(res->get_header_value("X-Model-Version"));
    }
    EXPECT_EQ(seen.size(), 1u);
    ++versions[*seen.begin()];
  }
  EXPECT_GT(versions["1"], 5);
  EXPECT_GT(versions["2"], 5);
  // OIP v2's versioned route reaches the challenger on purpose.
  auto pinned = client->Post("/v2/models/toy/versions/2/infer",
                             R"({"inputs": [{"name": "input-0", "shape": [1, 3], "datatype": "FP32", "data": [0.5, 1, 2]}]})",
                             "application/json");
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->status, 200) << pinned->body;
  EXPECT_EQ(pinned->get_header_value("X-Model-Version"), "2");
  auto metrics = client->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body,
              HasSubstr("mlloop_traffic_weight{model=\"toy\",version=\"2\",role=\"challenger\"} 0.5"));
}

TEST(TrafficRouterTest, AShadowPredictsEveryRequestAndNeverAnswers) {
  testing::ServerFixture fixture;
  auto shadow = testing::ToyServedModel(2, 1, &fixture.service().metrics());
  std::atomic<int> observed{0}, disagreed{0};
  fixture.service().AddChallengerObserver([&](const ChallengerPrediction& p) {
    EXPECT_EQ(p.mode, ChallengerMode::kShadow);
    EXPECT_TRUE(p.status.ok());
    ASSERT_NE(p.champion_predictions, nullptr);
    if (p.predictions.at(0) != p.champion_predictions->at(0)) ++disagreed;
    ++observed;
  });
  auto route = TrafficRoute::Make(fixture.slot().Get(), shadow, ChallengerMode::kShadow, 0);
  ASSERT_TRUE(route.ok());
  fixture.slot().SetRoute(*route);
  auto client = fixture.Client();
  for (int i = 0; i < 50; ++i) {
    auto res = client->Post("/v1/models/toy:predict", kRow, "application/json");
    ASSERT_TRUE(res);
    ASSERT_EQ(res->status, 200);
    EXPECT_EQ(res->get_header_value("X-Model-Version"), "1");
  }
  EXPECT_EQ(observed.load(), 50);
  EXPECT_EQ(disagreed.load(), 50) << "the two toy variants answer this row differently";
  EXPECT_EQ(shadow->metrics().Shadowed().requests[0], 50u);
  EXPECT_EQ(shadow->metrics().Served().total(), 0u);
  auto pinned = client->Post("/v2/models/toy/versions/2/infer",
                             R"({"inputs": [{"name": "input-0", "shape": [1, 3], "datatype": "FP32", "data": [0.5, 1, 2]}]})",
                             "application/json");
  ASSERT_TRUE(pinned);
  EXPECT_EQ(pinned->status, 404) << "a shadow's answers are never returned";
  auto metrics = client->Get("/metrics");
  ASSERT_TRUE(metrics);
  EXPECT_THAT(metrics->body, HasSubstr("mlloop_shadow_predictions_total{model=\"toy\",version=\"2\","
                                       "outcome=\"ok\"} 50"));
  EXPECT_THAT(metrics->body,
              HasSubstr("mlloop_traffic_weight{model=\"toy\",version=\"2\",role=\"shadow\"} 1"));
}

}  // namespace
}  // namespace mlloop::serve
