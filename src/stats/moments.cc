#include "stats/moments.h"

#include <algorithm>
#include <bit>
#include <cmath>

namespace mlloop::stats {

namespace wire {

void Writer::Le(uint64_t v, int width) {
  for (int i = 0; i < width; ++i) out_.push_back(static_cast<char>((v >> (8 * i)) & 0xFF));
}
void Writer::F32(float v) { U32(std::bit_cast<uint32_t>(v)); }
void Writer::F64(double v) { U64(std::bit_cast<uint64_t>(v)); }
void Writer::Bytes(std::string_view bytes) {
  U32(static_cast<uint32_t>(bytes.size()));
  out_.append(bytes);
}

bool Reader::Le(uint64_t* v, int width) {
  *v = 0;
  if (!ok_ || remaining() < static_cast<size_t>(width)) {
    ok_ = false;
    return false;
  }
  for (int i = 0; i < width; ++i) {
    *v |= static_cast<uint64_t>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i);
  }
  pos_ += static_cast<size_t>(width);
  return true;
}
bool Reader::U8(uint8_t* v) {
  uint64_t x;
  const bool ok = Le(&x, 1);
  *v = static_cast<uint8_t>(x);
  return ok;
}
bool Reader::U16(uint16_t* v) {
  uint64_t x;
  const bool ok = Le(&x, 2);
  *v = static_cast<uint16_t>(x);
  return ok;
}
bool Reader::U32(uint32_t* v) {
  uint64_t x;
  const bool ok = Le(&x, 4);
  *v = static_cast<uint32_t>(x);
  return ok;
}
bool Reader::U64(uint64_t* v) { return Le(v, 8); }
bool Reader::F32(float* v) {
  uint32_t x;
  const bool ok = U32(&x);
  *v = std::bit_cast<float>(x);
  return ok;
}
bool Reader::F64(double* v) {
  uint64_t x;
  const bool ok = U64(&x);
  *v = std::bit_cast<double>(x);
  return ok;
}
bool Reader::Bytes(std::string_view* v) {
  uint32_t size;
  *v = {};
  if (!U32(&size)) return false;
  if (remaining() < size) {
    ok_ = false;
    return false;
  }
  *v = in_.substr(pos_, size);
  pos_ += size;
  return true;
}

Status Reader::Header(std::string_view magic, uint8_t version, std::string_view what) {
  if (remaining() < magic.size() + 1 || in_.substr(pos_, magic.size()) != magic) {
    ok_ = false;
    return Status::DataLoss(std::string(what) + ": not a serialised " + std::string(what) +
                            " (bad magic or truncated)");
  }
  pos_ += magic.size();
  uint8_t v = 0;
  (void)U8(&v);
  if (v != version) {
    ok_ = false;
    return Status::FailedPrecondition(std::string(what) + ": format version " +
                                      std::to_string(v) + ", this build reads " +
                                      std::to_string(version));
  }
  return Status::Ok();
}

}  // namespace wire

void Moments::Add(double x) {
  if (std::isnan(x)) {
    ++missing_;
    return;
  }
  if (std::isinf(x)) {
    ++infinite_;
    return;
  }
  ++count_;
  const double delta = x - mean_;
  mean_ += delta / static_cast<double>(count_);
  m2_ += delta * (x - mean_);
  min_ = std::min(min_, x);
  max_ = std::max(max_, x);
}

void Moments::Merge(const Moments& other) {
  missing_ += other.missing_;
  infinite_ += other.infinite_;
  if (other.count_ == 0) return;
  if (count_ == 0) {
    count_ = other.count_;
    mean_ = other.mean_;
    m2_ = other.m2_;
    min_ = other.min_;
    max_ = other.max_;
    return;
  }
  // Chan, Golub, LeVeque (1979): combine two (n, mean, M2) triples.
  const double na = static_cast<double>(count_), nb = static_cast<double>(other.count_);
  const double n = na + nb;
  const double delta = other.mean_ - mean_;
  mean_ += delta * nb / n;
  m2_ += other.m2_ + delta * delta * na * nb / n;
  count_ += other.count_;
  min_ = std::min(min_, other.min_);
  max_ = std::max(max_, other.max_);
}

double Moments::population_stddev() const { return std::sqrt(variance()); }

void Moments::SerializeTo(wire::Writer* w) const {
  w->U64(count_);
  w->U64(missing_);
  w->U64(infinite_);
  w->F64(mean_);
  w->F64(m2_);
  w->F64(min_);
  w->F64(max_);
}

Result<Moments> Moments::ParseFrom(wire::Reader* r) {
  Moments m;
  (void)r->U64(&m.count_);
  (void)r->U64(&m.missing_);
  (void)r->U64(&m.infinite_);
  (void)r->F64(&m.mean_);
  (void)r->F64(&m.m2_);
  (void)r->F64(&m.min_);
  (void)r->F64(&m.max_);
  if (!r->ok()) return Status::DataLoss("moments: truncated");
  if (m.count_ > UINT64_MAX - m.missing_ || m.count_ + m.missing_ > UINT64_MAX - m.infinite_) {
    return Status::DataLoss("moments: counts overflow");
  }
  if (m.count_ == 0) {
    if (m.mean_ != 0 || m.m2_ != 0 || m.min_ != std::numeric_limits<double>::infinity() ||
        m.max_ != -std::numeric_limits<double>::infinity()) {
      return Status::DataLoss("moments: statistics present with no values");
    }
    return m;
  }
  if (!std::isfinite(m.mean_) || !std::isfinite(m.m2_) || m.m2_ < 0 || !std::isfinite(m.min_) ||
      !std::isfinite(m.max_) || m.min_ > m.max_) {
    return Status::DataLoss("moments: inconsistent mean, M2, min or max");
  }
  return m;
}

}  // namespace mlloop::stats
