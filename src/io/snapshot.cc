#include "io/snapshot.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string_view>

#include "core/hash.h"
#include "core/status.h"

namespace mlloop::io {
namespace {

// Appends little-endian bytes by shifting, so the encoding is the same on any host.
void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void PutF32(std::string& out, float f) {
  uint32_t bits = 0x7FC00000u;  // canonical NaN: every missing value hashes alike
  if (!std::isnan(f)) std::memcpy(&bits, &f, sizeof bits);
  PutU32(out, bits);
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

  // Rows are encoded into a buffer flushed every ~64 KiB: one Update per row would spend
  // more time in call overhead than in hashing.
  constexpr size_t kFlushAt = 64 * 1024;
  for (size_t i = begin; i < end; ++i) {
    const float* row = data.Row(i);
    for (size_t j = 0; j < data.n_features; ++j) PutF32(buf, row[j]);
    PutF32(buf, data.y[i]);
    PutU64(buf, static_cast<uint64_t>(data.time[i]));
    if (buf.size() >= kFlushAt) {
      sha.Update(buf);
      buf.clear();
    }
  }
  sha.Update(buf);
  return sha.HexDigest();
}

}  // namespace mlloop::io
