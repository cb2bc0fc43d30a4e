#include "pipeline/xgb/xgb_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <random>

#include "core/clock.h"
#include "pipeline/elec2_fixture.h"

namespace mlloop::pipeline {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;
using ::testing::StartsWith;

// y = 3*x0 - 2*x1 + N(0, 0.1); x2 is pure noise. Seeded, so every run sees the same rows.
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
    data.y.push_back(3 * x0 - 2 * x1 + noise(rng));
  }
  return data;
}

TrainOptions BinaryOptions(int rounds) {
  TrainOptions options;
  options.rounds = rounds;
  return options;
}

std::unique_ptr<XgbModel> MustTrain(const core::Dataset& data, size_t begin, size_t end,
                                    const TrainOptions& options) {
  Result<std::unique_ptr<XgbModel>> model = XgbModel::Train(data, begin, end, options);
  EXPECT_TRUE(model.ok()) << model.status().ToString();
  return model.ok() ? std::move(model).value() : nullptr;
}

std::vector<float> MustPredict(const XgbModel& model, const core::Dataset& data, size_t begin,
                               size_t end) {
  std::vector<float> out;
  Status s = model.Predict(data.Row(begin), end - begin, data.n_features, &out);
  EXPECT_TRUE(s.ok()) << s.ToString();
  return out;
}

TEST(XgboostVersionTest, ReportsTheDebianLibrary) { EXPECT_EQ(XgboostVersion(), "1.7.4"); }

TEST(XgbModelTest, TrainingTwiceGivesIdenticalBytes) {
  const core::Dataset& elec2 = testutil::Elec2();
  TrainOptions options = BinaryOptions(20);
  options.params["max_depth"] = "4";
  auto first = MustTrain(elec2, 0, 3000, options);
  auto second = MustTrain(elec2, 0, 3000, options);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  Result<std::string> a = first->Serialize();
  Result<std::string> b = second->Serialize();
  ASSERT_TRUE(a.ok()) << a.status().ToString();
  ASSERT_TRUE(b.ok()) << b.status().ToString();
  EXPECT_THAT(*a, StartsWith("{"));
  EXPECT_EQ(*a, *b);
}

TEST(XgbModelTest, BoostingSecondsCoverXgboostOnly) {
  const core::Dataset& data = testutil::Elec2();
  const double start = core::MonotonicSeconds();
  auto model = MustTrain(data, 0, 4000, BinaryOptions(30));
  const double whole = core::MonotonicSeconds() - start;
  ASSERT_NE(model, nullptr);
  EXPECT_GT(model->boosting_seconds(), 0.0);
  EXPECT_LE(model->boosting_seconds(), whole);
  auto bytes = model->Serialize();
  ASSERT_TRUE(bytes.ok());
  auto loaded = XgbModel::Load(*bytes, core::Task::kBinaryClassification);
  ASSERT_TRUE(loaded.ok());
  EXPECT_EQ((*loaded)->boosting_seconds(), 0.0);  // loading trains nothing
}

TEST(XgbModelTest, SeedIsPartOfTheModel) {
  // With row subsampling the seed decides which rows each tree sees.
  const core::Dataset& elec2 = testutil::Elec2();
  TrainOptions options = BinaryOptions(10);
  options.params["subsample"] = "0.5";
  auto seeded_42 = MustTrain(elec2, 0, 3000, options);
  options.seed = 7;
  auto seeded_7 = MustTrain(elec2, 0, 3000, options);
  ASSERT_NE(seeded_42, nullptr);
  ASSERT_NE(seeded_7, nullptr);
  EXPECT_NE(*seeded_42->Serialize(), *seeded_7->Serialize());
}

TEST(XgbModelTest, LoadOfSerializePredictsBitForBit) {
  const core::Dataset& elec2 = testutil::Elec2();
  auto model = MustTrain(elec2, 0, 3000, BinaryOptions(20));
  ASSERT_NE(model, nullptr);
  Result<std::string> bytes = model->Serialize();
  ASSERT_TRUE(bytes.ok()) << bytes.status().ToString();

  Result<std::unique_ptr<XgbModel>> loaded =
      XgbModel::Load(*bytes, core::Task::kBinaryClassification);
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ((*loaded)->n_features(), testutil::kElec2Features);
  EXPECT_EQ((*loaded)->task(), core::Task::kBinaryClassification);
  EXPECT_EQ(*(*loaded)->Serialize(), *bytes);

  const std::vector<float> expected = MustPredict(*model, elec2, 3000, 4000);
  const std::vector<float> actual = MustPredict(**loaded, elec2, 3000, 4000);
  ASSERT_EQ(actual.size(), 1000u);
  EXPECT_EQ(std::memcmp(actual.data(), expected.data(), actual.size() * sizeof(float)), 0);
}

TEST(XgbModelTest, BeatsMajorityClassOnElec2) {
  const core::Dataset& elec2 = testutil::Elec2();
  ASSERT_GE(elec2.rows(), 12000u);
  auto model = MustTrain(elec2, 0, 10000, BinaryOptions(50));
  ASSERT_NE(model, nullptr);
  const std::vector<float> p = MustPredict(*model, elec2, 10000, 12000);
  ASSERT_EQ(p.size(), 2000u);

  size_t correct = 0;
  size_t up = 0;
  for (size_t i = 0; i < p.size(); ++i) {
    const float y = elec2.y[10000 + i];
    up += y == 1.0f;
    correct += (p[i] >= 0.5f ? 1.0f : 0.0f) == y;
  }
  const double accuracy = correct / 2000.0;
  const double majority = std::max(up, 2000 - up) / 2000.0;
  std::cout << "[ elec2    ] accuracy on rows 10000..11999: " << accuracy << " (majority class "
            << majority << ")\n";
  EXPECT_GT(accuracy, majority + 0.05);
}

// y = 3*x0 - 2*x1 + noise: the splits are on x0 and x1, x0 the larger share; x2 is noise.
TEST(XgbModelTest, FeatureGainFollowsTheSignal) {
  const core::Dataset data = LinearData(2000, 7);
  TrainOptions options;
  options.task = core::Task::kRegression;
  options.rounds = 20;
  options.params["max_depth"] = "2";
  auto model = MustTrain(data, 0, data.rows(), options);
  ASSERT_NE(model, nullptr);
  Result<std::vector<double>> gain = model->FeatureGain();
  ASSERT_TRUE(gain.ok()) << gain.status().ToString();
  ASSERT_EQ(gain->size(), 3u);
  EXPECT_GT((*gain)[0], (*gain)[1]);
  EXPECT_GT((*gain)[1], 10 * (*gain)[2]);
  EXPECT_GE((*gain)[2], 0.0);
}

TEST(XgbModelTest, RegressionRmseWellBelowLabelSpread) {
  const core::Dataset data = LinearData(3000, 1234);
  TrainOptions options;
  options.task = core::Task::kRegression;
  options.rounds = 100;
  auto model = MustTrain(data, 0, 2000, options);
  ASSERT_NE(model, nullptr);
  const std::vector<float> p = MustPredict(*model, data, 2000, 3000);

  double mean = 0;
  for (size_t i = 2000; i < 3000; ++i) mean += data.y[i];
  mean /= 1000;
  double squared_error = 0;
  double variance = 0;
  for (size_t i = 0; i < 1000; ++i) {
    const double y = data.y[2000 + i];
    squared_error += (p[i] - y) * (p[i] - y);
    variance += (y - mean) * (y - mean);
  }
  const double rmse = std::sqrt(squared_error / 1000);
  const double std_y = std::sqrt(variance / 1000);
  std::cout << "[ linear   ] held-out RMSE " << rmse << ", std of y " << std_y << "\n";
  // std(y) = sqrt(9/3 + 4/3) ~ 2.08; trees reach about 0.2 on this data.
  EXPECT_LT(rmse, 0.2 * std_y);
}

TEST(XgbModelTest, TrainsWithNthreadFromParams) {
  const core::Dataset& elec2 = testutil::Elec2();
  TrainOptions options = BinaryOptions(10);
  options.params["nthread"] = "2";
  auto first = MustTrain(elec2, 0, 3000, options);
  auto second = MustTrain(elec2, 0, 3000, options);
  ASSERT_NE(first, nullptr);
  ASSERT_NE(second, nullptr);
  EXPECT_EQ(*first->Serialize(), *second->Serialize());

  options.params["nthread"] = "two";
  Result<std::unique_ptr<XgbModel>> bad = XgbModel::Train(elec2, 0, 3000, options);
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(bad.status().message(), HasSubstr("nthread must be an integer, got 'two'"));
}

TEST(XgbModelTest, MissingValuesTrainAndPredict) {
  core::Dataset data = LinearData(2000, 99);
  for (size_t i = 0; i < data.rows(); i += 7) data.x[i * data.n_features] = std::nanf("");
  TrainOptions options;
  options.task = core::Task::kRegression;
  options.rounds = 20;
  auto model = MustTrain(data, 0, 1500, options);
  ASSERT_NE(model, nullptr);
  const float all_missing[3] = {std::nanf(""), std::nanf(""), std::nanf("")};
  std::vector<float> out;
  ASSERT_TRUE(model->Predict(all_missing, 1, 3, &out).ok());
  ASSERT_EQ(out.size(), 1u);
  EXPECT_TRUE(std::isfinite(out[0]));
}

TEST(XgbModelTest, PredictOfZeroRowsIsEmpty) {
  auto model = MustTrain(LinearData(200, 5), 0, 200, [] {
    TrainOptions options;
    options.task = core::Task::kRegression;
    options.rounds = 2;
    return options;
  }());
  ASSERT_NE(model, nullptr);
  std::vector<float> out = {1.0f};
  ASSERT_TRUE(model->Predict(nullptr, 0, 3, &out).ok());
  EXPECT_TRUE(out.empty());
}

TEST(XgbModelTest, PredictRejectsWrongFeatureCount) {
  const core::Dataset& elec2 = testutil::Elec2();
  auto model = MustTrain(elec2, 0, 1000, BinaryOptions(5));
  ASSERT_NE(model, nullptr);
  std::vector<float> out;
  Status s = model->Predict(elec2.Row(0), 1, 6, &out);
  EXPECT_EQ(s.code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(s.message(), "model expects 7 features, got 6");
}

TEST(XgbModelTest, TrainRejectsEmptyRange) {
  const core::Dataset& elec2 = testutil::Elec2();
  Result<std::unique_ptr<XgbModel>> model = XgbModel::Train(elec2, 100, 100, BinaryOptions(5));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.status().message(), "empty training range [100, 100)");
}

TEST(XgbModelTest, TrainRejectsRangePastTheEnd) {
  const core::Dataset data = LinearData(10, 1);
  Result<std::unique_ptr<XgbModel>> model = XgbModel::Train(data, 0, 11, BinaryOptions(5));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(), "training range end 11 is past the last row (10 rows)");
}

TEST(XgbModelTest, TrainRejectsNonBinaryLabel) {
  core::Dataset data = LinearData(10, 1);
  for (float& y : data.y) y = 0.0f;
  data.y[3] = 0.5f;
  Result<std::unique_ptr<XgbModel>> model = XgbModel::Train(data, 0, 10, BinaryOptions(5));
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.status().message(), "binary label of row 3 must be 0 or 1, got 0.500000");
}

TEST(XgbModelTest, TrainRejectsNanLabel) {
  core::Dataset data = LinearData(10, 1);
  data.y[4] = std::nanf("");
  TrainOptions options;
  options.task = core::Task::kRegression;
  Result<std::unique_ptr<XgbModel>> model = XgbModel::Train(data, 0, 10, options);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(model.status().message(), "label of row 4 is not finite");
}

TEST(XgbModelTest, TrainRejectsSeedInParams) {
  TrainOptions options = BinaryOptions(5);
  options.params["seed"] = "1";
  Result<std::unique_ptr<XgbModel>> model = XgbModel::Train(testutil::Elec2(), 0, 100, options);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().message(), "set the seed through TrainOptions::seed, not params");
}

TEST(XgbModelTest, TrainReportsXgboostParameterErrors) {
  TrainOptions options = BinaryOptions(5);
  options.params["max_depth"] = "deep";
  Result<std::unique_ptr<XgbModel>> model = XgbModel::Train(testutil::Elec2(), 0, 100, options);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInternal);
  EXPECT_THAT(model.status().message(), HasSubstr("max_depth"));
  EXPECT_THAT(model.status().message(), Not(HasSubstr("Stack trace")));
}

TEST(XgbModelTest, LoadRejectsGarbage) {
  Result<std::unique_ptr<XgbModel>> model =
      XgbModel::Load("certainly not a model", core::Task::kBinaryClassification);
  ASSERT_FALSE(model.ok());
  EXPECT_EQ(model.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(model.status().message(), StartsWith("loading XGBoost model: "));

  std::cout << "[ garbage  ] " << model.status().message() << "\n";

  auto trained = MustTrain(testutil::Elec2(), 0, 100, BinaryOptions(2));
  ASSERT_NE(trained, nullptr);
  const std::string bytes = *trained->Serialize();
  Result<std::unique_ptr<XgbModel>> truncated = XgbModel::Load(
      std::string_view(bytes).substr(0, bytes.size() / 2), core::Task::kBinaryClassification);
  ASSERT_FALSE(truncated.ok());
  EXPECT_EQ(truncated.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(truncated.status().message(), StartsWith("loading XGBoost model: "));

  // Every cut of a real model is refused cleanly. (XGBoost 1.7 itself reads past the end of
  // a truncated UBJSON buffer; the ASan build of this test caught it.)
  for (size_t cut : {size_t{1}, size_t{2}, size_t{10}, size_t{100}, bytes.size() / 3,
                     bytes.size() - 100, bytes.size() - 1}) {
    Result<std::unique_ptr<XgbModel>> part = XgbModel::Load(
        std::string_view(bytes).substr(0, cut), core::Task::kBinaryClassification);
    ASSERT_FALSE(part.ok()) << "cut at " << cut;
    EXPECT_THAT(part.status().message(), StartsWith("loading XGBoost model: malformed")) << cut;
  }

  Result<std::unique_ptr<XgbModel>> empty = XgbModel::Load("", core::Task::kBinaryClassification);
  ASSERT_FALSE(empty.ok());
  EXPECT_EQ(empty.status().message(), "loading XGBoost model: empty bytes");
}

TEST(XgbModelTest, LoadRejectsModelOfOtherTask) {
  TrainOptions options;
  options.task = core::Task::kRegression;
  options.rounds = 2;
  auto model = MustTrain(LinearData(100, 3), 0, 100, options);
  ASSERT_NE(model, nullptr);
  Result<std::unique_ptr<XgbModel>> loaded =
      XgbModel::Load(*model->Serialize(), core::Task::kBinaryClassification);
  ASSERT_FALSE(loaded.ok());
  EXPECT_EQ(loaded.status().code(), StatusCode::kInvalidArgument);
  EXPECT_THAT(loaded.status().message(), HasSubstr("objective 'reg:squarederror' does not fit"));
}

// Not a benchmark, a figure for capacity planning: no assertion on the time.
TEST(XgbModelTest, ReportsElec2TrainingTime) {
  const core::Dataset& elec2 = testutil::Elec2();
  TrainOptions options = BinaryOptions(100);
  options.params["max_depth"] = "6";
  options.params["nthread"] = "1";
  const double start = core::MonotonicSeconds();
  auto model = MustTrain(elec2, 0, 4000, options);
  const double seconds = core::MonotonicSeconds() - start;
  ASSERT_NE(model, nullptr);
  std::cout << "[ timing   ] 4000 Elec2 rows, 100 rounds, max_depth 6, nthread 1: " << seconds
            << " s\n";
}

}  // namespace
}  // namespace mlloop::pipeline

namespace mlloop::pipeline {
namespace {

// 900 rows where y = (x > 0.5), then 100 where the rule is reversed. Equal weights learn the
// old rule; a short recency half-life makes the newest rows outweigh the rest.
TEST(XgbModelTest, RecencyHalfLifeMakesTheNewestRowsCount) {
  std::mt19937 rng(11);
  std::uniform_real_distribution<float> u(0.0f, 1.0f);
  core::Dataset data;
  data.n_features = 1;
  for (size_t i = 0; i < 1000; ++i) {
    const float x = u(rng);
    data.x.push_back(x);
    data.y.push_back((x > 0.5f) == (i < 900) ? 1.0f : 0.0f);
  }
  core::Dataset probe;
  probe.n_features = 1;
  probe.x = {0.2f, 0.8f};
  probe.y = {0, 0};

  TrainOptions equal = BinaryOptions(20);
  TrainOptions recent = equal;
  recent.recency_half_life = 30;
  auto old_rule = MustTrain(data, 0, 1000, equal);
  auto new_rule = MustTrain(data, 0, 1000, recent);
  ASSERT_NE(old_rule, nullptr);
  ASSERT_NE(new_rule, nullptr);
  const std::vector<float> by_old = MustPredict(*old_rule, probe, 0, 2);
  const std::vector<float> by_new = MustPredict(*new_rule, probe, 0, 2);
  EXPECT_LT(by_old[0], 0.5f);
  EXPECT_GT(by_old[1], 0.5f);
  EXPECT_GT(by_new[0], 0.5f);
  EXPECT_LT(by_new[1], 0.5f);

  // Weighted training is as reproducible as the rest.
  auto again = MustTrain(data, 0, 1000, recent);
  ASSERT_NE(again, nullptr);
  EXPECT_EQ(*new_rule->Serialize(), *again->Serialize());
}

}  // namespace
}  // namespace mlloop::pipeline
