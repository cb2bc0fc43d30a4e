#include "drift/detector.h"

#include <bit>
#include <cmath>

#include "core/hash.h"

namespace mlloop::drift {

namespace {

// Layout of a saved detector: "MDET", u8 version, Bytes(name), u64 updates, u64 rejected, u8
// verdict, u8 reset pending, u8 has change start, u64 change start, the detector's own part, and
// last a u64 FNV-1a checksum of every byte before it (magic and version included). The checksum is
// what turns a flipped bit in a double into DataLoss instead of a silently different detector.
constexpr std::string_view kMagic = "MDET";
constexpr uint8_t kVersion = 1;
constexpr size_t kChecksumBytes = 8;

}  // namespace

std::string_view VerdictName(Verdict verdict) {
  switch (verdict) {
    case Verdict::kStable:
      return "stable";
    case Verdict::kWarning:
      return "warning";
    case Verdict::kDrift:
      return "drift";
  }
  return "unknown";
}

Verdict Detector::Update(double x) {
  const uint64_t position = updates_++;
  if (!Accepts(x)) {
    ++rejected_;
    if (verdict_ == Verdict::kDrift) {
      verdict_ = Verdict::kStable;
      change_start_.reset();
    }
    return verdict_;
  }
  if (reset_pending_) {
    ResetAlgorithm();
    reset_pending_ = false;
  }
  verdict_ = Step(x, position);
  if (verdict_ == Verdict::kDrift) {
    change_start_ = EstimateChangeStart();
    reset_pending_ = true;
  } else {
    change_start_.reset();
  }
  return verdict_;
}

Result<Verdict> Detector::UpdateChecked(double x) {
  if (!Accepts(x)) {
    return Status::InvalidArgument(std::string(Name()) + ": value " + std::to_string(x) +
                                   " is outside the detector's input domain");
  }
  return Update(x);
}

void Detector::Reset() {
  ResetAlgorithm();
  updates_ = 0;
  rejected_ = 0;
  verdict_ = Verdict::kStable;
  change_start_.reset();
  reset_pending_ = false;
}

std::string Detector::SaveState() const {
  stats::wire::Writer w;
  w.Raw(kMagic);
  w.U8(kVersion);
  w.Bytes(Name());
  w.U64(updates_);
  w.U64(rejected_);
  w.U8(static_cast<uint8_t>(verdict_));
  w.U8(reset_pending_ ? 1 : 0);
  w.U8(change_start_.has_value() ? 1 : 0);
  w.U64(change_start_.value_or(0));
  SaveAlgorithm(&w);
  std::string out = w.Take();
  const uint64_t sum = core::Fnv1a64(out);
  stats::wire::Writer tail;
  tail.U64(sum);
  out += tail.Take();
  return out;
}

Status Detector::RestoreState(std::string_view blob) {
  const std::string what = std::string(Name()) + " state";
  // Magic, then version (a newer format may change anything after it, the checksum too),
  // then the checksum, and only then the contents.
  if (blob.size() < kMagic.size() + 1 + kChecksumBytes) {
    return Status::DataLoss(what + ": not a saved detector (truncated)");
  }
  stats::wire::Reader r(blob.substr(0, blob.size() - kChecksumBytes));
  MLLOOP_RETURN_IF_ERROR(r.Header(kMagic, kVersion, what));
  stats::wire::Reader tail(blob.substr(blob.size() - kChecksumBytes));
  uint64_t saved_sum = 0;
  (void)tail.U64(&saved_sum);
  if (saved_sum != core::Fnv1a64(blob.substr(0, blob.size() - kChecksumBytes))) {
    return Status::DataLoss(what + ": checksum mismatch (corrupt or truncated bytes)");
  }
  std::string_view name;
  if (!r.Bytes(&name)) return Status::DataLoss(what + ": truncated");
  if (name != Name()) {
    return Status::FailedPrecondition(what + ": the bytes hold a '" + std::string(name) +
                                      "' detector");
  }
  uint64_t updates = 0, rejected = 0, change_start = 0;
  uint8_t verdict = 0, reset_pending = 0, has_change_start = 0;
  r.U64(&updates);
  r.U64(&rejected);
  r.U8(&verdict);
  r.U8(&reset_pending);
  r.U8(&has_change_start);
  r.U64(&change_start);
  if (!r.ok()) return Status::DataLoss(what + ": truncated");
  const bool drift = verdict == static_cast<uint8_t>(Verdict::kDrift);
  if (verdict > static_cast<uint8_t>(Verdict::kDrift) || reset_pending > 1 ||
      has_change_start > 1 || rejected > updates || (has_change_start == 1) != drift ||
      (drift && reset_pending == 0) || (has_change_start == 1 && change_start >= updates)) {
    return Status::DataLoss(what + ": inconsistent header fields");
  }
  MLLOOP_RETURN_IF_ERROR(RestoreAlgorithm(&r, updates));

  updates_ = updates;
  rejected_ = rejected;
  verdict_ = static_cast<Verdict>(verdict);
  reset_pending_ = reset_pending == 1;
  change_start_.reset();
  if (has_change_start == 1) change_start_ = change_start;
  return Status::Ok();
}

Status Detector::CheckOption(std::string_view option, double saved, double current) const {
  if (std::bit_cast<uint64_t>(saved) == std::bit_cast<uint64_t>(current)) return Status::Ok();
  return Status::FailedPrecondition(std::string(Name()) + " state: saved with " +
                                    std::string(option) + " = " + std::to_string(saved) +
                                    ", this detector has " + std::to_string(current));
}

Status Detector::EndOfState(const stats::wire::Reader& r) const {
  if (!r.ok()) return Status::DataLoss(std::string(Name()) + " state: truncated");
  if (!r.at_end()) return Status::DataLoss(std::string(Name()) + " state: trailing bytes");
  return Status::Ok();
}

Status Detector::Inconsistent(std::string_view what) const {
  return Status::DataLoss(std::string(Name()) + " state: inconsistent " + std::string(what));
}

namespace internal {

void SaveMean(const RiverMean& m, stats::wire::Writer* w) {
  w->F64(m.n);
  w->F64(m.mean);
}

bool ReadMean(stats::wire::Reader* r, RiverMean* m) {
  RiverMean out;
  if (!r->F64(&out.n) || !r->F64(&out.mean)) return false;
  if (!(out.n >= 0) || !std::isfinite(out.n)) return false;
  *m = out;
  return true;
}

}  // namespace internal

}  // namespace mlloop::drift
