// The request and response bodies of the two prediction protocols mlloop speaks, decoded into
// a row-major float matrix in the served model's feature order and encoded back:
//
//  - KServe v1 (https://kserve.github.io/website/latest/modelserving/data_plane/v1_protocol/):
//      request  {"instances": [[1, 2.5, ...], ...]}  or  {"instances": [{"day": 1, ...}, ...]}
//      response {"predictions": [0.73, ...], "model_name": "elec2", "model_version": "3",
//                "request_id": "..."}
//  - Open Inference Protocol v2 (https://kserve.github.io/website/latest/modelserving/data_plane/v2_protocol/):
//      request  {"id": "...", "inputs": [{"name": "input-0", "shape": [2, 7], "datatype": "FP32",
//                "data": [...]}]}   (one tensor of rows, data flat or nested), or one tensor per
//               feature, named after it, each of shape [n] or [n, 1]
//      response {"id": "...", "model_name": "elec2", "model_version": "3", "outputs": [{"name":
//                "predict", "shape": [2], "datatype": "FP32", "data": [...]}]}
//
// Values: a number for a numeric feature; true/false or 0/1 for a boolean one; for a
// categorical one its code, or its value as a string when the model's config lists the
// categories; null anywhere means missing (NaN, which the trees route to their default child).
// Every error is InvalidArgument naming the field, e.g. "instances[3]: expected 7 values
// (day, period, ...), got 6" or "inputs[0].datatype: expected one of FP32, ..., got 'STR'".
//
// Thread-safety: free functions over values.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "serve/json_value.h"
#include "serve/served_model.h"

namespace mlloop::serve {

// Rows decoded from a request, row-major in the model's feature order.
struct DecodedRows {
  size_t rows = 0;
  std::vector<float> x;
  std::string id;  // OIP v2 "id", when the request has one
};

// REQUIRES: `model` is the version that will predict the rows. InvalidArgument naming the
// field for any shape, name, type or count that does not fit, and for more than `max_rows`.
Status DecodeKserveV1(const JsonValue& body, const ServedModel& model, size_t max_rows,
                      DecodedRows* out);
Status DecodeInferenceV2(const JsonValue& body, const ServedModel& model, size_t max_rows,
                         DecodedRows* out);

// The fast path for the commonest body, {"instances": [[numbers...], ...]} with every feature
// numeric: reads the text directly, without building a JsonValue tree. Returns true and fills
// *out when the body has exactly that form and fits the model (row width, at most max_rows,
// every number a JSON number within float range); false, with *out unspecified, for anything
// else, which the caller then decodes with ParseJson + DecodeKserveV1 (which also produces the
// error messages). Where both accept a body they give the same floats, bit for bit.
bool DecodeKserveV1Numeric(std::string_view body, const ServedModel& model, size_t max_rows,
                           DecodedRows* out);

// Response bodies, written into *out (cleared first).
void EncodeKserveV1(const ServedModel& model, const std::vector<float>& predictions,
                    std::string_view request_id, std::string* out);
void EncodeInferenceV2(const ServedModel& model, const std::vector<float>& predictions,
                       std::string_view request_id, std::string* out);
// OIP v2 model metadata: name, versions, platform, inputs (one FP32 tensor [-1, n_features],
// plus each feature with its type), outputs.
std::string InferenceV2Metadata(const ServedModel& model);

}  // namespace mlloop::serve
