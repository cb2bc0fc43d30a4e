// Tree prediction: the flat forest (XgbModel::Predict) against XGBoost's C API
// (XgbModel::PredictWithXgboost) on the same model and rows. Batches of 1 row (a server
// request), 48 rows (one Elec2 day in the simulation) and 1,000 rows.
//
// Model: Elec2, 50 rounds, max_depth 6, trained on rows 0..3999 (the simulation's shape).
// Inputs rotate through the 45,312 rows with a prime stride, so neither the branch predictor
// nor the caches see the same rows call after call.
#include <benchmark/benchmark.h>
#include <zlib.h>

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "pipeline/xgb/xgb_model.h"

namespace {

using mlloop::core::Dataset;
using mlloop::pipeline::TrainOptions;
using mlloop::pipeline::XgbModel;

// examples/elec2/electricity.csv.gz: columns day..transfer as the 7 features, class UP = 1.
// Aborts on a malformed file: a benchmark has nobody to return a Status to.
Dataset LoadElec2() {
  const std::string path = std::string(MLLOOP_SOURCE_DIR) + "/examples/elec2/electricity.csv.gz";
  std::unique_ptr<gzFile_s, decltype(&gzclose)> file(gzopen(path.c_str(), "rb"), &gzclose);
  if (file == nullptr) {
    std::fprintf(stderr, "cannot open %s\n", path.c_str());
    std::abort();
  }
  Dataset data;
  data.n_features = 7;
  char buffer[512];
  bool header = true;
  while (gzgets(file.get(), buffer, sizeof(buffer)) != nullptr) {
    if (header) {
      header = false;
      continue;
    }
    std::string_view line(buffer);
    size_t start = line.find(',') + 1;  // skip date
    for (int column = 0; column < 7; ++column) {
      const size_t comma = line.find(',', start);
      float value = 0;
      auto [end, ec] = std::from_chars(line.data() + start, line.data() + comma, value);
      if (ec != std::errc()) {
        std::fprintf(stderr, "bad number in %s\n", path.c_str());
        std::abort();
      }
      data.x.push_back(value);
      start = comma + 1;
    }
    data.y.push_back(line.substr(start, 2) == "UP" ? 1.0f : 0.0f);
  }
  return data;
}

struct Fixture {
  Dataset elec2 = LoadElec2();
  std::unique_ptr<XgbModel> model = [this] {
    TrainOptions options;
    options.rounds = 50;
    options.params["max_depth"] = "6";
    auto trained = XgbModel::Train(elec2, 0, 4000, options);
    if (!trained.ok() || !(*trained)->flat_forest_status().ok()) {
      std::fprintf(stderr, "training failed or no flat forest\n");
      std::abort();
    }
    return std::move(trained).value();
  }();
};

const Fixture& Shared() {
  static const Fixture* const kFixture = new Fixture();
  return *kFixture;
}

template <bool kFlat>
void PredictBatches(benchmark::State& state) {
  const Fixture& f = Shared();
  const size_t rows = static_cast<size_t>(state.range(0));
  const size_t starts = f.elec2.rows() - rows;
  std::vector<float> out;
  size_t start = 0;
  for (auto _ : state) {
    const float* x = f.elec2.Row(start);
    const mlloop::Status s =
        kFlat ? f.model->Predict(x, rows, 7, &out) : f.model->PredictWithXgboost(x, rows, 7, &out);
    if (!s.ok()) state.SkipWithError(s.ToString().c_str());
    benchmark::DoNotOptimize(out.data());
    start = (start + 7919) % starts;
  }
  state.SetItemsProcessed(state.iterations() * static_cast<int64_t>(rows));
}

void BM_FlatForestPredict(benchmark::State& state) { PredictBatches<true>(state); }
void BM_XgboostPredict(benchmark::State& state) { PredictBatches<false>(state); }
BENCHMARK(BM_FlatForestPredict)->Arg(1)->Arg(48)->Arg(1000);
BENCHMARK(BM_XgboostPredict)->Arg(1)->Arg(48)->Arg(1000);

}  // namespace

BENCHMARK_MAIN();
