#include "drift/ddm.h"

#include <cmath>

namespace mlloop::drift {

Status DdmOptions::Validate() const {
  if (warm_start < 0) return Status::InvalidArgument("ddm: warm_start must be >= 0");
  if (!(warning_threshold > 0) || !std::isfinite(warning_threshold)) {
    return Status::InvalidArgument("ddm: warning_threshold must be finite and > 0");
  }
  if (!(drift_threshold >= warning_threshold) || !std::isfinite(drift_threshold)) {
    return Status::InvalidArgument("ddm: drift_threshold must be finite and >= warning_threshold");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Ddm>> Ddm::Create(const DdmOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<Ddm>(new Ddm(options));
}

void Ddm::ResetAlgorithm() {
  p_ = {};
  p_min_ = s_min_ = ps_min_ = std::numeric_limits<double>::infinity();
  warning_ = false;
  warning_start_.reset();
  change_start_ = 0;
}

Verdict Ddm::Step(double x, uint64_t position) {
  const bool was_warning = warning_;
  p_.Update(x);
  const double p = p_.mean;
  const double n = p_.n;
  const double s = std::sqrt(p * (1 - p) / n);  // Bernoulli standard deviation of p
  bool drift = false;
  if (n > options_.warm_start) {
    if (p + s <= ps_min_) {
      p_min_ = p;
      s_min_ = s;
      ps_min_ = p_min_ + s_min_;
    }
    warning_ = p + s > p_min_ + options_.warning_threshold * s_min_;
    if (p + s > p_min_ + options_.drift_threshold * s_min_) {
      drift = true;
      warning_ = false;
    }
  }
  if (drift) {
    change_start_ = was_warning && warning_start_ ? *warning_start_ : position;
    warning_start_.reset();
    return Verdict::kDrift;
  }
  if (!warning_) {
    warning_start_.reset();
    return Verdict::kStable;
  }
  if (!was_warning || !warning_start_) warning_start_ = position;
  return Verdict::kWarning;
}

void Ddm::SaveAlgorithm(stats::wire::Writer* w) const {
  w->U32(static_cast<uint32_t>(options_.warm_start));
  w->F64(options_.warning_threshold);
  w->F64(options_.drift_threshold);
  internal::SaveMean(p_, w);
  w->F64(p_min_);
  w->F64(s_min_);
  w->F64(ps_min_);
  w->U8(warning_ ? 1 : 0);
  w->U8(warning_start_ ? 1 : 0);
  w->U64(warning_start_.value_or(0));
  w->U64(change_start_);
}

Status Ddm::RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) {
  uint32_t warm_start = 0;
  double warning_threshold = 0, drift_threshold = 0;
  r->U32(&warm_start);
  r->F64(&warning_threshold);
  r->F64(&drift_threshold);
  if (!r->ok()) return EndOfState(*r);
  MLLOOP_RETURN_IF_ERROR(CheckOption("warm_start", warm_start, options_.warm_start));
  MLLOOP_RETURN_IF_ERROR(
      CheckOption("warning_threshold", warning_threshold, options_.warning_threshold));
  MLLOOP_RETURN_IF_ERROR(CheckOption("drift_threshold", drift_threshold, options_.drift_threshold));

  internal::RiverMean p;
  double p_min = 0, s_min = 0, ps_min = 0;
  uint8_t warning = 0, has_start = 0;
  uint64_t warning_start = 0, change_start = 0;
  const bool mean_ok = internal::ReadMean(r, &p);
  r->F64(&p_min);
  r->F64(&s_min);
  r->F64(&ps_min);
  r->U8(&warning);
  r->U8(&has_start);
  r->U64(&warning_start);
  r->U64(&change_start);
  MLLOOP_RETURN_IF_ERROR(EndOfState(*r));
  if (!mean_ok || p.mean < 0 || p.mean > 1) return Inconsistent("error rate");
  if (warning > 1 || has_start > 1 || (warning == 1) != (has_start == 1) ||
      (has_start == 1 && warning_start >= updates) || change_start > updates) {
    return Inconsistent("warning zone");
  }
  p_ = p;
  p_min_ = p_min;
  s_min_ = s_min;
  ps_min_ = ps_min;
  warning_ = warning == 1;
  warning_start_.reset();
  if (has_start == 1) warning_start_ = warning_start;
  change_start_ = change_start;
  return Status::Ok();
}

}  // namespace mlloop::drift
