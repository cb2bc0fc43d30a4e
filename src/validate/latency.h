// Single-row prediction latency, measured in process: the number a serving replica pays per
// request before HTTP. Candidate and champion calls alternate, so that whatever else the
// machine is doing slows both alike.
//
// Thread-safety: pure functions (the predict functions are called on the calling thread).
#pragma once

#include <cstddef>
#include <functional>
#include <optional>

#include "core/status.h"

namespace mlloop::validate {

// Predicts one row of features (row points to n_features floats) into *out.
using PredictOne = std::function<Status(const float* row, float* out)>;

struct LatencyStats {
  double p50_us = 0;  // numpy.quantile(..., method="linear") of the timed calls
  double p99_us = 0;
  double mean_us = 0;
  int samples = 0;
};

struct LatencyPair {
  LatencyStats candidate;
  std::optional<LatencyStats> champion;  // when a champion function was given
};

// Times `samples` single-row calls of `candidate` (and as many of `champion`, interleaved)
// over the rows of `features` (rows x n_features, row-major), cycling through them, after
// a warm-up of min(samples, 100) untimed calls each.
// Errors: InvalidArgument for no rows, samples < 1 or an empty candidate function; a
// predict function's error, with context.
Result<LatencyPair> MeasureLatency(const PredictOne& candidate, const PredictOne& champion,
                                   const float* features, size_t rows, size_t n_features,
                                   int samples);

}  // namespace mlloop::validate
