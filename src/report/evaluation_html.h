// The evaluation report: what a person (an approver, with `approval: manual`) reads before a
// candidate replaces the champion. One self-contained HTML file (inline CSS and SVG, nothing
// from the network): the verdict, every gate with its numbers, metric deltas with their
// intervals, per-segment bars, calibration curves, confusion matrices and latency. The JSON
// form carries the same numbers for machines.
//
// Thread-safety: pure functions.
#pragma once

#include <string>

#include "validate/comparison.h"

namespace mlloop::report {

struct EvaluationReportOptions {
  std::string title = "Evaluation report";
  std::string model;           // the model's name
  std::string candidate_name;  // e.g. "v7" or a file path
  std::string champion_name;   // empty: no champion
  std::string data_name;       // e.g. "rows 40000..40144 of electricity.csv.gz"
};

std::string RenderEvaluationHtml(const validate::Comparison& comparison,
                                 const validate::ComparisonDetails& details,
                                 const EvaluationReportOptions& options);

// {"model", "candidate", "champion", "data", "evaluation": {passed, rows, summary, gates},
//  "metrics": [...], "segments": [...], "calibration": {...}, "confusion": {...},
//  "latency": {...}}.
std::string EvaluationReportJson(const validate::Comparison& comparison,
                                 const validate::ComparisonDetails& details,
                                 const EvaluationReportOptions& options);

}  // namespace mlloop::report
