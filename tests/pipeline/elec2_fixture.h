// Elec2 (examples/elec2/electricity.csv.gz) as a core::Dataset, read with zlib directly so the
// pipeline tests do not wait for io/'s CSV reader. Features: day, period, nswprice, nswdemand,
// vicprice, vicdemand, transfer (7 columns; `date` is skipped, see SOURCE.md); label UP = 1.
#pragma once

#include <string>

#include "core/schema.h"
#include "core/status.h"

namespace mlloop::testutil {

inline constexpr size_t kElec2Features = 7;

// Reads the gzip CSV at `path`. InvalidArgument names the line that could not be parsed.
Result<core::Dataset> LoadElec2(const std::string& path);

// The shipped copy, loaded once per process. Fails the calling test when it cannot be read.
const core::Dataset& Elec2();

}  // namespace mlloop::testutil
