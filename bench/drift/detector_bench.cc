// Update throughput of every streaming change detector (drift/detector.h), on stationary
// input: a standard normal stream for the detectors of real values, 20% errors for the
// error-rate ones. Items are values; one detector lives across iterations, as in a server.
// False alarms and detection delays: detector_accuracy.cc.
#include <benchmark/benchmark.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <numbers>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "drift/detector_registry.h"

namespace {

using Rng = mlloop::core::SplitMixRng;

std::vector<double> Stream(bool errors, size_t n) {
  Rng rng(42);
  std::vector<double> out(n);
  for (double& x : out) x = errors ? (rng.Uniform() < 0.2 ? 1.0 : 0.0) : rng.Normal();
  return out;
}

void RunDetector(benchmark::State& state, std::string_view name, bool errors) {
  const auto stream = Stream(errors, static_cast<size_t>(state.range(0)));
  auto detector = mlloop::drift::CreateDetector(name).value();
  for (auto _ : state) {
    for (double x : stream) benchmark::DoNotOptimize(detector->Update(x));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}

void BM_AdwinUpdate(benchmark::State& state) { RunDetector(state, "adwin", false); }
void BM_PageHinkleyUpdate(benchmark::State& state) { RunDetector(state, "page_hinkley", false); }
void BM_KswinUpdate(benchmark::State& state) { RunDetector(state, "kswin", false); }
void BM_CusumUpdate(benchmark::State& state) { RunDetector(state, "cusum", false); }
void BM_DdmUpdate(benchmark::State& state) { RunDetector(state, "ddm", true); }
void BM_EddmUpdate(benchmark::State& state) { RunDetector(state, "eddm", true); }
void BM_HddmAUpdate(benchmark::State& state) { RunDetector(state, "hddm_a", true); }
void BM_HddmWUpdate(benchmark::State& state) { RunDetector(state, "hddm_w", true); }

BENCHMARK(BM_AdwinUpdate)->RangeMultiplier(8)->Range(1 << 10, 1 << 16);
BENCHMARK(BM_PageHinkleyUpdate)->RangeMultiplier(8)->Range(1 << 10, 1 << 16);
BENCHMARK(BM_KswinUpdate)->RangeMultiplier(8)->Range(1 << 10, 1 << 16);
BENCHMARK(BM_CusumUpdate)->RangeMultiplier(8)->Range(1 << 10, 1 << 16);
BENCHMARK(BM_DdmUpdate)->RangeMultiplier(8)->Range(1 << 10, 1 << 16);
BENCHMARK(BM_EddmUpdate)->RangeMultiplier(8)->Range(1 << 10, 1 << 16);
BENCHMARK(BM_HddmAUpdate)->RangeMultiplier(8)->Range(1 << 10, 1 << 16);
BENCHMARK(BM_HddmWUpdate)->RangeMultiplier(8)->Range(1 << 10, 1 << 16);

}  // namespace

BENCHMARK_MAIN();
