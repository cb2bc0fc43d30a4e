// Detection accuracy of every streaming change detector on synthetic streams with known
// change points, and false alarms on streams without one.
//
//   detector_accuracy [--trials N] [--stationary N] [--seeds N]
//
// Two families of streams:
//  - values: standard normal noise whose mean moves from 0 by delta sigmas (0.5, 1, 2);
//    detectors of real values (adwin, page_hinkley, kswin, cusum);
//  - errors: 0/1 errors whose rate moves from 20% up by 5, 10 or 20 points; every detector
//    (all accept 0/1).
// Three kinds of change at position 5,000 of a 10,000-value stream: abrupt (a step),
// gradual (over 1,000 values each value comes from the new concept with a probability that
// rises linearly from 0 to 1) and incremental (the mean or rate itself ramps linearly over
// 1,000 values). Per detector and scenario, over N seeded trials (default 50):
//  - delay: mean of (first drift at or after 5,000) - 5,000 over the trials that detect it,
//    counted from the start of the change, transitions included;
//  - missed: trials with no drift in [5,000, 10,000).
// Drifts before 5,000 are false alarms; they are counted on separate stationary streams:
// --seeds streams (default 3) of --stationary values (default 100,000) per detector, which
// also give updates per second (single thread, wall clock, Update() only).
// All detectors run with their defaults (River's; KSWIN with seed 1). Output: Markdown tables.
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <numbers>
#include <string>
#include <string_view>
#include <vector>

#include "core/random.h"
#include "drift/detector_registry.h"

namespace {

using mlloop::drift::Detector;
using mlloop::drift::Verdict;

// Defaults everywhere; KSWIN's seed is fixed (River's default draws one from the OS) so that
// two runs print the same table.
std::unique_ptr<Detector> CreateDetector(std::string_view name) {
  mlloop::drift::DetectorParams params;
  if (name == "kswin") params["seed"] = 1;
  return mlloop::drift::CreateDetector(name, params).value();
}

using Rng = mlloop::core::SplitMixRng;

enum class Kind { kAbrupt, kGradual, kIncremental };
constexpr Kind kKinds[] = {Kind::kAbrupt, Kind::kGradual, Kind::kIncremental};
constexpr const char* kKindNames[] = {"abrupt", "gradual", "incremental"};

constexpr size_t kChange = 5000;
constexpr size_t kLength = 10000;
constexpr double kWidth = 1000;  // transition of gradual and incremental changes

struct Family {
  std::string name;
  bool errors;
  std::vector<double> magnitudes;
  std::vector<std::string_view> detectors;
};

// The stream of one trial. Before the change: N(0, 1), or errors with rate 0.2.
std::vector<double> TrialStream(const Family& f, Kind kind, double magnitude, uint64_t seed) {
  Rng rng(seed);
  std::vector<double> out(kLength);
  for (size_t i = 0; i < kLength; ++i) {
    const double progress = i < kChange             ? 0.0
                            : kind == Kind::kAbrupt ? 1.0
                                                    : std::min(1.0, (i - kChange) / kWidth);
    double level;  // shift of the mean, or of the error rate
    if (kind == Kind::kGradual) {
      level = rng.Uniform() < progress ? magnitude : 0.0;
    } else {
      level = magnitude * progress;
    }
    out[i] = f.errors ? (rng.Uniform() < 0.2 + level ? 1.0 : 0.0) : rng.Normal() + level;
  }
  return out;
}

struct Cell {
  double delay_sum = 0;
  int detected = 0;
  int missed = 0;
};

Cell RunScenario(const Family& f, std::string_view detector, Kind kind, double magnitude,
                 int trials) {
  Cell cell;
  for (int t = 0; t < trials; ++t) {
    const uint64_t seed = 1000003ULL * static_cast<uint64_t>(t + 1) +
                          static_cast<uint64_t>(kind) * 7919 +
                          static_cast<uint64_t>(magnitude * 1000);
    const auto stream = TrialStream(f, kind, magnitude, seed);
    auto d = CreateDetector(detector);
    int64_t first = -1;
    for (size_t i = 0; i < stream.size(); ++i) {
      if (d->Update(stream[i]) == Verdict::kDrift && i >= kChange) {
        first = static_cast<int64_t>(i);
        break;
      }
    }
    if (first < 0) {
      ++cell.missed;
    } else {
      ++cell.detected;
      cell.delay_sum += static_cast<double>(first) - kChange;
    }
  }
  return cell;
}

struct Stationary {
  double false_alarms_per_100k = 0;
  double updates_per_second = 0;
};

Stationary RunStationary(const Family& f, std::string_view detector, size_t n, int seeds) {
  int64_t drifts = 0;
  double seconds = 0;
  for (int s = 0; s < seeds; ++s) {
    Rng rng(777 + static_cast<uint64_t>(s));
    std::vector<double> stream(n);
    for (double& x : stream) x = f.errors ? (rng.Uniform() < 0.2 ? 1.0 : 0.0) : rng.Normal();
    auto d = CreateDetector(detector);
    const auto start = std::chrono::steady_clock::now();
    for (double x : stream) drifts += d->Update(x) == Verdict::kDrift;
    seconds += std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }
  const double total = static_cast<double>(n) * seeds;
  return {static_cast<double>(drifts) * 100000.0 / total, total / seconds};
}

std::string Magnitude(const Family& f, double m) {
  char buf[32];
  if (f.errors) {
    std::snprintf(buf, sizeof buf, "+%.0f pt", m * 100);
  } else {
    std::snprintf(buf, sizeof buf, "%gσ", m);
  }
  return buf;
}

}  // namespace

int main(int argc, char** argv) {
  int trials = 50, seeds = 3;
  size_t stationary = 100000;
  for (int i = 1; i + 1 < argc; i += 2) {
    if (std::strcmp(argv[i], "--trials") == 0) trials = std::atoi(argv[i + 1]);
    if (std::strcmp(argv[i], "--stationary") == 0)
      stationary = std::strtoul(argv[i + 1], nullptr, 10);
    if (std::strcmp(argv[i], "--seeds") == 0) seeds = std::atoi(argv[i + 1]);
  }
  const std::vector<Family> families = {
      {"values: N(0, 1), mean shift",
       false,
       {0.5, 1.0, 2.0},
       {"adwin", "page_hinkley", "kswin", "cusum"}},
      {"errors: rate 20%, rise", true, {0.05, 0.10, 0.20}, mlloop::drift::DetectorNames()},
  };
  std::printf(
      "trials per cell: %d; change at %zu of %zu values; transitions %g values; "
      "stationary: %d x %zu values\n\n",
      trials, kChange, kLength, kWidth, seeds, stationary);
  for (const Family& f : families) {
    std::printf("### %s\n\n", f.name.c_str());
    std::printf("Mean detection delay in values (missed of %d)\n\n| detector |", trials);
    for (Kind k : kKinds) {
      for (double m : f.magnitudes) {
        std::printf(" %s %s |", kKindNames[static_cast<int>(k)], Magnitude(f, m).c_str());
      }
    }
    std::printf(" false alarms / 100k | updates/s |\n|---|");
    for (size_t i = 0; i < 3 * f.magnitudes.size() + 2; ++i) std::printf("---:|");
    std::printf("\n");
    for (std::string_view det : f.detectors) {
      std::printf("| %.*s |", static_cast<int>(det.size()), det.data());
      for (Kind k : kKinds) {
        for (double m : f.magnitudes) {
          const Cell c = RunScenario(f, det, k, m, trials);
          if (c.detected == 0) {
            std::printf(" - (%d) |", c.missed);
          } else {
            std::printf(" %.0f (%d) |", c.delay_sum / c.detected, c.missed);
          }
        }
      }
      const Stationary s = RunStationary(f, det, stationary, seeds);
      std::printf(" %.1f | %.1f M |\n", s.false_alarms_per_100k, s.updates_per_second / 1e6);
      std::fflush(stdout);
    }
    std::printf("\n");
  }
  return 0;
}
