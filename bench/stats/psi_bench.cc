// PSI kernels: building a reference from a training window (once per promotion) and
// slotting one value (once per feature per prediction).
#include <benchmark/benchmark.h>

#include <algorithm>
#include <random>
#include <vector>

#include "stats/psi.h"

namespace {

std::vector<float> Normal(size_t n, uint32_t seed) {
  std::mt19937 gen(seed);
  std::normal_distribution<float> dist(0, 1);
  std::vector<float> v(n);
  for (auto& x : v) x = dist(gen);
  return v;
}

// Inputs rotate through 16 different samples: sorting the same array over and over lets the
// branch predictor learn it, which made a comparison sort look 3-8x faster than it is on
// fresh data (as every new training window is).
std::vector<std::vector<float>> Samples(size_t n) {
  std::vector<std::vector<float>> out;
  for (uint32_t seed = 1; seed <= 16; ++seed) out.push_back(Normal(n, seed));
  return out;
}

void BM_PsiReferenceBuildNumeric(benchmark::State& state) {
  const auto samples = Samples(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    auto ref = mlloop::stats::PsiReference::BuildNumeric(samples[i++ & 15], 10);
    benchmark::DoNotOptimize(ref);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PsiReferenceBuildNumeric)->Range(1 << 10, 1 << 16);

// std::sort of a copy of the same fresh samples: the comparison sort that BuildNumeric's
// radix sort replaced.
void BM_PsiStdSortCopy(benchmark::State& state) {
  const auto samples = Samples(static_cast<size_t>(state.range(0)));
  size_t i = 0;
  for (auto _ : state) {
    std::vector<float> sorted = samples[i++ & 15];
    std::sort(sorted.begin(), sorted.end());
    benchmark::DoNotOptimize(sorted.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_PsiStdSortCopy)->Range(1 << 10, 1 << 16);

void BM_PsiReferenceSlot(benchmark::State& state) {
  const auto ref = mlloop::stats::PsiReference::BuildNumeric(Normal(4000, 1), 10);
  const auto values = Normal(4096, 2);
  size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(ref.Slot(values[i++ & 4095]));
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_PsiReferenceSlot);

}  // namespace

BENCHMARK_MAIN();
