// Internal to drift/: reading categorical columns as io/ stores them (float codes into a
// dictionary, NaN = missing), shared by the drift report and reference profiles.
#pragma once

#include <cstddef>
#include <string>
#include <vector>

#include "core/schema.h"
#include "core/status.h"

namespace mlloop::drift::internal {

// Counts per code of `rows` values `stride` floats apart: `counts` sized to the dictionary
// (grown for larger codes), `missing` the NaNs. InvalidArgument naming the value and row
// for anything that is not a code a reader produces (negative, fractional, >= 2^24).
Status CountCategoryCodes(const float* data, size_t rows, size_t stride, size_t dictionary_size,
                          std::vector<size_t>* counts, size_t* missing);

// The text of `code`: its dictionary entry, "true"/"false" for a boolean without one, else
// the number.
std::string CategoryCodeText(const std::vector<std::string>* dictionary, core::FeatureType type,
                             size_t code);

}  // namespace mlloop::drift::internal
