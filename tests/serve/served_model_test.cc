// Loading the champion from a registry: artifact, version and features from its lineage.
#include "serve/served_model.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "registry/registry.h"
#include "serve/serve_fixture.h"

namespace mlloop::serve {
namespace {

using ::testing::HasSubstr;

constexpr const char* kConfig =
    "model: toy\n"
    "data: {path: toy.csv}\n"
    "schema:\n"
    "  features: [x, {name: flag, type: boolean},\n"
    "             {name: color, type: categorical, categories: [red, green, blue]}]\n"
    "  label: {name: y, task: binary}\n";

int64_t RegisterChampion(registry::Registry& reg, int variant) {
  auto bytes = testing::TrainToyModel(variant)->Serialize();
  EXPECT_TRUE(bytes.ok());
  registry::Lineage lineage;
  lineage.config_text = kConfig;
  auto v = reg.Register("toy", *bytes, lineage, std::nullopt, "test", 1000);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  for (auto to : {registry::VersionState::kValidated, registry::VersionState::kApproved,
                  registry::VersionState::kChampion}) {
    EXPECT_TRUE(reg.Transition(v->id, to, "test", "serve test", 1000).ok());
  }
  return v->version;
}

TEST(ServedModelTest, LoadsTheChampionWithItsFeatures) {
  auto reg = registry::Registry::OpenInMemory();
  ASSERT_TRUE(reg.ok());
  ServerMetrics metrics;
  auto none = ServedModel::LoadChampion(**reg, "toy", metrics);
  ASSERT_FALSE(none.ok());
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_THAT(none.status().message(), HasSubstr("model toy has no champion to serve"));

  RegisterChampion(**reg, 0);
  const int64_t v2 = RegisterChampion(**reg, 1);
  auto served = ServedModel::LoadChampion(**reg, "toy", metrics);
  ASSERT_TRUE(served.ok()) << served.status().ToString();
  EXPECT_EQ((*served)->version(), v2);
  EXPECT_EQ((*served)->version_text(), "2");
  EXPECT_TRUE((*served)->uses_flat_forest());
  ASSERT_EQ((*served)->n_features(), 3u);
  EXPECT_EQ((*served)->features()[1].type, core::FeatureType::kBoolean);
  EXPECT_THAT((*served)->features()[2].categories, ::testing::ElementsAre("red", "green", "blue"));

  // Its answers are the trained model's, bit for bit.
  auto trained = testing::TrainToyModel(1);
  std::vector<float> rows = {0.5f, 1, 2, 0.1f, 0, 0}, want, got;
  ASSERT_TRUE(trained->PredictWithXgboost(rows.data(), 2, 3, &want).ok());
  ASSERT_TRUE((*served)->Predict(rows.data(), 2, &got).ok());
  EXPECT_EQ(got, want);
}

TEST(ServedModelTest, CreateRefusesAFeatureCountMismatch) {
  auto features = testing::ToyFeatures();
  features.pop_back();
  auto served = ServedModel::Create("toy", 1, features, testing::TrainToyModel(0), nullptr);
  ASSERT_FALSE(served.ok());
  EXPECT_THAT(served.status().message(), HasSubstr("2 features named, model has 3"));
}

}  // namespace
}  // namespace mlloop::serve
