#include "stats/metrics.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace mlloop::stats {

namespace {

struct Confusion {
  size_t tp = 0, fp = 0, tn = 0, fn = 0;
};

Confusion Count(const float* y, const float* pred, size_t n) {
  Confusion c;
  for (size_t i = 0; i < n; ++i) {
    const bool positive = pred[i] >= 0.5f;
    const bool truth = y[i] >= 0.5f;
    if (positive && truth) ++c.tp;
    else if (positive) ++c.fp;
    else if (truth) ++c.fn;
    else ++c.tn;
  }
  return c;
}

double Ratio(size_t a, size_t b) { return b == 0 ? 0.0 : static_cast<double>(a) / static_cast<double>(b); }

}  // namespace

double Accuracy(const float* y, const float* pred, size_t n) {
  Confusion c = Count(y, pred, n);
  return Ratio(c.tp + c.tn, n);
}

double Precision(const float* y, const float* pred, size_t n) {
  Confusion c = Count(y, pred, n);
  return Ratio(c.tp, c.tp + c.fp);
}

double Recall(const float* y, const float* pred, size_t n) {
  Confusion c = Count(y, pred, n);
  return Ratio(c.tp, c.tp + c.fn);
}

double F1(const float* y, const float* pred, size_t n) {
  Confusion c = Count(y, pred, n);
  return Ratio(2 * c.tp, 2 * c.tp + c.fp + c.fn);
}

double RocAuc(const float* y, const float* pred, size_t n) {
  std::vector<size_t> order(n);
  std::iota(order.begin(), order.end(), 0);
  std::sort(order.begin(), order.end(), [&](size_t a, size_t b) { return pred[a] < pred[b]; });
  double rank_sum = 0.0;
  size_t positives = 0;
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && pred[order[j]] == pred[order[i]]) ++j;
    const double avg_rank = (static_cast<double>(i) + static_cast<double>(j - 1)) / 2.0 + 1.0;
    for (size_t k = i; k < j; ++k) {
      if (y[order[k]] >= 0.5f) {
        rank_sum += avg_rank;
        ++positives;
      }
    }
    i = j;
  }
  const size_t negatives = n - positives;
  if (positives == 0 || negatives == 0) return 0.5;
  const double p = static_cast<double>(positives);
  return (rank_sum - p * (p + 1) / 2.0) / (p * static_cast<double>(negatives));
}

double LogLoss(const float* y, const float* pred, size_t n) {
  if (n == 0) return 0.0;
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double p = std::clamp(static_cast<double>(pred[i]), 1e-15, 1 - 1e-15);
    sum -= y[i] >= 0.5f ? std::log(p) : std::log(1 - p);
  }
  return sum / static_cast<double>(n);
}

double Brier(const float* y, const float* pred, size_t n) {
  if (n == 0) return 0.0;
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) {
    const double d = static_cast<double>(pred[i]) - static_cast<double>(y[i]);
    sum += d * d;
  }
  return sum / static_cast<double>(n);
}

double Rmse(const float* y, const float* pred, size_t n) { return std::sqrt(Brier(y, pred, n)); }

double Mae(const float* y, const float* pred, size_t n) {
  if (n == 0) return 0.0;
  double sum = 0.0;
  for (size_t i = 0; i < n; ++i) sum += std::fabs(static_cast<double>(pred[i]) - static_cast<double>(y[i]));
  return sum / static_cast<double>(n);
}

double Mape(const float* y, const float* pred, size_t n) {
  double sum = 0.0;
  size_t used = 0;
  for (size_t i = 0; i < n; ++i) {
    if (y[i] == 0.0f) continue;
    sum += std::fabs((static_cast<double>(y[i]) - static_cast<double>(pred[i])) / static_cast<double>(y[i]));
    ++used;
  }
  return used == 0 ? 0.0 : sum / static_cast<double>(used);
}

const std::vector<std::string>& MetricNames() {
  static const std::vector<std::string> kNames = {"accuracy", "precision", "recall", "f1",
                                                  "auc",      "log_loss",  "brier",  "rmse",
                                                  "mae",      "mape"};
  return kNames;
}

Result<double> ComputeMetric(std::string_view name, const float* y, const float* pred, size_t n) {
  if (n == 0) return Status::InvalidArgument("cannot compute " + std::string(name) + " on 0 rows");
  if (name == "accuracy") return Accuracy(y, pred, n);
  if (name == "precision") return Precision(y, pred, n);
  if (name == "recall") return Recall(y, pred, n);
  if (name == "f1") return F1(y, pred, n);
  if (name == "auc") return RocAuc(y, pred, n);
  if (name == "log_loss") return LogLoss(y, pred, n);
  if (name == "brier") return Brier(y, pred, n);
  if (name == "rmse") return Rmse(y, pred, n);
  if (name == "mae") return Mae(y, pred, n);
  if (name == "mape") return Mape(y, pred, n);
  std::string known;
  for (const auto& m : MetricNames()) known += (known.empty() ? "" : ", ") + m;
  return Status::InvalidArgument("unknown metric '" + std::string(name) + "' (known: " + known + ")");
}

}  // namespace mlloop::stats
