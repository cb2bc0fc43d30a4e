// `mlloop drift` as a scheduler would run it: exit codes, JSON for machines, HTML for people.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <map>
#include <random>
#include <set>
#include <string>

#include <nlohmann/json.hpp>

#include "io/csv_reader.h"
#include "pipeline/xgb/xgb_model.h"
#include "testutil/testutil.h"

namespace mlloop {
namespace {

// `rows` rows of x ~ N(shift, 1), y ~ U(0, 1), color with the given share of "red" (the rest
// split between blue and green). `bad_x` of the x values are the text "error", and without
// `with_y` the y column is left out: a broken upstream job.
std::string Table(size_t rows, uint32_t seed, double shift, double red, double bad_x = 0,
                  bool with_y = true) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(shift, 1);
  std::uniform_real_distribution<double> u(0, 1);
  std::string csv = with_y ? "x,y,color\n" : "x,color\n";
  for (size_t i = 0; i < rows; ++i) {
    const double c = u(gen);
    const std::string color = c < red ? "red" : (c < red + (1 - red) / 2 ? "blue" : "green");
    const double x = normal(gen);
    csv += u(gen) < bad_x ? std::string("error") : std::to_string(x);
    if (with_y) csv += "," + std::to_string(u(gen));
    csv += "," + color + "\n";
  }
  return csv;
}

class DriftCliTest : public ::testing::Test {
 protected:
  void SetUp() override { testutil::WriteFile(dir_.File("ref.csv"), Table(3000, 1, 0, 0.5)); }
  std::string Ref() const { return dir_.File("ref.csv"); }
  std::string Write(const std::string& name, const std::string& text) {
    testutil::WriteFile(dir_.File(name), text);
    return dir_.File(name);
  }
  testutil::TempDir dir_;
};

TEST_F(DriftCliTest, SameDistributionIsNoDrift) {
  const std::string cur = Write("cur.csv", Table(3000, 2, 0, 0.5));
  testutil::CommandResult r = testutil::RunMlloop("drift --reference " + Ref() + " --current " + cur + " --json " + dir_.File("r.json"));
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_NE(r.output.find("no dataset drift"), std::string::npos) << r.output;
  auto json = nlohmann::json::parse(testutil::ReadFile(dir_.File("r.json")));
  EXPECT_EQ(json["dataset_drift"], false);
  ASSERT_EQ(json["features"].size(), 3u);
  for (const auto& f : json["features"]) {
    EXPECT_TRUE(f.contains("name") && f.contains("method") && f.contains("statistic") &&
                f.contains("threshold") && f.contains("drift"))
        << f.dump();
  }
}

TEST_F(DriftCliTest, ShiftedFeaturesAreDatasetDrift) {
  const std::string cur = Write("cur.csv", Table(3000, 2, 1.0, 0.2));
  testutil::CommandResult r = testutil::RunMlloop("drift --reference " + Ref() + " --current " + cur + " --json " +
                 dir_.File("r.json") + " --html " + dir_.File("r.html"));
  EXPECT_EQ(r.exit_code, 10) << r.output;
  EXPECT_NE(r.output.find("DATASET DRIFT"), std::string::npos) << r.output;
  auto json = nlohmann::json::parse(testutil::ReadFile(dir_.File("r.json")));
  EXPECT_EQ(json["dataset_drift"], true);
  std::map<std::string, bool> drifted;
  for (const auto& f : json["features"]) drifted[f["name"]] = f["drift"];
  EXPECT_TRUE(drifted["x"]);
  EXPECT_TRUE(drifted["color"]);
  EXPECT_FALSE(drifted["y"]);
  const std::string html = testutil::ReadFile(dir_.File("r.html"));
  EXPECT_NE(html.find("<svg"), std::string::npos);
  EXPECT_EQ(html.find("http://"), std::string::npos);
}

TEST_F(DriftCliTest, ForcedMethodAppliesToEveryNumericFeature) {
  const std::string cur = Write("cur.csv", Table(3000, 2, 1.0, 0.5));
  testutil::CommandResult r = testutil::RunMlloop("drift --method ks --drift-share 0.3 --reference " + Ref() +
                                                    " --current " + cur + " --json " + dir_.File("r.json"));
  EXPECT_EQ(r.exit_code, 10) << r.output;  // x alone drifted: 1 of 3 >= 0.3
  auto json = nlohmann::json::parse(testutil::ReadFile(dir_.File("r.json")));
  EXPECT_DOUBLE_EQ(json["dataset_drift_threshold"].get<double>(), 0.3);
  for (const auto& f : json["features"]) {
    if (f["name"] != "color") {
      EXPECT_EQ(f["method"], "ks") << f.dump();
    }
    if (f["method"] == "ks") {
      EXPECT_TRUE(f["p_value"].is_number()) << f.dump();
    }
  }
  testutil::CommandResult mixed = testutil::RunMlloop(
      "drift --method ks --feature-method y=cvm --reference " + Ref() + " --current " + cur +
      " --json " + dir_.File("mixed.json"));
  auto mixed_json = nlohmann::json::parse(testutil::ReadFile(dir_.File("mixed.json")));
  for (const auto& f : mixed_json["features"]) {
    if (f["name"] == "y") {
      EXPECT_EQ(f["method"], "cvm") << f.dump();
    }
    if (f["name"] == "x") {
      EXPECT_EQ(f["method"], "ks") << f.dump();
    }
  }
  EXPECT_EQ(testutil::RunMlloop("drift --feature-method nope=ks --reference " + Ref() +
                                " --current " + cur).exit_code, 2);
  EXPECT_EQ(testutil::RunMlloop("drift --feature-method x=magic --reference " + Ref() +
                                " --current " + cur).exit_code, 2);
  testutil::CommandResult bad = testutil::RunMlloop("drift --method magic --reference " + Ref() + " --current " + cur);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("magic"), std::string::npos) << bad.output;
}

TEST_F(DriftCliTest, StatisticsListsMoreMethodsBesideTheVerdict) {
  const std::string cur = Write("cur.csv", Table(3000, 2, 1.0, 0.5));
  testutil::CommandResult r = testutil::RunMlloop(
      "drift --statistics ks,psi,jensenshannon --threads 2 --reference " + Ref() +
      " --current " + cur + " --json " + dir_.File("r.json"));
  EXPECT_EQ(r.exit_code, 0) << r.output;  // the verdicts (wasserstein, 3000 rows) are unchanged
  auto json = nlohmann::json::parse(testutil::ReadFile(dir_.File("r.json")));
  for (const auto& f : json["features"]) {
    std::set<std::string> listed;
    for (const auto& e : f["statistics"]) listed.insert(e["method"].get<std::string>());
    listed.insert(f["method"].get<std::string>());
    if (f["type"] == "numeric") {
      EXPECT_EQ(f["method"], "wasserstein");
      EXPECT_EQ(listed, (std::set<std::string>{"wasserstein", "ks", "psi", "jensenshannon"}))
          << f.dump();
    } else {
      EXPECT_TRUE(listed.contains("chisquare") && listed.contains("psi")) << f.dump();
    }
  }
  testutil::CommandResult bad = testutil::RunMlloop("drift --statistics ks,magic --reference " +
                                                    Ref() + " --current " + cur);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("'magic' is not a method"), std::string::npos) << bad.output;
}

TEST_F(DriftCliTest, SavedReferenceProfileGivesTheSameVerdicts) {
  const std::string cur = Write("cur.csv", Table(3000, 2, 1.0, 0.8));
  const std::string profile = dir_.File("ref.profile");
  testutil::CommandResult saved =
      testutil::RunMlloop("drift --reference " + Ref() + " --save-profile " + profile);
  ASSERT_EQ(saved.exit_code, 0) << saved.output;
  EXPECT_NE(saved.output.find("3000 rows, 3 features"), std::string::npos) << saved.output;
  testutil::CommandResult rows = testutil::RunMlloop(
      "drift --reference " + Ref() + " --current " + cur + " --json " + dir_.File("rows.json"));
  testutil::CommandResult prof = testutil::RunMlloop("drift --reference-profile " + profile +
                                                     " --current " + cur + " --json " +
                                                     dir_.File("prof.json"));
  EXPECT_EQ(prof.exit_code, rows.exit_code) << prof.output;
  auto a = nlohmann::json::parse(testutil::ReadFile(dir_.File("rows.json")));
  auto b = nlohmann::json::parse(testutil::ReadFile(dir_.File("prof.json")));
  ASSERT_EQ(a["features"].size(), b["features"].size());
  for (size_t j = 0; j < a["features"].size(); ++j) {
    EXPECT_EQ(a["features"][j]["name"], b["features"][j]["name"]);
    EXPECT_EQ(a["features"][j]["drift"], b["features"][j]["drift"]) << b["features"][j].dump();
    EXPECT_NEAR(a["features"][j]["statistic"].get<double>(),
                b["features"][j]["statistic"].get<double>(), 0.01);
  }
  // Mistakes: both references, none, a damaged profile.
  EXPECT_EQ(testutil::RunMlloop("drift --reference " + Ref() + " --reference-profile " + profile +
                                " --current " + cur).exit_code, 2);
  EXPECT_EQ(testutil::RunMlloop("drift --current " + cur).exit_code, 2);
  const std::string damaged = Write("bad.profile", testutil::ReadFile(profile).substr(0, 40));
  testutil::CommandResult bad =
      testutil::RunMlloop("drift --reference-profile " + damaged + " --current " + cur);
  EXPECT_NE(bad.exit_code, 0);
  EXPECT_NE(bad.exit_code, 10);
  EXPECT_NE(bad.output.find("bad.profile"), std::string::npos) << bad.output;
}

// A model of y from x, trained here; its predictions move when x does.
TEST_F(DriftCliTest, ModelPredictionsAreComparedToo) {
  const std::string config = Write("model.yaml",
                                   "model: m\ndata: {path: " + Ref() +
                                       "}\nschema:\n  features: [x]\n  label: {name: y, task: "
                                       "regression}\n");
  core::Schema schema;
  schema.features = {{"x", core::FeatureType::kNumeric, {}}};
  schema.label = {"y", core::Task::kRegression, "1", "0"};
  auto data = io::ReadCsv(Ref(), schema);
  ASSERT_TRUE(data.ok()) << data.status().ToString();
  // y is noise, so learn a function of x instead: y := x squared.
  for (size_t i = 0; i < data->rows(); ++i) data->y[i] = data->x[i] * data->x[i];
  pipeline::TrainOptions train;
  train.task = core::Task::kRegression;
  train.rounds = 10;
  auto model = pipeline::XgbModel::Train(*data, 0, data->rows(), train);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  auto bytes = (*model)->Serialize();
  ASSERT_TRUE(bytes.ok());
  const std::string model_file = Write("model.ubj", *bytes);

  const std::string shifted = Write("cur.csv", Table(3000, 2, 0.6, 0.5));
  testutil::CommandResult r = testutil::RunMlloop(
      "drift --config " + config + " --model " + model_file + " --reference " + Ref() +
      " --current " + shifted + " --json " + dir_.File("r.json") + " --html " +
      dir_.File("r.html"));
  EXPECT_EQ(r.exit_code, 10) << r.output;
  EXPECT_NE(r.output.find("(model prediction)"), std::string::npos) << r.output;
  auto json = nlohmann::json::parse(testutil::ReadFile(dir_.File("r.json")));
  EXPECT_EQ(json["prediction"]["name"], "prediction");
  EXPECT_EQ(json["prediction"]["drift"], true) << json["prediction"].dump();
  EXPECT_NE(testutil::ReadFile(dir_.File("r.html")).find("model output"), std::string::npos);

  const std::string same = Write("same.csv", Table(3000, 3, 0, 0.5));
  testutil::CommandResult calm = testutil::RunMlloop(
      "drift --config " + config + " --model " + model_file + " --reference " + Ref() +
      " --current " + same + " --json " + dir_.File("calm.json"));
  auto calm_json = nlohmann::json::parse(testutil::ReadFile(dir_.File("calm.json")));
  EXPECT_EQ(calm_json["prediction"]["drift"], false) << calm_json["prediction"].dump();

  // --model without --config, and a file that is not a model.
  EXPECT_EQ(testutil::RunMlloop("drift --model " + model_file + " --reference " + Ref() +
                                " --current " + same).exit_code, 2);
  const std::string junk = Write("junk.ubj", "not a model");
  testutil::CommandResult bad = testutil::RunMlloop("drift --config " + config + " --model " +
                                                    junk + " --reference " + Ref() +
                                                    " --current " + same);
  EXPECT_EQ(bad.exit_code, 2) << bad.output;
  EXPECT_NE(bad.output.find("junk.ubj"), std::string::npos) << bad.output;
}

TEST_F(DriftCliTest, BrokenPipelineIsDataQualityNotDrift) {
  // A column gone and a fifth of x unreadable: fix the job, do not retrain.
  const std::string cur = Write("cur.csv", Table(3000, 2, 0, 0.5, 0.2, /*with_y=*/false));
  testutil::CommandResult r = testutil::RunMlloop("drift --reference " + Ref() + " --current " + cur + " --json " + dir_.File("r.json"));
  EXPECT_EQ(r.exit_code, 11) << r.output;
  EXPECT_NE(r.output.find("broken pipeline"), std::string::npos) << r.output;
  auto json = nlohmann::json::parse(testutil::ReadFile(dir_.File("r.json")));
  EXPECT_EQ(json["mostly_data_quality"], true);
  std::set<std::string> kinds;
  for (const auto& q : json["quality"]) kinds.insert(q["kind"].get<std::string>());
  EXPECT_TRUE(kinds.contains("column_missing")) << json["quality"].dump();
  EXPECT_TRUE(kinds.contains("type_violation")) << json["quality"].dump();
}

TEST_F(DriftCliTest, BadInputIsAnErrorNotAVerdict) {
  testutil::CommandResult missing = testutil::RunMlloop("drift --reference " + Ref() + " --current " + dir_.File("nope.csv"));
  EXPECT_EQ(missing.exit_code, 3) << missing.output;
  EXPECT_NE(missing.output.find("nope.csv"), std::string::npos) << missing.output;
  const std::string empty = Write("empty.csv", "");
  testutil::CommandResult e = testutil::RunMlloop("drift --reference " + Ref() + " --current " + empty);
  EXPECT_EQ(e.exit_code, 2) << e.output;
  const std::string other = Write("other.csv", "a,b\n1,2\n");
  testutil::CommandResult disjoint = testutil::RunMlloop("drift --reference " + Ref() + " --current " + other);
  EXPECT_EQ(disjoint.exit_code, 2) << disjoint.output;
  EXPECT_NE(disjoint.output.find("share no feature"), std::string::npos) << disjoint.output;
  EXPECT_EQ(testutil::RunMlloop("drift --reference " + Ref()).exit_code, 2);
}

TEST_F(DriftCliTest, HeaderOnlyCurrentIsNotComputableNeverNaN) {
  const std::string cur = Write("cur.csv", "x,y,color\n");
  testutil::CommandResult r = testutil::RunMlloop("drift --reference " + Ref() + " --current " + cur + " --json " + dir_.File("r.json"));
  EXPECT_EQ(r.exit_code, 11) << r.output;  // unusable data is a data-quality problem
  EXPECT_NE(r.output.find("no feature could be compared"), std::string::npos) << r.output;
  const std::string json_text = testutil::ReadFile(dir_.File("r.json"));
  EXPECT_EQ(json_text.find("NaN"), std::string::npos) << json_text;
  auto json = nlohmann::json::parse(json_text);
  for (const auto& f : json["features"]) EXPECT_EQ(f["computable"], false) << f.dump();
}

// x1 ~ N(0, 1), x2 = sign * x1 + N(0, 0.3^2), x3 ~ N(0, 1): the sign flips the correlation
// and leaves every marginal as it was.
std::string CorrelatedTable(size_t rows, uint32_t seed, double sign) {
  std::mt19937 gen(seed);
  std::normal_distribution<double> normal(0, 1), noise(0, 0.3);
  std::string csv = "x1,x2,x3\n";
  for (size_t i = 0; i < rows; ++i) {
    const double x1 = normal(gen);
    const double x2 = sign * x1 + noise(gen);
    csv += std::to_string(x1) + "," + std::to_string(x2) + "," + std::to_string(normal(gen)) + "\n";
  }
  return csv;
}

// The correlation flips: per feature nothing drifted (exit 0), with --multivariate both
// detectors see it (exit 10), and the JSON and HTML carry it.
TEST_F(DriftCliTest, MultivariateFindsAFlippedCorrelation) {
  const std::string ref = Write("mref.csv", CorrelatedTable(2000, 1, 1));
  const std::string cur = Write("mcur.csv", CorrelatedTable(2000, 2, -1));
  const std::string tables = " --reference " + ref + " --current " + cur;
  testutil::CommandResult plain = testutil::RunMlloop("drift" + tables);
  EXPECT_EQ(plain.exit_code, 0) << plain.output;
  EXPECT_EQ(plain.output.find("multivariate"), std::string::npos) << plain.output;

  testutil::CommandResult r = testutil::RunMlloop("drift --multivariate" + tables + " --json " +
                                                  dir_.File("m.json") + " --html " + dir_.File("m.html"));
  EXPECT_EQ(r.exit_code, 10) << r.output;
  EXPECT_NE(r.output.find("no dataset drift"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("multivariate: domain classifier AUC"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("multivariate: PCA reconstruction error current"), std::string::npos)
      << r.output;
  EXPECT_EQ(testutil::CountOccurrences(r.output, "MULTIVARIATE DRIFT"), 2u) << r.output;
  auto json = nlohmann::json::parse(testutil::ReadFile(dir_.File("m.json")));
  EXPECT_EQ(json["dataset_drift"], false);
  EXPECT_EQ(json["multivariate"]["drift"], true);
  EXPECT_GT(json["multivariate"]["domain_classifier"]["auc"].get<double>(), 0.9);
  EXPECT_EQ(json["multivariate"]["pca"]["drift"], true);
  const std::string html = testutil::ReadFile(dir_.File("m.html"));
  EXPECT_NE(html.find("<h2>Multivariate drift</h2>"), std::string::npos);
}

TEST_F(DriftCliTest, MultivariateSameCorrelationIsNoDrift) {
  const std::string ref = Write("mref.csv", CorrelatedTable(2000, 1, 1));
  const std::string cur = Write("mcur.csv", CorrelatedTable(2000, 2, 1));
  testutil::CommandResult r =
      testutil::RunMlloop("drift --multivariate --reference " + ref + " --current " + cur);
  EXPECT_EQ(r.exit_code, 0) << r.output;
  EXPECT_EQ(r.output.find("MULTIVARIATE DRIFT"), std::string::npos) << r.output;
  EXPECT_EQ(testutil::CountOccurrences(r.output, ": no drift\n"), 2u) << r.output;
}

}  // namespace
}  // namespace mlloop
