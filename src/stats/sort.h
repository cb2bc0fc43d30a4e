// Sorting float samples fast: every numeric drift statistic starts from one sort of each
// column, so on big tables the sort is most of the work.
//
// SortFloats is an LSD radix sort on the IEEE-754 bits (three passes of 11 bits over keys
// that order like the floats: the sign bit flipped for positives, all bits flipped for
// negatives), O(n); on fresh random values it beats std::sort from a few hundred values
// on (bench/stats/psi_bench.cc).
// Inputs under 512 values go to std::sort.
//
// Thread-safety: pure functions; concurrent calls on distinct buffers are safe.
#pragma once

#include <cstdint>
#include <span>
#include <vector>

namespace mlloop::stats {

// Sorts `values` ascending. REQUIRES: no NaN (NaN has no place in the order; drop missing
// values first). +-inf sort to the ends; -0.0 and +0.0 are equal and come in no promised
// order among themselves. `scratch` is resized to
// 2 * values.size() and may be reused across calls to avoid allocating.
void SortFloats(std::span<float> values, std::vector<uint32_t>* scratch);
// The same with caller-owned scratch. REQUIRES: scratch.size() >= 2 * values.size().
void SortFloats(std::span<float> values, std::span<uint32_t> scratch);

}  // namespace mlloop::stats
