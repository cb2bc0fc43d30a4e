#include "drift/hddm_w.h"

#include <algorithm>
#include <cmath>

namespace mlloop::drift {

Status HddmWOptions::Validate() const {
  if (!(drift_confidence > 0 && drift_confidence < 1)) {
    return Status::InvalidArgument("hddm_w: drift_confidence must be in (0, 1)");
  }
  if (!(warning_confidence > 0 && warning_confidence < 1)) {
    return Status::InvalidArgument("hddm_w: warning_confidence must be in (0, 1)");
  }
  if (!(lambda_val > 0 && lambda_val <= 1)) {
    return Status::InvalidArgument("hddm_w: lambda_val must be in (0, 1]");
  }
  return Status::Ok();
}

Result<std::unique_ptr<HddmW>> HddmW::Create(const HddmWOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<HddmW>(new HddmW(options));
}

void HddmW::ResetAlgorithm() {
  total_ = before_rise_ = after_rise_ = before_fall_ = after_fall_ = Sample{};
  rise_cut_ = std::numeric_limits<double>::infinity();
  fall_cut_ = -std::numeric_limits<double>::infinity();
  rise_cut_position_ = 0;
  fall_cut_position_ = 0;
  change_start_ = 0;
}

void HddmW::Add(Sample* s, double x) const {
  const double lambda = options_.lambda_val;
  // River's stats.EWMean: a mean of exactly 0 means "empty", and the next value replaces it.
  s->ewma = s->ewma == 0 ? x : lambda * x + (1.0 - lambda) * s->ewma;
  s->initialised = true;
  s->ibc = lambda * lambda + (1 - lambda) * (1 - lambda) * s->ibc;
}

double HddmW::McDiarmidBound(double ibc, double confidence) const {
  return std::sqrt(ibc * std::log(1 / confidence) / 2);
}

bool HddmW::MeanChanged(const Sample& before, const Sample& after, double confidence) const {
  if (!(before.initialised && after.initialised)) return false;
  return after.ewma - before.ewma > McDiarmidBound(before.ibc + after.ibc, confidence);
}

Verdict HddmW::Step(double x, uint64_t position) {
  Add(&total_, x);

  // Rise: move the cut point where the upper bound of the EWMA is lowest.
  double eps = McDiarmidBound(total_.ibc, options_.drift_confidence);
  if (total_.ewma + eps < rise_cut_) {
    rise_cut_ = total_.ewma + eps;
    before_rise_ = total_;
    after_rise_ = Sample{};
    rise_cut_position_ = position;
  } else {
    Add(&after_rise_, x);
  }
  bool rise = false, fall = false, warning = false;
  if (MeanChanged(before_rise_, after_rise_, options_.drift_confidence)) {
    rise = true;
  } else if (MeanChanged(before_rise_, after_rise_, options_.warning_confidence)) {
    warning = true;
  }

  // Fall: the mirror image. Kept up to date even for a one-sided test, as River does.
  eps = McDiarmidBound(total_.ibc, options_.drift_confidence);
  if (total_.ewma - eps > fall_cut_) {
    fall_cut_ = total_.ewma - eps;
    before_fall_ = total_;
    after_fall_ = Sample{};
    fall_cut_position_ = position;
  } else {
    Add(&after_fall_, x);
  }
  if (options_.two_sided_test) {
    if (MeanChanged(after_fall_, before_fall_, options_.drift_confidence)) {
      fall = true;
    } else if (MeanChanged(after_fall_, before_fall_, options_.warning_confidence)) {
      warning = true;
    }
  }

  if (rise || fall) {
    change_start_ = rise && fall ? std::min(rise_cut_position_, fall_cut_position_) + 1
                    : rise       ? rise_cut_position_ + 1
                                 : fall_cut_position_ + 1;
    return Verdict::kDrift;
  }
  return warning ? Verdict::kWarning : Verdict::kStable;
}

namespace {

void SaveSample(double ewma, bool initialised, double ibc, stats::wire::Writer* w) {
  w->F64(ewma);
  w->U8(initialised ? 1 : 0);
  w->F64(ibc);
}

}  // namespace

void HddmW::SaveAlgorithm(stats::wire::Writer* w) const {
  w->F64(options_.drift_confidence);
  w->F64(options_.warning_confidence);
  w->F64(options_.lambda_val);
  w->U8(options_.two_sided_test ? 1 : 0);
  for (const Sample* s : {&total_, &before_rise_, &after_rise_, &before_fall_, &after_fall_}) {
    SaveSample(s->ewma, s->initialised, s->ibc, w);
  }
  w->F64(rise_cut_);
  w->F64(fall_cut_);
  w->U64(rise_cut_position_);
  w->U64(fall_cut_position_);
  w->U64(change_start_);
}

Status HddmW::RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) {
  double drift_confidence = 0, warning_confidence = 0, lambda_val = 0;
  uint8_t two_sided = 0;
  r->F64(&drift_confidence);
  r->F64(&warning_confidence);
  r->F64(&lambda_val);
  r->U8(&two_sided);
  if (!r->ok()) return EndOfState(*r);
  MLLOOP_RETURN_IF_ERROR(
      CheckOption("drift_confidence", drift_confidence, options_.drift_confidence));
  MLLOOP_RETURN_IF_ERROR(
      CheckOption("warning_confidence", warning_confidence, options_.warning_confidence));
  MLLOOP_RETURN_IF_ERROR(CheckOption("lambda_val", lambda_val, options_.lambda_val));
  MLLOOP_RETURN_IF_ERROR(CheckOption("two_sided_test", two_sided, options_.two_sided_test ? 1 : 0));

  Sample samples[5];
  bool samples_ok = true;
  for (Sample& s : samples) {
    uint8_t initialised = 0;
    r->F64(&s.ewma);
    r->U8(&initialised);
    r->F64(&s.ibc);
    samples_ok = samples_ok && initialised <= 1 && s.ibc > 0 && s.ibc <= 1 + 1e-9;
    s.initialised = initialised == 1;
  }
  double rise_cut = 0, fall_cut = 0;
  uint64_t rise_cut_position = 0, fall_cut_position = 0, change_start = 0;
  r->F64(&rise_cut);
  r->F64(&fall_cut);
  r->U64(&rise_cut_position);
  r->U64(&fall_cut_position);
  r->U64(&change_start);
  MLLOOP_RETURN_IF_ERROR(EndOfState(*r));
  if (!samples_ok) return Inconsistent("moving averages");
  if ((samples[0].initialised && (rise_cut_position >= updates || fall_cut_position >= updates)) ||
      change_start > updates) {
    return Inconsistent("cut points");
  }
  total_ = samples[0];
  before_rise_ = samples[1];
  after_rise_ = samples[2];
  before_fall_ = samples[3];
  after_fall_ = samples[4];
  rise_cut_ = rise_cut;
  fall_cut_ = fall_cut;
  rise_cut_position_ = rise_cut_position;
  fall_cut_position_ = fall_cut_position;
  change_start_ = change_start;
  return Status::Ok();
}

}  // namespace mlloop::drift
