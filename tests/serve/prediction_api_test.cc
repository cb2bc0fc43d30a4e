// Decoding KServe v1 and OIP v2 bodies into rows, and the errors that name the field.
#include "serve/prediction_api.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <bit>
#include <cmath>
#include <random>

#include "serve/serve_fixture.h"

namespace mlloop::serve {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;

class PredictionApiTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { model_ = new auto(testing::ToyServedModel(3, 0)); }
  static void TearDownTestSuite() { delete model_; }
  const ServedModel& model() const { return **model_; }

  Result<DecodedRows> V1(const std::string& json, size_t max_rows = 100) {
    auto body = ParseJson(json);
    if (!body.ok()) return body.status();
    DecodedRows rows;
    MLLOOP_RETURN_IF_ERROR(DecodeKserveV1(*body, model(), max_rows, &rows));
    return rows;
  }
  Result<DecodedRows> V2(const std::string& json, size_t max_rows = 100) {
    auto body = ParseJson(json);
    if (!body.ok()) return body.status();
    DecodedRows rows;
    MLLOOP_RETURN_IF_ERROR(DecodeInferenceV2(*body, model(), max_rows, &rows));
    return rows;
  }
  std::string V1Error(const std::string& json, size_t max_rows = 100) {
    auto r = V1(json, max_rows);
    EXPECT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  }
  std::string V2Error(const std::string& json, size_t max_rows = 100) {
    auto r = V2(json, max_rows);
    EXPECT_FALSE(r.ok()) << json;
    EXPECT_EQ(r.status().code(), StatusCode::kInvalidArgument);
    return r.status().message();
  }

  static std::shared_ptr<const ServedModel>* model_;
};
std::shared_ptr<const ServedModel>* PredictionApiTest::model_ = nullptr;

TEST_F(PredictionApiTest, V1ArraysAndObjectsGiveTheSameRows) {
  auto arrays = V1(R"({"instances": [[0.5, 1, 2], [0.25, false, null]]})");
  ASSERT_TRUE(arrays.ok()) << arrays.status().ToString();
  auto objects = V1(R"({"instances": [{"color": "blue", "x": 0.5, "flag": true},
                                      {"x": 0.25, "flag": 0, "color": null}]})");
  ASSERT_TRUE(objects.ok()) << objects.status().ToString();
  ASSERT_EQ(arrays->rows, 2u);
  EXPECT_EQ(arrays->x[0], 0.5f);
  EXPECT_EQ(arrays->x[1], 1.0f);
  EXPECT_EQ(arrays->x[2], 2.0f);
  EXPECT_TRUE(std::isnan(arrays->x[5]));
  for (size_t i = 0; i < 6; ++i) {
    if (i == 5) continue;
    EXPECT_EQ(arrays->x[i], objects->x[i]) << i;
  }
  EXPECT_TRUE(std::isnan(objects->x[5]));
}

TEST_F(PredictionApiTest, V1ErrorsNameTheField) {
  EXPECT_THAT(V1Error(R"([1, 2])"), HasSubstr("request body: expected an object"));
  EXPECT_THAT(V1Error(R"({"rows": []})"), HasSubstr("instances: required"));
  EXPECT_THAT(V1Error(R"({"instances": 3})"), HasSubstr("instances: expected an array of rows, got a number"));
  EXPECT_THAT(V1Error(R"({"instances": []})"), HasSubstr("instances: no rows"));
  EXPECT_THAT(V1Error(R"({"instances": [[1, 0, 1], [1, 0]]})"),
              HasSubstr("instances[1]: expected 3 values (x, flag, color), got 2"));
  EXPECT_THAT(V1Error(R"({"instances": [[1, 0, 1], [1, 0, 1, 4]]})"), HasSubstr("got 4"));
  EXPECT_THAT(V1Error(R"({"instances": [["a", 0, 1]]})"),
              HasSubstr("instances[0][0]: expected a number or null, got a string (feature 'x')"));
  EXPECT_THAT(V1Error(R"({"instances": [[1, 2, 1]]})"),
              HasSubstr("instances[0][1]: boolean feature 'flag' takes true, false, 0 or 1"));
  EXPECT_THAT(V1Error(R"({"instances": [[1, 0, "purple"]]})"),
              HasSubstr("instances[0][2]: 'purple' is not a category of 'color'"));
  EXPECT_THAT(V1Error(R"({"instances": [[1, 0, 3]]})"), HasSubstr("takes a code from 0 to 2"));
  EXPECT_THAT(V1Error(R"({"instances": [{"x": 1, "flag": 0, "colour": "red"}]})"),
              HasSubstr("instances[0].colour: unknown feature (features: x, flag, color)"));
  EXPECT_THAT(V1Error(R"({"instances": [{"x": 1, "flag": 0}]})"),
              HasSubstr("instances[0].color: missing (send null for a missing value)"));
  EXPECT_THAT(V1Error(R"({"instances": [{"x": 1, "x": 2, "flag": 0, "color": 1}]})"),
              HasSubstr("instances[0].x: given twice"));
  EXPECT_THAT(V1Error(R"({"instances": [7]})"), HasSubstr("instances[0]: expected an array of values or an object"));
  EXPECT_THAT(V1Error(R"({"instances": [[1,0,1],[1,0,1],[1,0,1]]})", 2),
              HasSubstr("instances: 3 rows, at most 2 per request"));
}

TEST_F(PredictionApiTest, V2RowTensorFlatOrNested) {
  auto flat = V2(R"({"id": "r1", "inputs": [{"name": "input-0", "shape": [2, 3], "datatype": "FP32",
                     "data": [0.5, 1, 2, 0.25, 0, 1]}]})");
  ASSERT_TRUE(flat.ok()) << flat.status().ToString();
  auto nested = V2(R"({"inputs": [{"name": "input-0", "shape": [2, 3], "datatype": "FP64",
                       "data": [[0.5, 1, 2], [0.25, 0, 1]]}]})");
  ASSERT_TRUE(nested.ok()) << nested.status().ToString();
  EXPECT_EQ(flat->id, "r1");
  EXPECT_EQ(flat->rows, 2u);
  EXPECT_EQ(flat->x, nested->x);
  auto one_row = V2(R"({"inputs": [{"name": "input-0", "shape": [3], "datatype": "FP32", "data": [0.5, 1, 2]}]})");
  ASSERT_TRUE(one_row.ok()) << one_row.status().ToString();
  EXPECT_THAT(one_row->x, ElementsAre(0.5f, 1.0f, 2.0f));
}

TEST_F(PredictionApiTest, V2TensorPerFeature) {
  auto by_feature = V2(R"({"inputs": [
      {"name": "color", "shape": [2], "datatype": "BYTES", "data": ["blue", "green"]},
      {"name": "x", "shape": [2, 1], "datatype": "FP32", "data": [[0.5], [0.25]]},
      {"name": "flag", "shape": [2], "datatype": "BOOL", "data": [true, false]}]})");
  ASSERT_TRUE(by_feature.ok()) << by_feature.status().ToString();
  EXPECT_THAT(by_feature->x, ElementsAre(0.5f, 1.0f, 2.0f, 0.25f, 0.0f, 1.0f));
}

TEST_F(PredictionApiTest, V2ErrorsNameTheField) {
  EXPECT_THAT(V2Error(R"({"instances": []})"), HasSubstr("inputs: required"));
  EXPECT_THAT(V2Error(R"({"inputs": []})"), HasSubstr("inputs: expected a non-empty array"));
  EXPECT_THAT(V2Error(R"({"id": 5, "inputs": []})"), HasSubstr("id: expected a string, got a number"));
  EXPECT_THAT(V2Error(R"({"inputs": [{"shape": [3], "datatype": "FP32", "data": [1,0,1]}]})"),
              HasSubstr("inputs[0].name: required"));
  EXPECT_THAT(V2Error(R"({"inputs": [{"name": "i", "shape": [3], "datatype": "STR", "data": [1,0,1]}]})"),
              HasSubstr("inputs[0].datatype: expected one of BOOL,"));
  EXPECT_THAT(V2Error(R"({"inputs": [{"name": "i", "shape": [-1, 3], "datatype": "FP32", "data": [1,0,1]}]})"),
              HasSubstr("inputs[0].shape[0]: expected a non-negative integer"));
  EXPECT_THAT(V2Error(R"({"inputs": [{"name": "i", "shape": [2, 3], "datatype": "FP32", "data": [1,0,1]}]})"),
              HasSubstr("inputs[0].data: 3 values for shape of 6"));
  EXPECT_THAT(V2Error(R"({"inputs": [{"name": "i", "shape": [1, 4], "datatype": "FP32", "data": [1,0,1,1]}]})"),
              HasSubstr("inputs[0].shape: expected [rows, 3] (x, flag, color), got 4 columns"));
  EXPECT_THAT(V2Error(R"({"inputs": [{"name": "i", "shape": [1, 3], "datatype": "FP32", "data": [1,"a",1]}]})"),
              HasSubstr("inputs[0].data[1]: expected a boolean, 0/1 or null, got a string (feature 'flag')"));
  EXPECT_THAT(V2Error(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]},
                                     {"name": "size", "shape": [1], "datatype": "FP32", "data": [1]}]})"),
              HasSubstr("inputs: tensor 'size' is not a feature (features: x, flag, color)"));
  EXPECT_THAT(V2Error(R"({"inputs": [{"name": "x", "shape": [1], "datatype": "FP32", "data": [1]},
                                     {"name": "flag", "shape": [1], "datatype": "BOOL", "data": [true]}]})"),
              HasSubstr("inputs: no tensor for feature 'color'"));
  EXPECT_THAT(V2Error(R"({"inputs": [{"name": "i", "shape": [3, 3], "datatype": "FP32", "data": [1,0,1,1,0,1,1,0,1]}]})", 2),
              HasSubstr("inputs[0].shape: 3 rows, at most 2 per request"));
}

TEST_F(PredictionApiTest, ResponsesNameModelVersionAndRequest) {
  std::string v1, v2;
  EncodeKserveV1(model(), {0.25f, 0.5f}, "req-1", &v1);
  EXPECT_EQ(v1, R"({"predictions":[0.25,0.5],"model_name":"toy","model_version":"3","request_id":"req-1"})");
  EncodeInferenceV2(model(), {0.25f}, "req-2", &v2);
  EXPECT_EQ(v2, R"({"id":"req-2","model_name":"toy","model_version":"3","outputs":[{"name":"predict","datatype":"FP32","shape":[1],"data":[0.25]}]})");
  std::string meta = InferenceV2Metadata(model());
  EXPECT_THAT(meta, HasSubstr(R"("versions":["3"])"));
  EXPECT_THAT(meta, HasSubstr(R"({"name":"color","type":"categorical","categories":["red","green","blue"]})"));
}

}  // namespace
}  // namespace mlloop::serve

namespace mlloop::serve {
namespace {

// The fast path for {"instances": [[numbers]]} must accept only what the general decoder
// accepts, and give the same floats bit for bit; everything else falls back.
class NumericFastPathTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    std::vector<core::FeatureSpec> features = {{"a", core::FeatureType::kNumeric, {}},
                                               {"b", core::FeatureType::kNumeric, {}},
                                               {"c", core::FeatureType::kNumeric, {}}};
    model_ = new auto(*ServedModel::Create("num", 1, features, testing::TrainToyModel(0), nullptr));
  }
  static void TearDownTestSuite() { delete model_; }

  // Decodes `body` both ways; returns whether the fast path took it.
  bool FastMatchesGeneral(const std::string& body, size_t max_rows = 100) {
    DecodedRows fast, general;
    const bool took = DecodeKserveV1Numeric(body, **model_, max_rows, &fast);
    auto parsed = ParseJson(body);
    const bool general_ok = parsed.ok() && DecodeKserveV1(*parsed, **model_, max_rows, &general).ok();
    if (!took) return false;
    EXPECT_TRUE(general_ok) << "fast path accepted what the general one refuses: " << body;
    EXPECT_EQ(fast.rows, general.rows) << body;
    EXPECT_EQ(fast.x.size(), general.x.size()) << body;
    for (size_t i = 0; i < std::min(fast.x.size(), general.x.size()); ++i) {
      EXPECT_EQ(std::bit_cast<uint32_t>(fast.x[i]), std::bit_cast<uint32_t>(general.x[i]))
          << body << " value " << i;
    }
    return true;
  }

  static std::shared_ptr<const ServedModel>* model_;
};
std::shared_ptr<const ServedModel>* NumericFastPathTest::model_ = nullptr;

TEST_F(NumericFastPathTest, SameFloatsAsTheGeneralDecoder) {
  std::mt19937 rng(11);
  const std::vector<std::string> numbers = {
      "0", "-0", "1", "-17", "0.5", "0.056443", "1e3", "2.5E-3", "-1.25e+2", "123456789",
      "16777217", "9007199254740993", "18446744073709551617", "0.1000000000000000055511151231257827",
      "1.00000005960464477539062500000001", "3.4028234e38", "1e-45", "-0.0", "16777216",
      "16777217.5", "0.0000000001", "0.00000000001", "123.456789", "9999999999", "-0.414912"};
  std::uniform_int_distribution<size_t> pick(0, numbers.size() - 1);
  for (int trial = 0; trial < 300; ++trial) {
    const int rows = 1 + trial % 4;
    std::string body = trial % 2 ? "{\"instances\":[" : " {\n \"instances\" : [ ";
    for (int r = 0; r < rows; ++r) {
      body += r ? (trial % 3 ? "," : " ,\n") : "";
      body += "[" + numbers[pick(rng)] + "," + numbers[pick(rng)] + (trial % 5 ? "," : " , ") +
              numbers[pick(rng)] + "]";
    }
    body += trial % 2 ? "]}" : " ] }\n";
    EXPECT_TRUE(FastMatchesGeneral(body)) << body;
  }
}

TEST_F(NumericFastPathTest, AnythingElseFallsBack) {
  for (const char* body : {
           R"({"instances": [[1, 2]]})", R"({"instances": [[1, 2, 3, 4]]})",
           R"({"instances": []})", R"({"instances": [[1, null, 3]]})",
           R"({"instances": [[1, "2", 3]]})", R"({"instances": [{"a": 1, "b": 2, "c": 3}]})",
           R"({"instances": [[1, 2, 3]], "parameters": {}})", R"({"instances": [[1, 2, 3]]} x)",
           R"({"instances": [[01, 2, 3]]})", R"({"instances": [[1., 2, 3]]})",
           R"({"instances": [[+1, 2, 3]]})", R"({"instances": [[1e, 2, 3]]})",
           R"({"instances": [[NaN, 2, 3]]})", R"({"instances": [[inf, 2, 3]]})",
           R"({"instances": [[1e40, 2, 3]]})", R"({"instances": [[1, 2, 3],]})",
           R"({"instances": [[1, 2, 3]])", R"({"instances": [[1, 2, 3]]}})", "",
           R"({"instances": [[1, 2, 3], [4, 5, 6], [7, 8, 9]]})"}) {
    DecodedRows rows;
    EXPECT_FALSE(DecodeKserveV1Numeric(body, **model_, 2, &rows)) << body;
  }
  // The toy model has boolean and categorical features: never the fast path.
  auto toy = testing::ToyServedModel(1, 0);
  DecodedRows rows;
  EXPECT_FALSE(DecodeKserveV1Numeric(R"({"instances": [[1, 0, 2]]})", *toy, 10, &rows));
}

}  // namespace
}  // namespace mlloop::serve
