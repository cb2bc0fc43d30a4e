// The request path of `mlloop serve` without the network: PredictionService::Handle on a
// KServe v1 body (parse, decode, flat-forest prediction, encode, metrics) with an Elec2-sized
// model, for one row and for batches; and for one row with an inference log attached, alone
// and with a shadow challenger. The HTTP side is measured by serve_compare.sh.
#include <benchmark/benchmark.h>
#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>

#include "serve/prediction_service.h"

namespace mlloop::serve {
namespace {

// 7 numeric features, 50 trees of depth 6: the shape of the Elec2 example's champion.
// Trained once per process, and never freed: XGBoost's own static objects are destroyed at
// exit before a static of ours would be, and freeing a booster after them aborts ("free():
// invalid pointer" in ~LearnerImpl).
const std::shared_ptr<const pipeline::XgbModel>& Elec2Booster() {
  static const auto* model = new std::shared_ptr<const pipeline::XgbModel>([] {
    core::Dataset data;
    data.n_features = 7;
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> u(0, 1);
    for (int i = 0; i < 4000; ++i) {
      float s = 0;
      for (int j = 0; j < 7; ++j) {
        data.x.push_back(u(rng));
        s += data.x.back() * static_cast<float>(j % 3);
      }
      data.y.push_back(s + 0.3f * u(rng) > 3.0f ? 1.0f : 0.0f);
      data.time.push_back(i);
      data.row.push_back(i);
    }
    data.categories.resize(7);
    pipeline::TrainOptions options;
    options.rounds = 50;
    options.params["max_depth"] = "6";
    return std::shared_ptr<const pipeline::XgbModel>(
        std::move(*pipeline::XgbModel::Train(data, 0, data.rows(), options)));
  }());
  return *model;
}

std::shared_ptr<const ServedModel> Elec2SizedModel(ServerMetrics& metrics, int64_t version) {
  std::vector<core::FeatureSpec> features;
  for (int j = 0; j < 7; ++j) features.push_back({"f" + std::to_string(j), core::FeatureType::kNumeric, {}});
  return *ServedModel::Create("elec2", version, features, Elec2Booster(),
                              metrics.ForVersion("elec2", std::to_string(version)));
}

// `rows` Elec2 rows predicted by `service`'s "elec2" for as long as `state` runs.
void RunKserveV1(PredictionService& service, benchmark::State& state, int64_t rows) {
  std::string body = "{\"instances\": [";
  for (int64_t r = 0; r < rows; ++r) {
    body += r ? "," : "";
    body += "[2, 0.021277, 0.051699, 0.415055, 0.003467, 0.422915, 0.414912]";
  }
  body += "]}";
  HttpRequest request;
  request.method = "POST";
  request.target = "/v1/models/elec2:predict";
  request.body = body;
  request.request_id = "0123456789abcdef-1";
  HttpResponse response;
  for (auto _ : state) {
    response.status = 200;
    response.request_id = request.request_id;
    service.Handle(request, &response);
    benchmark::DoNotOptimize(response.body.data());
  }
  if (response.status != 200) state.SkipWithError(response.body.c_str());
  state.SetItemsProcessed(state.iterations() * rows);
}

void BM_PredictionServiceKserveV1(benchmark::State& state) {
  PredictionService service({});
  service.AddModel("elec2").Swap(Elec2SizedModel(service.metrics(), 1));
  RunKserveV1(service, state, state.range(0));
}
BENCHMARK(BM_PredictionServiceKserveV1)->Arg(1)->Arg(10)->Arg(1000);

// One row, logged to an inference log in a fresh temporary directory (the writer thread runs
// beside the benchmark); with `shadow`, version 2 also predicts every request in shadow.
void LoggedKserveV1(benchmark::State& state, bool shadow) {
  const std::filesystem::path dir = std::filesystem::temp_directory_path() /
                                    ("mlloop-service-bench-" + std::to_string(getpid()));
  std::filesystem::remove_all(dir);
  InferenceLog::Options options;
  options.width = 7;
  auto log = InferenceLog::Open(dir.string(), options);
  if (!log.ok()) return state.SkipWithError(log.status().ToString().c_str());
  PredictionService service({});
  ModelSlot& slot = service.AddModel("elec2");
  slot.Swap(Elec2SizedModel(service.metrics(), 1));
  if (shadow) {
    slot.SetRoute(*TrafficRoute::Make(slot.Get(), Elec2SizedModel(service.metrics(), 2),
                                      ChallengerMode::kShadow, 0));
  }
  service.AttachLog(slot, log->get(), core::LabelSpec{});
  RunKserveV1(service, state, 1);
  (*log)->Close().IgnoreError();
  std::filesystem::remove_all(dir);
}
void BM_PredictionServiceKserveV1Logged(benchmark::State& state) { LoggedKserveV1(state, false); }
BENCHMARK(BM_PredictionServiceKserveV1Logged);
void BM_PredictionServiceKserveV1LoggedShadow(benchmark::State& state) {
  LoggedKserveV1(state, true);
}
BENCHMARK(BM_PredictionServiceKserveV1LoggedShadow);

// The ceiling the issue compares batches with: XGBoost's own in-process prediction
// (XgbModel::PredictWithXgboost) of the same rows with the same model, no HTTP and no JSON.
void BM_XgboostPredictSameRows(benchmark::State& state) {
  std::vector<float> row = {2, 0.021277f, 0.051699f, 0.415055f, 0.003467f, 0.422915f, 0.414912f};
  std::vector<float> x;
  for (int64_t r = 0; r < state.range(0); ++r) x.insert(x.end(), row.begin(), row.end());
  std::vector<float> out;
  for (auto _ : state) {
    Status s = Elec2Booster()->PredictWithXgboost(x.data(), state.range(0), 7, &out);
    if (!s.ok()) state.SkipWithError(s.message().c_str());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_XgboostPredictSameRows)->Arg(1)->Arg(10)->Arg(1000);

}  // namespace
}  // namespace mlloop::serve

BENCHMARK_MAIN();
