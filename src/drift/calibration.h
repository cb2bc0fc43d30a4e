// Does a classifier's score need calibrating before CBPE (cbpe.h) reads it as a probability?
// NannyML's answer (nannyml/calibration.py, `needs_calibration`), which CBPE asks once on
// the reference data:
//  1. a reference with one class only, or one the scores separate almost perfectly
//     (ROC AUC > 0.999), is not calibrated;
//  2. otherwise, 10 stratified shuffle splits hold out 10% of the rows each; an isotonic
//     regression (stats/isotonic.h) is fitted on the other 90% and applied to the held-out
//     scores; the held-out rows of all splits are pooled, and the expected calibration error
//     (ECE, below) of the raw scores is compared with that of the calibrated ones;
//  3. calibration is needed when the raw ECE is larger than the calibrated ECE.
//
// ECE, as NannyML's `_calculate_expected_calibration_error`: sort the L rows by probability,
// cut them at row indices 0, w, 2w, ... (w = L / bins, integer division; when L <= 2 bins,
// bins = L / 2 first) with the last cut moved to L, exactly as NannyML's
// `_get_bin_index_edges` does (so L = 105 gives nine bins of 10 rows and one of 15, and
// L = 25 gives twelve bins), and sum over bins (rows in bin / L) * |mean probability - share
// of positives|.
//
// Where we differ from NannyML, on purpose:
//  - the splits come from our own seeded generator (SplitMix64 + Fisher-Yates, per class,
//    round(10% of the class) rows held out, at least one and at most all but one), not from
//    sklearn's StratifiedShuffleSplit(random_state=42), whose NumPy stream we do not
//    reproduce; so on a borderline reference the two can decide differently. The
//    generator is specified below, so tests/drift/fixtures/cbpe_make_fixtures.py reproduces
//    our splits and checks both ECEs with sklearn's IsotonicRegression;
//  - rows with equal probability keep their input order when sorted (a stable sort); NumPy's
//    default argsort leaves their order unspecified, and with isotonic output (many ties) a
//    bin edge inside a tie can move the ECE.
//
// The split generator: state = seed; next() is SplitMix64 (Steele, Lea & Flood 2014). For
// split s = 0, 1, ...: for class 0 then class 1, the class's row indices in ascending order
// are shuffled by Fisher-Yates (for i = m - 1 down to 1: swap a[i], a[next() % (i + 1)]) and
// the first round(test_fraction * m) (floor(x + 0.5), clamped to [1, m - 1]) are held out.
// Held-out rows are pooled in ascending row order within a split, splits one after another.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "core/status.h"

namespace mlloop::drift {

// NannyML's expected calibration error of `probabilities` against 0/1 `labels` (see above).
// InvalidArgument when the sizes differ, fewer than 4 rows (NannyML cannot make 2 bins),
// bins == 0, or a probability or label is not finite.
Result<double> ExpectedCalibrationError(std::span<const double> probabilities,
                                        std::span<const float> labels, size_t bins = 10);

struct CalibrationCheckOptions {
  size_t splits = 10;            // NannyML: split_count = 10
  double test_fraction = 0.1;    // NannyML: StratifiedShuffleSplit(test_size=0.1)
  size_t bins = 10;              // NannyML: bin_count = 10
  uint64_t seed = 42;            // NannyML: random_state=42 (a different generator, see above)
  double separable_auc = 0.999;  // above this reference AUC, scores are left alone

  // InvalidArgument: splits == 0, test_fraction outside (0, 1), bins == 0, separable_auc
  // outside [0.5, 1].
  Status Validate() const;
};

struct CalibrationCheck {
  enum class Reason : uint8_t {
    kSingleClass = 0,  // one class only: nothing to calibrate against
    kSeparable = 1,    // reference AUC > separable_auc
    kCompared = 2,     // decided by the ECE comparison
    kOption = 3,       // not checked: CbpeOptions::calibration forced the decision
  };
  bool needed = false;
  Reason reason = Reason::kCompared;
  double reference_auc = 0;  // ROC AUC of the raw scores (0.5 for a single class)
  double ece_before = 0;     // kCompared only: pooled held-out ECE of the raw scores
  double ece_after = 0;      // kCompared only: ... of the isotonic-calibrated scores
};

// "single_class", "separable", "compared", "option".
std::string_view CalibrationReasonName(CalibrationCheck::Reason reason);

// NannyML's needs_calibration on raw `scores` (probabilities of class 1) and 0/1 `labels`.
// InvalidArgument when the sizes differ, the input is empty, a score is not finite, a label is
// not 0 or 1, the options are invalid, or (with both classes present) a class has fewer than
// 2 rows, too few to hold one out and keep one.
Result<CalibrationCheck> CheckCalibration(std::span<const float> scores,
                                          std::span<const float> labels,
                                          const CalibrationCheckOptions& options = {});

}  // namespace mlloop::drift
