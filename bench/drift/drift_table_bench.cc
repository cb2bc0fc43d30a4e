// End-to-end timing of the batch drift report on two big tables, phase by phase; the
// script bench/drift/drift_compare.sh runs it beside SciPy on the same data.
//
//   drift_table_bench REFERENCE.csv CURRENT.csv OUT.json [REPEATS] [THREADS] [--profile P]
//
// With --profile: also profiles the reference once (timed), saves it to P, loads it back,
// and times the report of the current table against the loaded profile (the usual case).
// Prints one line per phase (CSV parsing in MB/s; the statistics in seconds, best of
// REPEATS) and writes the report, computed with the statistics the SciPy side computes,
// to OUT.json so the script can check that both sides agree. Memory: the peak resident
// set while computing the statistics, against the raw column data (4 bytes a value).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <string>

#include "drift/drift_report.h"
#include "drift/reference_profile.h"
#include "io/csv_reader.h"

namespace {

using Clock = std::chrono::steady_clock;

double Seconds(Clock::time_point since) {
  return std::chrono::duration<double>(Clock::now() - since).count();
}

// Peak resident set (VmHWM) in MiB; ResetPeak() starts a new peak from the current size.
double PeakMiB() {
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::atof(line.c_str() + 6) / 1024.0;
  }
  return 0;
}
void ResetPeak() { std::ofstream("/proc/self/clear_refs") << "5"; }

template <typename T>
T OrDie(mlloop::Result<T> r, const char* what) {
  if (!r.ok()) {
    std::fprintf(stderr, "%s: %s\n", what, r.status().message().c_str());
    std::exit(1);
  }
  return std::move(*r);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 4) {
    std::fprintf(stderr, "usage: %s REFERENCE.csv CURRENT.csv OUT.json [REPEATS] [THREADS]\n",
                 argv[0]);
    return 2;
  }
  namespace io = mlloop::io;
  namespace drift = mlloop::drift;
  const int repeats = argc > 4 ? std::atoi(argv[4]) : 3;
  const int threads = argc > 5 ? std::atoi(argv[5]) : 0;
  const std::string profile_path =
      argc > 7 && std::string(argv[6]) == "--profile" ? argv[7] : "";

  std::string ref_text = OrDie(io::ReadFileBytes(argv[1]), "reading the reference");
  std::string cur_text = OrDie(io::ReadFileBytes(argv[2]), "reading the current table");
  auto start = Clock::now();
  const mlloop::core::Schema schema = OrDie(io::InferSchema(ref_text, argv[1]), "schema");
  const double infer_s = Seconds(start);
  start = Clock::now();
  mlloop::core::Dataset reference = OrDie(io::ParseCsv(ref_text, argv[1], schema), "parse");
  mlloop::core::Dataset current = OrDie(io::ParseCsv(cur_text, argv[2], schema), "parse");
  const double parse_s = Seconds(start);
  const double mb = static_cast<double>(ref_text.size() + cur_text.size()) / 1e6;
  std::string().swap(ref_text);
  std::string().swap(cur_text);
  const double raw_mib = static_cast<double>(reference.x.size() + current.x.size()) * 4 / 1048576;
  std::printf("csv: %.0f MB in %.3f s = %.0f MB/s (schema inference %.3f s more)\n", mb, parse_s,
              mb / parse_s, infer_s);

  drift::DriftOptions options;
  options.threads = threads;
  for (auto m : {drift::Method::kKs, drift::Method::kWasserstein, drift::Method::kPsi,
                 drift::Method::kJensenShannon, drift::Method::kChiSquared}) {
    options.statistics.push_back(m);
  }
  const double before_mib = PeakMiB();
  ResetPeak();
  double best = 1e300;
  drift::DriftReport report;
  for (int r = 0; r < std::max(1, repeats); ++r) {
    start = Clock::now();
    report = OrDie(drift::ComputeDrift(reference, current, schema, options), "drift");
    best = std::min(best, Seconds(start));
  }
  const double peak_mib = PeakMiB();
  std::printf("statistics: %.3f s (best of %d, %s threads)\n", best, std::max(1, repeats),
              threads > 0 ? std::to_string(threads).c_str() : "all");
  std::printf("memory: raw columns %.0f MiB; peak while computing %.0f MiB (%.2fx the raw "
              "columns; %.0f MiB before)\n",
              raw_mib, peak_mib, peak_mib / raw_mib, before_mib);
  std::ofstream(argv[3]) << report.ToJson();

  if (!profile_path.empty()) {
    drift::ReferenceProfileOptions profile_options;
    profile_options.threads = threads;
    start = Clock::now();
    auto built = OrDie(drift::ReferenceProfile::Build(reference, schema, profile_options),
                       "profile");
    const double build_s = Seconds(start);
    const std::string bytes = built.Serialize();
    std::ofstream(profile_path, std::ios::binary) << bytes;
    std::ifstream in(profile_path, std::ios::binary);
    const std::string read_back((std::istreambuf_iterator<char>(in)), {});
    const auto loaded = OrDie(drift::ReferenceProfile::Deserialize(read_back), "profile load");
    double best_profile = 1e300;
    drift::DriftReport against;
    for (int r = 0; r < std::max(1, repeats); ++r) {
      start = Clock::now();
      against = OrDie(drift::ComputeDriftAgainstProfile(loaded, current, schema, options),
                      "drift against profile");
      best_profile = std::min(best_profile, Seconds(start));
    }
    size_t same = 0;
    for (size_t j = 0; j < report.features.size(); ++j) {
      same += report.features[j].drift == against.features[j].drift;
    }
    std::printf("profile: built once in %.3f s (%.0f KiB)\n", build_s,
                static_cast<double>(bytes.size()) / 1024);
    std::printf("statistics against the profile: %.3f s (best of %d); verdicts as on the "
                "rows: %zu of %zu\n",
                best_profile, std::max(1, repeats), same, report.features.size());
    std::ofstream(std::string(argv[3]) + ".profile.json") << against.ToJson();
  }
  return 0;
}
