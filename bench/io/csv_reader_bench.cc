// CSV ingest throughput on the shipped Elec2 file (3.09 MB, 45,312 rows, 9 columns).
//
// BM_CsvParseElec2 is the full ParseCsv: 7 numeric features, a binary label, row-index time.
// BM_NewlineScanElec2 only counts '\n' with memchr over the same bytes: the cheapest possible
// pass over the input, run in the same process as the ceiling to compare the parser against.
// Both read and gunzip the file once, outside the timed loop.
#include <benchmark/benchmark.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "core/schema.h"
#include "io/csv_reader.h"

namespace mlloop::io {
namespace {

const std::string& Elec2Bytes() {
  static const std::string bytes = [] {
    const std::string path = std::string(MLLOOP_SOURCE_DIR) + "/examples/elec2/electricity.csv.gz";
    Result<std::string> r = ReadFileBytes(path);
    if (!r.ok()) {
      std::fprintf(stderr, "%s\n", r.status().ToString().c_str());
      std::abort();
    }
    return std::move(r).value();
  }();
  return bytes;
}

core::Schema Elec2Schema() {
  core::Schema s;
  for (const char* name :
       {"day", "period", "nswprice", "nswdemand", "vicprice", "vicdemand", "transfer"}) {
    s.features.push_back({name, core::FeatureType::kNumeric, {}});
  }
  s.label = {"class", core::Task::kBinaryClassification, "UP", "DOWN"};
  s.timestamp.source = core::TimestampSpec::Source::kRowIndex;
  s.timestamp.start = 831427200;
  s.timestamp.step = 1800;
  return s;
}

void BM_CsvParseElec2(benchmark::State& state) {
  const std::string& bytes = Elec2Bytes();
  const core::Schema schema = Elec2Schema();
  size_t rows = 0;
  for (auto _ : state) {
    Result<core::Dataset> d = ParseCsv(bytes, "electricity.csv", schema);
    if (!d.ok()) {
      state.SkipWithError(d.status().ToString().c_str());
      return;
    }
    rows = d->rows();
    benchmark::DoNotOptimize(d->x.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.SetItemsProcessed(static_cast<int64_t>(state.iterations() * rows));
  state.counters["rows"] = static_cast<double>(rows);
}
BENCHMARK(BM_CsvParseElec2)->Unit(benchmark::kMillisecond);

void BM_NewlineScanElec2(benchmark::State& state) {
  const std::string& bytes = Elec2Bytes();
  size_t lines = 0;
  for (auto _ : state) {
    lines = 0;
    const char* p = bytes.data();
    const char* const end = p + bytes.size();
    while (const void* nl = std::memchr(p, '\n', static_cast<size_t>(end - p))) {
      ++lines;
      p = static_cast<const char*>(nl) + 1;
    }
    benchmark::DoNotOptimize(lines);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * bytes.size()));
  state.counters["newlines"] = static_cast<double>(lines);
}
BENCHMARK(BM_NewlineScanElec2)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace mlloop::io

BENCHMARK_MAIN();
