// Schema: what the columns of a model's data mean (features and their types, the label and
// its task, where the timestamp comes from, segment columns), and Dataset, the in-memory
// batch every module passes around.
//
// Thread-safety: plain values; share const instances freely.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace mlloop::core {

enum class FeatureType { kNumeric, kCategorical, kBoolean };
std::string_view FeatureTypeName(FeatureType type);

struct FeatureSpec {
  std::string name;
  FeatureType type = FeatureType::kNumeric;
  // Categorical only. When non-empty, these are the only values allowed, coded 0..n-1 in this
  // order; when empty, codes are given in order of first appearance.
  std::vector<std::string> categories;
};

enum class Task { kBinaryClassification, kRegression };
std::string_view TaskName(Task task);

struct LabelSpec {
  std::string name;
  Task task = Task::kBinaryClassification;
  // Binary classification only: the raw values read as class 1 and class 0. Any other value
  // is an error at ingest.
  std::string positive = "1";
  std::string negative = "0";
};

struct TimestampSpec {
  enum class Source { kColumn, kRowIndex };
  Source source = Source::kRowIndex;
  std::string column;      // kColumn: ISO 8601 date/date-time or Unix seconds
  int64_t start = 0;       // kRowIndex: time of data row 0, Unix seconds (UTC)
  int64_t step = 1;        // kRowIndex: seconds between consecutive rows
  // kColumn, optional: an integer column added to the time in units of `offset_unit`
  // seconds — a date column plus an hour column, as many exports have.
  std::string offset_column;
  int64_t offset_unit = 3600;
};

struct Schema {
  std::vector<FeatureSpec> features;
  LabelSpec label;
  TimestampSpec timestamp;
  std::vector<std::string> segments;  // columns to slice metrics by (may also be features)

  // Index of the feature called `name` in `features`, or nullopt.
  std::optional<size_t> FeatureIndex(std::string_view name) const;
  std::vector<std::string> FeatureNames() const;
};

// A batch of rows in time order. Features are a dense row-major float matrix in schema
// order (the layout XGBoost's C API takes without a copy), NaN marking a missing value;
// categorical and boolean features are stored as their codes.
struct Dataset {
  size_t n_features = 0;
  std::vector<float> x;          // rows() * n_features, row-major
  std::vector<float> y;          // label per row: 0/1 for binary, value for regression
  std::vector<int64_t> time;     // Unix seconds per row
  std::vector<int64_t> row;      // 0-based data row in the source file, for lineage
  // Per feature: the category dictionary (code -> value); empty for numeric features.
  std::vector<std::vector<std::string>> categories;

  struct SegmentColumn {
    std::string name;
    std::vector<std::string> values;  // code -> value
    std::vector<uint32_t> codes;      // per row
  };
  std::vector<SegmentColumn> segments;

  size_t rows() const { return y.size(); }
  const float* Row(size_t i) const { return x.data() + i * n_features; }
  float At(size_t i, size_t j) const { return x[i * n_features + j]; }

  // Rows [begin, end) as a new Dataset with the same dictionaries. REQUIRES: begin <= end <= rows().
  Dataset Slice(size_t begin, size_t end) const;
};

inline bool IsMissing(float v) { return std::isnan(v); }

}  // namespace mlloop::core
