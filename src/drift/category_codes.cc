#include "drift/category_codes.h"

#include <cmath>

#include "core/format.h"

namespace mlloop::drift::internal {

namespace {

// Codes above this are not codes a reader produces (the dictionary would not fit memory).
constexpr float kMaxCategoryCode = 16777216.0f;  // 2^24, the last exactly representable

}  // namespace

Status CountCategoryCodes(const float* data, size_t rows, size_t stride, size_t dictionary_size,
                          std::vector<size_t>* counts, size_t* missing) {
  counts->assign(dictionary_size, 0);
  *missing = 0;
  for (size_t i = 0; i < rows; ++i) {
    const float v = data[i * stride];
    if (core::IsMissing(v)) {
      ++*missing;
      continue;
    }
    if (!(v >= 0 && v < kMaxCategoryCode) || v != std::floor(v)) {
      return Status::InvalidArgument("invalid category code " + core::FormatShortest(v) + " at row " +
                                     std::to_string(i));
    }
    const auto code = static_cast<size_t>(v);
    if (code >= counts->size()) counts->resize(code + 1, 0);
    ++(*counts)[code];
  }
  return Status::Ok();
}

std::string CategoryCodeText(const std::vector<std::string>* dictionary, core::FeatureType type,
                             size_t code) {
  if (dictionary && code < dictionary->size()) return (*dictionary)[code];
  if (type == core::FeatureType::kBoolean && code <= 1) return code == 1 ? "true" : "false";
  return std::to_string(code);
}

}  // namespace mlloop::drift::internal
