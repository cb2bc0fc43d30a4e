// XgbModel: a gradient-boosted tree model trained, stored and evaluated through XGBoost's
// C API (Debian libxgboost 1.7). This is the boundary: nothing outside src/pipeline/xgb/
// includes <xgboost/c_api.h>, and no XGBoost error leaves here other than as a Status.
//
// Thread-safety: an XgbModel is immutable after Train()/Load() returns; Predict() and
// Serialize() may be called from one thread at a time. What we found about XGBoost 1.7:
// upstream documents prediction on gbtree/dart boosters as thread-safe since 1.4
// (doc/prediction.rst, "Thread Safety"), and the C API keeps each caller's output buffer per
// thread; but changing parameters while another thread predicts is undefined, and a loaded
// booster configures itself lazily on its first prediction. We have not stress-tested
// concurrent Predict on 1.7.4, so the contract stays one thread at a time (e.g. one model per
// serving thread, or a mutex in the caller) until such a test exists.
//
// Example:
//   TrainOptions options;
//   options.params["max_depth"] = "6";
//   MLLOOP_ASSIGN_OR_RETURN(auto model, XgbModel::Train(data, 0, data.rows(), options));
//   std::vector<float> p;
//   MLLOOP_RETURN_IF_ERROR(model->Predict(data.Row(0), 1, data.n_features, &p));
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/schema.h"
#include "core/status.h"

namespace mlloop::pipeline {

struct TrainOptions {
  core::Task task = core::Task::kBinaryClassification;
  // Passed verbatim to XGBoosterSetParam (objective, eta, max_depth, nthread, ...). Defaults
  // filled in when absent: objective binary:logistic (binary) or reg:squarederror (regression),
  // nthread 1 (deterministic and cheap on a small machine), tree_method hist (XGBoost 2.x's
  // default, so a later upgrade does not silently change the algorithm). "seed" and
  // "random_state" are rejected here: the seed comes from `seed`.
  std::map<std::string, std::string> params;
  int rounds = 100;    // boosting rounds; REQUIRES: > 0
  uint64_t seed = 42;  // sets XGBoost's "seed" and "random_state"
};

// A trained XGBoost booster plus what it needs to be used safely: its task and feature count.
class XgbModel {
 public:
  ~XgbModel();
  XgbModel(const XgbModel&) = delete;
  XgbModel& operator=(const XgbModel&) = delete;

  // Trains on rows [begin, end) of `data` (features data.x, labels data.y).
  // Returns InvalidArgument for an empty or out-of-range row range, NaN/infinite labels,
  // labels other than 0/1 for binary classification, x not holding rows() * n_features values,
  // rounds <= 0, a "seed"/"random_state" in params, an nthread that is not an integer, or an
  // objective that does not fit the task (binary needs binary:logistic); Internal (with XGBoost's
  // message) when XGBoost rejects a parameter or fails. Deterministic: the same data and options
  // give byte-identical Serialize() output.
  static Result<std::unique_ptr<XgbModel>> Train(const core::Dataset& data, size_t begin,
                                                 size_t end, const TrainOptions& options);

  // Loads bytes produced by Serialize(). The loaded booster predicts with nthread 1.
  // Returns InvalidArgument naming what failed for empty or unparsable bytes, a model without
  // features, or a model whose objective does not fit `task`.
  static Result<std::unique_ptr<XgbModel>> Load(std::string_view bytes, core::Task task);

  // The model as XGBoost UBJSON (format "ubj"; 3.5x faster to write than JSON, and smaller):
  // deterministic bytes, what the registry stores and hashes.
  // Internal on XGBoost failure.
  Result<std::string> Serialize() const;

  // Writes into *out one prediction per row of the row-major `rows` x `n_features` matrix `x`
  // (NaN = missing): the probability of class 1 for binary classification, the value for
  // regression. *out is resized to `rows`. REQUIRES: x points to rows * n_features floats
  // (may be null when rows == 0). Returns InvalidArgument when n_features differs from the
  // training feature count.
  Status Predict(const float* x, size_t rows, size_t n_features, std::vector<float>* out) const;

  size_t n_features() const { return n_features_; }
  core::Task task() const { return task_; }

 private:
  class Booster;  // RAII owner of a BoosterHandle; defined in xgb_model.cc

  XgbModel(std::unique_ptr<Booster> booster, size_t n_features, core::Task task);

  std::unique_ptr<Booster> booster_;
  size_t n_features_;
  core::Task task_;
};

// Version of the linked XGBoost library, e.g. "1.7.4".
std::string XgboostVersion();

}  // namespace mlloop::pipeline
