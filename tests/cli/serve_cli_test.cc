// `mlloop serve` as a user runs it: started on a registry directory, asked over HTTP, told
// to stop with SIGTERM; and it picks up a new champion while it serves.
#include <arpa/inet.h>
#include <fcntl.h>
#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <httplib.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <random>
#include <string>
#include <thread>

#include "pipeline/xgb/xgb_model.h"
#include "registry/registry.h"
#include "serve_process.h"
#include "testutil/testutil.h"

namespace mlloop {
namespace {

using ::testing::HasSubstr;
using testutil::ServeProcess;

constexpr const char* kConfig =
    "model: toy\n"
    "data: {path: toy.csv}\n"
    "schema:\n"
    "  features: [a, b]\n"
    "  label: {name: y, task: binary}\n";

// Registers a two-feature model (`rounds` boosting rounds) and makes it the champion.
void AddChampion(const std::string& store, int rounds) {
  core::Dataset data;
  data.n_features = 2;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> u(0, 1);
  for (int i = 0; i < 200; ++i) {
    float a = u(rng), b = u(rng);
    data.x.insert(data.x.end(), {a, b});
    data.y.push_back(a + 0.5f * b > 0.7f ? 1.0f : 0.0f);
    data.time.push_back(i);
    data.row.push_back(i);
  }
  data.categories.resize(2);
  pipeline::TrainOptions options;
  options.rounds = rounds;
  auto model = pipeline::XgbModel::Train(data, 0, data.rows(), options);
  ASSERT_TRUE(model.ok());
  auto reg = registry::Registry::Open(store);
  ASSERT_TRUE(reg.ok()) << reg.status().ToString();
  registry::Lineage lineage;
  lineage.config_text = kConfig;
  auto v = (*reg)->Register("toy", *(*model)->Serialize(), lineage, std::nullopt, "test", 1000);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  for (auto to : {registry::VersionState::kValidated, registry::VersionState::kApproved,
                  registry::VersionState::kChampion}) {
    ASSERT_TRUE((*reg)->Transition(v->id, to, "test", "cli test", 1000).ok());
  }
}

TEST(ServeCliTest, ServesTheChampionReloadsANewOneAndStopsOnSigterm) {
  testutil::TempDir dir;
  const std::string store = dir.File("store");
  AddChampion(store, 3);
  ServeProcess serve({"--store", store, "--port", "0", "--reload-interval", "0.1"});
  const int port = serve.Port();
  ASSERT_GT(port, 0) << serve.output();
  EXPECT_THAT(serve.output(), HasSubstr("mlloop serve: toy v1 (flat forest, 2 features)"));

  httplib::Client client("127.0.0.1", port);
  client.set_read_timeout(5);
  auto res = client.Post("/v1/models/toy:predict", R"({"instances": [{"a": 0.9, "b": 0.1}]})",
                         "application/json");
  ASSERT_TRUE(res);
  EXPECT_EQ(res->status, 200) << res->body;
  EXPECT_THAT(res->body, HasSubstr(R"("model_version":"1")"));
  EXPECT_EQ(client.Get("/readyz")->status, 200);

  AddChampion(store, 5);
  ASSERT_TRUE(serve.ReadUntil("now serving toy v2")) << serve.output();
  res = client.Post("/v1/models/toy:predict", R"({"instances": [[0.9, 0.1]]})", "application/json");
  ASSERT_TRUE(res);
  EXPECT_THAT(res->body, HasSubstr(R"("model_version":"2")"));

  serve.Signal(SIGTERM);
  EXPECT_EQ(serve.Wait(), 0);
  serve.ReadUntil("stopped");
  EXPECT_THAT(serve.output(), HasSubstr("SIGTERM, draining"));
  EXPECT_THAT(serve.output(), HasSubstr("mlloop serve: stopped"));
}

// Seconds until the server closes a connection that sends nothing, or -1 after `limit`.
double SecondsUntilClosed(int port, double limit) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    ::close(fd);
    return -1;
  }
  const auto start = std::chrono::steady_clock::now();
  double seconds = -1;
  pollfd p{fd, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(limit * 1000)) == 1) {
    char byte;
    if (::recv(fd, &byte, 1, 0) <= 0) {
      seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    }
  }
  ::close(fd);
  return seconds;
}

TEST(ServeCliTest, IdleTimeoutClosesSilentConnectionsWhenTold) {
  testutil::TempDir dir;
  const std::string store = dir.File("store");
  AddChampion(store, 3);
  ServeProcess quick({"--store", store, "--port", "0", "--idle-timeout", "0.4", "--write-timeout", "5"});
  ASSERT_GT(quick.Port(), 0) << quick.output();
  const double closed_after = SecondsUntilClosed(quick.Port(), 5);
  EXPECT_GE(closed_after, 0.35);
  EXPECT_LT(closed_after, 2.0);
  // The default keeps a silent connection for a minute.
  ServeProcess patient({"--store", store, "--port", "0"});
  ASSERT_GT(patient.Port(), 0) << patient.output();
  EXPECT_EQ(SecondsUntilClosed(patient.Port(), 1.5), -1);

  testutil::CommandResult zero = testutil::RunMlloop("serve --store " + store + " --idle-timeout 0");
  EXPECT_NE(zero.exit_code, 0);
  EXPECT_THAT(zero.output, HasSubstr("--idle-timeout: expected more than 0, got 0"));
}

TEST(ServeCliTest, NoChampionIsNotFound) {
  testutil::TempDir dir;
  testutil::CommandResult r =
      testutil::RunMlloop("serve --store " + dir.File("empty") + " --model churn --port 0");
  EXPECT_EQ(r.exit_code, 3) << r.output;
  EXPECT_THAT(r.output, HasSubstr("model churn has no champion to serve"));
}

}  // namespace
}  // namespace mlloop
