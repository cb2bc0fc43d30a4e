#include "validate/latency.h"

#include <algorithm>
#include <chrono>
#include <numeric>
#include <vector>

#include "stats/bootstrap.h"

namespace mlloop::validate {
namespace {

Result<LatencyStats> Summarise(std::vector<double> times_us) {
  LatencyStats s;
  s.samples = static_cast<int>(times_us.size());
  std::sort(times_us.begin(), times_us.end());
  MLLOOP_ASSIGN_OR_RETURN(s.p50_us, stats::Quantile(times_us, 0.5));
  MLLOOP_ASSIGN_OR_RETURN(s.p99_us, stats::Quantile(times_us, 0.99));
  s.mean_us = std::accumulate(times_us.begin(), times_us.end(), 0.0) /
              static_cast<double>(times_us.size());
  return s;
}

}  // namespace

Result<LatencyPair> MeasureLatency(const PredictOne& candidate, const PredictOne& champion,
                                   const float* features, size_t rows, size_t n_features,
                                   int samples) {
  if (rows == 0 || features == nullptr) {
    return Status::InvalidArgument("latency: no rows to predict");
  }
  if (samples < 1) {
    return Status::InvalidArgument("latency: samples must be >= 1, got " +
                                   std::to_string(samples));
  }
  if (!candidate) return Status::InvalidArgument("latency: no candidate predict function");
  using Clock = std::chrono::steady_clock;
  float out = 0;
  auto timed = [&](const PredictOne& predict, size_t i, const char* who) -> Result<double> {
    const float* row = features + (i % rows) * n_features;
    const auto start = Clock::now();
    Status s = predict(row, &out);
    const auto stop = Clock::now();
    if (!s.ok()) return s.WithContext(std::string("latency: predicting with the ") + who);
    return std::chrono::duration<double, std::micro>(stop - start).count();
  };
  const int warmup = std::min(samples, 100);
  for (int i = 0; i < warmup; ++i) {
    MLLOOP_RETURN_IF_ERROR(timed(candidate, static_cast<size_t>(i), "candidate").status());
    if (champion) {
      MLLOOP_RETURN_IF_ERROR(timed(champion, static_cast<size_t>(i), "champion").status());
    }
  }
  std::vector<double> cand, champ;
  cand.reserve(static_cast<size_t>(samples));
  for (int i = 0; i < samples; ++i) {
    // Alternate which model goes first, so neither always runs on the other's warm cache.
    const bool candidate_first = i % 2 == 0;
    if (champion && !candidate_first) {
      MLLOOP_ASSIGN_OR_RETURN(double t, timed(champion, static_cast<size_t>(i), "champion"));
      champ.push_back(t);
    }
    MLLOOP_ASSIGN_OR_RETURN(double t, timed(candidate, static_cast<size_t>(i), "candidate"));
    cand.push_back(t);
    if (champion && candidate_first) {
      MLLOOP_ASSIGN_OR_RETURN(double u, timed(champion, static_cast<size_t>(i), "champion"));
      champ.push_back(u);
    }
  }
  LatencyPair pair;
  MLLOOP_ASSIGN_OR_RETURN(pair.candidate, Summarise(std::move(cand)));
  if (champion) {
    MLLOOP_ASSIGN_OR_RETURN(pair.champion, Summarise(std::move(champ)));
  }
  return pair;
}

}  // namespace mlloop::validate
