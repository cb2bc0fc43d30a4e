// Exact, mergeable summary statistics of one numeric column: count, missing count, mean,
// variance, min and max. Part of ColumnProfile (column_profile.h): each server replica
// keeps one per column, and Merge() gives the moments of the union of what they saw.
//
// Mean and variance use Welford's update and Chan, Golub and LeVeque's (1979) pairwise
// combination, in double. Counts, min and max are exact under any merge order; mean and
// variance agree with a single pass over the concatenated data up to double rounding
// (column_profile_test.cc asserts 1e-12 relative against a long-double two-pass reference,
// 1e6 values of mean 1000 merged from 2, 7 and 64 parts).
//
// Also here: the little-endian byte writer and reader that every profile's wire format is
// built from (wire::Writer / wire::Reader). They belong in core/ eventually; they live here
// because moments is the bottom of the profile stack.
//
// Thread-safety: value types; no shared state.
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mlloop::stats {

namespace wire {

// Appends fixed-width little-endian fields to a byte string.
class Writer {
 public:
  void U8(uint8_t v) { out_.push_back(static_cast<char>(v)); }
  void U16(uint16_t v) { Le(v, 2); }
  void U32(uint32_t v) { Le(v, 4); }
  void U64(uint64_t v) { Le(v, 8); }
  void F32(float v);
  void F64(double v);
  void Raw(std::string_view bytes) { out_.append(bytes); }
  // u32 length, then the bytes.
  void Bytes(std::string_view bytes);
  std::string Take() { return std::move(out_); }

 private:
  void Le(uint64_t v, int width);
  std::string out_;
};

// Reads what Writer wrote. A read past the end returns false, yields 0 and leaves the reader
// failed (ok() false), so a parser may read a whole record and check once before using it.
class Reader {
 public:
  explicit Reader(std::string_view in) : in_(in) {}
  bool U8(uint8_t* v);
  bool U16(uint16_t* v);
  bool U32(uint32_t* v);
  bool U64(uint64_t* v);
  bool F32(float* v);
  bool F64(double* v);
  bool Bytes(std::string_view* v);
  size_t remaining() const { return in_.size() - pos_; }
  bool ok() const { return ok_; }
  bool at_end() const { return pos_ == in_.size(); }

  // Reads a 4-byte magic and a 1-byte version. DataLoss naming `what` when the magic is
  // wrong or the input too short; FailedPrecondition when the version is not `version`
  // (bytes from a newer mlloop).
  Status Header(std::string_view magic, uint8_t version, std::string_view what);

 private:
  bool Le(uint64_t* v, int width);
  std::string_view in_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace wire

class Moments {
 public:
  // NaN counts as missing; +-inf counts in infinite_count() and is kept out of every other
  // statistic (it would make the mean and variance meaningless).
  void Add(double x);
  void AddMissing() { ++missing_; }

  // Becomes the moments of the union of both inputs.
  void Merge(const Moments& other);

  uint64_t count() const { return count_; }  // finite values
  uint64_t missing_count() const { return missing_; }
  uint64_t infinite_count() const { return infinite_; }
  uint64_t total_count() const { return count_ + missing_ + infinite_; }
  // 0 when count() == 0.
  double mean() const { return mean_; }
  // Population variance (ddof = 0, as np.var); 0 when count() < 2.
  double variance() const { return count_ == 0 ? 0.0 : m2_ / static_cast<double>(count_); }
  // Sample variance (ddof = 1); 0 when count() < 2.
  double sample_variance() const {
    return count_ < 2 ? 0.0 : m2_ / static_cast<double>(count_ - 1);
  }
  double population_stddev() const;
  // +inf / -inf when count() == 0.
  double min() const { return min_; }
  double max() const { return max_; }

  void SerializeTo(wire::Writer* w) const;
  // DataLoss on truncated or inconsistent bytes (negative M2, min > max, non-finite mean...).
  static Result<Moments> ParseFrom(wire::Reader* r);

 private:
  uint64_t count_ = 0;
  uint64_t missing_ = 0;
  uint64_t infinite_ = 0;
  double mean_ = 0;
  double m2_ = 0;  // sum of squared deviations from the mean
  double min_ = std::numeric_limits<double>::infinity();
  double max_ = -std::numeric_limits<double>::infinity();
};

}  // namespace mlloop::stats
