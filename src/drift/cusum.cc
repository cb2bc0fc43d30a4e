#include "drift/cusum.h"

#include <algorithm>

namespace mlloop::drift {

Status CusumOptions::Validate() const {
  if (!(k >= 0) || !std::isfinite(k))
    return Status::InvalidArgument("cusum: k must be finite and >= 0");
  if (!(h > 0) || !std::isfinite(h))
    return Status::InvalidArgument("cusum: h must be finite and > 0");
  if (!std::isnan(mean) && !std::isfinite(mean)) {
    return Status::InvalidArgument("cusum: mean must be finite (or NaN: estimate it)");
  }
  if (!std::isnan(sigma) && !(sigma > 0 && std::isfinite(sigma))) {
    return Status::InvalidArgument("cusum: sigma must be finite and > 0 (or NaN: estimate it)");
  }
  const int needed = std::isnan(sigma) ? 2 : std::isnan(mean) ? 1 : 0;
  if (warm_start < needed) {
    return Status::InvalidArgument("cusum: warm_start must be >= " + std::to_string(needed) +
                                   " to estimate " + (needed == 2 ? "sigma" : "the mean"));
  }
  if (!detect_increase && !detect_decrease) {
    return Status::InvalidArgument(
        "cusum: at least one of detect_increase and detect_decrease must be 1");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Cusum>> Cusum::Create(const CusumOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<Cusum>(new Cusum(options));
}

void Cusum::ResetAlgorithm() {
  warm_up_ = stats::Moments();
  monitoring_ = false;
  mu0_ = 0;
  sigma_ = 0;
  c_plus_ = 0;
  c_minus_ = 0;
  rise_start_ = 0;
  fall_start_ = 0;
  change_start_ = 0;
}

Verdict Cusum::Step(double x, uint64_t position) {
  if (!monitoring_) {
    if (!std::isnan(options_.mean) && !std::isnan(options_.sigma)) {
      // Nothing to estimate: the sums start with this value.
      mu0_ = options_.mean;
      sigma_ = options_.sigma;
      monitoring_ = true;
      rise_start_ = fall_start_ = position;
    } else {
      warm_up_.Add(x);
      if (warm_up_.count() < static_cast<uint64_t>(options_.warm_start)) return Verdict::kStable;
      mu0_ = std::isnan(options_.mean) ? warm_up_.mean() : options_.mean;
      sigma_ = std::isnan(options_.sigma) ? std::sqrt(warm_up_.sample_variance()) : options_.sigma;
      if (!(sigma_ > 0)) return Verdict::kStable;  // all warm-up values equal: keep warming up
      monitoring_ = true;
      rise_start_ = fall_start_ = position + 1;
      return Verdict::kStable;
    }
  }
  const double z = (x - mu0_) / sigma_;
  c_plus_ = std::max(0.0, c_plus_ + z - options_.k);
  c_minus_ = std::max(0.0, c_minus_ - z - options_.k);
  if (c_plus_ == 0) rise_start_ = position + 1;
  if (c_minus_ == 0) fall_start_ = position + 1;
  const bool rise = options_.detect_increase && c_plus_ > options_.h;
  const bool fall = options_.detect_decrease && c_minus_ > options_.h;
  if (!rise && !fall) return Verdict::kStable;
  change_start_ = rise && fall ? std::min(rise_start_, fall_start_)
                  : rise       ? rise_start_
                               : fall_start_;
  return Verdict::kDrift;
}

void Cusum::SaveAlgorithm(stats::wire::Writer* w) const {
  w->F64(options_.k);
  w->F64(options_.h);
  w->U32(static_cast<uint32_t>(options_.warm_start));
  w->F64(options_.mean);
  w->F64(options_.sigma);
  w->U8(options_.detect_increase ? 1 : 0);
  w->U8(options_.detect_decrease ? 1 : 0);
  warm_up_.SerializeTo(w);
  w->U8(monitoring_ ? 1 : 0);
  w->F64(mu0_);
  w->F64(sigma_);
  w->F64(c_plus_);
  w->F64(c_minus_);
  w->U64(rise_start_);
  w->U64(fall_start_);
  w->U64(change_start_);
}

Status Cusum::RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) {
  double k = 0, h = 0, mean = 0, sigma = 0;
  uint32_t warm_start = 0;
  uint8_t up = 0, down = 0;
  r->F64(&k);
  r->F64(&h);
  r->U32(&warm_start);
  r->F64(&mean);
  r->F64(&sigma);
  r->U8(&up);
  r->U8(&down);
  if (!r->ok()) return EndOfState(*r);
  MLLOOP_RETURN_IF_ERROR(CheckOption("k", k, options_.k));
  MLLOOP_RETURN_IF_ERROR(CheckOption("h", h, options_.h));
  MLLOOP_RETURN_IF_ERROR(CheckOption("warm_start", warm_start, options_.warm_start));
  MLLOOP_RETURN_IF_ERROR(CheckOption("mean", mean, options_.mean));
  MLLOOP_RETURN_IF_ERROR(CheckOption("sigma", sigma, options_.sigma));
  MLLOOP_RETURN_IF_ERROR(CheckOption("detect_increase", up, options_.detect_increase ? 1 : 0));
  MLLOOP_RETURN_IF_ERROR(CheckOption("detect_decrease", down, options_.detect_decrease ? 1 : 0));

  auto warm_up = stats::Moments::ParseFrom(r);
  if (!warm_up.ok()) return Status::DataLoss("cusum state: " + warm_up.status().message());
  uint8_t monitoring = 0;
  double mu0 = 0, sigma_hat = 0, c_plus = 0, c_minus = 0;
  uint64_t rise_start = 0, fall_start = 0, change_start = 0;
  r->U8(&monitoring);
  r->F64(&mu0);
  r->F64(&sigma_hat);
  r->F64(&c_plus);
  r->F64(&c_minus);
  r->U64(&rise_start);
  r->U64(&fall_start);
  r->U64(&change_start);
  MLLOOP_RETURN_IF_ERROR(EndOfState(*r));
  if (monitoring > 1 || warm_up->total_count() > updates ||
      (monitoring == 1 && !(sigma_hat > 0 && std::isfinite(mu0))) || !(c_plus >= 0) ||
      !(c_minus >= 0)) {
    return Inconsistent("sums");
  }
  if (rise_start > updates || fall_start > updates || change_start > updates) {
    return Inconsistent("positions");
  }
  warm_up_ = std::move(warm_up).value();
  monitoring_ = monitoring == 1;
  mu0_ = mu0;
  sigma_ = sigma_hat;
  c_plus_ = c_plus;
  c_minus_ = c_minus;
  rise_start_ = rise_start;
  fall_start_ = fall_start;
  change_start_ = change_start;
  return Status::Ok();
}

}  // namespace mlloop::drift
