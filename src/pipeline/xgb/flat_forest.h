// FlatForest: the trees of an XGBoost gbtree model copied into one contiguous array, so that a
// prediction is a few hundred array reads instead of a call through XGBoost's C API, which
// costs about 30 us per call before any tree is walked (DMatrix-less inplace prediction
// included). Built for the batch sizes mlloop uses: one request in the server, one day of rows
// in a simulation.
//
// The results are bit-identical to XGBoost 1.7's CPU predictor (XGBoosterPredictFromDense,
// type 0), because every float operation is the one XGBoost performs, in the same order:
//   margin = base margin (ProbToMargin(base_score)), then += the leaf value of each tree in
//   model order; a missing value (NaN) goes to the node's default child, any other value goes
//   left iff value < split_condition; finally the objective's link (Sigmoid for logistic
//   objectives, exactly as src/common/math.h writes it, or identity).
// Rows are walked eight at a time, level by level, for speed; each row's sum still runs base,
// tree 0, tree 1, ..., so the blocking changes no bit. tests/pipeline/xgb/flat_forest_test.cc
// holds the claim against XGBoost on every Elec2 row.
//
// Only what can be reproduced exactly is accepted: booster gbtree with numerical splits, one
// output group, and an objective from SupportedObjectives(). Anything else (dart, gblinear,
// categorical splits, multi-class, other links) is refused with InvalidArgument "unsupported
// by the flat predictor: ...", and the caller keeps predicting through XGBoost.
//
// Thread-safety: immutable after construction; Predict() may be called from any number of
// threads at once.
//
// Example:
//   MLLOOP_ASSIGN_OR_RETURN(FlatForest forest, FlatForest::FromXgboostModel(ubj_bytes, 7));
//   std::vector<float> p(rows);
//   forest.Predict(x, rows, p.data());
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mlloop::pipeline {

// OK when `bytes` is one complete, well-formed XGBoost model document (UBJSON, or JSON
// text), with every length inside the buffer; InvalidArgument "malformed XGBoost model: ..."
// otherwise. XGBoost 1.7's own UBJSON reader reads past the end of a truncated buffer
// (AddressSanitizer: heap-buffer-overflow in UBJReader::DecodeStr), so XgbModel::Load runs
// this check before handing bytes to XGBoost.
Status CheckModelDocument(std::string_view bytes);

class FlatForest {
 public:
  // How the summed margin becomes a prediction, as XGBoost's objective PredTransform does.
  enum class Link { kIdentity, kLogistic };

  // Reads a model saved by XGBoosterSaveModelToBuffer, as UBJSON ("ubj", what XgbModel stores)
  // or JSON text ("json"); both carry the same document (XGBoost 1.7 schema,
  // doc/model.schema: learner.gradient_booster.model.trees[*], learner.learner_model_param,
  // learner.objective.name). `n_features` is the row width Predict() will be given.
  // Returns InvalidArgument starting "unsupported by the flat predictor: " for models it
  // cannot reproduce exactly, and InvalidArgument starting "malformed XGBoost model: " for
  // bytes that do not parse or lack a field it needs.
  static Result<FlatForest> FromXgboostModel(std::string_view bytes, size_t n_features);

  // Objectives accepted by FromXgboostModel (each with its link).
  static const std::vector<std::string>& SupportedObjectives();

  // Writes one prediction per row of the row-major `rows` x n_features() matrix `x` (NaN =
  // missing) to out[0 .. rows). REQUIRES: x holds rows * n_features() floats and out holds
  // rows floats (either may be null when rows == 0).
  void Predict(const float* x, size_t rows, float* out) const;

  size_t n_features() const { return n_features_; }
  size_t n_trees() const { return trees_.size(); }
  size_t n_nodes() const { return nodes_.size(); }
  Link link() const { return link_; }
  float base_margin() const { return base_margin_; }

 private:
  // 12 bytes; a depth-6 tree of 127 nodes spans 24 cache lines. Siblings are stored next to
  // each other (breadth-first per tree), so a node needs only its left child's index.
  // A leaf points to itself (left = its own index, is_leaf = 1, feature 0), so a walk can take
  // a fixed number of steps per tree without testing for leaves: see Step().
  struct Node {
    float value;           // split condition; at a leaf, the leaf value
    uint32_t left;         // index in nodes_ of the left child (right = left + 1); a leaf: itself
    uint16_t feature;      // split feature (0 at a leaf, so reading it is always in bounds)
    uint8_t is_leaf;       // 1 at a leaf: Step() stays put
    uint8_t default_left;  // where a missing value goes
  };
  struct Tree {
    uint32_t root;   // index of the root in nodes_
    uint32_t depth;  // edges on the longest root-to-leaf path: Step()s that reach any leaf
  };

  FlatForest() = default;

  // Walks kRows rows (row-major, n_features_ apart) through every tree and writes their
  // predictions. The rows advance level by level together: kRows independent chains of loads
  // that the CPU overlaps, and no branch that depends on the data.
  template <size_t kRows>
  void PredictBlock(const float* x, float* out) const;

  // One row through eight trees at a time (the rest one by one, leaving each at its leaf).
  // On an Elec2 row (50 depth-6 trees, bench/pipeline/predict_bench.cc): 0.42 us, against
  // 0.68 us walking one tree after another with branches and 1.8 us for PredictBlock<1>,
  // whose single chain of loads waits for each in turn.
  float PredictRow(const float* row) const;

  std::vector<Node> nodes_;  // all trees, tree after tree
  std::vector<Tree> trees_;  // in model order
  size_t n_features_ = 0;
  float base_margin_ = 0.0f;
  Link link_ = Link::kIdentity;
};

}  // namespace mlloop::pipeline
