// The flat predictor must give XGBoost's floats bit for bit. Every comparison here is on the
// uint32 bit patterns of the two paths' outputs (XgbModel::Predict vs PredictWithXgboost), over
// every Elec2 row, so that a single differently-rounded leaf, threshold or sum fails the test.
#include "pipeline/xgb/flat_forest.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <zlib.h>

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <iostream>
#include <limits>
#include <map>
#include <memory>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/clock.h"
#include "pipeline/elec2_fixture.h"
#include "pipeline/xgb/xgb_model.h"
#include "testutil/testutil.h"

namespace mlloop::pipeline {
namespace {

using ::testing::HasSubstr;
using ::testing::StartsWith;

constexpr float kNan = std::numeric_limits<float>::quiet_NaN();

std::unique_ptr<XgbModel> MustTrain(const core::Dataset& data, size_t begin, size_t end,
                                    const TrainOptions& options) {
  Result<std::unique_ptr<XgbModel>> model = XgbModel::Train(data, begin, end, options);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? std::move(model).value() : nullptr;
}

// Predicts every row of `x` through both paths and expects the same bits; returns how many
// predictions differed (so a caller can also assert on it) and prints the first few differences.
size_t CountBitDifferences(const XgbModel& model, const std::vector<float>& x) {
  const size_t rows = x.size() / model.n_features();
  std::vector<float> flat;
  std::vector<float> xgboost;
  Status s = model.Predict(x.data(), rows, model.n_features(), &flat);
  EXPECT_TRUE(s.ok()) << s.ToString();
  s = model.PredictWithXgboost(x.data(), rows, model.n_features(), &xgboost);
  EXPECT_TRUE(s.ok()) << s.ToString();
  EXPECT_EQ(flat.size(), rows);
  EXPECT_EQ(xgboost.size(), rows);
  if (flat.size() != rows || xgboost.size() != rows) return rows;
  // The flat forest walks full blocks of 8 rows level by level and the rest one row at a time;
  // batches of 7 send every row down the second path.
  std::vector<float> flat_by_7(rows);
  std::vector<float> chunk;
  for (size_t begin = 0; begin < rows; begin += 7) {
    const size_t n = std::min<size_t>(7, rows - begin);
    s = model.Predict(x.data() + begin * model.n_features(), n, model.n_features(), &chunk);
    EXPECT_TRUE(s.ok()) << s.ToString();
    std::copy(chunk.begin(), chunk.end(), flat_by_7.begin() + begin);
  }
  size_t differences = 0;
  for (size_t r = 0; r < rows; ++r) {
    const uint32_t expected = std::bit_cast<uint32_t>(xgboost[r]);
    for (const float actual : {flat[r], flat_by_7[r]}) {
      const uint32_t bits = std::bit_cast<uint32_t>(actual);
      if (bits != expected && ++differences <= 5) {
        ADD_FAILURE() << "row " << r << ": flat " << actual << " (0x" << std::hex << bits
                      << "), XGBoost " << xgboost[r] << " (0x" << expected << ")" << std::dec;
      }
    }
  }
  return differences;
}

// Copy of `x` with about `fraction` of the values replaced by NaN, in random features.
std::vector<float> WithMissing(std::vector<float> x, double fraction, uint32_t seed) {
  std::mt19937 rng(seed);
  std::bernoulli_distribution missing(fraction);
  for (float& value : x) {
    if (missing(rng)) value = kNan;
  }
  return x;
}

// ---------------------------------------------------------------------------------------------
// Binary models on Elec2: every row, with and without missing values.

struct BinaryConfig {
  int max_depth;
  int rounds;
  std::string eta;
  std::string subsample;
  std::string base_score;  // empty: XGBoost's default (0.5, margin 0)
  size_t train_rows;
};

std::ostream& operator<<(std::ostream& os, const BinaryConfig& c) {
  return os << "depth" << c.max_depth << "_rounds" << c.rounds << "_eta" << c.eta << "_subsample"
            << c.subsample << "_base" << c.base_score << "_rows" << c.train_rows;
}

TrainOptions OptionsFor(const BinaryConfig& config) {
  TrainOptions options;
  options.rounds = config.rounds;
  options.params["max_depth"] = std::to_string(config.max_depth);
  options.params["eta"] = config.eta;
  options.params["subsample"] = config.subsample;
  if (!config.base_score.empty()) options.params["base_score"] = config.base_score;
  return options;
}

class FlatForestElec2Test : public ::testing::TestWithParam<BinaryConfig> {};

TEST_P(FlatForestElec2Test, BitIdenticalToXgboostOnEveryRow) {
  const core::Dataset& elec2 = testutil::Elec2();
  ASSERT_EQ(elec2.rows(), 45312u);
  auto model = MustTrain(elec2, 0, GetParam().train_rows, OptionsFor(GetParam()));
  ASSERT_NE(model, nullptr);
  ASSERT_TRUE(model->flat_forest_status().ok()) << model->flat_forest_status().ToString();
  EXPECT_EQ(CountBitDifferences(*model, elec2.x), 0u);
}

TEST_P(FlatForestElec2Test, BitIdenticalWithFivePercentMissing) {
  const core::Dataset& elec2 = testutil::Elec2();
  auto model = MustTrain(elec2, 0, GetParam().train_rows, OptionsFor(GetParam()));
  ASSERT_NE(model, nullptr);
  EXPECT_EQ(CountBitDifferences(*model, WithMissing(elec2.x, 0.05, 17)), 0u);
}

// Trained on rows that have missing values too, so XGBoost learns a default direction at each
// split (left or right) instead of the same one everywhere.
TEST_P(FlatForestElec2Test, BitIdenticalWhenTrainedWithMissing) {
  core::Dataset elec2 = testutil::Elec2();
  elec2.x = WithMissing(std::move(elec2.x), 0.05, 23);
  auto model = MustTrain(elec2, 0, GetParam().train_rows, OptionsFor(GetParam()));
  ASSERT_NE(model, nullptr);
  ASSERT_TRUE(model->flat_forest_status().ok()) << model->flat_forest_status().ToString();
  EXPECT_EQ(CountBitDifferences(*model, elec2.x), 0u);
}

INSTANTIATE_TEST_SUITE_P(Configs, FlatForestElec2Test,
                         ::testing::Values(BinaryConfig{2, 1, "0.3", "1", "", 4000},
                                           BinaryConfig{3, 10, "0.3", "0.8", "", 4000},
                                           BinaryConfig{6, 50, "0.3", "1", "",
                                                        4000},  // the benchmark's model
                                           BinaryConfig{6, 100, "0.1", "0.7", "0.3", 10000},
                                           BinaryConfig{8, 200, "0.1", "0.5", "", 20000},
                                           BinaryConfig{5, 30, "0.2", "0.9", "0.8", 45312}),
                         [](const ::testing::TestParamInfo<BinaryConfig>& info) {
                           std::ostringstream name;
                           name << info.param;
                           std::string text = name.str();
                           for (char& c : text) {
                             if (c == '.') c = 'p';
                           }
                           return text;
                         });

// A complete XGBoost 1.7 JSON model (binary:logistic, one feature) whose single tree is a
// comb: feature value j (an integer) reaches the leaf holding margins[j]. XGBoost loads it like
// any model, so both paths can be compared on margins that training would rarely produce.
std::string CombModelJson(const std::vector<float>& margins) {
  const size_t leaves = margins.size();
  const size_t nodes = 2 * leaves - 1;
  std::vector<std::string> left(nodes, "-1"), right(nodes, "-1"), parent(nodes), cond(nodes);
  auto number = [](float v) {
    char text[32];
    // Scientific, as XGBoost writes floats: its reader refuses "0" where a float belongs.
    auto [end, ec] = std::to_chars(text, text + sizeof(text), v, std::chars_format::scientific);
    return std::string(text, end);
  };
  parent[0] = "2147483647";
  for (size_t i = 0; i + 1 < leaves; ++i) {
    const size_t node = 2 * i;  // split "x < i + 0.5": left leaf 2i+1, right node 2i+2
    left[node] = std::to_string(node + 1);
    right[node] = std::to_string(node + 2);
    parent[node + 1] = parent[node + 2] = std::to_string(node);
    cond[node] = number(static_cast<float>(i) + 0.5f);
    cond[node + 1] = number(margins[i]);
  }
  cond[nodes - 1] = number(margins.back());
  auto array = [](const std::vector<std::string>& values) {
    std::string out = "[";
    for (size_t i = 0; i < values.size(); ++i) out += (i ? "," : "") + values[i];
    return out + "]";
  };
  const std::vector<std::string> zeros(nodes, "0");
  const std::vector<std::string> float_zeros(nodes, "0E0");
  const std::vector<std::string> float_ones(nodes, "1E0");
  return R"({"learner":{"attributes":{},"feature_names":[],"feature_types":[],)"
         R"("gradient_booster":{"model":{"gbtree_model_param":{"num_parallel_tree":"1",)"
         R"("num_trees":"1","size_leaf_vector":"0"},"tree_info":[0],"trees":[{"base_weights":)" +
         array(cond) +
         R"(,"categories":[],"categories_nodes":[],"categories_segments":[],)"
         R"("categories_sizes":[],"default_left":)" +
         array(zeros) + R"(,"id":0,"left_children":)" + array(left) + R"(,"loss_changes":)" +
         array(float_zeros) + R"(,"parents":)" + array(parent) + R"(,"right_children":)" +
         array(right) + R"(,"split_conditions":)" + array(cond) + R"(,"split_indices":)" +
         array(zeros) + R"(,"split_type":)" + array(zeros) + R"(,"sum_hessian":)" +
         array(float_ones) + R"(,"tree_param":{"num_deleted":"0","num_feature":"1","num_nodes":")" +
         std::to_string(nodes) +
         R"(","size_leaf_vector":"0"}}]},"name":"gbtree"},"learner_model_param":)"
         R"({"base_score":"5E-1","boost_from_average":"1","num_class":"0","num_feature":"1",)"
         R"("num_target":"1"},"objective":{"name":"binary:logistic","reg_loss_param":)"
         R"({"scale_pos_weight":"1"}}},"version":[1,7,4]})";
}

// Margins beyond +-88.7 are where XGBoost's Sigmoid clamps its argument (src/common/math.h):
// an unclamped 1 / (1 + expf(-x)) would give 0 instead of a denormal for x < -88.7. Also
// denormal and near-1 probabilities, and odd leaf values that stress float printing.
TEST(FlatForestTest, SigmoidMatchesXgboostAcrossMargins) {
  std::vector<float> margins = {-1e30f, -200.0f, -103.9f,         -100.0f, -88.8f, -88.7f,
                                -88.6f, -87.4f,  -87.3f,          -50.0f,  -16.7f, -16.6f,
                                -1e-7f, 0.0f,    1.17549435e-38f, 1e-7f,   0.1f,   16.6f,
                                16.7f,  17.0f,   88.7f,           104.0f,  1e30f};
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> margin(-30.0f, 30.0f);
  for (int i = 0; i < 200; ++i) margins.push_back(margin(rng));
  Result<std::unique_ptr<XgbModel>> model =
      XgbModel::Load(CombModelJson(margins), core::Task::kBinaryClassification);
  ASSERT_TRUE(model.ok()) << model.status().ToString();
  ASSERT_TRUE((*model)->flat_forest_status().ok()) << (*model)->flat_forest_status().ToString();

  std::vector<float> x;
  for (size_t j = 0; j < margins.size(); ++j) x.push_back(static_cast<float>(j));
  EXPECT_EQ(CountBitDifferences(**model, x), 0u);
  std::vector<float> p;
  ASSERT_TRUE((*model)->Predict(x.data(), x.size(), 1, &p).ok());
  EXPECT_GT(p[3], 0.0f) << "margin -100 should give a denormal, as XGBoost's clamp does";
  EXPECT_LT(p[3], 1e-37f);
  EXPECT_EQ(p[22], 1.0f);
}

// ---------------------------------------------------------------------------------------------
// Regression.

// y = 3*x0 - 2*x1 + N(0, 0.1) + 10; x2 is pure noise. The offset keeps labels positive, so
// reg:squaredlogerror accepts them.
core::Dataset LinearData(size_t rows, uint32_t seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> feature(-1.0f, 1.0f);
  std::normal_distribution<float> noise(0.0f, 0.1f);
  core::Dataset data;
  data.n_features = 3;
  for (size_t i = 0; i < rows; ++i) {
    const float x0 = feature(rng);
    const float x1 = feature(rng);
    const float x2 = feature(rng);
    data.x.insert(data.x.end(), {x0, x1, x2});
    data.y.push_back(3 * x0 - 2 * x1 + noise(rng) + 10.0f);
  }
  return data;
}

class FlatForestRegressionTest : public ::testing::TestWithParam<std::string> {};

TEST_P(FlatForestRegressionTest, SyntheticBitIdentical) {
  core::Dataset data = LinearData(5000, 321);
  TrainOptions options;
  options.task = core::Task::kRegression;
  options.rounds = 60;
  options.params = {{"objective", GetParam()}, {"max_depth", "5"}, {"base_score", "9.75"}};
  auto model = MustTrain(data, 0, 3000, options);
  ASSERT_NE(model, nullptr);
  ASSERT_TRUE(model->flat_forest_status().ok()) << model->flat_forest_status().ToString();
  EXPECT_EQ(CountBitDifferences(*model, data.x), 0u);
  EXPECT_EQ(CountBitDifferences(*model, WithMissing(data.x, 0.05, 5)), 0u);
}

INSTANTIATE_TEST_SUITE_P(IdentityLink, FlatForestRegressionTest,
                         ::testing::Values("reg:squarederror", "reg:squaredlogerror",
                                           "reg:pseudohubererror", "reg:absoluteerror"),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param.substr(4);
                         });

// reg:logistic shares binary:logistic's link and ProbToMargin, under the regression task.
TEST(FlatForestTest, RegLogisticBitIdentical) {
  const core::Dataset& elec2 = testutil::Elec2();
  TrainOptions options;
  options.task = core::Task::kRegression;
  options.rounds = 40;
  options.params = {{"objective", "reg:logistic"}, {"max_depth", "6"}, {"base_score", "0.45"}};
  auto model = MustTrain(elec2, 0, 8000, options);
  ASSERT_NE(model, nullptr);
  ASSERT_TRUE(model->flat_forest_status().ok()) << model->flat_forest_status().ToString();
  EXPECT_EQ(CountBitDifferences(*model, elec2.x), 0u);
}

// examples/bike_sharing/hour.csv.gz: 12 numeric features season..windspeed, label cnt.
Result<core::Dataset> LoadBikeSharing(const std::string& path) {
  std::unique_ptr<gzFile_s, decltype(&gzclose)> file(gzopen(path.c_str(), "rb"), &gzclose);
  if (file == nullptr) return Status::NotFound("cannot open " + path);
  constexpr std::string_view kHeader =
      "instant,dteday,season,yr,mnth,hr,holiday,weekday,workingday,weathersit,temp,atemp,hum,"
      "windspeed,casual,registered,cnt";
  core::Dataset data;
  data.n_features = 12;
  char buffer[512];
  size_t line_number = 0;
  while (gzgets(file.get(), buffer, sizeof(buffer)) != nullptr) {
    std::string_view line(buffer);
    while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.remove_suffix(1);
    if (++line_number == 1) {
      if (line != kHeader) return Status::InvalidArgument("unexpected header");
      continue;
    }
    std::vector<float> fields;
    size_t start = 0;
    for (size_t column = 0; column < 17; ++column) {
      const size_t comma = std::min(line.find(',', start), line.size());
      if (column >= 2) {
        float value = 0;
        auto [end, ec] = std::from_chars(line.data() + start, line.data() + comma, value);
        if (ec != std::errc() || end != line.data() + comma) {
          return Status::InvalidArgument("line " + std::to_string(line_number) + " column " +
                                         std::to_string(column));
        }
        fields.push_back(value);
      }
      start = comma + 1;
    }
    data.x.insert(data.x.end(), fields.begin(), fields.begin() + 12);  // season..windspeed
    data.y.push_back(fields.back());                                   // cnt
  }
  return data;
}

TEST(FlatForestTest, BikeSharingRegressionBitIdentical) {
  Result<core::Dataset> bikes =
      LoadBikeSharing(testutil::SourcePath("examples/bike_sharing/hour.csv.gz"));
  ASSERT_TRUE(bikes.ok()) << bikes.status().ToString();
  ASSERT_EQ(bikes->rows(), 17379u);
  TrainOptions options;
  options.task = core::Task::kRegression;
  options.rounds = 100;
  options.params = {{"max_depth", "7"}, {"eta", "0.2"}, {"subsample", "0.8"}};
  auto model = MustTrain(*bikes, 0, 10000, options);
  ASSERT_NE(model, nullptr);
  ASSERT_TRUE(model->flat_forest_status().ok()) << model->flat_forest_status().ToString();
  EXPECT_EQ(CountBitDifferences(*model, bikes->x), 0u);
}

// ---------------------------------------------------------------------------------------------
// Fallback to XGBoost, and the round trip through the registry's bytes.

TEST(FlatForestTest, UnsupportedModelsFallBackToXgboost) {
  const core::Dataset& elec2 = testutil::Elec2();
  struct Case {
    core::Task task;
    std::map<std::string, std::string> params;
    std::string reason;
  };
  const Case cases[] = {
      {core::Task::kBinaryClassification, {{"booster", "gblinear"}}, "booster gblinear"},
      {core::Task::kBinaryClassification,
       {{"booster", "dart"}, {"rate_drop", "0.1"}},
       "booster dart"},
      // A log link: the margin goes through expf in XGBoost's PredTransform.
      {core::Task::kRegression, {{"objective", "reg:gamma"}}, "objective reg:gamma"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    core::Dataset data = elec2;
    if (c.task == core::Task::kRegression) {
      for (float& y : data.y) y += 1.0f;  // reg:gamma needs positive labels
    }
    TrainOptions options;
    options.task = c.task;
    options.rounds = 10;
    options.params = c.params;
    auto model = MustTrain(data, 0, 4000, options);
    ASSERT_NE(model, nullptr);
    EXPECT_EQ(model->flat_forest_status().code(), StatusCode::kInvalidArgument);
    EXPECT_EQ(model->flat_forest_status().message(),
              "unsupported by the flat predictor: " + c.reason);
    // Predict() now is XGBoost, so the two paths agree trivially; what matters is that it
    // predicts (and, for the binary models, probabilities).
    EXPECT_EQ(CountBitDifferences(*model, elec2.x), 0u);
    std::vector<float> p;
    ASSERT_TRUE(model->Predict(elec2.Row(4000), 1000, elec2.n_features, &p).ok());
    ASSERT_EQ(p.size(), 1000u);
    for (float v : p) ASSERT_TRUE(std::isfinite(v));

    // The fallback survives Serialize -> Load too.
    Result<std::unique_ptr<XgbModel>> loaded = XgbModel::Load(*model->Serialize(), c.task);
    ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
    EXPECT_FALSE((*loaded)->flat_forest_status().ok());
    std::vector<float> again;
    ASSERT_TRUE((*loaded)->Predict(elec2.Row(4000), 1000, elec2.n_features, &again).ok());
    EXPECT_EQ(again, p);
  }
}

TEST(FlatForestTest, LoadOfSerializeKeepsTheFlatPathAndTheBits) {
  const core::Dataset& elec2 = testutil::Elec2();
  TrainOptions options;
  options.rounds = 50;
  options.params = {{"max_depth", "6"}, {"base_score", "0.4"}};
  auto model = MustTrain(elec2, 0, 4000, options);
  ASSERT_NE(model, nullptr);
  Result<std::unique_ptr<XgbModel>> loaded =
      XgbModel::Load(*model->Serialize(), core::Task::kBinaryClassification);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  ASSERT_TRUE((*loaded)->flat_forest_status().ok()) << (*loaded)->flat_forest_status().ToString();

  std::vector<float> trained;
  std::vector<float> reloaded;
  ASSERT_TRUE(model->Predict(elec2.x.data(), elec2.rows(), elec2.n_features, &trained).ok());
  ASSERT_TRUE((*loaded)->Predict(elec2.x.data(), elec2.rows(), elec2.n_features, &reloaded).ok());
  ASSERT_EQ(trained.size(), elec2.rows());
  EXPECT_EQ(std::memcmp(trained.data(), reloaded.data(), trained.size() * sizeof(float)), 0);
  EXPECT_EQ(CountBitDifferences(**loaded, elec2.x), 0u);
}

TEST(FlatForestTest, PredictChecksTheFeatureCountOnTheFlatPath) {
  auto model = MustTrain(testutil::Elec2(), 0, 1000, [] {
    TrainOptions options;
    options.rounds = 3;
    return options;
  }());
  ASSERT_NE(model, nullptr);
  ASSERT_TRUE(model->flat_forest_status().ok());
  std::vector<float> out = {1.0f};
  Status s = model->Predict(testutil::Elec2().Row(0), 1, 6, &out);
  EXPECT_EQ(s.message(), "model expects 7 features, got 6");
  ASSERT_TRUE(model->Predict(nullptr, 0, 7, &out).ok());
  EXPECT_TRUE(out.empty());
}

// ---------------------------------------------------------------------------------------------
// FlatForest on hand-written JSON in XGBoost 1.7's schema: the routing rules and the refusals.

// One tree: node 0 splits feature 1 at 0.5 (missing goes right); leaves 1 (-1.5) and 2 (2.25).
// Children are deliberately numbered 2 (left) and 1 (right) to exercise the renumbering.
std::string OneTreeJson(std::string_view objective, std::string_view base_score,
                        std::string_view split_type = "[0,0,0]", std::string_view num_class = "0",
                        std::string_view booster = "gbtree") {
  return std::string(R"({"learner":{"gradient_booster":{"model":{"tree_info":[0],"trees":[{)") +
         R"("left_children":[2,-1,-1],"right_children":[1,-1,-1],"split_indices":[1,0,0],)" +
         R"("split_conditions":[5E-1,2.25E0,-1.5E0],"default_left":[0,0,0],"split_type":)" +
         std::string(split_type) +
         R"(,"categories":[],"tree_param":{"num_nodes":"3","size_leaf_vector":"0"}}]},)" +
         R"("name":")" + std::string(booster) + R"("},"learner_model_param":{"base_score":")" +
         std::string(base_score) + R"(","num_class":")" + std::string(num_class) +
         R"(","num_feature":"2","num_target":"1"},"objective":{"name":")" + std::string(objective) +
         R"("}},"version":[1,7,4]})";
}

TEST(FlatForestTest, RoutesStrictlyLessThanLeftAndMissingToTheDefault) {
  Result<FlatForest> forest =
      FlatForest::FromXgboostModel(OneTreeJson("reg:squarederror", "1E0"), 2);
  ASSERT_TRUE(forest.ok()) << forest.status().ToString();
  EXPECT_EQ(forest->n_trees(), 1u);
  EXPECT_EQ(forest->n_nodes(), 3u);
  const float x[] = {0, 0.25f, 0, 0.5f, 0, 0.75f, 0, kNan};
  float out[4];
  forest->Predict(x, 4, out);
  EXPECT_EQ(out[0], 1.0f - 1.5f);   // 0.25 < 0.5: left
  EXPECT_EQ(out[1], 1.0f + 2.25f);  // 0.5 is not < 0.5: right
  EXPECT_EQ(out[2], 1.0f + 2.25f);
  EXPECT_EQ(out[3], 1.0f + 2.25f);  // missing: default_left 0, right
}

TEST(FlatForestTest, LogisticLinkAppliesToBaseScoreAndMargin) {
  Result<FlatForest> forest =
      FlatForest::FromXgboostModel(OneTreeJson("binary:logistic", "5E-1"), 2);
  ASSERT_TRUE(forest.ok()) << forest.status().ToString();
  EXPECT_EQ(forest->link(), FlatForest::Link::kLogistic);
  EXPECT_EQ(forest->base_margin(), 0.0f);  // -log(1/0.5 - 1)
  const float x[] = {0, 0.0f};
  float out = 0;
  forest->Predict(x, 1, &out);
  EXPECT_FLOAT_EQ(out, 1.0f / (1.0f + std::exp(1.5f)));
}

TEST(FlatForestTest, RefusesWhatItCannotReproduce) {
  struct Case {
    std::string json;
    std::string message;
  };
  const Case cases[] = {
      {OneTreeJson("multi:softprob", "5E-1"), "objective multi:softprob"},
      {OneTreeJson("reg:tweedie", "5E-1"), "objective reg:tweedie"},
      {OneTreeJson("binary:logistic", "5E-1", "[1,0,0]"), "tree 0: categorical split"},
      {OneTreeJson("binary:logistic", "5E-1", "[0,0,0]", "3"), "3 classes"},
      {OneTreeJson("reg:squarederror", "5E-1", "[0,0,0]", "0", "dart"), "booster dart"},
  };
  for (const Case& c : cases) {
    Result<FlatForest> forest = FlatForest::FromXgboostModel(c.json, 2);
    ASSERT_FALSE(forest.ok()) << c.message;
    EXPECT_EQ(forest.status().message(), "unsupported by the flat predictor: " + c.message);
  }
}

TEST(FlatForestTest, RejectsMalformedJson) {
  Result<FlatForest> garbage = FlatForest::FromXgboostModel("{not json", 2);
  ASSERT_FALSE(garbage.ok());
  EXPECT_THAT(garbage.status().message(), StartsWith("malformed XGBoost model: "));

  // The tree splits on feature 1, which a 1-feature row does not have.
  Result<FlatForest> narrow =
      FlatForest::FromXgboostModel(OneTreeJson("reg:squarederror", "0E0"), 1);
  ASSERT_FALSE(narrow.ok());
  EXPECT_THAT(narrow.status().message(), HasSubstr("splits on feature 1 of 1"));

  std::string cyclic = OneTreeJson("reg:squarederror", "0E0");
  cyclic.replace(cyclic.find("[2,-1,-1]"), 9, "[0,-1,-1]");
  Result<FlatForest> loop = FlatForest::FromXgboostModel(cyclic, 2);
  ASSERT_FALSE(loop.ok());
  EXPECT_THAT(loop.status().message(), HasSubstr("invalid children"));
}

// The UBJSON reader is ours (flat_forest.cc), so it must fail cleanly on damaged bytes: every
// truncation and a few thousand corrupted bytes give an error or a forest, never a crash.
TEST(FlatForestTest, DamagedUbjsonFailsCleanly) {
  TrainOptions options;
  options.rounds = 5;
  options.params["max_depth"] = "3";
  auto model = MustTrain(testutil::Elec2(), 0, 2000, options);
  ASSERT_NE(model, nullptr);
  const std::string bytes = *model->Serialize();
  ASSERT_TRUE(FlatForest::FromXgboostModel(bytes, testutil::kElec2Features).ok());
  for (size_t size = 0; size < bytes.size(); size += 7) {
    Result<FlatForest> forest =
        FlatForest::FromXgboostModel(std::string_view(bytes).substr(0, size), 7);
    ASSERT_FALSE(forest.ok()) << "truncated to " << size;
    EXPECT_THAT(forest.status().message(), StartsWith("malformed XGBoost model: "));
  }
  std::mt19937 rng(11);
  for (int trial = 0; trial < 3000; ++trial) {
    std::string damaged = bytes;
    damaged[rng() % damaged.size()] = static_cast<char>(rng());
    (void)FlatForest::FromXgboostModel(damaged, 7).ok();
  }
}

// Not a benchmark: what building the flat forest adds to each Train()/Load() (the simulation
// trains 181 models). No assertion on the time.
TEST(FlatForestTest, ReportsBuildCost) {
  const core::Dataset& elec2 = testutil::Elec2();
  TrainOptions options;
  options.rounds = 50;
  options.params["max_depth"] = "6";
  auto model = MustTrain(elec2, 0, 4000, options);
  ASSERT_NE(model, nullptr);
  const std::string bytes = *model->Serialize();
  const double start = core::MonotonicSeconds();
  constexpr int kLoads = 20;
  for (int i = 0; i < kLoads; ++i) {
    ASSERT_TRUE(XgbModel::Load(bytes, core::Task::kBinaryClassification).ok());
  }
  const double load_seconds = (core::MonotonicSeconds() - start) / kLoads;
  const double build_start = core::MonotonicSeconds();
  for (int i = 0; i < kLoads; ++i) {
    ASSERT_TRUE(FlatForest::FromXgboostModel(bytes, testutil::kElec2Features).ok());
  }
  const double build_seconds = (core::MonotonicSeconds() - build_start) / kLoads;
  std::cout << "[ timing   ] 50-tree depth-6 Elec2 model (" << bytes.size()
            << " bytes of UBJSON): Load() " << load_seconds * 1e3
            << " ms, of which the flat forest " << build_seconds * 1e3 << " ms\n";
}

}  // namespace
}  // namespace mlloop::pipeline
