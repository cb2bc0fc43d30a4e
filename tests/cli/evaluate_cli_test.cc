// `mlloop evaluate`, run as a user runs it: on the versions of an Elec2 replay, and on two
// model files and a labelled CSV outside the loop.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>
#include <string>

#include "config/model_config.h"
#include "core/format.h"
#include "io/csv_reader.h"
#include "pipeline/xgb/xgb_model.h"
#include "testutil/testutil.h"

namespace mlloop {
namespace {

using testutil::RunMlloop;

std::string Elec2Config() { return testutil::SourcePath("examples/elec2/model.yaml"); }

// One replay of Elec2 under the example policy, shared by the tests.
class EvaluateCliTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    dir_ = new testutil::TempDir;
    testutil::CommandResult r = RunMlloop("simulate " + Elec2Config() + " -q --store " + Store());
    ASSERT_EQ(r.exit_code, 0) << r.output;
    testutil::CommandResult list = RunMlloop("models list --json --store " + Store());
    ASSERT_EQ(list.exit_code, 0) << list.output;
    versions_ = new nlohmann::json(nlohmann::json::parse(list.output));
  }
  static void TearDownTestSuite() {
    delete versions_;
    delete dir_;
  }
  static std::string Store() { return dir_->File("store"); }

  // The champion when version `v` was validated: the newest earlier version that was not
  // rejected (each of them served in turn).
  static int ChampionBefore(int v) {
    int champion = 0;
    for (const auto& version : *versions_) {
      const int n = version["version"];
      if (n < v && version["state"] != "rejected") champion = n;
    }
    return champion;
  }

  static testutil::TempDir* dir_;
  static nlohmann::json* versions_;
};
testutil::TempDir* EvaluateCliTest::dir_ = nullptr;
nlohmann::json* EvaluateCliTest::versions_ = nullptr;

// The report reproduces the loop's verdict: against the champion it was validated against,
// a rejected version is rejected again (exit 10) with the same gate and numbers, and a
// promoted one passes (exit 0).
TEST_F(EvaluateCliTest, RegistryVersionsGetTheLoopsVerdictAgain) {
  int rejected = 0, promoted = 0;
  for (const auto& version : *versions_) {
    const int v = version["version"];
    const std::string state = version["state"];
    if (v == 1) continue;  // the first model had no champion to beat
    if (state == "rejected" ? rejected > 0 : promoted > 0) continue;  // one of each
    const std::string html = dir_->File("v" + std::to_string(v) + ".html");
    const std::string json = dir_->File("v" + std::to_string(v) + ".json");
    testutil::CommandResult r =
        RunMlloop("evaluate " + std::to_string(v) + " --against " +
                  std::to_string(ChampionBefore(v)) + " --html " + html + " --json " + json +
                  " --store " + Store());
    EXPECT_EQ(r.exit_code, state == "rejected" ? 10 : 0) << r.output;
    testutil::CommandResult show =
        RunMlloop("models show " + std::to_string(v) + " --json --store " + Store());
    ASSERT_EQ(show.exit_code, 0) << show.output;
    const auto recorded = nlohmann::json::parse(show.output)["evaluations"][0];
    const auto report = nlohmann::json::parse(testutil::ReadFile(json));
    EXPECT_EQ(report["evaluation"]["summary"], recorded["reason"]) << v;
    EXPECT_EQ(report["rows"], recorded["rows"]);
    // Gate by gate the same verdicts and numbers; latency is measured again, so only its
    // verdict is compared.
    const auto& gates = report["evaluation"]["gates"];
    const auto& then = recorded["report"]["gates"];
    ASSERT_EQ(gates.size(), then.size());
    for (size_t i = 0; i < gates.size(); ++i) {
      EXPECT_EQ(gates[i]["name"], then[i]["name"]);
      EXPECT_EQ(gates[i]["passed"], then[i]["passed"]);
      if (gates[i]["kind"] != "latency") {
        EXPECT_EQ(gates[i]["reason"], then[i]["reason"]);
      }
    }
    EXPECT_NE(testutil::ReadFile(html).find(state == "rejected" ? "REJECTED" : "PASSED"),
              std::string::npos);
    EXPECT_NE(r.output.find("HTML report written to " + html), std::string::npos);
    (state == "rejected" ? rejected : promoted)++;
  }
  EXPECT_EQ(rejected, 1);
  EXPECT_EQ(promoted, 1);

  testutil::CommandResult itself =
      RunMlloop("evaluate champion --html " + dir_->File("x.html") + " --store " + Store());
  EXPECT_EQ(itself.exit_code, 5);
  EXPECT_NE(itself.output.find("is the champion: name the version to compare it with"),
            std::string::npos)
      << itself.output;
  testutil::CommandResult missing =
      RunMlloop("evaluate 999 --html " + dir_->File("x.html") + " --store " + Store());
  EXPECT_EQ(missing.exit_code, 3) << missing.output;
}

TEST(EvaluateCliErrorTest, BadRequestsSayWhatIsWrong) {
  testutil::TempDir dir;
  const std::string store = " --store " + dir.File("store");
  testutil::CommandResult none = RunMlloop("evaluate --html x.html" + store);
  EXPECT_EQ(none.exit_code, 2);
  EXPECT_NE(none.output.find("evaluate what? give a registry version"), std::string::npos)
      << none.output;
  testutil::CommandResult no_output = RunMlloop("evaluate 3" + store);
  EXPECT_EQ(no_output.exit_code, 2);
  EXPECT_NE(no_output.output.find("give --html FILE and/or --json FILE"), std::string::npos);
  testutil::CommandResult both =
      RunMlloop("evaluate 3 --candidate a.ubj --html x.html" + store);
  EXPECT_EQ(both.exit_code, 2);
  EXPECT_NE(both.output.find("not both"), std::string::npos) << both.output;
  testutil::CommandResult no_store = RunMlloop("evaluate 3 --html x.html" + store);
  EXPECT_EQ(no_store.exit_code, 3) << no_store.output;
}

// Outside the loop: two model files and a labelled CSV, under the example's schema and gates.
TEST(EvaluateFilesCliTest, TwoModelFilesAndACsv) {
  auto config = config::LoadModelConfig(Elec2Config());
  ASSERT_TRUE(config.ok()) << config.status().ToString();
  auto data = io::ReadCsv(config->data_path, config->schema);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  pipeline::TrainOptions options;
  options.rounds = 20;
  auto old_model = pipeline::XgbModel::Train(*data, 0, 4000, options);
  auto new_model = pipeline::XgbModel::Train(*data, 8000, 12000, options);
  ASSERT_TRUE(old_model.ok() && new_model.ok());
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("champion.ubj"), *(*old_model)->Serialize());
  testutil::WriteFile(dir.File("candidate.ubj"), *(*new_model)->Serialize());
  // The labelled rows 12000..12999 as a CSV of the example's columns.
  std::string csv = "date,day,period,nswprice,nswdemand,vicprice,vicdemand,transfer,class\n";
  for (size_t i = 12000; i < 13000; ++i) {
    csv += "0," + std::to_string(static_cast<int>(data->At(i, 0)));
    for (size_t j = 1; j < data->n_features; ++j) csv += "," + core::FormatShortest(data->At(i, j));
    csv += data->y[i] >= 0.5f ? ",UP\n" : ",DOWN\n";
  }
  testutil::WriteFile(dir.File("recent.csv"), csv);
  const std::string html = dir.File("report.html"), json = dir.File("report.json");
  testutil::CommandResult r = RunMlloop(
      "evaluate --config " + Elec2Config() + " --candidate " + dir.File("candidate.ubj") +
      " --champion " + dir.File("champion.ubj") + " --data " + dir.File("recent.csv") +
      " --html " + html + " --json " + json);
  const auto report = nlohmann::json::parse(testutil::ReadFile(json));
  EXPECT_EQ(r.exit_code, report["evaluation"]["passed"].get<bool>() ? 0 : 10) << r.output;
  EXPECT_EQ(report["rows"], 1000);
  EXPECT_EQ(report["candidate"], dir.File("candidate.ubj"));
  EXPECT_EQ(report["evaluation"]["gates"][0]["name"], "margin");
  // The recent candidate beats the old champion on the recent rows.
  EXPECT_GT(report["metrics"][0]["difference"].get<double>(), 0);
  EXPECT_TRUE(report["latency"].contains("champion"));
  EXPECT_NE(testutil::ReadFile(html).find("<svg"), std::string::npos);

  testutil::CommandResult no_data = RunMlloop("evaluate --config " + Elec2Config() +
                                              " --candidate " + dir.File("candidate.ubj") +
                                              " --html " + html);
  EXPECT_EQ(no_data.exit_code, 2);
  EXPECT_NE(no_data.output.find("--candidate needs --data"), std::string::npos);
}

}  // namespace
}  // namespace mlloop
