#include "drift/hddm_a.h"

#include <algorithm>
#include <cmath>

namespace mlloop::drift {

Status HddmAOptions::Validate() const {
  if (!(drift_confidence > 0 && drift_confidence < 1)) {
    return Status::InvalidArgument("hddm_a: drift_confidence must be in (0, 1)");
  }
  if (!(warning_confidence > 0 && warning_confidence < 1)) {
    return Status::InvalidArgument("hddm_a: warning_confidence must be in (0, 1)");
  }
  return Status::Ok();
}

Result<std::unique_ptr<HddmA>> HddmA::Create(const HddmAOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<HddmA>(new HddmA(options));
}

void HddmA::ResetAlgorithm() {
  z_ = {};
  x_min_ = {};
  x_max_ = {};
  min_cut_ = 0;
  max_cut_ = 0;
  change_start_ = 0;
}

double HddmA::HoeffdingBound(double n) const {
  return std::sqrt(1.0 / (2 * n) * std::log(1.0 / options_.drift_confidence));
}

bool HddmA::MeanIncreased(double confidence) const {
  if (x_min_.n == z_.n) return false;
  const double m = (z_.n - x_min_.n) / x_min_.n * (1.0 / z_.n);
  const double eps = std::sqrt(m / 2 * std::log(2.0 / confidence));
  return z_.mean - x_min_.mean >= eps;
}

bool HddmA::MeanDecreased(double confidence) const {
  if (x_max_.n == z_.n) return false;
  const double m = (z_.n - x_max_.n) / x_max_.n * (1.0 / z_.n);
  const double eps = std::sqrt(m / 2 * std::log(2.0 / confidence));
  return x_max_.mean - z_.mean >= eps;
}

Verdict HddmA::Step(double x, uint64_t position) {
  z_.Update(x);
  if (x_min_.n == 0) {
    x_min_ = z_;
    min_cut_ = position;
  }
  if (x_max_.n == 0) {
    x_max_ = z_;
    max_cut_ = position;
  }
  // Move the cut points where the prefix's bound is tightest.
  const double eps_z = HoeffdingBound(z_.n);
  if (x_min_.mean + HoeffdingBound(x_min_.n) >= z_.mean + eps_z) {
    x_min_ = z_;
    min_cut_ = position;
  }
  if (x_max_.mean - HoeffdingBound(x_max_.n) <= z_.mean - eps_z) {
    x_max_ = z_;
    max_cut_ = position;
  }

  bool rise = false, fall = false, warning = false;
  if (MeanIncreased(options_.drift_confidence)) {
    rise = true;
  } else if (MeanIncreased(options_.warning_confidence)) {
    warning = true;
  }
  if (options_.two_sided_test) {
    if (MeanDecreased(options_.drift_confidence)) {
      fall = true;
    } else if (MeanDecreased(options_.warning_confidence)) {
      warning = true;
    }
  }
  if (rise || fall) {
    change_start_ = rise && fall ? std::min(min_cut_, max_cut_) + 1
                    : rise       ? min_cut_ + 1
                                 : max_cut_ + 1;
    return Verdict::kDrift;
  }
  return warning ? Verdict::kWarning : Verdict::kStable;
}

void HddmA::SaveAlgorithm(stats::wire::Writer* w) const {
  w->F64(options_.drift_confidence);
  w->F64(options_.warning_confidence);
  w->U8(options_.two_sided_test ? 1 : 0);
  internal::SaveMean(z_, w);
  internal::SaveMean(x_min_, w);
  internal::SaveMean(x_max_, w);
  w->U64(min_cut_);
  w->U64(max_cut_);
  w->U64(change_start_);
}

Status HddmA::RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) {
  double drift_confidence = 0, warning_confidence = 0;
  uint8_t two_sided = 0;
  r->F64(&drift_confidence);
  r->F64(&warning_confidence);
  r->U8(&two_sided);
  if (!r->ok()) return EndOfState(*r);
  MLLOOP_RETURN_IF_ERROR(
      CheckOption("drift_confidence", drift_confidence, options_.drift_confidence));
  MLLOOP_RETURN_IF_ERROR(
      CheckOption("warning_confidence", warning_confidence, options_.warning_confidence));
  MLLOOP_RETURN_IF_ERROR(CheckOption("two_sided_test", two_sided, options_.two_sided_test ? 1 : 0));

  internal::RiverMean z, x_min, x_max;
  uint64_t min_cut = 0, max_cut = 0, change_start = 0;
  const bool means_ok =
      internal::ReadMean(r, &z) && internal::ReadMean(r, &x_min) && internal::ReadMean(r, &x_max);
  r->U64(&min_cut);
  r->U64(&max_cut);
  r->U64(&change_start);
  MLLOOP_RETURN_IF_ERROR(EndOfState(*r));
  if (!means_ok || x_min.n > z.n || x_max.n > z.n) return Inconsistent("means");
  if ((z.n > 0 && (min_cut >= updates || max_cut >= updates)) || change_start > updates) {
    return Inconsistent("cut points");
  }
  z_ = z;
  x_min_ = x_min;
  x_max_ = x_max;
  min_cut_ = min_cut;
  max_cut_ = max_cut;
  change_start_ = change_start;
  return Status::Ok();
}

}  // namespace mlloop::drift
