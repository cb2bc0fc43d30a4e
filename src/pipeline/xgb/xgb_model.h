// XgbModel: a gradient-boosted tree model trained, stored and evaluated through XGBoost's
// C API (Debian libxgboost 1.7). This is the boundary: nothing outside src/pipeline/xgb/
// includes <xgboost/c_api.h>, and no XGBoost error leaves here other than as a Status.
//
// Prediction: Train() and Load() also copy the trees into a FlatForest (flat_forest.h) when
// the model allows it (gbtree, numerical splits, binary:logistic or an identity-link reg:*
// objective), and Predict() then walks those instead of calling XGBoost: bit-identical results
// at a fraction of the cost (~30 us per call less; see docs/BENCHMARKS.md). Other models keep
// predicting through XGBoost, and so do all models when the linked XGBoost is not 1.7 (the
// version the bit-identity was verified against); flat_forest_status() says which path is in
// use and why.
// PredictWithXgboost() always calls XGBoost (for tests and benchmarks that compare the two).
//
// Thread-safety: an XgbModel is immutable after Train()/Load() returns; Predict() and
// Serialize() may be called from one thread at a time. What we found about XGBoost 1.7:
// upstream documents prediction on gbtree/dart boosters as thread-safe since 1.4
// (doc/prediction.rst, "Thread Safety"), and the C API keeps each caller's output buffer per
// thread; but changing parameters while another thread predicts is undefined, and a loaded
// booster configures itself lazily on its first prediction. We have not stress-tested
// concurrent Predict on 1.7.4, so the contract stays one thread at a time (e.g. one model per
// serving thread, or a mutex in the caller) until such a test exists. (The flat path itself
// reads only immutable state, but any model may be one that falls back to XGBoost.)
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

class FlatForest;

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
  // > 0: row weights halve every this many rows back from the newest training row; 0: equal.
  int64_t recency_half_life = 0;
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
  // Internal on XGBoost failure. After Train(), returns a copy of the bytes Train() already
  // dumped to build the flat forest (the booster is immutable, so they are the same bytes).
  Result<std::string> Serialize() const;

  // Writes into *out one prediction per row of the row-major `rows` x `n_features` matrix `x`
  // (NaN = missing): the probability of class 1 for binary classification, the value for
  // regression. *out is resized to `rows`. REQUIRES: x points to rows * n_features floats
  // (may be null when rows == 0). Returns InvalidArgument when n_features differs from the
  // training feature count.
  // Uses the flat forest when flat_forest_status().ok(), XGBoost otherwise.
  Status Predict(const float* x, size_t rows, size_t n_features, std::vector<float>* out) const;

  // As Predict(), but always through XGBoost's C API (XGBoosterPredictFromDense); Internal on
  // XGBoost failure.
  Status PredictWithXgboost(const float* x, size_t rows, size_t n_features,
                            std::vector<float>* out) const;

  // Total gain per feature (XGBoost's "total_gain" importance): the loss reduction summed
  // over every split on the feature in every tree; 0 for a feature never split on. Size
  // n_features(), in feature order. Internal on XGBoost failure or a feature name XGBoost
  // reports that is not "f<index>" (Train() sets no feature names).
  Result<std::vector<double>> FeatureGain() const;

  // OK when Predict() uses the flat forest; otherwise why not, e.g. InvalidArgument
  // "unsupported by the flat predictor: booster gblinear".
  const Status& flat_forest_status() const { return flat_forest_status_; }

  size_t n_features() const { return n_features_; }
  core::Task task() const { return task_; }
  // Seconds Train() spent in XGBoost itself (building the DMatrix and the boosting rounds),
  // without its own checks, serialisation or flat-forest build; 0 after Load(). This is what
  // the loop reports as training time, so that its overhead is never counted as training.
  double boosting_seconds() const { return boosting_seconds_; }

 private:
  class Booster;  // RAII owner of a BoosterHandle; defined in xgb_model.cc

  XgbModel(std::unique_ptr<Booster> booster, size_t n_features, core::Task task);

  // Builds flat_forest_ from `bytes` (this model, serialised), or records in
  // flat_forest_status_ why not. Never fails the model: XGBoost remains the fallback.
  void BuildFlatForest(std::string_view bytes);
  Status CheckShape(size_t n_features) const;
  // XGBoost 1.7 has no inplace prediction for gblinear ("Inplace predict is not supported by
  // current booster"): such models copy the rows into a DMatrix.
  Status PredictThroughDMatrix(const float* x, size_t rows, size_t n_features,
                               std::vector<float>* out) const;

  std::unique_ptr<Booster> booster_;
  std::unique_ptr<FlatForest> flat_forest_;  // null when !flat_forest_status_.ok()
  Status flat_forest_status_;
  bool inplace_predict_ = true;  // false for gblinear, see PredictThroughDMatrix
  // Set by Train(): its UBJSON dump (~0.3 ms for 50 trees), kept so that the Serialize() that
  // usually follows a training costs a copy. Empty after Load(): the caller has the bytes.
  std::string trained_bytes_;
  size_t n_features_;
  core::Task task_;
  double boosting_seconds_ = 0;
};

// Version of the linked XGBoost library, e.g. "1.7.4".
std::string XgboostVersion();

}  // namespace mlloop::pipeline
