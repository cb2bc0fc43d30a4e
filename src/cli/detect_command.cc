// `mlloop detect`: a streaming change detector run over one column of a CSV, as the loop runs
// it over a live model's errors. Prints the positions it flags.
#include <nlohmann/json.hpp>
#include <ostream>

#include "cli/commands.h"
#include "drift/detector_registry.h"
#include "io/csv_reader.h"

namespace mlloop::cli {

namespace {

// "delta=0.002" -> {"delta", 0.002}.
Result<std::pair<std::string, double>> ParseParam(const std::string& text) {
  const size_t eq = text.find('=');
  if (eq == std::string::npos || eq == 0) {
    return Status::InvalidArgument("--param '" + text + "': expected NAME=NUMBER");
  }
  const std::string value = text.substr(eq + 1);
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(value, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used == 0 || used != value.size() || !std::isfinite(v)) {
    return Status::InvalidArgument("--param '" + text + "': '" + value + "' is not a number");
  }
  return std::make_pair(text.substr(0, eq), v);
}

}  // namespace

Result<int> RunDetect(const DetectArgs& args, std::ostream& out) {
  drift::DetectorParams params;
  for (const std::string& p : args.params) {
    MLLOOP_ASSIGN_OR_RETURN(auto kv, ParseParam(p));
    params[kv.first] = kv.second;
  }
  MLLOOP_ASSIGN_OR_RETURN(auto detector, drift::CreateDetector(args.detector, params));

  MLLOOP_ASSIGN_OR_RETURN(std::string text, io::ReadFileBytes(args.file));
  core::Schema schema;
  schema.features = {{args.column, core::FeatureType::kNumeric, {}}};
  MLLOOP_ASSIGN_OR_RETURN(core::Dataset data, io::ParseCsv(text, args.file, schema));

  // Positions are data rows of the file, 0-based; missing values are skipped (the detector
  // never sees them) but keep their rows' numbers.
  struct Flag {
    size_t row;
    std::string kind;
    std::optional<size_t> change_start_row;
  };
  std::vector<Flag> flags;
  std::vector<size_t> row_of_update;  // the detector's position -> file row
  row_of_update.reserve(data.rows());
  size_t out_of_domain = 0;
  drift::Verdict last = drift::Verdict::kStable;
  for (size_t i = 0; i < data.rows(); ++i) {
    const float v = data.x[i];
    if (core::IsMissing(v)) continue;
    if (!detector->Accepts(v)) ++out_of_domain;
    row_of_update.push_back(i);
    const drift::Verdict verdict = detector->Update(v);
    if (verdict == drift::Verdict::kDrift) {
      Flag f{i, "drift", std::nullopt};
      if (auto start = detector->ChangeStart(); start && *start < row_of_update.size()) {
        f.change_start_row = row_of_update[*start];
      }
      flags.push_back(f);
    } else if (args.warnings && verdict == drift::Verdict::kWarning &&
               last != drift::Verdict::kWarning) {
      flags.push_back({i, "warning", std::nullopt});
    }
    last = verdict;
  }
  size_t drifts = 0;
  for (const auto& f : flags) drifts += f.kind == "drift";

  if (args.json) {
    nlohmann::ordered_json j;
    j["detector"] = args.detector;
    j["column"] = args.column;
    j["rows"] = data.rows();
    j["values"] = row_of_update.size();
    j["out_of_domain"] = out_of_domain;
    auto list = nlohmann::ordered_json::array();
    for (const auto& f : flags) {
      nlohmann::ordered_json e{{"row", f.row}, {"kind", f.kind}};
      e["change_start_row"] =
          f.change_start_row ? nlohmann::ordered_json(*f.change_start_row) : nullptr;
      list.push_back(std::move(e));
    }
    j["flags"] = std::move(list);
    out << j.dump(2) << "\n";
  } else {
    out << args.detector << " on " << args.file << " column " << args.column << ": "
        << row_of_update.size() << " values";
    if (row_of_update.size() < data.rows()) {
      out << " (" << data.rows() - row_of_update.size() << " missing skipped)";
    }
    out << "\n";
    if (out_of_domain > 0) {
      out << out_of_domain << " values outside what " << args.detector
          << " reads were counted but not observed\n";
    }
    for (const auto& f : flags) {
      out << f.kind << " at row " << f.row;
      if (f.change_start_row) out << " (change began at row " << *f.change_start_row << ")";
      out << "\n";
    }
    out << drifts << " drift" << (drifts == 1 ? "" : "s") << " flagged\n";
  }
  return drifts > 0 ? kExitDrift : 0;
}

}  // namespace mlloop::cli
