#include "stats/bootstrap.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>

#include "core/random.h"
#include "core/format.h"
#include "stats/metrics.h"

namespace mlloop::stats {

namespace {

uint64_t Rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

// Linear-interpolation quantile of sorted, finite values (numpy's method="linear").
// REQUIRES: !sorted.empty(), 0 <= q <= 1.
double QuantileOfSorted(std::span<const double> sorted, double q) {
  const size_t n = sorted.size();
  const double h = static_cast<double>(n - 1) * q;
  if (h >= static_cast<double>(n - 1)) return sorted[n - 1];
  const size_t lo = static_cast<size_t>(std::floor(h));
  const double t = h - static_cast<double>(lo);
  const double a = sorted[lo], b = sorted[lo + 1];
  const double d = b - a;
  return t >= 0.5 ? b - d * (1 - t) : a + d * t;
}

bool IsBinary(float v) { return v == 0.0f || v == 1.0f; }

Status CheckSizes(std::span<const float> labels, std::span<const float> champion_scores,
                  std::span<const float> candidate_scores) {
  const size_t n = labels.size();
  if (champion_scores.size() != n || candidate_scores.size() != n) {
    return Status::InvalidArgument(
        "paired bootstrap: labels, champion and candidate scores differ in size (" +
        std::to_string(n) + ", " + std::to_string(champion_scores.size()) + ", " +
        std::to_string(candidate_scores.size()) + ")");
  }
  if (n == 0) return Status::InvalidArgument("paired bootstrap: no rows; expected at least one");
  return Status::Ok();
}

}  // namespace

BootstrapRng::BootstrapRng(uint64_t seed) {
  uint64_t state = seed;
  for (uint64_t& word : s_) word = core::SplitMix64(state);
}

uint64_t BootstrapRng::Next() {
  const uint64_t result = Rotl(s_[1] * 5, 7) * 9;
  const uint64_t t = s_[1] << 17;
  s_[2] ^= s_[0];
  s_[3] ^= s_[1];
  s_[1] ^= s_[2];
  s_[0] ^= s_[3];
  s_[2] ^= t;
  s_[3] = Rotl(s_[3], 45);
  return result;
}

uint64_t BootstrapRng::Below(uint64_t n) {
  MLLOOP_CHECK(n >= 1, "BootstrapRng::Below(0): the range [0, 0) is empty");
  // 2^64 mod n: the draws below it are the incomplete last copy of [0, n) in [0, 2^64).
  const uint64_t threshold = (uint64_t{0} - n) % n;
  for (;;) {
    const uint64_t r = Next();
    if (r >= threshold) return r % n;
  }
}

Status BootstrapOptions::Validate() const {
  if (resamples < 1) {
    return Status::InvalidArgument("bootstrap: resamples must be >= 1, got " +
                                   std::to_string(resamples));
  }
  if (!(level > 0 && level < 1)) {
    return Status::InvalidArgument("bootstrap: level must be in (0, 1), got " + core::FormatShortest(level));
  }
  return Status::Ok();
}

Result<double> Quantile(std::span<const double> values, double q) {
  if (values.empty()) return Status::InvalidArgument("Quantile: no values; expected at least one");
  if (!(q >= 0 && q <= 1)) {
    return Status::InvalidArgument("Quantile: q must be in [0, 1], got " + core::FormatShortest(q));
  }
  std::vector<double> sorted(values.begin(), values.end());
  for (size_t i = 0; i < sorted.size(); ++i) {
    if (!std::isfinite(sorted[i])) {
      return Status::InvalidArgument("Quantile: value " + std::to_string(i) + " is " +
                                     core::FormatShortest(sorted[i]) + "; expected a finite number");
    }
  }
  std::sort(sorted.begin(), sorted.end());
  return QuantileOfSorted(sorted, q);
}

Result<BootstrapDistribution> BootstrapRows(size_t rows, std::span<const int32_t> strata,
                                            const RowStatistic& statistic,
                                            const BootstrapOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  if (rows == 0) return Status::InvalidArgument("bootstrap: no rows; expected at least one");
  if (!strata.empty() && strata.size() != rows) {
    return Status::InvalidArgument("bootstrap: " + std::to_string(strata.size()) +
                                   " strata codes for " + std::to_string(rows) +
                                   " rows; expected one per row or none");
  }
  // Rows grouped by stratum: ascending code, then ascending row.
  std::vector<size_t> members(rows);
  std::iota(members.begin(), members.end(), size_t{0});
  std::vector<size_t> bounds = {0};  // stratum k is members[bounds[k], bounds[k+1])
  if (!strata.empty()) {
    std::stable_sort(members.begin(), members.end(),
                     [&](size_t a, size_t b) { return strata[a] < strata[b]; });
    for (size_t i = 1; i < rows; ++i) {
      if (strata[members[i]] != strata[members[i - 1]]) bounds.push_back(i);
    }
  }
  bounds.push_back(rows);

  BootstrapDistribution out;
  out.level = options.level;
  {
    std::vector<size_t> all(rows);
    std::iota(all.begin(), all.end(), size_t{0});
    out.estimate = statistic(all);
    if (!std::isfinite(out.estimate)) {
      return Status::InvalidArgument("bootstrap: the statistic is " + core::FormatShortest(out.estimate) +
                                     " on all rows; expected a finite value");
    }
  }
  BootstrapRng rng(options.seed);
  std::vector<size_t> drawn(rows);
  out.replicates.resize(static_cast<size_t>(options.resamples));
  for (size_t b = 0; b < out.replicates.size(); ++b) {
    size_t pos = 0;
    for (size_t k = 0; k + 1 < bounds.size(); ++k) {
      const size_t begin = bounds[k], size = bounds[k + 1] - begin;
      for (size_t j = 0; j < size; ++j) drawn[pos++] = members[begin + rng.Below(size)];
    }
    const double value = statistic(drawn);
    if (!std::isfinite(value)) {
      return Status::InvalidArgument(
          "bootstrap: the statistic is " + core::FormatShortest(value) + " on resample " + std::to_string(b) +
          " of " + std::to_string(options.resamples) + "; expected a finite value");
    }
    out.replicates[b] = value;
  }
  std::vector<double> sorted = out.replicates;
  std::sort(sorted.begin(), sorted.end());
  out.lower = QuantileOfSorted(sorted, (1 - options.level) / 2);
  out.upper = QuantileOfSorted(sorted, (1 + options.level) / 2);
  return out;
}

Better BetterDirection(BootstrapMetric metric) {
  switch (metric) {
    case BootstrapMetric::kAccuracy:
    case BootstrapMetric::kF1:
    case BootstrapMetric::kRocAuc:
      return Better::kHigher;
    case BootstrapMetric::kLogLoss:
    case BootstrapMetric::kRmse:
    case BootstrapMetric::kMae:
      break;
  }
  return Better::kLower;
}

Result<PairedBootstrapResult> PairedBootstrap(std::span<const float> labels,
                                              std::span<const float> champion_scores,
                                              std::span<const float> candidate_scores,
                                              const ArrayMetric& metric, Better better,
                                              const BootstrapOptions& options,
                                              BootstrapSampling sampling) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  MLLOOP_RETURN_IF_ERROR(CheckSizes(labels, champion_scores, candidate_scores));
  const size_t n = labels.size();
  for (size_t i = 0; i < n; ++i) {
    if (std::isnan(labels[i]) || std::isnan(champion_scores[i]) ||
        std::isnan(candidate_scores[i])) {
      return Status::InvalidArgument("paired bootstrap: NaN label or score at row " +
                                     std::to_string(i) + "; expected numbers");
    }
  }
  std::vector<int32_t> strata;
  if (sampling == BootstrapSampling::kStratifiedByLabel) {
    strata.resize(n);
    for (size_t i = 0; i < n; ++i) {
      if (!IsBinary(labels[i])) {
        return Status::InvalidArgument("paired bootstrap: label at row " + std::to_string(i) +
                                       " is " + core::FormatShortest(labels[i]) +
                                       "; stratifying by label needs 0 or 1");
      }
      strata[i] = labels[i] == 1.0f ? 1 : 0;
    }
  }
  // Each replicate gathers the resampled rows into these buffers, then scores both models.
  std::vector<float> y(n), a(n), b(n);
  double champion_all = 0, candidate_all = 0;
  bool first = true;
  const RowStatistic difference = [&](std::span<const size_t> rows) {
    for (size_t k = 0; k < rows.size(); ++k) {
      y[k] = labels[rows[k]];
      a[k] = champion_scores[rows[k]];
      b[k] = candidate_scores[rows[k]];
    }
    const std::span<const float> ys(y.data(), rows.size());
    const double champion = metric(ys, std::span<const float>(a.data(), rows.size()));
    const double candidate = metric(ys, std::span<const float>(b.data(), rows.size()));
    if (first) {  // the first call is the estimate on all rows
      champion_all = champion;
      candidate_all = candidate;
      first = false;
    }
    return candidate - champion;
  };
  auto bootstrapped = BootstrapRows(n, strata, difference, options);
  if (!bootstrapped.ok()) {
    return bootstrapped.status().WithContext(
        "paired bootstrap of metric(candidate) - metric(champion)");
  }
  BootstrapDistribution dist = *std::move(bootstrapped);

  PairedBootstrapResult r;
  r.champion = champion_all;
  r.candidate = candidate_all;
  r.difference = dist.estimate;
  r.lower = dist.lower;
  r.upper = dist.upper;
  r.level = options.level;
  r.resamples = options.resamples;
  r.better = better;
  const double count = static_cast<double>(dist.replicates.size());
  size_t strictly_better = 0, tied = 0;
  double mean = 0;
  for (double d : dist.replicates) {
    if (better == Better::kHigher ? d > 0 : d < 0) ++strictly_better;
    if (d == 0) ++tied;
    mean += d;
  }
  mean /= count;
  if (dist.replicates.size() > 1) {
    double ss = 0;
    for (double d : dist.replicates) ss += (d - mean) * (d - mean);
    r.std_error = std::sqrt(ss / (count - 1));
  }
  r.share_better = static_cast<double>(strictly_better) / count;
  r.share_tied = static_cast<double>(tied) / count;
  r.p_value = (1 + count - static_cast<double>(strictly_better)) / (count + 1);
  r.replicates = std::move(dist.replicates);
  return r;
}

Result<PairedBootstrapResult> PairedBootstrap(std::span<const float> labels,
                                              std::span<const float> champion_scores,
                                              std::span<const float> candidate_scores,
                                              BootstrapMetric metric,
                                              const BootstrapOptions& options,
                                              BootstrapSampling sampling) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  MLLOOP_RETURN_IF_ERROR(CheckSizes(labels, champion_scores, candidate_scores));
  const bool regression = metric == BootstrapMetric::kRmse || metric == BootstrapMetric::kMae;
  const size_t n = labels.size();
  for (size_t i = 0; i < n; ++i) {
    if (!std::isfinite(labels[i]) || (!regression && !IsBinary(labels[i]))) {
      return Status::InvalidArgument(
          std::string("paired bootstrap: label at row ") + std::to_string(i) + " is " +
          core::FormatShortest(labels[i]) + (regression ? "; expected a finite value" : "; expected 0 or 1"));
    }
    for (const float s : {champion_scores[i], candidate_scores[i]}) {
      if (!std::isfinite(s)) {
        return Status::InvalidArgument("paired bootstrap: score at row " + std::to_string(i) +
                                       " is " + core::FormatShortest(s) + "; expected a finite value");
      }
      if (metric == BootstrapMetric::kLogLoss && !(s >= 0 && s <= 1)) {
        return Status::InvalidArgument("paired bootstrap: log loss needs probabilities, got " +
                                       core::FormatShortest(s) + " at row " + std::to_string(i) +
                                       "; expected a value in [0, 1]");
      }
    }
  }
  if (metric == BootstrapMetric::kRocAuc) {
    const size_t positives = static_cast<size_t>(std::count(labels.begin(), labels.end(), 1.0f));
    if (positives == 0 || positives == labels.size()) {
      return Status::InvalidArgument("paired bootstrap: ROC AUC needs both classes, got " +
                                     std::to_string(positives) + " positives among " +
                                     std::to_string(labels.size()) + " rows");
    }
  }
  ArrayMetric fn;
  bool one_class = false;  // set when a ROC AUC is asked of a single class
  switch (metric) {
    case BootstrapMetric::kAccuracy:
      fn = [](std::span<const float> y, std::span<const float> p) {
        return Accuracy(y.data(), p.data(), y.size());
      };
      break;
    case BootstrapMetric::kF1:
      fn = [](std::span<const float> y, std::span<const float> p) {
        return F1(y.data(), p.data(), y.size());
      };
      break;
    case BootstrapMetric::kRocAuc:
      // RocAuc says 0.5 for one class; here that is undefined and must not pass for a value.
      fn = [&one_class](std::span<const float> y, std::span<const float> p) {
        const size_t positives = static_cast<size_t>(std::count(y.begin(), y.end(), 1.0f));
        if (positives == 0 || positives == y.size()) {
          one_class = true;
          return std::nan("");
        }
        return RocAuc(y.data(), p.data(), y.size());
      };
      break;
    case BootstrapMetric::kLogLoss:
      fn = [](std::span<const float> y, std::span<const float> p) {
        return LogLoss(y.data(), p.data(), y.size());
      };
      break;
    case BootstrapMetric::kRmse:
      fn = [](std::span<const float> y, std::span<const float> p) {
        return Rmse(y.data(), p.data(), y.size());
      };
      break;
    case BootstrapMetric::kMae:
      fn = [](std::span<const float> y, std::span<const float> p) {
        return Mae(y.data(), p.data(), y.size());
      };
      break;
  }
  auto r = PairedBootstrap(labels, champion_scores, candidate_scores, fn, BetterDirection(metric),
                           options, sampling);
  if (!r.ok() && one_class) {
    return r.status().WithContext(
        "ROC AUC needs both classes in every resample (use BootstrapSampling::"
        "kStratifiedByLabel)");
  }
  return r;
}

}  // namespace mlloop::stats
