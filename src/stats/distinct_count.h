// Distinct count of a column: HyperLogLog (Flajolet, Fusy, Gandouet, Meunier 2007) with
// 2^p one-byte registers and Ertl's improved estimator ("New cardinality estimation
// algorithms for HyperLogLog sketches", arXiv:1702.01284, 2017, Algorithm 6), which is
// unbiased from 0 to far past 2^64 / 2^p without HLL++'s empirical bias tables or a switch
// to linear counting.
//
// Error: relative standard error 1.04 / sqrt(2^p): 1.63% at p = 12 (the default; 4 KB of
// registers). Measured (distinct_count_test.cc, ErrorWithinThreeStandardErrors, 20 seeds
// per cardinality): bias <= 0.2% and standard deviation 1.27% / 1.43% / 1.16% at 1e3 / 1e4 /
// 1e5 distinct values; every estimate within 3 standard errors (4.9%); 1..100 distinct
// values within 2%. Merge is the register-wise max: bit-identical to one sketch of the
// union, so the union has the same
// error as one sketch of it. Update: 18-28 ns per short string (hash included);
// 4,102 bytes serialised at p = 12.
//
// Hash: 64-bit FNV-1a over the bytes, then MurmurHash3's fmix64 finaliser. It is part of
// the wire format: sketches from every replica and every build must hash alike, so changing
// it means a new format version.
//
// Thread-safety: none; an instance belongs to one thread.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mlloop::stats {

inline constexpr int kHllDefaultPrecision = 12;
inline constexpr int kHllMinPrecision = 4;
inline constexpr int kHllMaxPrecision = 18;

// The stable 64-bit hash HyperLogLog uses (FNV-1a 64 + fmix64).
uint64_t HllHash(std::string_view bytes);

class HyperLogLog {
 public:
  // REQUIRES: kHllMinPrecision <= precision <= kHllMaxPrecision (aborts otherwise).
  explicit HyperLogLog(int precision = kHllDefaultPrecision);

  void Update(std::string_view item) { UpdateHash(HllHash(item)); }
  void UpdateHash(uint64_t hash);

  // Register-wise max. InvalidArgument when the precisions differ.
  Status Merge(const HyperLogLog& other);

  // Estimated number of distinct items seen.
  double Estimate() const;
  int precision() const { return precision_; }
  // 1.04 / sqrt(2^p), the relative standard error.
  double standard_error() const;

  // Versioned bytes ("MLHL", version 1): precision then the registers. DataLoss on
  // truncated, trailing or out-of-range bytes; never crashes.
  std::string Serialize() const;
  static Result<HyperLogLog> Deserialize(std::string_view bytes);

 private:
  int precision_;
  std::vector<uint8_t> registers_;
};

}  // namespace mlloop::stats
