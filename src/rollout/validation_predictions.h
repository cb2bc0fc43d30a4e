// The reference of the rollout's prediction-drift guard: what a version predicted on the rows
// that validated it.
//
// Thread-safety: a free function; reads files.
#pragma once

#include <vector>

#include "core/status.h"
#include "registry/registry.h"
#include "serve/served_model.h"

namespace mlloop::rollout {

// The predictions `model` (the served form of `version`) makes on its validation holdout:
// the `validation.holdout_rows` rows of the data file named in its lineage that follow its
// training rows, where the controller scored it (docs/DECISIONS.md, "Validation holdout").
// NotFound when the lineage records no config or data file, or the file is gone;
// FailedPrecondition when the file has no rows after the training rows; the reader's errors.
Result<std::vector<float>> ValidationPredictions(const registry::ModelVersion& version,
                                                 const serve::ServedModel& model);

}  // namespace mlloop::rollout
