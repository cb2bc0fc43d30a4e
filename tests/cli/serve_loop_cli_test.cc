// `mlloop serve` closing the loop by itself: started on a store that `mlloop simulate` made
// from the Elec2 example, fed traffic and late labels over HTTP, it logs them, retrains on
// the labelled rows, validates, and — through its rollout controller — canaries the new
// version step by step, promotes it and watches it, or (with --no-rollout) promotes at once;
// an operator can abort a rollout over the admin API; no request fails; SIGTERM flushes the
// log.
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>

#include <atomic>
#include <filesystem>
#include <functional>
#include <map>
#include <optional>
#include <sstream>
#include <nlohmann/json.hpp>
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
std::string ShortElec2Config(const std::string& rollout = "") {
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
         "simulation: {label_delay: 30m, initial_rows: 45000}\n" + rollout;
}

// A rollout short enough for a test: a canary at 20% then 50%, each step at least 60
// requests of the canary, a 2 s watch; loose guard limits (the canary is a real model on real
// traffic; these tests are about the steps, the guards' verdicts are tested in
// tests/rollout).
std::string ShortRollout() {
  return "rollout:\n"
         "  strategy: canary\n"
         "  steps: [0.2, 0.5]\n"
         "  step_duration: 0s\n"
         "  step_requests: 60\n"
         "  guard: {min_requests: 30, max_latency_p99_ratio: 20, max_prediction_psi: 5,\n"
         "          min_labels: 20, max_metric_loss: 0.5}\n"
         "  watch: 2s\n";
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

// Traffic from two clients: one sends rows 44000, 44001, ... (from 44000 again after the
// last row) with request ids and each row's true label 50 requests late, in batches of 50
// (as a labelling job would); the other only predicts, all the time. Runs until
// `done(answer)` says so (asked after each of the first client's answers) or `timeout`
// passes; true when `done` said so.
struct Traffic {
  std::atomic<int> failed{0}, answered{0};
  std::map<std::string, int> versions;  // the first client's answers, by version
  std::string last_version;

  bool Run(int port, const core::Dataset& data,
           const std::function<bool(const std::string& version)>& done,
           std::chrono::seconds timeout = std::chrono::seconds(30)) {
    std::atomic<bool> stop{false};
    std::thread other([&] {
      httplib::Client client("127.0.0.1", port);
      client.set_read_timeout(5);
      for (size_t i = 0; !stop; i = (i + 1) % 200) {
        auto res = client.Post("/v1/models/elec2:predict", Row(data, 44000 + i), "application/json");
        if (!res || res->status != 200) ++failed;
        ++answered;
      }
    });
    httplib::Client client("127.0.0.1", port);
    client.set_read_timeout(5);
    std::string labels;
    bool finished = false;
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    for (; std::chrono::steady_clock::now() < deadline; ++next_) {
      const size_t i = RowOf(data, next_);
      const std::string id = "request-" + std::to_string(next_);
      auto res = client.Post("/v1/models/elec2:predict", {{"X-Request-Id", id}}, Row(data, i),
                             "application/json");
      if (!res || res->status != 200) {
        ++failed;
        continue;
      }
      ++answered;
      last_version = VersionIn(res->body);
      ++versions[last_version];
      if (next_ >= 50) {
        const size_t labelled = next_ - 50;
        labels += std::string(labels.empty() ? "" : ", ") + "{\"id\": \"request-" +
                  std::to_string(labelled) + "\", \"label\": " +
                  (data.y[RowOf(data, labelled)] == 1.0f ? "\"UP\"" : "\"DOWN\"") + "}";
        if ((next_ + 1) % 50 == 0) {
          auto fed = client.Post("/v1/models/elec2/feedback", "{\"feedback\": [" + labels + "]}",
                                 "application/json");
          if (!fed || fed->status != 200 || fed->body.find("\"not_joined\":0") == std::string::npos) {
            std::string bad = fed ? fed->body : "no answer";
            if (fed) {
              auto j = nlohmann::json::parse(fed->body);
              bad.clear();
              for (auto& r : j["results"]) if (r["status"] != "joined") bad += r.dump();
            }
            ADD_FAILURE() << "feedback at request " << next_ << ": " << bad;
            ++failed;
          }
          labels.clear();
        }
      }
      if (done(last_version)) {
        finished = true;
        ++next_;
        break;
      }
    }
    stop = true;
    other.join();
    return finished;
  }

 private:
  // The data row of the n-th request.
  static size_t RowOf(const core::Dataset& data, size_t n) {
    return 44000 + n % (data.rows() - 44000);
  }
  size_t next_ = 0;  // requests of the labelled client so far
};

// GET /v1/admin/models/elec2/rollout, parsed; null on any failure.
nlohmann::json RolloutStatus(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5);
  auto res = client.Get("/v1/admin/models/elec2/rollout");
  if (!res || res->status != 200) return nullptr;
  return nlohmann::json::parse(res->body, nullptr, false);
}

struct Elec2Store {
  testutil::TempDir dir;
  std::string store = dir.File("store");
  std::string first_version;
  core::Dataset data;

  // `mlloop simulate` on the short config (with `rollout`), into `store`.
  void Make(const std::string& rollout) {
    const std::string config_path = dir.File("elec2.yaml");
    testutil::WriteFile(config_path, ShortElec2Config(rollout));
    testutil::CommandResult simulated =
        testutil::RunMlloop("simulate " + config_path + " --store " + store + " -q");
    ASSERT_EQ(simulated.exit_code, 0) << simulated.output;
    first_version = Champion();
    ASSERT_FALSE(first_version.empty());
    auto config = config::LoadModelConfig(config_path);
    ASSERT_TRUE(config.ok()) << config.status().ToString();
    auto read = io::ReadCsv(config->data_path, config->schema);
    ASSERT_TRUE(read.ok()) << read.status().ToString();
    data = std::move(read).value();
  }

  // The registry's champion now, as responses name it ("59"); "" when there is none.
  std::string Champion() const {
    auto registry = registry::Registry::Open(store);
    if (!registry.ok()) return "";
    auto champion = (*registry)->Champion("elec2");
    return champion.ok() && champion->has_value() ? std::to_string((*champion)->version) : "";
  }
};

TEST(ServeLoopCliTest, RetrainsOnLoggedLabelsAndSwapsInTheNewChampionWithoutAFailedRequest) {
  Elec2Store elec2;
  ASSERT_NO_FATAL_FAILURE(elec2.Make(""));
  const std::string& store = elec2.store;
  testutil::ServeProcess serve({"--store", store, "--port", "0", "--tick", "0.2",
                                "--reload-interval", "0", "--log-flush-ms", "10",
                                "--no-rollout"});
  const int port = serve.Port();
  ASSERT_GT(port, 0) << serve.output();
  ASSERT_TRUE(serve.ReadUntil("promotes what passes validation at once")) << serve.output();
  EXPECT_THAT(serve.output(), HasSubstr("the controller ticks every 200 ms on 0 labelled rows"));

  Traffic traffic;
  const bool swapped = traffic.Run(port, elec2.data, [&](const std::string& version) {
    return version != elec2.first_version;
  });
  const std::string new_version = traffic.last_version;
  ASSERT_TRUE(swapped) << "no new version served within 30 s\n" << serve.output();
  EXPECT_EQ(traffic.failed, 0);
  EXPECT_GT(traffic.answered, 250);
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

  // No file holds those rows, so their snapshot was stored with the version, and `mlloop
  // reproduce` trains the same artifact from it.
  EXPECT_TRUE((*registry)->HasDataSnapshot(**champion));
  testutil::CommandResult again = testutil::RunMlloop("reproduce " + new_version + " --json --store " + store);
  ASSERT_EQ(again.exit_code, 0) << again.output;
  const nlohmann::json j = nlohmann::json::parse(again.output);
  EXPECT_TRUE(j["identical"].get<bool>()) << again.output;
  EXPECT_EQ(j["reproduced_artifact_sha256"], (*champion)->artifact_sha256);
  ASSERT_EQ(j["inputs"].back()["name"], "training rows") << again.output;
  EXPECT_THAT(j["inputs"].back()["detail"].get<std::string>(), HasSubstr("the stored snapshot of rows"));
  testutil::CommandResult lineage =
      testutil::RunMlloop("models lineage " + new_version + " --json --store " + store);
  ASSERT_EQ(lineage.exit_code, 0) << lineage.output;
  EXPECT_TRUE(nlohmann::json::parse(lineage.output)["data"]["snapshot_stored"].get<bool>());
}

// The online metric, as /metrics shows it after a tick; nullopt until it has one.
std::optional<double> OnlineMetric(int port) {
  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5);
  auto res = client.Get("/metrics");
  if (!res || res->status != 200) return std::nullopt;
  const std::string key = "mlloop_loop_metric{model=\"elec2\",metric=\"accuracy\"} ";
  const size_t at = res->body.find(key);
  if (at == std::string::npos) return std::nullopt;
  return std::stod(res->body.substr(at + key.size()));
}

// Polls OnlineMetric() for up to 10 s until `want(value)`.
std::optional<double> AwaitOnlineMetric(int port, const std::function<bool(double)>& want) {
  std::optional<double> seen;
  for (int i = 0; i < 100; ++i) {
    seen = OnlineMetric(port);
    if (seen && want(*seen)) return seen;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return seen;
}

// A server answers 100 requests and gets labels for 60 of them, and restarts; the other 40
// labels come after the restart. The restarted server's online metric is the accuracy of all
// 100 answers: the monitor was rebuilt from the log, so it still scores labels of
// predictions made before the restart (with day-late labels, all of them for a day).
TEST(ServeLoopCliTest, ARestartedServerScoresLabelsOfPredictionsMadeBeforeIt) {
  Elec2Store elec2;
  ASSERT_NO_FATAL_FAILURE(elec2.Make(""));
  const std::vector<std::string> args = {"--store", elec2.store, "--port", "0", "--tick", "0.2",
                                         "--log-flush-ms", "10", "--no-rollout"};
  std::vector<std::string> labels;
  int correct = 0;
  auto feedback = [&](int port, size_t begin, size_t end) {
    std::string body;
    for (size_t i = begin; i < end; ++i) body += (body.empty() ? "" : ", ") + labels[i];
    httplib::Client client("127.0.0.1", port);
    auto fed = client.Post("/v1/models/elec2/feedback", "{\"feedback\": [" + body + "]}",
                           "application/json");
    ASSERT_TRUE(fed);
    EXPECT_THAT(fed->body, HasSubstr("\"joined\":" + std::to_string(end - begin) + ","));
  };
  {
    testutil::ServeProcess serve(args);
    const int port = serve.Port();
    ASSERT_GT(port, 0) << serve.output();
    httplib::Client client("127.0.0.1", port);
    for (size_t i = 0; i < 100; ++i) {
      const size_t row = 44000 + i;
      auto res = client.Post("/v1/models/elec2:predict", {{"X-Request-Id", "r" + std::to_string(i)}},
                             Row(elec2.data, row), "application/json");
      ASSERT_TRUE(res && res->status == 200);
      const double p = nlohmann::json::parse(res->body)["predictions"][0].get<double>();
      const bool up = elec2.data.y[row] == 1.0f;
      correct += (p >= 0.5) == up;
      labels.push_back("{\"id\": \"r" + std::to_string(i) + "\", \"label\": " +
                       (up ? "\"UP\"" : "\"DOWN\"") + "}");
    }
    ASSERT_NO_FATAL_FAILURE(feedback(port, 0, 60));
    std::optional<double> before = AwaitOnlineMetric(port, [](double) { return true; });
    ASSERT_TRUE(before.has_value()) << serve.output();
    serve.Signal(SIGTERM);
    EXPECT_EQ(serve.Wait(), 0);
  }
  testutil::ServeProcess serve(args);
  const int port = serve.Port();
  ASSERT_GT(port, 0) << serve.output();
  ASSERT_NO_FATAL_FAILURE(feedback(port, 60, 100));
  const double expected = correct / 100.0;
  std::optional<double> after =
      AwaitOnlineMetric(port, [&](double v) { return std::abs(v - expected) < 1e-9; });
  ASSERT_TRUE(after.has_value()) << "no online metric after the restart\n" << serve.output();
  EXPECT_NEAR(*after, expected, 1e-9);
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(), 0);
}

// The whole loop as a user runs it: serve, traffic, late labels — and the server retrains,
// validates, canaries the new version at 20% then 50% of the traffic, promotes it, watches
// it and ends the watch, by itself; every step is a decision and an audit entry.
TEST(ServeLoopCliTest, RetrainsCanariesAndPromotesByItselfUnderTraffic) {
  Elec2Store elec2;
  ASSERT_NO_FATAL_FAILURE(elec2.Make(ShortRollout()));
  testutil::ServeProcess serve({"--store", elec2.store, "--port", "0", "--tick", "0.2",
                                "--rollout-interval", "0.2", "--log-flush-ms", "10"});
  const int port = serve.Port();
  ASSERT_GT(port, 0) << serve.output();
  ASSERT_TRUE(serve.ReadUntil("judged every")) << serve.output();
  EXPECT_THAT(serve.output(), HasSubstr("approved versions roll out (canary)"));

  // Until the rollout went through rolling and back to idle; the admin API says where it is.
  Traffic traffic;
  std::vector<nlohmann::json> seen;  // each new (phase, step) the admin API reported
  int asked = 0;
  const bool finished = traffic.Run(port, elec2.data, [&](const std::string&) {
    if (++asked % 10 != 0) return false;
    nlohmann::json status = RolloutStatus(port);
    if (status.is_null()) return false;
    if (seen.empty() || seen.back()["phase"] != status["phase"] ||
        seen.back()["step"] != status["step"]) {
      seen.push_back(status);
    }
    return seen.size() > 1 && status["phase"] == "idle";
  }, std::chrono::seconds(60));
  ASSERT_TRUE(finished) << "the rollout did not finish within 60 s\n" << serve.output();
  EXPECT_EQ(traffic.failed, 0);

  // The admin API showed the canary's steps with their shares, then the watch.
  std::vector<std::string> phases;
  for (const auto& s : seen) {
    phases.push_back(s["phase"].get<std::string>() + "/" + std::to_string(s["step"].get<int>()));
  }
  EXPECT_THAT(phases, ::testing::IsSupersetOf({"rolling/1", "watching/0", "idle/0"}))
      << nlohmann::json(seen).dump(1);
  std::string new_version;
  for (const auto& s : seen) {
    if (s["phase"] != "rolling") continue;
    new_version = std::to_string(s["challenger"]["version"].get<int>());
    EXPECT_EQ(s["champion"]["version"].get<int>(), std::stoi(elec2.first_version));
    EXPECT_EQ(s["strategy"], "canary");
    EXPECT_EQ(s["steps"], 2);
    EXPECT_DOUBLE_EQ(s["weight"].get<double>(), s["step"] == 1 ? 0.2 : 0.5);
  }
  ASSERT_FALSE(new_version.empty());
  // Both versions answered the labelled client: the canary its share, then everything.
  EXPECT_GT(traffic.versions[elec2.first_version], 0);
  EXPECT_GT(traffic.versions[new_version], 0);

  // /metrics tells the same story, with the controller's drift and signal values.
  {
    httplib::Client client("127.0.0.1", port);
    auto metrics = client.Get("/metrics");
    ASSERT_TRUE(metrics && metrics->status == 200);
    for (const std::string line :
         {"mlloop_rollout_actions_total{model=\"elec2\",action=\"promoted\"} 1",
          "mlloop_rollout_actions_total{model=\"elec2\",action=\"advanced\"} 1",
          "mlloop_rollout_phase{model=\"elec2\",phase=\"idle\"} 1",
          "mlloop_loop_retrains_total{model=\"elec2\",outcome=\"handed_off\"} ",
          "mlloop_loop_signal_value{model=\"elec2\",signal=\"new_labels\",path=\"trigger\"} ",
          "mlloop_loop_feature_psi{model=\"elec2\",feature=\"nswprice\"} ",
          "mlloop_loop_metric{model=\"elec2\",metric=\"accuracy\"} "}) {
      EXPECT_THAT(metrics->body, HasSubstr(line));
    }
  }
  ASSERT_TRUE(serve.ReadUntil("rollout: watch_ended")) << serve.output();
  EXPECT_THAT(serve.output(), HasSubstr("v" + new_version + " approved, handed to the rollout"));
  EXPECT_THAT(serve.output(), HasSubstr("rollout: started: started the canary rollout of elec2 v" +
                                        new_version + " against elec2 v" + elec2.first_version +
                                        ": step 1/2, 20% of traffic"));
  EXPECT_THAT(serve.output(), HasSubstr("rollout: advanced: elec2 v" + new_version +
                                        ": step 2/2, 50% of traffic; every guard held"));
  EXPECT_THAT(serve.output(), HasSubstr("rollout: promoted: promoted elec2 v" + new_version));
  EXPECT_THAT(serve.output(), HasSubstr("the controller now judges elec2 v" + new_version));
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(), 0);

  // The registry holds the story: the new champion and its rollout's decisions and audit.
  EXPECT_EQ(elec2.Champion(), new_version);
  auto registry = registry::Registry::Open(elec2.store);
  ASSERT_TRUE(registry.ok());
  auto audit = (*registry)->Audit();
  ASSERT_TRUE(audit.ok());
  std::vector<std::string> steps;
  for (const registry::AuditEntry& e : *audit) {
    if (e.subject == "elec2 v" + new_version && e.action.rfind("rollout_", 0) == 0) {
      steps.push_back(e.action);
      EXPECT_EQ(e.actor, "mlloop-rollout");
    }
  }
  EXPECT_THAT(steps, ::testing::ElementsAre("rollout_start", "rollout_step", "rollout_promote",
                                            "rollout_watch_end"));
}

// In shadow the new version predicts a copy of every request and only the champion answers;
// the shadow's answers are logged, joined to the labels, and judged by the online-metric
// guard before the promotion.
TEST(ServeLoopCliTest, AShadowIsJudgedOnLabelsOfItsLoggedAnswersBeforeItsPromotion) {
  Elec2Store elec2;
  ASSERT_NO_FATAL_FAILURE(elec2.Make(
      "rollout: {strategy: shadow, step_duration: 0s, step_requests: 400, watch: 0s,\n"
      "          guard: {min_requests: 30, max_latency_p99_ratio: 0, max_prediction_psi: 0,\n"
      "                  min_labels: 20, max_metric_loss: 0.5}}\n"));
  testutil::ServeProcess serve({"--store", elec2.store, "--port", "0", "--tick", "0.2",
                                "--rollout-interval", "0.2", "--log-flush-ms", "10"});
  const int port = serve.Port();
  ASSERT_GT(port, 0) << serve.output();
  Traffic traffic;
  bool shadowed = false;
  int asked = 0;
  const bool finished = traffic.Run(port, elec2.data, [&](const std::string&) {
    if (++asked % 10 != 0) return false;
    nlohmann::json status = RolloutStatus(port);
    if (status.is_null()) return false;
    shadowed |= status["phase"] == "rolling";
    return shadowed && status["phase"] == "idle";
  }, std::chrono::seconds(60));  // as the canary test: a loaded machine is slow
  ASSERT_TRUE(finished) << serve.output();
  EXPECT_EQ(traffic.failed, 0);
  ASSERT_TRUE(serve.ReadUntil("rollout: promoted: promoted elec2 v")) << serve.output();
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(), 0);

  EXPECT_NE(elec2.Champion(), elec2.first_version);
  auto registry = registry::Registry::Open(elec2.store);
  ASSERT_TRUE(registry.ok());
  auto decisions = (*registry)->ListDecisions("elec2");
  ASSERT_TRUE(decisions.ok()) << decisions.status().ToString();
  bool judged = false;
  for (const registry::Decision& d : *decisions) {
    if (d.policy != "rollout:shadow" || d.reason.rfind("promoted", 0) != 0) continue;
    const nlohmann::json signals = nlohmann::json::parse(d.signals_json);
    ASSERT_TRUE(signals.contains("accuracy_loss")) << d.signals_json;
    EXPECT_FALSE(signals["accuracy_loss"]["fired"].get<bool>());
    EXPECT_THAT(signals["accuracy_loss"]["note"].get<std::string>(), HasSubstr(" labels, "));
    judged = true;
  }
  EXPECT_TRUE(judged);
}

// --log-format json: every line the server writes is one JSON object with its time, level,
// event and message, and the event's fields — decisions and rollout steps included.
TEST(ServeLoopCliTest, StructuredLogsAreOneJsonObjectPerLine) {
  Elec2Store elec2;
  ASSERT_NO_FATAL_FAILURE(elec2.Make(ShortRollout()));
  testutil::ServeProcess serve({"--store", elec2.store, "--port", "0", "--tick", "0.2",
                                "--rollout-interval", "0.2", "--log-flush-ms", "10",
                                "--log-format", "json"});
  const int port = serve.Port();
  ASSERT_GT(port, 0) << serve.output();
  Traffic traffic;
  int asked = 0;
  ASSERT_TRUE(traffic.Run(port, elec2.data, [&](const std::string&) {
    if (++asked % 10 != 0) return false;
    nlohmann::json status = RolloutStatus(port);
    return !status.is_null() && status["phase"] == "rolling";
  })) << serve.output();
  ASSERT_TRUE(serve.ReadUntil("\"event\":\"rollout\"")) << serve.output();
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(), 0);
  serve.ReadUntil("\"event\":\"stopped\"");

  std::vector<std::string> events;
  std::istringstream lines(serve.output());
  for (std::string line; std::getline(lines, line);) {
    const nlohmann::json j = nlohmann::json::parse(line, nullptr, false);
    ASSERT_TRUE(j.is_object()) << "not a JSON object: " << line;
    for (const char* key : {"time", "level", "event", "message"}) {
      ASSERT_TRUE(j.contains(key)) << key << " missing: " << line;
    }
    EXPECT_THAT(j["time"].get<std::string>(), ::testing::MatchesRegex(
                                                  "....-..-..T..:..:..\\....Z"));
    events.push_back(j["event"]);
    if (j["event"] == "start") {
      EXPECT_EQ(j["address"], "http://127.0.0.1:" + std::to_string(port));
      EXPECT_EQ(j["model"], "elec2");
    }
    if (j["event"] == "decision" && j.contains("outcome")) {
      EXPECT_EQ(j["outcome"], "handed_off") << line;
      EXPECT_TRUE(j["version"].is_number());
    }
    if (j["event"] == "rollout") {
      EXPECT_TRUE(j["action"].is_string() && j["reason"].is_string()) << line;
    }
  }
  EXPECT_THAT(events, ::testing::IsSupersetOf({"start", "log", "controller", "rollout_config",
                                               "decision", "rollout", "draining", "log_closed",
                                               "stopped"}));
  EXPECT_EQ(events.front(), "start");
  EXPECT_EQ(events.back(), "stopped");
}

// An operator aborts a canary over the admin API with a token of the right role; a token of
// another role and a request without one are refused (and the refusal audited).
TEST(ServeLoopCliTest, AnOperatorAbortsARolloutOverTheAdminApi) {
  Elec2Store elec2;
  // Steps that never end by themselves: only the operator ends this rollout.
  ASSERT_NO_FATAL_FAILURE(elec2.Make(
      "rollout: {strategy: canary, steps: [0.3], step_duration: 1d,\n"
      "          guard: {max_latency_p99_ratio: 0, max_prediction_psi: 0, max_metric_loss: 1}}\n"));
  std::string operator_token, approver_token;
  {
    auto registry = registry::Registry::Open(elec2.store);
    ASSERT_TRUE(registry.ok());
    ASSERT_TRUE((*registry)->CreateToken("root", registry::Role::kAdmin, "test", 0).ok());
    auto op = (*registry)->CreateToken("ops", registry::Role::kOperator, "test", 0);
    auto approver = (*registry)->CreateToken("ann", registry::Role::kApprover, "test", 0);
    ASSERT_TRUE(op.ok() && approver.ok());
    operator_token = op->secret;
    approver_token = approver->secret;
  }
  testutil::ServeProcess serve({"--store", elec2.store, "--port", "0", "--tick", "0.2",
                                "--rollout-interval", "0.2", "--log-flush-ms", "10"});
  const int port = serve.Port();
  ASSERT_GT(port, 0) << serve.output();
  Traffic traffic;
  std::string canary;
  int asked = 0;
  ASSERT_TRUE(traffic.Run(port, elec2.data, [&](const std::string&) {
    if (++asked % 10 != 0) return false;
    nlohmann::json status = RolloutStatus(port);
    if (status.is_null() || status["phase"] != "rolling") return false;
    canary = std::to_string(status["challenger"]["version"].get<int>());
    return true;
  })) << serve.output();

  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5);
  const std::string abort = "/v1/admin/models/elec2/rollout:abort";
  const std::string body = "{\"reason\": \"p99 looks odd on the dashboard\"}";
  auto anonymous = client.Post(abort, body, "application/json");
  ASSERT_TRUE(anonymous);
  EXPECT_EQ(anonymous->status, 403);
  EXPECT_THAT(anonymous->body, HasSubstr("Authorization: Bearer"));
  auto approver = client.Post(abort, {{"Authorization", "Bearer " + approver_token}}, body,
                              "application/json");
  ASSERT_TRUE(approver);
  EXPECT_EQ(approver->status, 403);
  EXPECT_THAT(approver->body, HasSubstr("permission denied"));
  auto bad_body = client.Post(abort, {{"Authorization", "Bearer " + operator_token}}, "[1",
                              "application/json");
  ASSERT_TRUE(bad_body);
  EXPECT_EQ(bad_body->status, 400);
  auto aborted = client.Post(abort, {{"Authorization", "Bearer " + operator_token}}, body,
                             "application/json");
  ASSERT_TRUE(aborted);
  ASSERT_EQ(aborted->status, 200) << aborted->body;
  const nlohmann::json answer = nlohmann::json::parse(aborted->body);
  EXPECT_EQ(answer["action"], "rolled_back");
  EXPECT_THAT(answer["reason"].get<std::string>(),
              HasSubstr("aborted by ops: p99 looks odd on the dashboard"));
  EXPECT_EQ(answer["status"]["phase"], "idle");
  auto again = client.Post(abort, {{"Authorization", "Bearer " + operator_token}}, body,
                           "application/json");
  ASSERT_TRUE(again);
  EXPECT_EQ(again->status, 409);

  // From now on only the champion answers.
  Traffic after;
  int requests = 0;
  after.Run(port, elec2.data, [&](const std::string&) { return ++requests >= 100; });
  EXPECT_EQ(after.versions.size(), 1u);
  EXPECT_EQ(after.versions.count(elec2.first_version), 1u);
  EXPECT_EQ(traffic.failed + after.failed, 0);
  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(), 0);

  auto registry = registry::Registry::Open(elec2.store);
  ASSERT_TRUE(registry.ok());
  auto version = (*registry)->GetVersion("elec2", std::stoi(canary));
  ASSERT_TRUE(version.ok());
  EXPECT_EQ(version->state, registry::VersionState::kRolledBack);
  auto audit = (*registry)->Audit();
  ASSERT_TRUE(audit.ok());
  bool denied = false, rolled_back_by_ops = false;
  for (const registry::AuditEntry& e : *audit) {
    denied |= e.action == "access_denied" && e.subject == "rollout abort elec2";
    rolled_back_by_ops |= e.action == "rollout_rollback" && e.actor == "ops";
  }
  EXPECT_TRUE(denied);
  EXPECT_TRUE(rolled_back_by_ops);
}

}  // namespace
}  // namespace mlloop
