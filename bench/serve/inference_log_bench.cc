// The inference log, by the numbers that chose its form (docs/DECISIONS.md, "Inference logs"):
//  - BM_InferenceLogAppend: what a request thread pays, one Elec2-sized record (7 features,
//    one prediction, a 24-byte request id) copied into the buffer while the writer runs;
//  - BM_InferenceLogDurable / BM_SqliteLogDurable: what making a batch durable costs per record
//    (CPU of the whole process, the writer thread included) — as an append-only segment
//    (encode, CRC, one write, one fdatasync) and as
//    rows of a SQLite table in WAL mode with synchronous=FULL (one transaction per batch,
//    prepared statement, features as a blob, an index on the request id for joins) — the
//    store's engine; both include what lets feedback find a request id; batch sizes of 50 ms of
//    traffic at 2,000 and 20,000 requests per second.
#include <benchmark/benchmark.h>
#include <sqlite3.h>

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "serve/inference_log.h"

namespace mlloop::serve {
namespace {

namespace fs = std::filesystem;

constexpr float kRow[7] = {2, 0, 0.056443f, 0.439155f, 0.003467f, 0.422915f, 0.414912f};

// A fresh directory for one benchmark's log (testutil's TempDir is not built with the
// benchmarks); the benchmark cannot run without it.
struct TempDir {
  TempDir() {
    const fs::path dir =
        fs::temp_directory_path() / ("mlloop-log-bench-" + std::to_string(getpid()));
    fs::remove_all(dir);
    if (!fs::create_directory(dir)) {
      std::fprintf(stderr, "inference_log_bench: cannot create %s\n", dir.c_str());
      std::exit(1);
    }
    path = dir.string();
  }
  ~TempDir() { fs::remove_all(path); }
  std::string path;
};

InferenceLog::Options Elec2Options() {
  InferenceLog::Options options;
  options.width = 7;
  options.flush_interval = std::chrono::milliseconds(50);
  return options;
}

void BM_InferenceLogAppend(benchmark::State& state) {
  TempDir dir;
  auto log = InferenceLog::Open(dir.path, Elec2Options());
  const float prediction = 0.16f;
  const std::string id = "5f2c9a1b3e7d4c60-1234567";
  for (auto _ : state) {
    (*log)->AppendPrediction(id, 59, kRow, 1, &prediction);
  }
  state.SetItemsProcessed(state.iterations());
  (*log)->Close().IgnoreError();
}
BENCHMARK(BM_InferenceLogAppend);

void BM_InferenceLogDurable(benchmark::State& state) {
  TempDir dir;
  auto log = InferenceLog::Open(dir.path, Elec2Options());
  const float prediction = 0.16f;
  int64_t row = 0;
  for (auto _ : state) {
    for (int64_t i = 0; i < state.range(0); ++i) {
      const std::string id = "5f2c9a1b3e7d4c60-" + std::to_string(row++);  // ids differ, as live
      (*log)->AppendPrediction(id, 59, kRow, 1, &prediction);
    }
    if (!(*log)->Flush().ok()) state.SkipWithError("flush failed");
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  (*log)->Close().IgnoreError();
}
BENCHMARK(BM_InferenceLogDurable)->Arg(100)->Arg(1000)->MeasureProcessCPUTime()->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_SqliteLogDurable(benchmark::State& state) {
  TempDir dir;
  sqlite3* db = nullptr;
  sqlite3_open((dir.path + "/log.db").c_str(), &db);
  sqlite3_exec(db,
               "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
               "CREATE TABLE predictions (row_id INTEGER PRIMARY KEY, request_id TEXT, "
               "time_ms INTEGER, version INTEGER, features BLOB, prediction REAL);"
               // Feedback joins by request id, so the table needs this index as the log
               // needs its own (built in memory by the writer).
               "CREATE INDEX predictions_by_request ON predictions (request_id)",
               nullptr, nullptr, nullptr);
  sqlite3_stmt* insert = nullptr;
  sqlite3_prepare_v2(db, "INSERT INTO predictions VALUES (?, ?, ?, ?, ?, ?)", -1, &insert, nullptr);
  int64_t row = 0;
  for (auto _ : state) {
    sqlite3_exec(db, "BEGIN", nullptr, nullptr, nullptr);
    for (int64_t i = 0; i < state.range(0); ++i) {
      const std::string id = "5f2c9a1b3e7d4c60-" + std::to_string(row);  // ids differ, as live
      sqlite3_bind_int64(insert, 1, row++);
      sqlite3_bind_text(insert, 2, id.data(), static_cast<int>(id.size()), SQLITE_TRANSIENT);
      sqlite3_bind_int64(insert, 3, 1700000000000);
      sqlite3_bind_int64(insert, 4, 59);
      sqlite3_bind_blob(insert, 5, kRow, sizeof(kRow), SQLITE_STATIC);
      sqlite3_bind_double(insert, 6, 0.16);
      if (sqlite3_step(insert) != SQLITE_DONE) state.SkipWithError(sqlite3_errmsg(db));
      sqlite3_reset(insert);
    }
    sqlite3_exec(db, "COMMIT", nullptr, nullptr, nullptr);
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
  sqlite3_finalize(insert);
  sqlite3_close(db);
}
BENCHMARK(BM_SqliteLogDurable)->Arg(100)->Arg(1000)->MeasureProcessCPUTime()->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace mlloop::serve

BENCHMARK_MAIN();
