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

#include "drift/detector_registry.h"

namespace {

// splitmix64 and Box-Muller: fixed inputs whatever the standard library.
class Rng {
 public:
  explicit Rng(uint64_t seed) : state_(seed) {}
  double Uniform() { return static_cast<double>(Next() >> 11) * 0x1.0p-53; }
  double Normal() {
    const double u = Uniform(), v = Uniform();
    return std::sqrt(-2 * std::log1p(-u)) * std::cos(2 * std::numbers::pi * v);
  }

 private:
  uint64_t Next() {
    uint64_t z = (state_ += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  uint64_t state_;
};

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
