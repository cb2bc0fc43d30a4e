#include "drift/eddm.h"

#include <cmath>

namespace mlloop::drift {

Status EddmOptions::Validate() const {
  if (warm_start < 0) return Status::InvalidArgument("eddm: warm_start must be >= 0");
  if (!(alpha > 0 && alpha <= 1)) return Status::InvalidArgument("eddm: alpha must be in (0, 1]");
  if (!(beta > 0 && beta <= alpha)) {
    return Status::InvalidArgument(
        "eddm: beta must be in (0, alpha] ('alpha' >= 'beta', as River)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<Eddm>> Eddm::Create(const EddmOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<Eddm>(new Eddm(options));
}

void Eddm::ResetAlgorithm() {
  distances_ = {};
  n_ = 0;
  last_error_ = 0;
  n_errors_ = 0;
  p2s_max_ = -1;
  warning_ = false;
  warning_start_.reset();
  change_start_ = 0;
}

Verdict Eddm::Step(double x, uint64_t position) {
  const bool was_warning = warning_;
  bool drift = false;
  ++n_;
  if (x == 1.0) {
    ++n_errors_;
    distances_.Update(static_cast<double>(n_ - last_error_));
    if (n_ > static_cast<uint64_t>(options_.warm_start)) {
      const double p = distances_.m.mean;
      // River writes var ** 0.5, which is pow(); sqrt() may differ in the last bit.
      const double s = std::pow(distances_.Get(), 0.5);
      const double p2s = p + 2 * s;
      if (p2s > p2s_max_) {
        p2s_max_ = p2s;
      } else if (n_errors_ > static_cast<uint64_t>(options_.warm_start)) {
        const double level = p2s / p2s_max_;
        if (level < options_.beta) {
          drift = true;  // River leaves the warning flag as it was
        } else if (level < options_.alpha) {
          warning_ = true;
        } else {
          warning_ = false;
        }
      }
    }
    last_error_ = n_;
  }
  if (drift) {
    change_start_ = was_warning && warning_start_ ? *warning_start_ : position;
    return Verdict::kDrift;
  }
  if (!warning_) {
    warning_start_.reset();
    return Verdict::kStable;
  }
  if (!was_warning || !warning_start_) warning_start_ = position;
  return Verdict::kWarning;
}

void Eddm::SaveAlgorithm(stats::wire::Writer* w) const {
  w->U32(static_cast<uint32_t>(options_.warm_start));
  w->F64(options_.alpha);
  w->F64(options_.beta);
  internal::SaveMean(distances_.m, w);
  w->F64(distances_.s);
  w->U64(n_);
  w->U64(last_error_);
  w->U64(n_errors_);
  w->F64(p2s_max_);
  w->U8(warning_ ? 1 : 0);
  w->U8(warning_start_ ? 1 : 0);
  w->U64(warning_start_.value_or(0));
  w->U64(change_start_);
}

Status Eddm::RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) {
  uint32_t warm_start = 0;
  double alpha = 0, beta = 0;
  r->U32(&warm_start);
  r->F64(&alpha);
  r->F64(&beta);
  if (!r->ok()) return EndOfState(*r);
  MLLOOP_RETURN_IF_ERROR(CheckOption("warm_start", warm_start, options_.warm_start));
  MLLOOP_RETURN_IF_ERROR(CheckOption("alpha", alpha, options_.alpha));
  MLLOOP_RETURN_IF_ERROR(CheckOption("beta", beta, options_.beta));

  internal::RiverVar distances;
  uint64_t n = 0, last_error = 0, n_errors = 0, warning_start = 0, change_start = 0;
  double p2s_max = 0;
  uint8_t warning = 0, has_start = 0;
  const bool mean_ok = internal::ReadMean(r, &distances.m);
  r->F64(&distances.s);
  r->U64(&n);
  r->U64(&last_error);
  r->U64(&n_errors);
  r->F64(&p2s_max);
  r->U8(&warning);
  r->U8(&has_start);
  r->U64(&warning_start);
  r->U64(&change_start);
  MLLOOP_RETURN_IF_ERROR(EndOfState(*r));
  if (!mean_ok || distances.m.n != static_cast<double>(n_errors) || n > updates || last_error > n ||
      n_errors > n) {
    return Inconsistent("error counts");
  }
  if (warning > 1 || has_start > 1 || (has_start == 1 && warning_start >= updates) ||
      change_start > updates) {
    return Inconsistent("warning zone");
  }
  distances_ = distances;
  n_ = n;
  last_error_ = last_error;
  n_errors_ = n_errors;
  p2s_max_ = p2s_max;
  warning_ = warning == 1;
  warning_start_.reset();
  if (has_start == 1) warning_start_ = warning_start;
  change_start_ = change_start;
  return Status::Ok();
}

}  // namespace mlloop::drift
