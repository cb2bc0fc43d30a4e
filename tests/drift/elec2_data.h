// Elec2 as the drift tests read it (examples/elec2/SOURCE.md): day of the week as a category,
// the six normalised measurements as numbers, the UP/DOWN label, time from the row index
// (1996-05-07, 30 minutes). Loaded once per test binary.
#pragma once

#include "core/schema.h"

namespace mlloop::drift {

core::Schema Elec2Schema();
const core::Dataset& Elec2();

}  // namespace mlloop::drift
