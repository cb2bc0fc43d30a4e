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

namespace {

constexpr std::string_view kMagic("mlloop-snapshot-v1\0", 19);

// Encodes rows [begin, end) of `data` in the canonical form, handing it to `sink` in pieces
// of about 64 KiB: one call per row would spend more time in call overhead than in hashing.
template <typename Sink>
void Encode(const core::Dataset& data, size_t begin, size_t end, Sink&& sink) {
  MLLOOP_CHECK(begin <= end && end <= data.rows(), "snapshot: row range out of bounds");
  MLLOOP_CHECK(data.x.size() == data.rows() * data.n_features && data.time.size() == data.rows(),
               "snapshot: Dataset columns disagree on the row count");
  std::string buf;
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
  sink(std::string_view(buf));

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
    sink(std::string_view(chunk.data(), static_cast<size_t>(p - chunk.data())));
  }
}

// Reads the canonical form front to back, naming the offset of whatever is wrong.
class Decoder {
 public:
  explicit Decoder(std::string_view bytes) : bytes_(bytes) {}

  size_t at() const { return at_; }
  size_t left() const { return bytes_.size() - at_; }

  Status Need(size_t n, std::string_view what) const {
    if (left() >= n) return Status::Ok();
    return Status::InvalidArgument("snapshot: cut short at byte " + std::to_string(at_) +
                                   ": expected " + std::string(what) + " (" + std::to_string(n) +
                                   " bytes), " + std::to_string(left()) + " left");
  }
  uint64_t U64() {
    uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<uint64_t>(static_cast<uint8_t>(bytes_[at_ + i])) << (8 * i);
    at_ += 8;
    return v;
  }
  float F32() {
    uint32_t bits = 0;
    for (int i = 0; i < 4; ++i) bits |= static_cast<uint32_t>(static_cast<uint8_t>(bytes_[at_ + i])) << (8 * i);
    at_ += 4;
    float f;
    std::memcpy(&f, &bits, sizeof f);
    return f;
  }
  std::string_view Bytes(size_t n) {
    const std::string_view v = bytes_.substr(at_, n);
    at_ += n;
    return v;
  }
  // A count of things of at least `unit` bytes each, which the bytes left must be able to
  // hold: a corrupt count fails here instead of asking for a huge allocation.
  Result<uint64_t> Count(std::string_view what, uint64_t unit) {
    MLLOOP_RETURN_IF_ERROR(Need(8, what));
    const size_t from = at_;
    const uint64_t n = U64();
    if (unit > 0 && n > left() / unit) {
      return Status::InvalidArgument("snapshot: " + std::string(what) + " at byte " +
                                     std::to_string(from) + " is " + std::to_string(n) +
                                     ", more than the " + std::to_string(left()) +
                                     " bytes left can hold");
    }
    return n;
  }

 private:
  std::string_view bytes_;
  size_t at_ = 0;
};

}  // namespace

std::string SnapshotHash(const core::Dataset& data, size_t begin, size_t end) {
  core::Sha256 sha;
  Encode(data, begin, end, [&](std::string_view piece) { sha.Update(piece.data(), piece.size()); });
  return sha.HexDigest();
}

std::string SnapshotBytes(const core::Dataset& data, size_t begin, size_t end) {
  std::string out;
  out.reserve(kMagic.size() + 64 + (end - begin) * (4 * (data.n_features + 1) + 8));
  Encode(data, begin, end, [&](std::string_view piece) { out.append(piece); });
  return out;
}

Result<core::Dataset> ReadSnapshot(std::string_view bytes) {
  Decoder in(bytes);
  MLLOOP_RETURN_IF_ERROR(in.Need(kMagic.size(), "the header \"mlloop-snapshot-v1\""));
  if (in.Bytes(kMagic.size()) != kMagic) {
    return Status::InvalidArgument(
        "snapshot: byte 0: not a version-1 snapshot (expected the header \"mlloop-snapshot-v1\")");
  }
  core::Dataset data;
  MLLOOP_ASSIGN_OR_RETURN(const uint64_t features, in.Count("the feature count", 4));
  data.n_features = static_cast<size_t>(features);
  MLLOOP_ASSIGN_OR_RETURN(const uint64_t dictionaries, in.Count("the dictionary count", 8));
  data.categories.resize(static_cast<size_t>(dictionaries));
  for (auto& dict : data.categories) {
    MLLOOP_ASSIGN_OR_RETURN(const uint64_t values, in.Count("a dictionary's size", 8));
    dict.reserve(static_cast<size_t>(values));
    for (uint64_t v = 0; v < values; ++v) {
      MLLOOP_ASSIGN_OR_RETURN(const uint64_t length, in.Count("a category's length", 1));
      dict.emplace_back(in.Bytes(static_cast<size_t>(length)));
    }
  }
  const uint64_t row_bytes = 4 * (features + 1) + 8;
  MLLOOP_ASSIGN_OR_RETURN(const uint64_t rows, in.Count("the row count", row_bytes));
  if (in.left() != rows * row_bytes) {
    return Status::InvalidArgument("snapshot: " + std::to_string(in.left()) +
                                   " bytes after the header at byte " + std::to_string(in.at()) +
                                   ", expected exactly " + std::to_string(rows) + " rows of " +
                                   std::to_string(row_bytes) + " bytes");
  }
  data.x.resize(static_cast<size_t>(rows * features));
  data.y.resize(static_cast<size_t>(rows));
  data.time.resize(static_cast<size_t>(rows));
  data.row.resize(static_cast<size_t>(rows));
  float* x = data.x.data();
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < features; ++j) *x++ = in.F32();
    data.y[i] = in.F32();
    data.time[i] = static_cast<int64_t>(in.U64());
    data.row[i] = static_cast<int64_t>(i);
  }
  return data;
}

}  // namespace mlloop::io
