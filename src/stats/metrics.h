// Model quality metrics over labelled predictions. For binary classification `pred` is the
// probability of class 1 and `y` is 0 or 1; a prediction counts as class 1 when pred >= 0.5.
// For regression both are values.
//
// Thread-safety: pure functions.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"

namespace mlloop::stats {

double Accuracy(const float* y, const float* pred, size_t n);
double Precision(const float* y, const float* pred, size_t n);  // 0 when nothing is predicted positive
double Recall(const float* y, const float* pred, size_t n);     // 0 when there are no positives
double F1(const float* y, const float* pred, size_t n);
// Area under the ROC curve by the rank-sum (Mann-Whitney) formula with ties averaged.
// 0.5 when only one class is present.
double RocAuc(const float* y, const float* pred, size_t n);
double LogLoss(const float* y, const float* pred, size_t n);  // probabilities clipped to [1e-15, 1-1e-15]
double Brier(const float* y, const float* pred, size_t n);
double Rmse(const float* y, const float* pred, size_t n);
double Mae(const float* y, const float* pred, size_t n);
double Mape(const float* y, const float* pred, size_t n);  // rows with y == 0 are skipped

// The metric called `name` (accuracy, precision, recall, f1, auc, log_loss, brier, rmse,
// mae, mape). Unknown name or n == 0 -> InvalidArgument.
Result<double> ComputeMetric(std::string_view name, const float* y, const float* pred, size_t n);

// The names ComputeMetric knows, in a stable order.
const std::vector<std::string>& MetricNames();

}  // namespace mlloop::stats
