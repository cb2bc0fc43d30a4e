// Content addresses for training data: a SHA-256 over a canonical encoding of a Dataset's
// rows, so lineage can say exactly which data a model saw and a re-read of the same file
// (or the same rows from another source) is recognised as the same snapshot.
//
// Canonical form (version 1), hashed in this order, all integers and floats little-endian:
//   "mlloop-snapshot-v1" followed by one 0x00 byte;
//   u64 n_features;
//   u64 number of category dictionaries (Dataset::categories.size()), then for each one:
//       u64 number of values, then per value u64 byte length and the raw bytes;
//   u64 number of rows (end - begin);
//   per row i in [begin, end): n_features float32 features (row-major, schema order),
//       float32 label, int64 time.
// Floats are hashed by their IEEE-754 bits, except that every NaN is written as the quiet
// NaN 0x7FC00000: all NaNs mean "missing", so the payload bits of one must not change the
// hash. Segment columns and Dataset::row (lineage back to the file) are not part of the
// content: the same rows read from two files hash the same.
//
// Thread-safety: reentrant; reads `data` only.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

#include "core/schema.h"
#include "core/status.h"

namespace mlloop::io {

// Lower-case hex SHA-256 of rows [begin, end) of `data` in the canonical form above.
// REQUIRES: begin <= end <= data.rows(), data.x.size() == data.rows() * data.n_features,
// data.time.size() == data.rows().
std::string SnapshotHash(const core::Dataset& data, size_t begin, size_t end);

// The canonical bytes themselves, whose SHA-256 is SnapshotHash(data, begin, end): what a
// snapshot is stored as when no file holds its rows (a version trained on live traffic).
// Same REQUIRES as SnapshotHash.
std::string SnapshotBytes(const core::Dataset& data, size_t begin, size_t end);

// The rows of a snapshot's canonical bytes, as a Dataset: features, labels, times and the
// category dictionaries (NaN for every missing value; `row` numbers them 0, 1, ...; no
// segment columns, which the canonical form leaves out). InvalidArgument naming the byte
// offset and what was expected there when `bytes` is not a version-1 snapshot, is cut
// short or runs on past its last row. SnapshotBytes of the result is `bytes` again.
Result<core::Dataset> ReadSnapshot(std::string_view bytes);

}  // namespace mlloop::io
