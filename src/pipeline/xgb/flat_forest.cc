#include "pipeline/xgb/flat_forest.h"

#include <algorithm>
#include <bit>
#include <cstdint>
#include <charconv>
#include <cmath>
#include <limits>
#include <map>
#include <type_traits>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace mlloop::pipeline {
namespace {

// The reader's number type: floats stay float32. UBJSON stores them as raw float32; JSON text
// holds their shortest round-trip decimal, which nlohmann then reads with strtof. (Reading it as
// double and rounding to float could, in rare halfway cases, land on the neighbouring float.)
using FloatJson = nlohmann::basic_json<std::map, std::vector, std::string, bool, std::int64_t,
                                       std::uint64_t, float>;

Status Unsupported(const std::string& what) {
  return Status::InvalidArgument("unsupported by the flat predictor: " + what);
}

Status Malformed(const std::string& what) {
  return Status::InvalidArgument("malformed XGBoost model: " + what);
}

// XGBoost 1.7's objectives whose prediction the flat predictor reproduces, with the link their
// PredTransform applies. The logistic ones also turn base_score into a margin with
// ProbToMargin; the identity ones keep ObjFunction's default ProbToMargin (identity).
// Log-link objectives (reg:gamma, reg:tweedie, count:poisson) are left out: expf inside
// XGBoost's transform loop is untested here.
struct ObjectiveLink {
  std::string_view name;
  FlatForest::Link link;
};
constexpr ObjectiveLink kObjectives[] = {
    {"binary:logistic", FlatForest::Link::kLogistic},
    {"reg:logistic", FlatForest::Link::kLogistic},
    {"reg:squarederror", FlatForest::Link::kIdentity},
    {"reg:squaredlogerror", FlatForest::Link::kIdentity},
    {"reg:pseudohubererror", FlatForest::Link::kIdentity},
    {"reg:absoluteerror", FlatForest::Link::kIdentity},
};

// src/objective/regression_loss.h, LogisticRegression::ProbToMargin (float arithmetic).
float LogisticProbToMargin(float base_score) { return -logf(1.0f / base_score - 1.0f); }

// src/common/math.h, Sigmoid(float) in XGBoost 1.7: the clamp avoids expf overflow (without
// it a margin below -88.7 would give exactly 0 instead of a denormal), and kEps never changes
// a float sum that is already >= 1 but is kept so the expression is XGBoost's.
float XgboostSigmoid(float x) {
  constexpr float kEps = 1e-16f;
  x = std::min(-x, 88.7f);
  const float denom = expf(x) + 1.0f + kEps;
  return 1.0f / denom;
}

// XGBoost stores model parameters as strings ("5E-1"); parsed as float, like XGBoost does.
Result<float> ParseFloatString(const std::optional<std::string>& text, const std::string& field) {
  if (!text.has_value()) return Malformed("no " + field);
  float result = 0.0f;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), result);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return Malformed(field + " is not a number: '" + *text + "'");
  }
  return result;
}

Result<int64_t> ParseIntString(const std::optional<std::string>& text, const std::string& field) {
  if (!text.has_value()) return Malformed("no " + field);
  int64_t result = 0;
  auto [end, ec] = std::from_chars(text->data(), text->data() + text->size(), result);
  if (ec != std::errc() || end != text->data() + text->size()) {
    return Malformed(field + " is not an integer: '" + *text + "'");
  }
  return result;
}

// One tree's arrays as XGBoost 1.7 writes them (src/tree/tree_model.cc, RegTree::SaveModel):
// node i is a leaf iff left_children[i] == -1, and a leaf keeps its value in
// split_conditions[i]. Pruned nodes may stay in the arrays (num_deleted) but are unreachable.
struct ModelTree {
  std::vector<int64_t> left;
  std::vector<int64_t> right;
  std::vector<int64_t> feature;
  std::vector<float> condition;
  std::vector<uint8_t> default_left;  // 1.7 writes 0/1 numbers; earlier versions booleans
  bool categorical = false;           // any split_type != 0 or any categories listed
  std::optional<std::string> size_leaf_vector;
};

// What the flat forest needs from the model document.
struct ModelFields {
  std::string booster;    // learner.gradient_booster.name
  std::string objective;  // learner.objective.name
  std::optional<std::string> base_score, num_class, num_target;  // learner.learner_model_param
  std::vector<int64_t> tree_info;                                 // ...gradient_booster.model
  std::vector<ModelTree> trees;
};

// Collects ModelFields in one pass over the document, as a SAX handler (nlohmann's interface),
// without building a DOM. Fed by nlohmann's JSON parser or by UbjsonReader below.
class ModelReader {
 public:
  using binary_t = FloatJson::binary_t;

  explicit ModelReader(ModelFields* out) : out_(out) {}
  const std::string& error() const { return error_; }
  // False inside arrays whose numbers are not needed, so a reader may skip them.
  bool wants_numbers() const { return sink_ != Sink::kNone; }

  bool null() { return true; }
  bool boolean(bool value) { return Number(value ? 1 : 0); }
  bool number_integer(int64_t value) { return Number(value); }
  bool number_unsigned(uint64_t value) { return Number(value); }
  bool number_float(float value, const std::string& /*text*/) { return Number(value); }
  bool binary(binary_t& /*value*/) { return true; }

  bool string(std::string& value) {
    if (PathIs({"learner", "gradient_booster", "name"})) out_->booster = value;
    if (PathIs({"learner", "objective", "name"})) out_->objective = value;
    if (PathIs({"learner", "learner_model_param", "base_score"})) out_->base_score = value;
    if (PathIs({"learner", "learner_model_param", "num_class"})) out_->num_class = value;
    if (PathIs({"learner", "learner_model_param", "num_target"})) out_->num_target = value;
    if (InTree() && PathIs({"learner", "gradient_booster", "model", "trees", "[]", "tree_param",
                            "size_leaf_vector"})) {
      out_->trees.back().size_leaf_vector = value;
    }
    return true;
  }

  bool start_object(size_t /*size*/) {
    if (PathIs({"learner", "gradient_booster", "model", "trees", "[]"})) out_->trees.emplace_back();
    stack_.push_back({"", false});
    return true;
  }
  bool key(std::string& key) {
    stack_.back().key = key;
    return true;
  }
  bool end_object() {
    stack_.pop_back();
    return true;
  }

  bool start_array(size_t size) {
    sink_ = Sink::kNone;
    if (PathIs({"learner", "gradient_booster", "model", "tree_info"})) {
      sink_ = Sink::kTreeInfo;
    } else if (InTree() && stack_.size() == 6 &&
               PathIs({"learner", "gradient_booster", "model", "trees", "[]", stack_[5].key})) {
      const std::string& field = stack_[5].key;
      if (field == "left_children") sink_ = Sink::kLeft;
      if (field == "right_children") sink_ = Sink::kRight;
      if (field == "split_indices") sink_ = Sink::kFeature;
      if (field == "split_conditions") sink_ = Sink::kCondition;
      if (field == "default_left") sink_ = Sink::kDefaultLeft;
      if (field == "split_type") sink_ = Sink::kSplitType;
      if (field == "categories") sink_ = Sink::kCategories;
      if (size != SIZE_MAX) Reserve(size);  // UBJSON gives counts up front; JSON does not
    }
    stack_.push_back({"[]", true});
    return true;
  }
  bool end_array() {
    stack_.pop_back();
    sink_ = Sink::kNone;  // the arrays we read hold numbers only, so no outer sink resumes
    return true;
  }

  bool parse_error(size_t /*position*/, const std::string& /*token*/,
                   const nlohmann::detail::exception& e) {
    error_ = e.what();
    return false;
  }

 private:
  enum class Sink {
    kNone, kTreeInfo, kLeft, kRight, kFeature, kCondition, kDefaultLeft, kSplitType, kCategories
  };
  struct Frame {
    std::string key;  // the current key of an object; "[]" for an array
    bool is_array;
  };

  bool InTree() const { return !out_->trees.empty(); }

  // True when the value being read sits at `keys` (array levels spelled "[]").
  bool PathIs(std::initializer_list<std::string_view> keys) const {
    if (keys.size() != stack_.size()) return false;
    return std::equal(keys.begin(), keys.end(), stack_.begin(),
                      [](std::string_view key, const Frame& frame) { return key == frame.key; });
  }

  void Reserve(size_t size) {
    ModelTree& tree = out_->trees.back();
    switch (sink_) {
      case Sink::kLeft: tree.left.reserve(size); break;
      case Sink::kRight: tree.right.reserve(size); break;
      case Sink::kFeature: tree.feature.reserve(size); break;
      case Sink::kCondition: tree.condition.reserve(size); break;
      case Sink::kDefaultLeft: tree.default_left.reserve(size); break;
      default: break;
    }
  }

  // An index read as any number type. NaN or out-of-range values, found only in damaged
  // models, become -2, which the checks in FromXgboostModel reject (casting them is UB).
  template <typename T>
  static int64_t ToIndex(T value) {
    if constexpr (std::is_floating_point_v<T>) {
      if (!(value >= -1e18 && value <= 1e18)) return -2;
    } else if constexpr (std::is_unsigned_v<T>) {
      if (value > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return -2;
    }
    return static_cast<int64_t>(value);
  }

  template <typename T>
  bool Number(T value) {
    switch (sink_) {
      case Sink::kNone: break;
      case Sink::kTreeInfo: out_->tree_info.push_back(ToIndex(value)); break;
      case Sink::kLeft: out_->trees.back().left.push_back(ToIndex(value)); break;
      case Sink::kRight: out_->trees.back().right.push_back(ToIndex(value)); break;
      case Sink::kFeature: out_->trees.back().feature.push_back(ToIndex(value)); break;
      case Sink::kCondition:
        out_->trees.back().condition.push_back(static_cast<float>(value));
        break;
      case Sink::kDefaultLeft: out_->trees.back().default_left.push_back(value != 0); break;
      case Sink::kSplitType: out_->trees.back().categorical |= value != 0; break;
      case Sink::kCategories: out_->trees.back().categorical = true; break;
    }
    return true;
  }

  ModelFields* out_;
  std::vector<Frame> stack_;
  Sink sink_ = Sink::kNone;
  std::string error_;
};

// Universal Binary JSON (ubjson.org, draft 12) as XGBoost writes it (src/common/json.cc,
// UBJWriter), reported to a ModelReader. nlohmann can read it too, but at about 16 ns per
// number: 0.5 ms for a 50-tree depth-6 model, paid at every Train(), and a simulation trains
// 181 models. This reader skips the typed arrays the flat forest does not need (base_weights,
// loss_changes, sum_hessian, parents: half the document) in one step, which brings it to
// about 0.05 ms.
class UbjsonReader {
 public:
  UbjsonReader(std::string_view bytes, ModelReader* sax) : bytes_(bytes), sax_(sax) {}

  // Returns an empty string on success, else what went wrong and where.
  std::string Parse() {
    char marker = 0;
    if (!Byte(&marker) || !Value(marker, 0)) return error_.empty() ? Where("truncated") : error_;
    if (pos_ != bytes_.size()) return Where("bytes after the document");
    return "";
  }

 private:
  static constexpr int kMaxDepth = 64;  // XGBoost models nest 8 deep; bounds the recursion

  std::string Where(std::string_view what) const {
    return "UBJSON at byte " + std::to_string(pos_) + ": " + std::string(what);
  }
  bool Fail(std::string_view what) {
    if (error_.empty()) error_ = Where(what);
    return false;
  }

  bool Byte(char* out) {
    if (pos_ >= bytes_.size()) return false;
    *out = bytes_[pos_++];
    return true;
  }

  // A big-endian value of N bytes, as UBJSON stores every number.
  template <size_t N>
  bool BigEndian(uint64_t* out) {
    if (bytes_.size() - pos_ < N) return false;
    uint64_t value = 0;
    for (size_t i = 0; i < N; ++i) value = (value << 8) | static_cast<uint8_t>(bytes_[pos_ + i]);
    pos_ += N;
    *out = value;
    return true;
  }

  static size_t ScalarSize(char marker) {
    switch (marker) {
      case 'i': case 'U': case 'C': return 1;
      case 'I': return 2;
      case 'l': case 'd': return 4;
      case 'L': case 'D': return 8;
      case 'Z': case 'N': case 'T': case 'F': return 0;
      default: return SIZE_MAX;  // variable size or a container
    }
  }

  // An integer written with its own marker: counts and string lengths.
  bool Length(int64_t* out) {
    char marker = 0;
    if (!Byte(&marker)) return false;
    uint64_t raw = 0;
    switch (marker) {
      case 'i': if (!BigEndian<1>(&raw)) return false; *out = static_cast<int8_t>(raw); break;
      case 'U': if (!BigEndian<1>(&raw)) return false; *out = static_cast<uint8_t>(raw); break;
      case 'I': if (!BigEndian<2>(&raw)) return false; *out = static_cast<int16_t>(raw); break;
      case 'l': if (!BigEndian<4>(&raw)) return false; *out = static_cast<int32_t>(raw); break;
      case 'L': if (!BigEndian<8>(&raw)) return false; *out = static_cast<int64_t>(raw); break;
      default: return Fail(std::string("expected a length, got marker '") + marker + "'");
    }
    if (*out < 0 || static_cast<uint64_t>(*out) > bytes_.size() - pos_) {
      return Fail("length " + std::to_string(*out) + " runs past the end");
    }
    return true;
  }

  bool String(std::string* out) {
    int64_t length = 0;
    if (!Length(&length)) return false;
    out->assign(bytes_.substr(pos_, static_cast<size_t>(length)));
    pos_ += static_cast<size_t>(length);
    return true;
  }

  bool Value(char marker, int depth) {
    uint64_t raw = 0;
    switch (marker) {
      case 'Z': return sax_->null();
      case 'N': return true;
      case 'T': return sax_->boolean(true);
      case 'F': return sax_->boolean(false);
      case 'i': return BigEndian<1>(&raw) && sax_->number_integer(static_cast<int8_t>(raw));
      case 'U': return BigEndian<1>(&raw) && sax_->number_unsigned(static_cast<uint8_t>(raw));
      case 'I': return BigEndian<2>(&raw) && sax_->number_integer(static_cast<int16_t>(raw));
      case 'l': return BigEndian<4>(&raw) && sax_->number_integer(static_cast<int32_t>(raw));
      case 'L': return BigEndian<8>(&raw) && sax_->number_integer(static_cast<int64_t>(raw));
      case 'd':
        return BigEndian<4>(&raw) &&
               sax_->number_float(std::bit_cast<float>(static_cast<uint32_t>(raw)), kNoText);
      case 'D': {  // XGBoost writes float32 ('d'); a double is narrowed, saturating
        if (!BigEndian<8>(&raw)) return false;
        const double value = std::bit_cast<double>(raw);
        const float narrowed = std::abs(value) > std::numeric_limits<float>::max()
                                   ? std::copysign(std::numeric_limits<float>::infinity(), value)
                                   : static_cast<float>(value);
        return sax_->number_float(narrowed, kNoText);
      }
      case 'C': return BigEndian<1>(&raw) && sax_->number_unsigned(raw);
      case 'S': {
        std::string text;
        return String(&text) && sax_->string(text);
      }
      case '[': return depth < kMaxDepth ? Container(/*object=*/false, depth) : Fail("too deep");
      case '{': return depth < kMaxDepth ? Container(/*object=*/true, depth) : Fail("too deep");
      default: return Fail(std::string("unexpected marker '") + marker + "'");
    }
  }

  // An array or object: optional "$<type>" (elements without markers) and "#<count>" (no
  // closing bracket), else elements up to ']' or '}'. Object keys are strings without 'S'.
  bool Container(bool object, int depth) {
    char type = 0;
    int64_t count = -1;
    if (pos_ < bytes_.size() && bytes_[pos_] == '$') {
      ++pos_;
      if (!Byte(&type)) return false;
      if (pos_ >= bytes_.size() || bytes_[pos_] != '#') return Fail("'$' without '#'");
    }
    if (pos_ < bytes_.size() && bytes_[pos_] == '#') {
      ++pos_;
      if (!Length(&count)) return false;
    }
    if (object ? !sax_->start_object(count < 0 ? SIZE_MAX : static_cast<size_t>(count))
               : !sax_->start_array(count < 0 ? SIZE_MAX : static_cast<size_t>(count))) {
      return false;
    }
    const size_t size = type != 0 ? ScalarSize(type) : SIZE_MAX;
    if (!object && size != SIZE_MAX && !sax_->wants_numbers()) {
      // A typed array nobody reads: skip it whole.
      if (static_cast<uint64_t>(count) > (bytes_.size() - pos_) / std::max<size_t>(size, 1)) {
        return Fail("typed array runs past the end");
      }
      pos_ += static_cast<size_t>(count) * size;
      return sax_->end_array();
    }
    for (int64_t i = 0; count < 0 || i < count; ++i) {
      char marker = type;
      if (type == 0) {
        if (count < 0 && pos_ < bytes_.size() && bytes_[pos_] == (object ? '}' : ']')) {
          ++pos_;
          break;
        }
        if (object) {
          std::string key;
          if (!String(&key) || !sax_->key(key)) return false;
        }
        if (!Byte(&marker)) return false;
      } else if (object) {
        std::string key;
        if (!String(&key) || !sax_->key(key)) return false;
      }
      if (!Value(marker, depth + 1)) return false;
    }
    return object ? sax_->end_object() : sax_->end_array();
  }

  static inline const std::string kNoText;
  std::string_view bytes_;
  size_t pos_ = 0;
  ModelReader* sax_;
  std::string error_;
};

// XGBoost's own test in XGBoosterLoadModelFromBuffer: JSON text starts with `{"`; UBJSON
// starts with `{` followed by the type marker of the first key's length.
bool IsJsonText(std::string_view bytes) { return bytes.size() >= 2 && bytes[1] == '"'; }

Result<ModelFields> ReadModel(std::string_view bytes) {
  ModelFields fields;
  ModelReader reader(&fields);
  if (IsJsonText(bytes)) {
    if (!FloatJson::sax_parse(bytes, &reader)) return Malformed(reader.error());
    return fields;
  }
  const std::string error = UbjsonReader(bytes, &reader).Parse();
  if (!error.empty()) return Malformed(reader.error().empty() ? error : reader.error());
  return fields;
}

}  // namespace

const std::vector<std::string>& FlatForest::SupportedObjectives() {
  static const std::vector<std::string>* const kNames = [] {
    auto* names = new std::vector<std::string>;
    for (const ObjectiveLink& objective : kObjectives) names->emplace_back(objective.name);
    return names;
  }();
  return *kNames;
}

Status CheckModelDocument(std::string_view bytes) { return ReadModel(bytes).status(); }

Result<FlatForest> FlatForest::FromXgboostModel(std::string_view bytes, size_t n_features) {
  MLLOOP_ASSIGN_OR_RETURN(const ModelFields model, ReadModel(bytes));
  if (model.booster.empty()) return Malformed("no learner.gradient_booster.name");
  if (model.booster != "gbtree") return Unsupported("booster " + model.booster);

  FlatForest forest;
  forest.n_features_ = n_features;
  const auto known =
      std::find_if(std::begin(kObjectives), std::end(kObjectives),
                   [&](const ObjectiveLink& o) { return o.name == model.objective; });
  if (known == std::end(kObjectives)) return Unsupported("objective " + model.objective);
  forest.link_ = known->link;

  MLLOOP_ASSIGN_OR_RETURN(const int64_t num_class, ParseIntString(model.num_class, "num_class"));
  if (num_class > 1) return Unsupported(std::to_string(num_class) + " classes");
  if (model.num_target.has_value()) {
    MLLOOP_ASSIGN_OR_RETURN(const int64_t num_target,
                            ParseIntString(model.num_target, "num_target"));
    if (num_target != 1) return Unsupported(std::to_string(num_target) + " targets");
  }
  MLLOOP_ASSIGN_OR_RETURN(const float base_score, ParseFloatString(model.base_score, "base_score"));
  if (forest.link_ == Link::kLogistic) {
    // XGBoost CHECKs the same range before it trains or predicts.
    if (!(base_score > 0.0f && base_score < 1.0f)) {
      return Malformed("base_score " + std::to_string(base_score) + " outside (0, 1)");
    }
    forest.base_margin_ = LogisticProbToMargin(base_score);
  } else {
    forest.base_margin_ = base_score;
  }

  // tree_info names each tree's output group; with one group all must be 0.
  if (model.tree_info.size() != model.trees.size()) {
    return Malformed("tree_info has " + std::to_string(model.tree_info.size()) +
                     " entries for " + std::to_string(model.trees.size()) + " trees");
  }
  for (int64_t group : model.tree_info) {
    if (group != 0) return Unsupported("trees for output group " + std::to_string(group));
  }
  if (n_features > size_t{std::numeric_limits<uint16_t>::max()} + 1) {
    return Unsupported(std::to_string(n_features) + " features (Node::feature is 16 bits)");
  }

  // Renumber each tree breadth-first so that the two children of a node are adjacent
  // (XGBoost's own arrays usually are, but nothing in the format promises it).
  for (size_t t = 0; t < model.trees.size(); ++t) {
    const ModelTree& tree = model.trees[t];
    const std::string where = "tree " + std::to_string(t) + ": ";
    const size_t n = tree.left.size();
    if (tree.categorical) return Unsupported(where + "categorical split");
    if (tree.size_leaf_vector.value_or("0") != "0") return Unsupported(where + "vector leaves");
    if (n == 0 || tree.right.size() != n || tree.feature.size() != n ||
        tree.condition.size() != n || tree.default_left.size() != n) {
      return Malformed(where + "node arrays are empty or of different lengths");
    }
    const size_t root = forest.nodes_.size();
    if (root + n > std::numeric_limits<uint32_t>::max()) {
      return Unsupported("more than 2^32 nodes");
    }
    std::vector<int64_t> order = {0};  // original ids in breadth-first order
    std::vector<uint32_t> depth = {0};  // of each node in `order`
    uint32_t max_depth = 0;
    forest.nodes_.push_back({});
    for (size_t k = 0; k < order.size(); ++k) {
      const int64_t id = order[k];
      Node& node = forest.nodes_[root + k];
      node.value = tree.condition[id];
      max_depth = std::max(max_depth, depth[k]);
      if (tree.left[id] == -1) {
        node.is_leaf = 1;
        node.left = static_cast<uint32_t>(root + k);
        continue;
      }
      const int64_t left = tree.left[id];
      const int64_t right = tree.right[id];
      if (left < 0 || right < 0 || static_cast<size_t>(left) >= n ||
          static_cast<size_t>(right) >= n || order.size() + 2 > n) {
        return Malformed(where + "node " + std::to_string(id) + " has invalid children");
      }
      if (tree.feature[id] < 0 || static_cast<size_t>(tree.feature[id]) >= n_features) {
        return Malformed(where + "node " + std::to_string(id) + " splits on feature " +
                         std::to_string(tree.feature[id]) + " of " + std::to_string(n_features));
      }
      node.feature = static_cast<uint16_t>(tree.feature[id]);
      node.default_left = tree.default_left[id] ? 1 : 0;
      node.left = static_cast<uint32_t>(root + order.size());
      order.push_back(left);
      order.push_back(right);
      depth.insert(depth.end(), 2, depth[k] + 1);
      forest.nodes_.resize(root + order.size());  // may move: `node` is not used after this
    }
    forest.trees_.push_back({static_cast<uint32_t>(root), max_depth});
  }
  return forest;
}

namespace {

// One step down a tree, as XGBoost's GetNextNode takes it: a missing (NaN) value goes to the
// default child, any other goes left iff value < split condition (so NaN-free comparisons
// follow IEEE: -inf and +inf are ordinary values). Written with & and ! rather than branches:
// which way a row goes is data, and mispredicted branches were the cost of the walk.
template <typename Node>
inline uint32_t Step(const Node& node, const float* row) {
  const float value = row[node.feature];
  const uint32_t missing = std::isnan(value);
  const uint32_t right = !(value < node.value) & !(missing & node.default_left);
  return node.left + (right & !node.is_leaf);
}

}  // namespace

template <size_t kRows>
void FlatForest::PredictBlock(const float* x, float* out) const {
  // Accumulate in float, base margin first and then the trees in model order: XGBoost's
  // PredictByAllTrees does out_predt(row, 0) += leaf for each tree over the initial base score.
  float margin[kRows];
  for (size_t r = 0; r < kRows; ++r) margin[r] = base_margin_;
  for (const Tree& tree : trees_) {
    uint32_t node[kRows];
    for (size_t r = 0; r < kRows; ++r) node[r] = tree.root;
    for (uint32_t level = 0; level < tree.depth; ++level) {
      for (size_t r = 0; r < kRows; ++r) node[r] = Step(nodes_[node[r]], x + r * n_features_);
    }
    for (size_t r = 0; r < kRows; ++r) margin[r] += nodes_[node[r]].value;
  }
  for (size_t r = 0; r < kRows; ++r) {
    out[r] = link_ == Link::kLogistic ? XgboostSigmoid(margin[r]) : margin[r];
  }
}

float FlatForest::PredictRow(const float* row) const {
  // Eight trees at a time, level by level with the branch-free Step(): eight independent
  // chains of loads for the CPU to overlap, where one tree after another waits for each load
  // in turn. The leaves are still added in model order, so the sum is XGBoost's.
  constexpr size_t kTrees = 8;
  float margin = base_margin_;
  size_t t = 0;
  for (; t + kTrees <= trees_.size(); t += kTrees) {
    uint32_t node[kTrees];
    uint32_t depth = 0;
    for (size_t k = 0; k < kTrees; ++k) {
      node[k] = trees_[t + k].root;
      depth = std::max(depth, trees_[t + k].depth);
    }
    for (uint32_t level = 0; level < depth; ++level) {
      for (size_t k = 0; k < kTrees; ++k) node[k] = Step(nodes_[node[k]], row);
    }
    for (size_t k = 0; k < kTrees; ++k) margin += nodes_[node[k]].value;
  }
  for (; t < trees_.size(); ++t) {
    const Node* n = &nodes_[trees_[t].root];
    while (!n->is_leaf) n = &nodes_[Step(*n, row)];
    margin += n->value;
  }
  return link_ == Link::kLogistic ? XgboostSigmoid(margin) : margin;
}

void FlatForest::Predict(const float* x, size_t rows, float* out) const {
  // Blocks of 8 rows. On Elec2's 50 depth-6 trees (bench/pipeline/predict_bench.cc, 1,000-row
  // batches): 0.36 us per row, against 0.51 with blocks of 4 or 16 (at 16 the node indices no
  // longer fit in registers), 0.62 for a one-tree-at-a-time PredictRow on every row, 1.76 for
  // PredictBlock<1>.
  constexpr size_t kBlock = 8;
  size_t r = 0;
  for (; r + kBlock <= rows; r += kBlock) PredictBlock<kBlock>(x + r * n_features_, out + r);
  for (; r < rows; ++r) out[r] = PredictRow(x + r * n_features_);
}

}  // namespace mlloop::pipeline
