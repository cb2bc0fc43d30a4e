#include "drift/calibration.h"

#include <algorithm>
#include <cmath>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "stats/isotonic.h"
#include "stats/metrics.h"

namespace mlloop::drift {

namespace {

// SplitMix64 (Steele, Lea & Flood 2014; the seeding generator of xoshiro).
class SplitMix64 {
 public:
  explicit SplitMix64(uint64_t seed) : state_(seed) {}
  uint64_t Next() {
    uint64_t z = (state_ += 0x9E3779B97F4A7C15ULL);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
    return z ^ (z >> 31);
  }

 private:
  uint64_t state_;
};

void Shuffle(std::vector<size_t>* a, SplitMix64* gen) {
  for (size_t i = a->size(); i-- > 1;) {
    const size_t j = static_cast<size_t>(gen->Next() % (i + 1));
    std::swap((*a)[i], (*a)[j]);
  }
}

// NannyML's _get_bin_index_edges: [begin, end) row ranges of the sorted rows.
Result<std::vector<std::pair<size_t, size_t>>> BinEdges(size_t rows, size_t bins) {
  if (rows <= 2 * bins) {
    bins = rows / 2;
    if (bins < 2) {
      return Status::InvalidArgument("expected calibration error: " + std::to_string(rows) +
                                     " rows cannot make 2 bins (need at least 4)");
    }
  }
  const size_t width = rows / bins;
  std::vector<size_t> edges;
  for (size_t e = 0; e <= rows; e += width) edges.push_back(e);
  edges.back() = rows;
  std::vector<std::pair<size_t, size_t>> out;
  for (size_t b = 0; b + 1 < edges.size(); ++b) out.emplace_back(edges[b], edges[b + 1]);
  return out;
}

}  // namespace

Status CalibrationCheckOptions::Validate() const {
  if (splits == 0) return Status::InvalidArgument("calibration check: splits must be > 0");
  if (!(test_fraction > 0 && test_fraction < 1)) {
    return Status::InvalidArgument("calibration check: test_fraction must be in (0, 1)");
  }
  if (bins == 0) return Status::InvalidArgument("calibration check: bins must be > 0");
  if (!(separable_auc >= 0.5 && separable_auc <= 1)) {
    return Status::InvalidArgument("calibration check: separable_auc must be in [0.5, 1]");
  }
  return Status::Ok();
}

std::string_view CalibrationReasonName(CalibrationCheck::Reason reason) {
  switch (reason) {
    case CalibrationCheck::Reason::kSingleClass:
      return "single_class";
    case CalibrationCheck::Reason::kSeparable:
      return "separable";
    case CalibrationCheck::Reason::kCompared:
      return "compared";
    case CalibrationCheck::Reason::kOption:
      return "option";
  }
  return "unknown";
}

Result<double> ExpectedCalibrationError(std::span<const double> probabilities,
                                        std::span<const float> labels, size_t bins) {
  if (probabilities.size() != labels.size()) {
    return Status::InvalidArgument(
        "expected calibration error: " + std::to_string(probabilities.size()) +
        " probabilities but " + std::to_string(labels.size()) + " labels");
  }
  if (bins == 0) return Status::InvalidArgument("expected calibration error: bins must be > 0");
  for (size_t i = 0; i < probabilities.size(); ++i) {
    if (!std::isfinite(probabilities[i]) || !std::isfinite(labels[i])) {
      return Status::InvalidArgument("expected calibration error: row " + std::to_string(i) +
                                     " is not finite");
    }
  }
  const size_t rows = probabilities.size();
  MLLOOP_ASSIGN_OR_RETURN(const auto edges, BinEdges(rows, bins));
  std::vector<size_t> order(rows);
  std::iota(order.begin(), order.end(), size_t{0});
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return probabilities[a] < probabilities[b]; });
  double ece = 0;
  for (const auto& [begin, end] : edges) {
    double sum_p = 0, sum_y = 0;
    for (size_t k = begin; k < end; ++k) {
      sum_p += probabilities[order[k]];
      sum_y += labels[order[k]];
    }
    const double count = static_cast<double>(end - begin);
    ece += (count / static_cast<double>(rows)) * std::abs(sum_p / count - sum_y / count);
  }
  return ece;
}

Result<CalibrationCheck> CheckCalibration(std::span<const float> scores,
                                          std::span<const float> labels,
                                          const CalibrationCheckOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  if (scores.size() != labels.size()) {
    return Status::InvalidArgument("calibration check: " + std::to_string(scores.size()) +
                                   " scores but " + std::to_string(labels.size()) + " labels");
  }
  if (scores.empty()) return Status::InvalidArgument("calibration check: no rows");
  std::vector<size_t> by_class[2];
  for (size_t i = 0; i < scores.size(); ++i) {
    if (!std::isfinite(scores[i])) {
      return Status::InvalidArgument("calibration check: score at row " + std::to_string(i) +
                                     " is not finite");
    }
    if (labels[i] != 0.0f && labels[i] != 1.0f) {
      return Status::InvalidArgument("calibration check: label at row " + std::to_string(i) +
                                     " is not 0 or 1");
    }
    by_class[labels[i] == 1.0f ? 1 : 0].push_back(i);
  }
  CalibrationCheck check;
  if (by_class[0].empty() || by_class[1].empty()) {
    check.reason = CalibrationCheck::Reason::kSingleClass;
    check.reference_auc = 0.5;
    return check;
  }
  check.reference_auc = stats::RocAuc(labels.data(), scores.data(), scores.size());
  if (check.reference_auc > options.separable_auc) {
    check.reason = CalibrationCheck::Reason::kSeparable;
    return check;
  }
  for (const auto& rows : by_class) {
    if (rows.size() < 2) {
      return Status::InvalidArgument(
          "calibration check: a class has a single row; need at least 2 of each class to hold "
          "one out and keep one");
    }
  }

  SplitMix64 gen(options.seed);
  std::vector<double> held_raw, held_calibrated;
  std::vector<float> held_labels;
  std::vector<char> is_test(scores.size());
  std::vector<double> train_x, train_y;
  for (size_t split = 0; split < options.splits; ++split) {
    std::fill(is_test.begin(), is_test.end(), 0);
    for (const auto& rows : by_class) {
      std::vector<size_t> shuffled = rows;
      Shuffle(&shuffled, &gen);
      const double m = static_cast<double>(rows.size());
      const size_t take = std::clamp<size_t>(
          static_cast<size_t>(std::floor(options.test_fraction * m + 0.5)), 1, rows.size() - 1);
      for (size_t k = 0; k < take; ++k) is_test[shuffled[k]] = 1;
    }
    train_x.clear();
    train_y.clear();
    for (size_t i = 0; i < scores.size(); ++i) {
      if (is_test[i]) continue;
      train_x.push_back(scores[i]);
      train_y.push_back(labels[i]);
    }
    MLLOOP_ASSIGN_OR_RETURN(auto iso, stats::IsotonicRegression::Fit(train_x, train_y));
    for (size_t i = 0; i < scores.size(); ++i) {
      if (!is_test[i]) continue;
      held_raw.push_back(scores[i]);
      held_calibrated.push_back(iso.Predict(scores[i]));
      held_labels.push_back(labels[i]);
    }
  }
  MLLOOP_ASSIGN_OR_RETURN(check.ece_before,
                          ExpectedCalibrationError(held_raw, held_labels, options.bins));
  MLLOOP_ASSIGN_OR_RETURN(check.ece_after,
                          ExpectedCalibrationError(held_calibrated, held_labels, options.bins));
  check.reason = CalibrationCheck::Reason::kCompared;
  check.needed = check.ece_before > check.ece_after;
  return check;
}

}  // namespace mlloop::drift
