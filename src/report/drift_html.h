// The drift report for people: one self-contained HTML file (inline CSS and SVG, no script
// or font from the network) that a person can read without the JSON: a summary, the
// data-quality findings, then per feature the reference and current distributions drawn
// over each other with the method, statistic, threshold and verdict.
#pragma once

#include <string>

#include "drift/drift_report.h"

namespace mlloop::report {

struct DriftHtmlOptions {
  std::string title = "Drift report";
  std::string reference_name;  // e.g. the reference file's path
  std::string current_name;
};

std::string RenderDriftHtml(const drift::DriftReport& report, const DriftHtmlOptions& options);

}  // namespace mlloop::report
