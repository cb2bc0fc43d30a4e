#include "core/schema.h"

namespace mlloop::core {

std::string_view FeatureTypeName(FeatureType type) {
  switch (type) {
    case FeatureType::kNumeric: return "numeric";
    case FeatureType::kCategorical: return "categorical";
    case FeatureType::kBoolean: return "boolean";
  }
  return "unknown";
}

std::string_view TaskName(Task task) {
  switch (task) {
    case Task::kBinaryClassification: return "binary";
    case Task::kRegression: return "regression";
  }
  return "unknown";
}

std::optional<size_t> Schema::FeatureIndex(std::string_view name) const {
  for (size_t i = 0; i < features.size(); ++i) {
    if (features[i].name == name) return i;
  }
  return std::nullopt;
}

std::vector<std::string> Schema::FeatureNames() const {
  std::vector<std::string> names;
  names.reserve(features.size());
  for (const auto& f : features) names.push_back(f.name);
  return names;
}

Dataset Dataset::Slice(size_t begin, size_t end) const {
  Dataset out;
  out.n_features = n_features;
  out.categories = categories;
  out.x.assign(x.begin() + static_cast<std::ptrdiff_t>(begin * n_features),
               x.begin() + static_cast<std::ptrdiff_t>(end * n_features));
  out.y.assign(y.begin() + static_cast<std::ptrdiff_t>(begin), y.begin() + static_cast<std::ptrdiff_t>(end));
  out.time.assign(time.begin() + static_cast<std::ptrdiff_t>(begin),
                  time.begin() + static_cast<std::ptrdiff_t>(end));
  out.row.assign(row.begin() + static_cast<std::ptrdiff_t>(begin), row.begin() + static_cast<std::ptrdiff_t>(end));
  for (const auto& seg : segments) {
    SegmentColumn s;
    s.name = seg.name;
    s.values = seg.values;
    s.codes.assign(seg.codes.begin() + static_cast<std::ptrdiff_t>(begin),
                   seg.codes.begin() + static_cast<std::ptrdiff_t>(end));
    out.segments.push_back(std::move(s));
  }
  return out;
}

}  // namespace mlloop::core
