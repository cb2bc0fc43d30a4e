// Streaming change detectors: one small interface, one class per algorithm.
//
// A Detector watches one signal value by value (a feature, a model's loss, or a 0/1 stream
// of "was this prediction wrong") and says after each value whether the signal looks
// stable, is in a warning zone, or has changed. The algorithms, their defaults and their
// quirks follow River (online-ml/river: river/drift/ and river/drift/binary/) step for step,
// so that on the examples in River's docstrings and tests ours flag drift at the same
// indices (RiverExamplesTest in tests/drift/detector_test.cc). CUSUM is not in River.
//
//   detector     input               warnings  file
//   adwin        any finite value    no        adwin.h
//   page_hinkley any finite value    no        page_hinkley.h
//   kswin        any finite value    no        kswin.h
//   cusum        any finite value    no        cusum.h
//   ddm          0 or 1 (1 = error)  yes       ddm.h
//   eddm         0 or 1 (1 = error)  yes       eddm.h
//   hddm_a       a value in [0, 1]   yes       hddm_a.h
//   hddm_w       a value in [0, 1]   yes       hddm_w.h
//
// The contract every detector keeps:
//  - Update(x) observes one value and returns the verdict for it (also verdict()).
//  - After kDrift the next observed value starts afresh: the detector forgets everything it
//    had learnt, as River's detectors do (`if self.drift_detected: self._reset()`), but the
//    stream position goes on.
//  - Positions. updates() counts the values given to Update() since construction, Reset()
//    or the RestoreState() that brought the detector back (the saved count is restored;
//    a drift does not reset it). Value number i (0-based) is at position i.
//  - ChangeStart(), while verdict() is kDrift: the position of the first value the detector
//    attributes to the new regime (so ChangeStart() <= updates() - 1). Each detector's header
//    says how it estimates it; where a statistic was at its extreme (Page-Hinkley) or at 0
//    (CUSUM) at position p, the change starts at p + 1.
//  - Input domain. Accepts(x) says whether x is a value the algorithm is defined on (see the
//    table). Update() with any other value (NaN, +-inf, 0.5 for DDM...) does not feed the
//    algorithm: the value still takes a position, rejected() goes up, and the verdict stays
//    what it was, except that a kDrift becomes kStable (one change is reported once).
//    Callers who want to hear about such values use UpdateChecked().
//  - SaveState() captures everything (options, algorithm state, positions, random generator)
//    in versioned bytes; RestoreState() on an instance created with the same options resumes
//    exactly: the same verdicts and ChangeStart() as if it had never stopped.
//
// Thread-safety: none. Each instance belongs to the one monitor window that feeds it.
//
// Example (also a test, DetectorTest.HeaderExample):
//   MLLOOP_ASSIGN_OR_RETURN(std::unique_ptr<Detector> d, CreateDetector("adwin", {}));
//   for (double x : stream) {
//     if (d->Update(x) == Verdict::kDrift) Retrain(*d->ChangeStart());
//   }
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"
#include "stats/moments.h"

namespace mlloop::drift {

enum class Verdict : uint8_t { kStable = 0, kWarning = 1, kDrift = 2 };

// "stable", "warning", "drift".
std::string_view VerdictName(Verdict verdict);

// The public calls are not virtual: positions, the input domain, River's reset after a drift,
// ChangeStart()'s lifetime and the framing of saved state live here once, so every detector
// keeps the contract the same way. An algorithm implements the protected hooks below.
class Detector {
 public:
  virtual ~Detector() = default;
  Detector(const Detector&) = delete;
  Detector& operator=(const Detector&) = delete;

  // Stable id, used in configuration and in the audit log ("adwin", "ddm"...).
  virtual std::string_view Name() const = 0;

  // Whether x is in the detector's input domain (see the table above).
  virtual bool Accepts(double x) const = 0;

  // Observes x and returns the verdict for it. A value outside the domain is counted but not
  // observed (see the file comment). Never fails.
  Verdict Update(double x);

  // As Update(), but a value outside the domain returns InvalidArgument and has no effect at
  // all (it takes no position).
  Result<Verdict> UpdateChecked(double x);

  // The verdict of the last Update(); kStable before the first one.
  Verdict verdict() const { return verdict_; }
  bool drift_detected() const { return verdict_ == Verdict::kDrift; }
  bool warning_detected() const { return verdict_ == Verdict::kWarning; }

  // While drift_detected(): the position where the change began (see the file comment).
  // Otherwise nullopt.
  std::optional<uint64_t> ChangeStart() const { return change_start_; }

  // Values given to Update() (see "Positions" above), and how many of them were not observed.
  uint64_t updates() const { return updates_; }
  uint64_t rejected() const { return rejected_; }

  // Back to the state of a freshly created detector with the same options (positions too).
  void Reset();

  // Everything needed to resume: options, algorithm state, positions. Versioned, checksummed.
  std::string SaveState() const;

  // Replaces this detector's state with one from SaveState(). All or nothing: on error the
  // detector is unchanged. DataLoss: truncated, corrupt or inconsistent bytes.
  // FailedPrecondition: another detector's bytes, another format version, or a detector
  // created with different options.
  Status RestoreState(std::string_view blob);

 protected:
  Detector() = default;

  // One step of the algorithm on an accepted value at stream position `position`.
  virtual Verdict Step(double x, uint64_t position) = 0;
  // Called right after Step() returned kDrift: the position where the change began.
  virtual uint64_t EstimateChangeStart() const = 0;
  // Forgets what the algorithm learnt (River's `_reset()`); options are kept.
  virtual void ResetAlgorithm() = 0;
  // Options first, then the algorithm state.
  virtual void SaveAlgorithm(stats::wire::Writer* w) const = 0;
  // Reads what SaveAlgorithm() wrote, to the end of the reader (check with EndOfState()),
  // and only then replaces the algorithm state: all or nothing. `updates` is the restored
  // stream position (every saved position must be below it). Never trusts a count or an
  // index it reads before checking it.
  virtual Status RestoreAlgorithm(stats::wire::Reader* r, uint64_t updates) = 0;

  // DataLoss unless `r` read everything without running short.
  Status EndOfState(const stats::wire::Reader& r) const;
  // DataLoss("<name> state: inconsistent <what>").
  Status Inconsistent(std::string_view what) const;

  // For RestoreAlgorithm(): FailedPrecondition unless the saved option equals this
  // detector's (bit for bit, so NaN matches NaN).
  Status CheckOption(std::string_view option, double saved, double current) const;

 private:
  uint64_t updates_ = 0;
  uint64_t rejected_ = 0;
  Verdict verdict_ = Verdict::kStable;
  std::optional<uint64_t> change_start_;
  bool reset_pending_ = false;  // the last observed value gave kDrift
};

namespace internal {

// River's stats.Mean for unit weights, update for update: n += 1; mean += (1 / n) (x - mean).
// Kept separate from stats::Moments on purpose: the detectors compare these numbers against
// thresholds, and matching River's indices needs River's exact rounding.
struct RiverMean {
  double n = 0;
  double mean = 0;
  void Update(double x) {
    n += 1.0;
    mean += (1.0 / n) * (x - mean);
  }
};

// River's stats.Var (Welford, ddof = 1) on top of RiverMean.
struct RiverVar {
  RiverMean m;
  double s = 0;  // sum of squared deviations
  void Update(double x) {
    const double old_mean = m.mean;
    m.Update(x);
    s += (x - old_mean) * (x - m.mean);
  }
  double Get() const { return m.n > 1.0 ? s / (m.n - 1.0) : 0.0; }
};

void SaveMean(const RiverMean& m, stats::wire::Writer* w);
bool ReadMean(stats::wire::Reader* r, RiverMean* m);  // false on truncation or n < 0

}  // namespace internal

}  // namespace mlloop::drift
