#include "io/snapshot.h"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/hash.h"
#include "core/status.h"

namespace mlloop::io {
namespace {

// Appends little-endian bytes by shifting, so the encoding is the same on any host.
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
// The same encodings written through a pointer, for the per-row hot loop: the compiler turns
// each into one store, where push_back per byte checked capacity every time.
char* WriteU32(char* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return p + 4;
}

char* WriteF32(char* p, float f) {
  uint32_t bits = 0x7FC00000u;
  if (!std::isnan(f)) std::memcpy(&bits, &f, sizeof bits);
  return WriteU32(p, bits);
}

char* WriteU64(char* p, uint64_t v) {
  for (int i = 0; i < 8; ++i) p[i] = static_cast<char>((v >> (8 * i)) & 0xFF);
  return p + 8;
}

}  // namespace

std::string SnapshotHash(const core::Dataset& data, size_t begin, size_t end) {
  MLLOOP_CHECK(begin <= end && end <= data.rows(), "SnapshotHash: row range out of bounds");
  MLLOOP_CHECK(data.x.size() == data.rows() * data.n_features && data.time.size() == data.rows(),
               "SnapshotHash: Dataset columns disagree on the row count");
  core::Sha256 sha;
  std::string buf;
  constexpr std::string_view kMagic("mlloop-snapshot-v1\0", 19);
  buf.append(kMagic);
  PutU64(buf, data.n_features);
  PutU64(buf, data.categories.size());
  for (const auto& dict : data.categories) {
    PutU64(buf, dict.size());
    for (const auto& value : dict) {
      PutU64(buf, value.size());
      buf.append(value);
    }
  }
  PutU64(buf, end - begin);

  sha.Update(buf);
  // Rows are encoded into a buffer hashed every ~64 KiB: one Update per row would spend
  // more time in call overhead than in hashing.
  const size_t row_bytes = 4 * (data.n_features + 1) + 8;
  const size_t rows_per_chunk = std::max<size_t>(1, 64 * 1024 / row_bytes);
  std::string chunk(rows_per_chunk * row_bytes, '\0');
  for (size_t i = begin; i < end;) {
    const size_t stop = std::min(end, i + rows_per_chunk);
    char* p = chunk.data();
    for (; i < stop; ++i) {
      const float* row = data.Row(i);
      for (size_t j = 0; j < data.n_features; ++j) p = WriteF32(p, row[j]);
      p = WriteF32(p, data.y[i]);
      p = WriteU64(p, static_cast<uint64_t>(data.time[i]));
    }
    sha.Update(chunk.data(), static_cast<size_t>(p - chunk.data()));
  }
  return sha.HexDigest();
}

}  // namespace mlloop::io
