#include "drift/page_hinkley.h"

#include <algorithm>

namespace mlloop::drift {

Status PageHinkleyOptions::Validate() const {
  if (min_instances < 1) return Status::InvalidArgument("page_hinkley: min_instances must be >= 1");
  if (!(delta >= 0) || !std::isfinite(delta)) {
    return Status::InvalidArgument("page_hinkley: delta must be finite and >= 0");
  }
  if (!(threshold > 0) || !std::isfinite(threshold)) {
    return Status::InvalidArgument("page_hinkley: threshold must be finite and > 0");
  }
  if (!(alpha > 0 && alpha <= 1))
    return Status::InvalidArgument("page_hinkley: alpha must be in (0, 1]");
  if (!detect_increase && !detect_decrease) {
    return Status::InvalidArgument(
        "page_hinkley: at least one of detect_increase and detect_decrease must be 1");
  }
  return Status::Ok();
}

Result<std::unique_ptr<PageHinkley>> PageHinkley::Create(const PageHinkleyOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<PageHinkley>(new PageHinkley(options));
}

void PageHinkley::ResetAlgorithm() {
  mean_ = {};
  sum_increase_ = 0;
  sum_decrease_ = 0;
  min_increase_ = std::numeric_limits<double>::infinity();
  max_decrease_ = -1;
  rise_start_ = 0;
  fall_start_ = 0;
  change_start_ = 0;
}

Verdict PageHinkley::Step(double x, uint64_t position) {
  if (mean_.n == 0) {
    // First value since the reset: the initial max L (-1) stands "before" it.
    rise_start_ = position;
    fall_start_ = position;
  }
  mean_.Update(x);
  const double dev = x - mean_.mean;
  sum_increase_ = options_.alpha * sum_increase_ + dev - options_.delta;
  sum_decrease_ = options_.alpha * sum_decrease_ + dev + options_.delta;
  if (sum_increase_ < min_increase_) {
    min_increase_ = sum_increase_;
    rise_start_ = position + 1;
  }
  if (sum_decrease_ > max_decrease_) {
    max_decrease_ = sum_decrease_;
    fall_start_ = position + 1;
  }
  if (mean_.n < options_.min_instances) return Verdict::kStable;
  const bool rise = options_.detect_increase && sum_increase_ - min_increase_ > options_.threshold;
  const bool fall = options_.detect_decrease && max_decrease_ - sum_decrease_ > options_.threshold;
  if (!rise && !fall) return Verdict::kStable;
  change_start_ = rise && fall ? std::min(rise_start_, fall_start_)
                  : rise       ? rise_start_
                               : fall_start_;
  return Verdict::kDrift;
}

void PageHinkley::SaveAlgorithm(stats::wire::Writer* w) const {
  w->U32(static_cast<uint32_t>(options_.min_instances));
  w->F64(options_.delta);
  w->F64(options_.threshold);
  w->F64(options_.alpha);
  w->U8(options_.detect_increase ? 1 : 0);
  w->U8(options_.detect_decrease ? 1 : 0);
  internal::SaveMean(mean_, w);
  w->F64(sum_increase_);
  w->F64(sum_decrease_);
  w->F64(min_increase_);
  w->F64(max_decrease_);
  w->U64(rise_start_);
  w->U64(fall_start_);
  w->U64(change_start_);
}

Status PageHinkley::RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) {
  uint32_t min_instances = 0;
  double delta = 0, threshold = 0, alpha = 0;
  uint8_t up = 0, down = 0;
  r->U32(&min_instances);
  r->F64(&delta);
  r->F64(&threshold);
  r->F64(&alpha);
  r->U8(&up);
  r->U8(&down);
  if (!r->ok()) return EndOfState(*r);
  MLLOOP_RETURN_IF_ERROR(CheckOption("min_instances", min_instances, options_.min_instances));
  MLLOOP_RETURN_IF_ERROR(CheckOption("delta", delta, options_.delta));
  MLLOOP_RETURN_IF_ERROR(CheckOption("threshold", threshold, options_.threshold));
  MLLOOP_RETURN_IF_ERROR(CheckOption("alpha", alpha, options_.alpha));
  MLLOOP_RETURN_IF_ERROR(CheckOption("detect_increase", up, options_.detect_increase ? 1 : 0));
  MLLOOP_RETURN_IF_ERROR(CheckOption("detect_decrease", down, options_.detect_decrease ? 1 : 0));

  internal::RiverMean mean;
  double sum_increase = 0, sum_decrease = 0, min_increase = 0, max_decrease = 0;
  uint64_t rise_start = 0, fall_start = 0, change_start = 0;
  const bool mean_ok = internal::ReadMean(r, &mean);
  r->F64(&sum_increase);
  r->F64(&sum_decrease);
  r->F64(&min_increase);
  r->F64(&max_decrease);
  r->U64(&rise_start);
  r->U64(&fall_start);
  r->U64(&change_start);
  MLLOOP_RETURN_IF_ERROR(EndOfState(*r));
  if (!mean_ok) return Inconsistent("mean");
  if (rise_start > updates || fall_start > updates || change_start > updates) {
    return Inconsistent("positions");
  }
  mean_ = mean;
  sum_increase_ = sum_increase;
  sum_decrease_ = sum_decrease;
  min_increase_ = min_increase;
  max_decrease_ = max_decrease;
  rise_start_ = rise_start;
  fall_start_ = fall_start;
  change_start_ = change_start;
  return Status::Ok();
}

}  // namespace mlloop::drift
