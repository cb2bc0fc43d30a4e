// The monitor's hot paths: a prediction entering the drift window (per request), and a new
// champion's training window becoming the drift reference (per promotion).
#include <benchmark/benchmark.h>

#include <random>

#include "monitor/model_monitor.h"

namespace {

using mlloop::core::Dataset;

// Elec2-shaped: 7 numeric features, `rows` rows.
Dataset Window(size_t rows, uint32_t seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(0, 1);
  Dataset d;
  d.n_features = 7;
  for (size_t i = 0; i < rows; ++i) {
    for (size_t j = 0; j < d.n_features; ++j) d.x.push_back(u(gen));
    d.y.push_back(u(gen) < 0.5f ? 0.0f : 1.0f);
    d.time.push_back(static_cast<int64_t>(i));
    d.row.push_back(static_cast<int64_t>(i));
  }
  return d;
}

mlloop::core::Schema Schema() {
  mlloop::core::Schema s;
  for (int j = 0; j < 7; ++j) s.features.push_back({"f" + std::to_string(j), {}, {}});
  s.label.name = "y";
  return s;
}

void BM_ModelMonitorSetChampion(benchmark::State& state) {
  const Dataset train = Window(static_cast<size_t>(state.range(0)), 1);
  const Dataset recent = Window(2000, 2);
  mlloop::monitor::ModelMonitor monitor({}, Schema(), "accuracy");  // drift window 2000
  monitor.SetChampion(1, train, 0, train.rows());
  for (size_t i = 0; i < recent.rows(); ++i) monitor.OnPrediction(static_cast<int64_t>(i), recent.Row(i), 0.5f);
  int64_t version = 2;
  for (auto _ : state) monitor.SetChampion(version++, train, 0, train.rows());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ModelMonitorSetChampion)->Arg(4000);

// One request's whole life in the monitor: its prediction enters the drift window and the
// pending-label map, then its label arrives and joins the rolling metric.
void BM_ModelMonitorPredictionAndLabel(benchmark::State& state) {
  const Dataset train = Window(4000, 1);
  const Dataset recent = Window(4096, 2);
  mlloop::monitor::ModelMonitor monitor({}, Schema(), "accuracy");
  monitor.SetChampion(1, train, 0, train.rows());
  int64_t id = 0;
  for (auto _ : state) {
    monitor.OnPrediction(id, recent.Row(static_cast<size_t>(id) & 4095), 0.5f);
    benchmark::DoNotOptimize(monitor.OnLabel(id, 1.0f));
    ++id;
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_ModelMonitorPredictionAndLabel);

}  // namespace

BENCHMARK_MAIN();
