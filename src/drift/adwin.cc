#include "drift/adwin.h"

#include <cstring>

namespace mlloop::drift {

namespace {
constexpr int kMaxMaxBuckets = 4096;
constexpr uint32_t kMaxRows = 64;  // 2^63 values: more than a uint64 position can count
}  // namespace

Status AdwinOptions::Validate() const {
  if (!(delta > 0 && delta < 1)) return Status::InvalidArgument("adwin: delta must be in (0, 1)");
  if (clock < 1) return Status::InvalidArgument("adwin: clock must be >= 1");
  if (max_buckets < 1 || max_buckets > kMaxMaxBuckets) {
    return Status::InvalidArgument("adwin: max_buckets must be in [1, 4096]");
  }
  if (min_window_length < 1)
    return Status::InvalidArgument("adwin: min_window_length must be >= 1");
  if (grace_period < 0) return Status::InvalidArgument("adwin: grace_period must be >= 0");
  return Status::Ok();
}

Result<std::unique_ptr<Adwin>> Adwin::Create(const AdwinOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  return std::unique_ptr<Adwin>(new Adwin(options));
}

Adwin::Adwin(const AdwinOptions& options) : options_(options) { ResetAlgorithm(); }

Adwin::Row Adwin::NewRow() const {
  // One spare slot: a row briefly holds max_buckets + 1 buckets before two are merged.
  const size_t slots = static_cast<size_t>(options_.max_buckets) + 1;
  Row row;
  row.total.assign(slots, 0.0);
  row.variance.assign(slots, 0.0);
  row.first.assign(slots, 0);
  return row;
}

void Adwin::ResetAlgorithm() {
  rows_.clear();
  rows_.push_back(NewRow());
  tick_ = 0;
  width_ = 0;
  total_ = 0;
  m2_ = 0;
}

namespace {

// Removes the `n` oldest buckets of a row (River's Bucket.compress).
template <typename Row>
void DropFront(Row* row, int n) {
  const size_t keep = static_cast<size_t>(row->count - n);
  std::memmove(row->total.data(), row->total.data() + n, keep * sizeof(double));
  std::memmove(row->variance.data(), row->variance.data() + n, keep * sizeof(double));
  std::memmove(row->first.data(), row->first.data() + n, keep * sizeof(uint64_t));
  row->count -= n;
}

template <typename Row>
void Append(Row* row, double total, double variance, uint64_t first) {
  const size_t k = static_cast<size_t>(row->count++);
  row->total[k] = total;
  row->variance[k] = variance;
  row->first[k] = first;
}

}  // namespace

Verdict Adwin::Step(double x, uint64_t position) {
  Insert(x, position);
  return DetectChange() ? Verdict::kDrift : Verdict::kStable;
}

uint64_t Adwin::MostSignificantCut() const {
  // The same walk over the bucket boundaries as DetectChange(), keeping the boundary where
  // |mu0 - mu1| is largest relative to the cut's epsilon; W1 starts at the next bucket.
  std::vector<uint64_t> firsts;  // first position of every bucket, oldest first
  std::vector<double> sizes, totals;
  for (size_t row = rows_.size(); row-- > 0;) {
    for (int k = 0; k < rows_[row].count; ++k) {
      firsts.push_back(rows_[row].first[static_cast<size_t>(k)]);
      sizes.push_back(std::ldexp(1.0, static_cast<int>(row)));
      totals.push_back(rows_[row].total[static_cast<size_t>(k)]);
    }
  }
  const double min_len = options_.min_window_length;
  double n0 = 0, n1 = width_, u0 = 0, u1 = total_;
  double best = -1;
  uint64_t start = firsts.empty() ? 0 : firsts.front();
  for (size_t j = 0; j + 1 < firsts.size(); ++j) {
    n0 += sizes[j];
    n1 -= sizes[j];
    u0 += totals[j];
    u1 -= totals[j];
    if (n0 < min_len || n1 < min_len) continue;
    const double ratio = std::fabs((u0 / n0) - (u1 / n1)) / CutEpsilon(n0, n1);
    if (ratio > best) {
      best = ratio;
      start = firsts[j + 1];
    }
  }
  return start;
}

void Adwin::Insert(double x, uint64_t position) {
  Append(&rows_[0], x, 0.0, position);
  width_ += 1;
  // Welford's update of the window's sum of squared deviations, in River's operation order.
  if (width_ > 1.0) {
    const double d = x - total_ / (width_ - 1.0);
    m2_ += (width_ - 1.0) * d * d / width_;
  }
  total_ += x;
  CompressBuckets();
}

void Adwin::CompressBuckets() {
  for (size_t row = 0; row < rows_.size(); ++row) {
    if (rows_[row].count != options_.max_buckets + 1) break;
    if (row + 1 == rows_.size()) rows_.push_back(NewRow());
    Row& from = rows_[row];
    Row& to = rows_[row + 1];
    // Merge the two oldest buckets of this row (Babcock et al. 2003 for the variance).
    const double n1 = std::ldexp(1.0, static_cast<int>(row));
    const double mu1 = from.total[0] / n1;
    const double mu2 = from.total[1] / n1;
    const double total12 = from.total[0] + from.total[1];
    const double temp = n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2);  // n1 n2 / (n1 + n2), n1 == n2
    const double v12 = from.variance[0] + from.variance[1] + temp;
    Append(&to, total12, v12, from.first[0]);
    DropFront(&from, 2);
    if (to.count <= options_.max_buckets) break;
  }
}

void Adwin::DropOldestBucket() {
  Row& row = rows_.back();
  const double n = std::ldexp(1.0, static_cast<int>(rows_.size() - 1));
  const double u = row.total[0];
  const double mu = u / n;
  const double v = row.variance[0];
  width_ -= n;
  total_ -= u;
  const double mu_window = total_ / width_;
  m2_ -= v + n * width_ * (mu - mu_window) * (mu - mu_window) / (n + width_);
  DropFront(&row, 1);
  if (row.count == 0 && rows_.size() > 1) rows_.pop_back();
}

bool Adwin::DetectChange() {
  bool change = false;
  ++tick_;
  if (tick_ % static_cast<uint64_t>(options_.clock) != 0 || !(width_ > options_.grace_period)) {
    return false;
  }
  const double min_len = options_.min_window_length;
  bool shrink = true;
  while (shrink) {
    shrink = false;
    bool done = false;
    double n0 = 0, n1 = width_, u0 = 0, u1 = total_;
    // Grow W0 from the oldest bucket; every boundary but the very last is a candidate cut.
    for (size_t row = rows_.size(); row-- > 0 && !done;) {
      const Row& r = rows_[row];
      const double size = std::ldexp(1.0, static_cast<int>(row));
      for (int k = 0; k < r.count; ++k) {
        n0 += size;
        n1 -= size;
        u0 += r.total[static_cast<size_t>(k)];
        u1 -= r.total[static_cast<size_t>(k)];
        if (row == 0 && k == r.count - 1) {
          done = true;
          break;
        }
        const double delta_mean = (u0 / n0) - (u1 / n1);
        if (n1 >= min_len && n0 >= min_len && std::fabs(delta_mean) > CutEpsilon(n0, n1)) {
          // Where the change began is estimated once, on the whole window, before ADWIN
          // starts dropping buckets.
          if (!change) cut_start_ = MostSignificantCut();
          shrink = true;
          change = true;
          if (width_ > 0) {
            DropOldestBucket();
            done = true;
            break;
          }
        }
      }
    }
  }
  return change;
}

double Adwin::CutEpsilon(double n0, double n1) const {
  // River's _evaluate_cut, operation for operation.
  const double min_len = options_.min_window_length;
  const double delta_prime = std::log(2 * std::log(width_) / options_.delta);
  const double m_recip = (1.0 / (n0 - min_len + 1)) + (1.0 / (n1 - min_len + 1));
  return std::sqrt(2 * m_recip * (m2_ / width_) * delta_prime) + 2.0 / 3.0 * delta_prime * m_recip;
}

void Adwin::SaveAlgorithm(stats::wire::Writer* w) const {
  w->F64(options_.delta);
  w->U32(static_cast<uint32_t>(options_.clock));
  w->U32(static_cast<uint32_t>(options_.max_buckets));
  w->U32(static_cast<uint32_t>(options_.min_window_length));
  w->U32(static_cast<uint32_t>(options_.grace_period));
  w->U64(tick_);
  w->F64(width_);
  w->F64(total_);
  w->F64(m2_);
  w->U32(static_cast<uint32_t>(rows_.size()));
  for (const Row& row : rows_) {
    w->U32(static_cast<uint32_t>(row.count));
    for (size_t k = 0; k < static_cast<size_t>(row.count); ++k) {
      w->F64(row.total[k]);
      w->F64(row.variance[k]);
      w->U64(row.first[k]);
    }
  }
}

Status Adwin::RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) {
  double delta = 0;
  uint32_t clock = 0, max_buckets = 0, min_window_length = 0, grace_period = 0;
  r->F64(&delta);
  r->U32(&clock);
  r->U32(&max_buckets);
  r->U32(&min_window_length);
  r->U32(&grace_period);
  if (!r->ok()) return EndOfState(*r);
  MLLOOP_RETURN_IF_ERROR(CheckOption("delta", delta, options_.delta));
  MLLOOP_RETURN_IF_ERROR(CheckOption("clock", clock, options_.clock));
  MLLOOP_RETURN_IF_ERROR(CheckOption("max_buckets", max_buckets, options_.max_buckets));
  MLLOOP_RETURN_IF_ERROR(
      CheckOption("min_window_length", min_window_length, options_.min_window_length));
  MLLOOP_RETURN_IF_ERROR(CheckOption("grace_period", grace_period, options_.grace_period));

  uint64_t tick = 0;
  double width = 0, total = 0, m2 = 0;
  uint32_t n_rows = 0;
  r->U64(&tick);
  r->F64(&width);
  r->F64(&total);
  r->F64(&m2);
  r->U32(&n_rows);
  if (!r->ok()) return EndOfState(*r);
  if (n_rows < 1 || n_rows > kMaxRows) return Inconsistent("bucket rows");
  std::vector<Row> rows;
  double counted = 0;
  // Positions must grow from the oldest bucket (last row, slot 0) to the newest.
  std::vector<uint64_t> firsts_oldest_first;
  for (uint32_t i = 0; i < n_rows; ++i) {
    Row row = NewRow();
    uint32_t count = 0;
    if (!r->U32(&count)) return EndOfState(*r);
    if (count > static_cast<uint32_t>(options_.max_buckets)) return Inconsistent("bucket count");
    if (i > 0 && i + 1 == n_rows && count == 0) return Inconsistent("empty oldest row");
    for (uint32_t k = 0; k < count; ++k) {
      double t = 0, v = 0;
      uint64_t first = 0;
      r->F64(&t);
      r->F64(&v);
      r->U64(&first);
      if (!r->ok()) return EndOfState(*r);
      Append(&row, t, v, first);
    }
    counted += static_cast<double>(count) * std::ldexp(1.0, static_cast<int>(i));
    rows.push_back(std::move(row));
  }
  MLLOOP_RETURN_IF_ERROR(EndOfState(*r));
  if (counted != width) return Inconsistent("window width");
  uint64_t previous = 0;
  bool any = false;
  for (size_t i = rows.size(); i-- > 0;) {
    for (size_t k = 0; k < static_cast<size_t>(rows[i].count); ++k) {
      const uint64_t p = rows[i].first[k];
      if (p >= updates || (any && p <= previous)) return Inconsistent("bucket positions");
      previous = p;
      any = true;
    }
  }
  rows_ = std::move(rows);
  tick_ = tick;
  width_ = width;
  total_ = total;
  m2_ = m2;
  return Status::Ok();
}

}  // namespace mlloop::drift
