// The v1 validation gate: champion and candidate scored on the same recent labelled rows
// that neither trained on; the candidate passes unless it is worse than the champion by more
// than the configured margin. Later gates (significance, segments, bias, latency) join it.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "core/status.h"

namespace mlloop::validate {

struct GateResult {
  bool passed = false;
  std::string metric;
  double candidate_value = 0;
  std::optional<double> champion_value;  // empty when there is no champion to beat
  double delta = 0;                      // candidate - champion, in the metric's units
  int64_t rows = 0;
  double margin = 0;
  std::string reason;                    // one line with the numbers, pass or fail
};

struct HoldoutScores {
  const float* y = nullptr;
  const float* candidate = nullptr;
  const float* champion = nullptr;  // nullptr: no champion
  size_t rows = 0;
};

// Compares the two score vectors on `metric`. Fewer than `min_rows` rows fails the gate
// ("not enough clean holdout rows"), never passes it by default. Unknown metric ->
// InvalidArgument.
Result<GateResult> HoldoutGate(const HoldoutScores& scores, const std::string& metric,
                               double margin, int64_t min_rows);

}  // namespace mlloop::validate
