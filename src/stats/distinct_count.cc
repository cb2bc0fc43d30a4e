#include "stats/distinct_count.h"

#include <algorithm>
#include <bit>
#include <cmath>
#include <limits>

#include "core/hash.h"
#include "stats/moments.h"

namespace mlloop::stats {

namespace {

constexpr std::string_view kMagic = "MLHL";
constexpr uint8_t kVersion = 1;

// Ertl (2017), Algorithm 6: sigma and tau series.
double Sigma(double x) {
  if (x == 1.0) return std::numeric_limits<double>::infinity();
  double y = 1.0, z = x, previous;
  do {
    x *= x;
    previous = z;
    z += x * y;
    y += y;
  } while (z != previous);
  return z;
}

double Tau(double x) {
  if (x == 0.0 || x == 1.0) return 0.0;
  double y = 1.0, z = 1.0 - x, previous;
  do {
    x = std::sqrt(x);
    previous = z;
    y *= 0.5;
    z -= (1.0 - x) * (1.0 - x) * y;
  } while (z != previous);
  return z / 3.0;
}

}  // namespace

uint64_t HllHash(std::string_view bytes) {
  // FNV-1a, then the murmur3 finaliser to spread its bits over the register index.
  uint64_t h = core::Fnv1a64(bytes);
  h ^= h >> 33;
  h *= 0xff51afd7ed558ccdULL;
  h ^= h >> 33;
  h *= 0xc4ceb9fe1a85ec53ULL;
  h ^= h >> 33;
  return h;
}

HyperLogLog::HyperLogLog(int precision)
    : precision_(precision), registers_(size_t{1} << std::clamp(precision, 0, 30), 0) {
  MLLOOP_CHECK(precision >= kHllMinPrecision && precision <= kHllMaxPrecision,
               "HyperLogLog precision must be in [4, 18]");
}

void HyperLogLog::UpdateHash(uint64_t hash) {
  const int q = 64 - precision_;
  const size_t index = static_cast<size_t>(hash >> q);
  // Rank of the remaining q bits: leading zeros + 1, q + 1 when all are zero.
  const uint64_t rest = hash << precision_;
  const int rank = rest == 0 ? q + 1 : std::countl_zero(rest) + 1;
  registers_[index] = std::max(registers_[index], static_cast<uint8_t>(rank));
}

Status HyperLogLog::Merge(const HyperLogLog& other) {
  if (other.precision_ != precision_) {
    return Status::InvalidArgument("HyperLogLog merge: precision differs (" +
                                   std::to_string(precision_) + " vs " +
                                   std::to_string(other.precision_) + ")");
  }
  for (size_t i = 0; i < registers_.size(); ++i) {
    registers_[i] = std::max(registers_[i], other.registers_[i]);
  }
  return Status::Ok();
}

double HyperLogLog::Estimate() const {
  const int q = 64 - precision_;
  std::vector<double> histogram(static_cast<size_t>(q) + 2, 0.0);
  for (uint8_t r : registers_) histogram[r] += 1.0;
  const double m = static_cast<double>(registers_.size());
  double z = m * Tau(1.0 - histogram[static_cast<size_t>(q) + 1] / m);
  for (int k = q; k >= 1; --k) z = 0.5 * (z + histogram[static_cast<size_t>(k)]);
  z += m * Sigma(histogram[0] / m);
  const double alpha_inf = 1.0 / (2.0 * std::log(2.0));
  return alpha_inf * m * m / z;
}

double HyperLogLog::standard_error() const {
  return 1.04 / std::sqrt(static_cast<double>(registers_.size()));
}

std::string HyperLogLog::Serialize() const {
  wire::Writer w;
  w.Raw(kMagic);
  w.U8(kVersion);
  w.U8(static_cast<uint8_t>(precision_));
  w.Raw(std::string_view(reinterpret_cast<const char*>(registers_.data()), registers_.size()));
  return w.Take();
}

Result<HyperLogLog> HyperLogLog::Deserialize(std::string_view bytes) {
  wire::Reader r(bytes);
  MLLOOP_RETURN_IF_ERROR(r.Header(kMagic, kVersion, "HyperLogLog"));
  uint8_t precision = 0;
  if (!r.U8(&precision)) return Status::DataLoss("HyperLogLog: truncated");
  if (precision < kHllMinPrecision || precision > kHllMaxPrecision) {
    return Status::DataLoss("HyperLogLog: bad precision " + std::to_string(precision));
  }
  HyperLogLog hll(precision);
  if (r.remaining() != hll.registers_.size()) {
    return Status::DataLoss("HyperLogLog: expected " + std::to_string(hll.registers_.size()) +
                            " registers, got " + std::to_string(r.remaining()) + " bytes");
  }
  const uint8_t max_rank = static_cast<uint8_t>(64 - precision + 1);
  for (uint8_t& reg : hll.registers_) {
    (void)r.U8(&reg);
    if (reg > max_rank) return Status::DataLoss("HyperLogLog: register out of range");
  }
  return hll;
}

}  // namespace mlloop::stats
