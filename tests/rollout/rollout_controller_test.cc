// The rollout state machine on a virtual clock, against a real SQLite registry, with requests
// answered by a real PredictionService (no HTTP): canaries that promote, alarms that roll
// back, the watch after a promotion, and the decision and audit entry of every step.
#include "rollout/rollout_controller.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <map>
#include <set>
#include <nlohmann/json.hpp>
#include <random>
#include <thread>

#include "serve/prediction_service.h"
#include "serve/serve_fixture.h"
#include "testutil/testutil.h"

namespace mlloop::rollout {
namespace {

using registry::ModelVersion;
using registry::VersionState;
using ::testing::HasSubstr;

// A binary classifier on `width` numeric features (f0, f1, ...), trained on seeded rows.
std::string TrainArtifact(int width, int variant) {
  core::Dataset data;
  data.n_features = static_cast<size_t>(width);
  std::mt19937 rng(11 + variant);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (int i = 0; i < 300; ++i) {
    float sum = 0;
    for (int j = 0; j < width; ++j) {
      const float v = uniform(rng);
      data.x.push_back(v);
      sum += v;
    }
    data.y.push_back(sum > 0.5f * static_cast<float>(width) + 0.1f * static_cast<float>(variant)
                         ? 1.0f
                         : 0.0f);
    data.time.push_back(i);
    data.row.push_back(i);
  }
  data.categories.resize(static_cast<size_t>(width));
  pipeline::TrainOptions options;
  options.rounds = 3 + variant;
  auto model = pipeline::XgbModel::Train(data, 0, data.rows(), options);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  auto bytes = (*model)->Serialize();
  EXPECT_TRUE(bytes.ok()) << bytes.status().ToString();
  return *bytes;
}

config::RolloutConfig Canary(std::vector<double> steps) {
  config::RolloutConfig c;
  c.strategy = config::RolloutConfig::Strategy::kCanary;
  c.steps = std::move(steps);
  c.step_duration = 60;
  c.guard.min_requests = 20;
  c.guard.min_labels = 20;
  c.guard.max_latency_p99_ratio = 0;  // the machine's jitter is not what these tests judge
  c.watch = 0;
  return c;
}

class RolloutTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto reg = registry::Registry::Open(dir_.path().string());
    ASSERT_TRUE(reg.ok()) << reg.status().ToString();
    registry_ = std::move(*reg);
  }

  // Registers a version and moves it to `state` (approved or champion).
  ModelVersion Add(int width, int variant, VersionState state) {
    auto v = registry_->Register("toy", TrainArtifact(width, variant), registry::Lineage{},
                                 std::nullopt, "pipeline", clock_.Now());
    EXPECT_TRUE(v.ok()) << v.status().ToString();
    EXPECT_TRUE(registry_->Transition(v->id, VersionState::kValidated, "t", "ok", clock_.Now()).ok());
    EXPECT_TRUE(registry_->Approve(v->id, "alice", "looks good", clock_.Now()).ok());
    if (state == VersionState::kChampion) {
      EXPECT_TRUE(registry_->Transition(v->id, VersionState::kChampion, "t", "first", clock_.Now()).ok());
    }
    return *registry_->GetVersionById(v->id);
  }

  // The controller, with the slot serving the current champion.
  void Start(config::RolloutConfig config) {
    auto loader = [this](const ModelVersion& v) {
      return serve::ServedModel::LoadVersion(*registry_, v, service_.metrics());
    };
    auto champion = registry_->Champion("toy");
    ASSERT_TRUE(champion.ok() && *champion);
    slot_.Swap(*loader(**champion));
    RolloutController::Options options;
    options.default_config = std::move(config);
    controller_ = std::make_unique<RolloutController>(registry_.get(), &clock_, &slot_, loader,
                                                      options);
    service_.AddChallengerObserver(controller_->Observer());
  }

  // `n` single-row requests of three numbers; the answering versions, counted.
  std::map<std::string, int> Send(int n) {
    return serve::testing::SendToyRows(service_, n, "0.5, 0.25");
  }

  TickResult Tick() {
    auto r = controller_->Tick();
    EXPECT_TRUE(r.ok()) << r.status().ToString();
    return r.ok() ? *r : TickResult{};
  }

  VersionState State(const ModelVersion& v) { return registry_->GetVersionById(v.id)->state; }

  // A one-step rollout of `v2` against the champion `v1` under `config`, promoted at the end
  // of its step after 200 requests and 100 labels of each version, both right except every
  // `wrong_every`-th.
  void PromoteAfterLabels(config::RolloutConfig config, const ModelVersion& v1,
                          const ModelVersion& v2, int wrong_every) {
    Start(std::move(config));
    ASSERT_EQ(Tick().action, Action::kStarted);
    Send(200);
    for (int i = 0; i < 100; ++i) {
      controller_->RecordOutcome(v1.version, 0.9, i % wrong_every ? 1 : 0);
      controller_->RecordOutcome(v2.version, 0.9, i % wrong_every ? 1 : 0);
    }
    clock_.AdvanceTo(clock_.Now() + 60);
    ASSERT_EQ(Tick().action, Action::kPromoted);
  }

  // `candidate` in canary at 50%, whose validation predictions were all low (0.01-0.0106)
  // while the 400 live requests sent score across the range: its prediction-drift guard
  // (PSI above 0.25) is due to fire.
  void StartDriftingCanary(const ModelVersion& candidate, config::RolloutConfig config) {
    config.guard.max_prediction_psi = 0.25;
    Start(config);
    std::vector<float> validation;
    for (int i = 0; i < 500; ++i) validation.push_back(0.01f + 0.0001f * static_cast<float>(i % 7));
    controller_->SetValidationPredictions(candidate.version, validation);
    ASSERT_EQ(Tick().action, Action::kStarted);
    Send(400);
  }

  // Every rollout decision of the model has exactly one audit entry naming it.
  void ExpectEveryDecisionAudited(size_t decisions) {
    auto all = registry_->ListDecisions("toy", 0, "rollout:");
    ASSERT_TRUE(all.ok());
    std::vector<int64_t> ids;
    for (const auto& d : *all) ids.push_back(d.id);
    EXPECT_EQ(ids.size(), decisions);
    auto audit = registry_->Audit();
    ASSERT_TRUE(audit.ok());
    for (int64_t id : ids) {
      int entries = 0;
      for (const auto& e : *audit) {
        if (e.action.rfind("rollout_", 0) != 0) continue;
        if (nlohmann::json::parse(e.details_json).value("decision_id", int64_t{0}) == id) ++entries;
      }
      EXPECT_EQ(entries, 1) << "decision " << id;
    }
    EXPECT_TRUE(registry_->VerifyAuditChain().ok());
  }

  testutil::TempDir dir_;
  std::unique_ptr<registry::Registry> registry_;
  core::VirtualClock clock_{1'700'000'000};
  serve::PredictionService service_{serve::PredictionService::Options{}};
  serve::ModelSlot& slot_ = service_.AddModel("toy");
  std::unique_ptr<RolloutController> controller_;
};

TEST_F(RolloutTest, CanaryPromotesWhenGuardsHold) {
  ModelVersion v1 = Add(3, 0, VersionState::kChampion);
  ModelVersion v2 = Add(3, 1, VersionState::kApproved);
  Start(Canary({0.1, 0.5}));

  EXPECT_EQ(Tick().action, Action::kStarted);
  EXPECT_EQ(State(v2), VersionState::kCanary);
  auto first = Send(1000);
  EXPECT_GT(first["2"], 50);  // about 10%
  EXPECT_LT(first["2"], 160);
  EXPECT_EQ(first["1"] + first["2"], 1000);

  EXPECT_EQ(Tick().action, Action::kNone) << "the step has not lasted step_duration yet";
  clock_.AdvanceTo(clock_.Now() + 60);
  TickResult advanced = Tick();
  EXPECT_EQ(advanced.action, Action::kAdvanced);
  EXPECT_THAT(advanced.reason, HasSubstr("step 2/2, 50% of traffic"));
  auto second = Send(1000);
  EXPECT_GT(second["2"], 420);
  EXPECT_LT(second["2"], 580);

  clock_.AdvanceTo(clock_.Now() + 60);
  EXPECT_EQ(Tick().action, Action::kPromoted);
  EXPECT_EQ(State(v2), VersionState::kChampion);
  EXPECT_EQ(State(v1), VersionState::kRetired);
  EXPECT_EQ(Send(50)["2"], 50);
  EXPECT_EQ(controller_->status().phase, Phase::kIdle);
  ExpectEveryDecisionAudited(3);  // start, step 2, promotion
}

TEST_F(RolloutTest, ErrorRateAlarmRollsBackTheCanary) {
  ModelVersion v1 = Add(3, 0, VersionState::kChampion);
  // A challenger that needs four features: every request of three values fails on it.
  ModelVersion v2 = Add(4, 1, VersionState::kApproved);
  Start(Canary({0.2, 0.5}));
  ASSERT_EQ(Tick().action, Action::kStarted);
  auto sent = Send(400);
  EXPECT_GT(sent["2:error"], 40);

  TickResult result = Tick();  // before the step ends: an alarm does not wait
  EXPECT_EQ(result.action, Action::kRolledBack);
  EXPECT_THAT(result.reason, HasSubstr("error_rate_increase"));
  EXPECT_EQ(State(v2), VersionState::kRolledBack);
  EXPECT_EQ(State(v1), VersionState::kChampion);
  EXPECT_EQ(Send(100)["1"], 100);
  auto decision = registry_->GetDecision(*result.decision_id);
  ASSERT_TRUE(decision.ok() && *decision);
  EXPECT_EQ((*decision)->action, "rollback");
  EXPECT_EQ((*decision)->version_id, v2.id);
  auto signals = nlohmann::json::parse((*decision)->signals_json);
  EXPECT_TRUE(signals["error_rate_increase"]["fired"].get<bool>());
  EXPECT_NEAR(signals["error_rate_increase"]["value"].get<double>(), 1.0, 1e-9);
  ExpectEveryDecisionAudited(2);
}

TEST_F(RolloutTest, WatchAfterPromotionRollsBackToThePreviousChampion) {
  ModelVersion v1 = Add(3, 0, VersionState::kChampion);
  ModelVersion v2 = Add(3, 1, VersionState::kApproved);
  config::RolloutConfig config = Canary({0.5});
  config.watch = 3600;
  // Labels during the rollout: both versions right 90% of the time.
  ASSERT_NO_FATAL_FAILURE(PromoteAfterLabels(config, v1, v2, 10));
  EXPECT_EQ(controller_->status().phase, Phase::kWatching);
  Send(200);
  clock_.AdvanceTo(clock_.Now() + 600);
  EXPECT_EQ(Tick().action, Action::kNone);
  // Then the new champion's late labels go bad: 60% right.
  for (int i = 0; i < 300; ++i) controller_->RecordOutcome(v2.version, 0.9, i % 10 < 6 ? 1 : 0);
  TickResult result = Tick();
  EXPECT_EQ(result.action, Action::kRolledBack);
  EXPECT_THAT(result.reason, HasSubstr("accuracy_loss"));
  EXPECT_EQ(State(v2), VersionState::kRolledBack);
  EXPECT_EQ(State(v1), VersionState::kChampion);
  EXPECT_EQ(Send(50)["1"], 50);
  ExpectEveryDecisionAudited(3);  // start, promotion, rollback
}

// With the rows' features, the watch asks the previous champion about the same labelled rows
// the new one answered: a period on which both do worse is no reason to roll back, a new
// champion worse than the old one on those rows is.
TEST_F(RolloutTest, WatchComparesBothChampionsOnTheSameLabelledRows) {
  ModelVersion v1 = Add(3, 0, VersionState::kChampion);
  ModelVersion v2 = Add(3, 1, VersionState::kApproved);
  config::RolloutConfig config = Canary({0.5});
  config.watch = 3600;
  config.guard.min_labels = 50;
  config.guard.max_metric_loss = 0.05;
  // During the rollout both versions were right 95% of the time.
  ASSERT_NO_FATAL_FAILURE(PromoteAfterLabels(config, v1, v2, 20));
  auto v1_model = serve::ServedModel::LoadVersion(*registry_, v1, service_.metrics());
  ASSERT_TRUE(v1_model.ok());
  // A harder period: v2 answers each row with v1's own prediction, and the labels agree with
  // it only 70% of the time. Against v1's 95% from before, v2 looks 0.25 worse; on the same
  // rows it is exactly as good as v1 would have been.
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(0.0f, 1.0f);
  for (int i = 0; i < 200; ++i) {
    const float x[3] = {uniform(rng), uniform(rng), uniform(rng)};
    std::vector<float> p;
    ASSERT_TRUE((*v1_model)->Predict(x, 1, &p).ok());
    const double right = p[0] >= 0.5 ? 1 : 0;
    controller_->RecordOutcome(v2.version, p[0], i % 10 < 7 ? right : 1 - right, x);
  }
  clock_.AdvanceTo(clock_.Now() + 60);
  TickResult held = Tick();
  EXPECT_EQ(held.action, Action::kNone) << held.reason;
  const RolloutStatus status = controller_->status();
  ASSERT_EQ(status.phase, Phase::kWatching);
  bool judged = false;
  for (const GuardReading& g : status.guards) {
    if (g.name != "accuracy_loss") continue;
    judged = true;
    EXPECT_NEAR(g.value, 0.0, 1e-12);
    EXPECT_THAT(g.note, HasSubstr("on the same 200 labelled rows since the promotion"));
  }
  EXPECT_TRUE(judged);
  // Then v2 goes wrong where v1 was right: 60% of the rows, on the same rows.
  for (int i = 0; i < 400; ++i) {
    const float x[3] = {uniform(rng), uniform(rng), uniform(rng)};
    std::vector<float> p;
    ASSERT_TRUE((*v1_model)->Predict(x, 1, &p).ok());
    const double right = p[0] >= 0.5 ? 1 : 0;
    const double v2_prediction = i % 10 < 6 ? 1 - right : right;
    controller_->RecordOutcome(v2.version, v2_prediction, right, x);
  }
  TickResult result = Tick();
  EXPECT_EQ(result.action, Action::kRolledBack);
  EXPECT_THAT(result.reason, HasSubstr("on the same 600 labelled rows"));
  EXPECT_EQ(State(v1), VersionState::kChampion);
}

TEST_F(RolloutTest, WatchEndsWhenTheNewChampionHolds) {
  Add(3, 0, VersionState::kChampion);
  ModelVersion v2 = Add(3, 1, VersionState::kApproved);
  config::RolloutConfig config = Canary({0.5});
  config.watch = 600;
  Start(config);
  ASSERT_EQ(Tick().action, Action::kStarted);
  Send(100);
  clock_.AdvanceTo(clock_.Now() + 60);
  ASSERT_EQ(Tick().action, Action::kPromoted);
  Send(100);
  clock_.AdvanceTo(clock_.Now() + 600);
  EXPECT_EQ(Tick().action, Action::kWatchEnded);
  EXPECT_EQ(State(v2), VersionState::kChampion);
  EXPECT_EQ(Tick().action, Action::kNone);
  ExpectEveryDecisionAudited(3);
}

TEST_F(RolloutTest, StepsWaitForRequestCountsToo) {
  Add(3, 0, VersionState::kChampion);
  Add(3, 1, VersionState::kApproved);
  config::RolloutConfig config = Canary({0.5, 1.0});
  config.strategy = config::RolloutConfig::Strategy::kLinear;
  config.step_duration = 0;
  config.step_requests = 100;
  Start(config);
  ASSERT_EQ(Tick().action, Action::kStarted);
  Send(100);  // about 50 reach the challenger
  EXPECT_EQ(Tick().action, Action::kNone);
  Send(200);
  EXPECT_EQ(Tick().action, Action::kAdvanced);
  EXPECT_EQ(Send(100)["2"], 100) << "a 100% step sends everything to the challenger";
  EXPECT_EQ(Tick().action, Action::kPromoted);
}

TEST_F(RolloutTest, ShadowAnswersWithTheChampionAndPromotesAfterItsStep) {
  Add(3, 0, VersionState::kChampion);
  ModelVersion v2 = Add(3, 1, VersionState::kApproved);
  config::RolloutConfig config = Canary({});
  config.strategy = config::RolloutConfig::Strategy::kShadow;
  Start(config);
  ASSERT_EQ(Tick().action, Action::kStarted);
  EXPECT_EQ(Send(300)["1"], 300) << "a shadow never answers";
  auto shadow = slot_.route()->challenger->metrics().Shadowed();
  EXPECT_EQ(shadow.requests[0], 300u);
  EXPECT_EQ(slot_.route()->challenger->metrics().Served().total(), 0u);
  clock_.AdvanceTo(clock_.Now() + 60);
  EXPECT_EQ(Tick().action, Action::kPromoted);
  EXPECT_EQ(State(v2), VersionState::kChampion);
}

TEST_F(RolloutTest, PredictionDriftAgainstValidationPredictionsRollsBack) {
  Add(3, 0, VersionState::kChampion);
  ModelVersion v2 = Add(3, 1, VersionState::kApproved);
  // Its validation rows looked nothing like the traffic it now sees.
  ASSERT_NO_FATAL_FAILURE(StartDriftingCanary(v2, Canary({0.5})));
  TickResult result = Tick();
  EXPECT_EQ(result.action, Action::kRolledBack);
  EXPECT_THAT(result.reason, HasSubstr("prediction_psi"));
}

// An operator promotes a canary whose prediction-drift guard has fired (`mlloop rollout
// promote` in another process): the watch that follows judges the new champion afresh, as
// after a promotion by the controller, and does not roll it back on the canary's drift.
TEST_F(RolloutTest, APromotionElsewhereStartsTheWatchAfresh) {
  ModelVersion v1 = Add(3, 0, VersionState::kChampion);
  ModelVersion v2 = Add(3, 1, VersionState::kApproved);
  config::RolloutConfig config = Canary({0.5});
  config.watch = 3600;
  ASSERT_NO_FATAL_FAILURE(StartDriftingCanary(v2, config));
  ASSERT_TRUE(registry_->Transition(v2.id, VersionState::kChampion, "bob", "ship it", clock_.Now()).ok());
  EXPECT_EQ(Tick().action, Action::kFollowed);
  EXPECT_EQ(controller_->status().phase, Phase::kWatching);
  Send(200);
  TickResult watched = Tick();
  EXPECT_EQ(watched.action, Action::kNone) << watched.reason;
  EXPECT_EQ(State(v2), VersionState::kChampion);
  EXPECT_EQ(State(v1), VersionState::kRetired);
}

TEST_F(RolloutTest, OperatorAbortAndRegistryChangesAreFollowed) {
  ModelVersion v1 = Add(3, 0, VersionState::kChampion);
  ModelVersion v2 = Add(3, 1, VersionState::kApproved);
  Start(Canary({0.5}));
  ASSERT_EQ(Tick().action, Action::kStarted);
  // Another process (mlloop rollout abort) rolls the canary back in the registry.
  ASSERT_TRUE(registry_->Transition(v2.id, VersionState::kRolledBack, "bob", "no", clock_.Now()).ok());
  EXPECT_EQ(Tick().action, Action::kFollowed);
  EXPECT_EQ(Send(50)["1"], 50);
  // A later version, aborted here by an operator.
  ModelVersion v3 = Add(3, 2, VersionState::kApproved);
  ASSERT_EQ(Tick().action, Action::kStarted);
  auto aborted = controller_->Abort("carol", "not today");
  ASSERT_TRUE(aborted.ok()) << aborted.status().ToString();
  EXPECT_EQ(State(v3), VersionState::kRolledBack);
  EXPECT_EQ(State(v1), VersionState::kChampion);
  EXPECT_FALSE(controller_->Abort("carol", "again").ok());
}

TEST_F(RolloutTest, StickyKeysKeepAnEntityOnOneVersion) {
  Add(3, 0, VersionState::kChampion);
  Add(3, 1, VersionState::kApproved);
  config::RolloutConfig config = Canary({0.3});
  config.sticky_source = config::RolloutConfig::StickySource::kField;
  config.sticky_name = "user";
  Start(config);
  ASSERT_EQ(Tick().action, Action::kStarted);
  int challenger_users = 0;
  for (int user = 0; user < 200; ++user) {
    std::set<std::string> seen;
    for (int i = 0; i < 5; ++i) {
      const std::string body =
          "{\"user\": \"u" + std::to_string(user) + "\", \"instances\": [[0.1, 0.2, 0.3]]}";
      const serve::HttpResponse response = serve::testing::PredictToy(service_, body);
      ASSERT_EQ(response.status, 200) << response.body;
      seen.insert(response.model_version);
    }
    EXPECT_EQ(seen.size(), 1u) << "user " << user;
    challenger_users += seen.count("2");
  }
  EXPECT_GT(challenger_users, 35);  // about 30% of 200
  EXPECT_LT(challenger_users, 85);
}

}  // namespace
}  // namespace mlloop::rollout

namespace mlloop::rollout {
namespace {

// Zero downtime: rollouts stepped, promoted and rolled back many times while two HTTP clients
// (cpp-httplib, independent of the server's Beast) send requests; none may fail, and every
// response names a version of the model.
TEST_F(RolloutTest, RolloutsUnderHttpLoadFailNoRequest) {
  Add(3, 0, VersionState::kChampion);
  config::RolloutConfig config = Canary({0.1, 0.5, 1.0});
  config.step_duration = 1;
  config.guard.min_requests = 1'000'000;  // no verdicts: this test is about the swaps
  Start(config);
  serve::HttpServer::Options options;
  auto server = serve::HttpServer::Start(
      options, [this](const serve::HttpRequest& request, serve::HttpResponse* response) {
        service_.Handle(request, response);
      });
  ASSERT_TRUE(server.ok()) << server.status().ToString();
  const std::string artifacts[2] = {TrainArtifact(3, 0), TrainArtifact(3, 1)};

  constexpr int kRollouts = 15;
  std::atomic<bool> stop{false};
  std::atomic<int> failed{0}, ok{0};
  std::atomic<int64_t> highest_version{0};
  auto client_loop = [&] {
    httplib::Client client("127.0.0.1", (*server)->port());
    client.set_keep_alive(true);
    client.set_tcp_nodelay(true);
    client.set_read_timeout(5);
    while (!stop.load()) {
      auto res = client.Post("/v1/models/toy:predict", R"({"instances": [[0.5, 0.25, 0.75]]})",
                             "application/json");
      if (!res || res->status != 200 || res->get_header_value("X-Model-Version").empty()) {
        ++failed;
        continue;
      }
      const int64_t v = std::stoll(res->get_header_value("X-Model-Version"));
      int64_t seen = highest_version.load();
      while (v > seen && !highest_version.compare_exchange_weak(seen, v)) {
      }
      ++ok;
    }
  };
  std::thread a(client_loop), b(client_loop);
  int rollouts = 0, promoted = 0, rolled_back = 0, route_changes = 0;
  while (rollouts < kRollouts) {
    auto v = registry_->Register("toy", artifacts[rollouts % 2], registry::Lineage{}, std::nullopt,
                                 "pipeline", clock_.Now());
    ASSERT_TRUE(v.ok());
    ASSERT_TRUE(registry_->Transition(v->id, VersionState::kValidated, "t", "ok", clock_.Now()).ok());
    ASSERT_TRUE(registry_->Approve(v->id, "alice", "ok", clock_.Now()).ok());
    ASSERT_EQ(Tick().action, Action::kStarted);
    ++route_changes;
    ++rollouts;
    for (int step = 0; step < 3; ++step) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
      clock_.AdvanceTo(clock_.Now() + 1);
      if (rollouts % 3 == 0 && step == 1) {
        ASSERT_TRUE(controller_->Abort("bob", "drill").ok());
        ++rolled_back;
        ++route_changes;
        break;
      }
      const Action action = Tick().action;
      ++route_changes;
      if (action == Action::kPromoted) ++promoted;
    }
    if (controller_->status().phase != Phase::kIdle) {
      ASSERT_TRUE(controller_->Abort("bob", "unfinished").ok());
    }
  }
  stop = true;
  a.join();
  b.join();
  EXPECT_EQ(failed.load(), 0);
  EXPECT_GE(ok.load(), 500) << "too few requests during the rollouts to mean anything";
  EXPECT_EQ(promoted, 10);  // every rollout but the aborted third ones
  EXPECT_EQ(rolled_back, 5);
  EXPECT_GE(highest_version.load(), 3);
  std::cout << "[          ] " << ok.load() << " requests, " << rollouts
            << " rollouts, " << route_changes << " route changes (" << promoted << " promoted, "
            << rolled_back << " rolled back), 0 failed\n";
  (*server)->Shutdown();
}

}  // namespace
}  // namespace mlloop::rollout
