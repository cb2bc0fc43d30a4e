// `mlloop evaluate`: the evaluation report of a candidate against a champion, on registry
// versions or on two model files and a labelled CSV.
#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>

#include "cli/commands.h"
#include "cli/registry_cli.h"
#include "config/model_config.h"
#include "io/csv_reader.h"
#include "pipeline/xgb/xgb_model.h"
#include "report/evaluation_html.h"
#include "validate/comparison.h"

namespace mlloop::cli {
namespace {

// What both modes hand to the report: the config, the data, both models and the rows.
struct Setup {
  config::ModelConfig config;
  core::Dataset data;
  std::unique_ptr<pipeline::XgbModel> candidate, champion;
  int64_t candidate_bytes = 0;
  size_t begin = 0, end = 0;
  report::EvaluationReportOptions names;
};

Result<std::string> ReadBytes(const std::string& path, const std::string& what) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound(what + " '" + path + "' does not exist");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Unavailable("cannot open " + what + " '" + path + "'");
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

Result<std::unique_ptr<pipeline::XgbModel>> LoadModel(const std::string& bytes, core::Task task,
                                                      const std::string& what) {
  auto model = pipeline::XgbModel::Load(bytes, task);
  if (!model.ok()) return model.status().WithContext("loading " + what);
  return std::move(model).value();
}

// Two model files and a labelled CSV, read under the config's schema: every row is compared.
Status SetUpFromFiles(const EvaluateArgs& args, Setup& s) {
  if (args.data.empty()) {
    return Status::InvalidArgument("--candidate needs --data, a labelled CSV to compare on");
  }
  if (args.config.empty()) {
    return Status::InvalidArgument("--candidate needs --config, the model's YAML (schema and "
                                   "validation gates)");
  }
  MLLOOP_ASSIGN_OR_RETURN(s.config, config::LoadModelConfig(args.config));
  const core::Task task = s.config.schema.label.task;
  MLLOOP_ASSIGN_OR_RETURN(std::string cand, ReadBytes(args.candidate_file, "candidate model"));
  s.candidate_bytes = static_cast<int64_t>(cand.size());
  MLLOOP_ASSIGN_OR_RETURN(s.candidate, LoadModel(cand, task, args.candidate_file));
  if (!args.champion_file.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(std::string champ, ReadBytes(args.champion_file, "champion model"));
    MLLOOP_ASSIGN_OR_RETURN(s.champion, LoadModel(champ, task, args.champion_file));
  }
  MLLOOP_ASSIGN_OR_RETURN(s.data, io::ReadCsv(args.data, s.config.schema));
  s.begin = 0;
  s.end = s.data.rows();
  s.names.model = s.config.name;
  s.names.candidate_name = args.candidate_file;
  s.names.champion_name = args.champion_file;
  s.names.data_name = args.data + " (all " + std::to_string(s.end) + " rows)";
  return Status::Ok();
}

// Registry versions: the candidate's recorded configuration and data file; the rows are the
// `holdout_rows` rows (or the `holdout_last` duration) after both models' training rows, as
// the loop's holdout was.
Status SetUpFromRegistry(const EvaluateArgs& args, Setup& s) {
  MLLOOP_ASSIGN_OR_RETURN(auto reg, OpenExistingRegistry(args.store));
  MLLOOP_RETURN_IF_ERROR(
      Authorize(*reg, args.token, "", registry::Permission::kRead, "evaluate").status());
  MLLOOP_ASSIGN_OR_RETURN(std::string model, ResolveModel(*reg, args.model, args.store));
  MLLOOP_ASSIGN_OR_RETURN(registry::ModelVersion cand, ResolveVersion(*reg, model, args.version));
  std::optional<registry::ModelVersion> champ;
  if (args.against != "none") {
    MLLOOP_ASSIGN_OR_RETURN(champ, ResolveVersion(*reg, model, args.against));
    if (champ->id == cand.id) {
      return Status::FailedPrecondition(
          model + " v" + std::to_string(cand.version) + " is the " + args.against +
          ": name the version to compare it with (--against 3), or --against none");
    }
  }
  const std::string label = model + " v" + std::to_string(cand.version);
  if (cand.lineage.config_text.empty()) {
    return Status::NotFound(label + " has no recorded configuration to evaluate it with");
  }
  MLLOOP_ASSIGN_OR_RETURN(s.config, config::ParseModelConfig(cand.lineage.config_text,
                                                             label + " (recorded configuration)"));
  const core::Task task = s.config.schema.label.task;
  MLLOOP_ASSIGN_OR_RETURN(std::string cand_bytes, reg->LoadArtifact(cand));
  s.candidate_bytes = static_cast<int64_t>(cand_bytes.size());
  MLLOOP_ASSIGN_OR_RETURN(s.candidate, LoadModel(cand_bytes, task, label));
  if (champ) {
    MLLOOP_ASSIGN_OR_RETURN(std::string bytes, reg->LoadArtifact(*champ));
    MLLOOP_ASSIGN_OR_RETURN(s.champion,
                            LoadModel(bytes, task, model + " v" + std::to_string(champ->version)));
  }
  const std::string path = args.data.empty() ? cand.lineage.data_source : args.data;
  if (path.empty()) {
    return Status::NotFound(label + " records no data file; name one with --data");
  }
  MLLOOP_ASSIGN_OR_RETURN(s.data, io::ReadCsv(path, s.config.schema));
  const int64_t first = std::max(cand.lineage.row_end, champ ? champ->lineage.row_end : 0);
  const auto& rows = s.data.row;
  s.begin = static_cast<size_t>(std::lower_bound(rows.begin(), rows.end(), first) - rows.begin());
  // Against the champion it was validated against, the loop's holdout: its recorded length.
  int64_t length = s.config.validation.holdout_rows;
  bool as_recorded = false;
  MLLOOP_ASSIGN_OR_RETURN(std::vector<registry::Evaluation> evals, reg->EvaluationsFor(cand.id));
  for (const registry::Evaluation& e : evals) {
    if (e.champion_id == (champ ? std::optional<int64_t>(champ->id) : std::nullopt)) {
      length = e.rows;
      as_recorded = true;
    }
  }
  s.end = std::min(rows.size(), s.begin + static_cast<size_t>(length));
  if (!as_recorded && s.config.validation.holdout_seconds > 0 && s.begin < rows.size()) {
    // validation.holdout_last: the rows of that long after the training rows.
    const auto& time = s.data.time;
    const int64_t until = time[s.begin] + s.config.validation.holdout_seconds;
    s.end = static_cast<size_t>(std::upper_bound(time.begin() + static_cast<std::ptrdiff_t>(s.begin),
                                                 time.end(), until) -
                                time.begin());
  }
  if (s.begin >= s.end) {
    return Status::FailedPrecondition(
        "no rows of " + path + " after row " + std::to_string(first) +
        ", where both models' training rows end (it has rows 0.." +
        std::to_string(rows.empty() ? 0 : rows.back() + 1) + ")");
  }
  s.names.model = model;
  s.names.candidate_name = "v" + std::to_string(cand.version) + " (" +
                           std::string(registry::VersionStateName(cand.state)) + ")";
  if (champ) {
    s.names.champion_name = "v" + std::to_string(champ->version) + " (" +
                            std::string(registry::VersionStateName(champ->state)) + ")";
  }
  s.names.data_name = "rows " + std::to_string(rows[s.begin]) + ".." +
                      std::to_string(rows[s.end - 1] + 1) + " of " + path +
                      (as_recorded ? " (the holdout its recorded evaluation used)"
                                   : " (the first after both models' training rows)");
  return Status::Ok();
}

}  // namespace

Result<int> RunEvaluate(const EvaluateArgs& args, std::ostream& out) {
  if (args.html.empty() && args.json.empty()) {
    return Status::InvalidArgument("evaluate writes a report: give --html FILE and/or --json FILE");
  }
  const bool files = !args.candidate_file.empty();
  if (files == !args.version.empty()) {
    return Status::InvalidArgument(
        files ? "give either a registry version (CANDIDATE) or --candidate FILE, not both"
              : "evaluate what? give a registry version (e.g. `mlloop evaluate 7`) or "
                "--candidate FILE with --config and --data");
  }
  Setup s;
  MLLOOP_RETURN_IF_ERROR(files ? SetUpFromFiles(args, s) : SetUpFromRegistry(args, s));
  s.names.title = "Evaluation of " + s.names.model + " " + s.names.candidate_name;
  MLLOOP_ASSIGN_OR_RETURN(
      validate::Comparison comparison,
      validate::CompareModels(s.config, s.data, s.begin, s.end, *s.candidate, s.champion.get(),
                              s.candidate_bytes));
  MLLOOP_ASSIGN_OR_RETURN(validate::ComparisonDetails details,
                          validate::DescribeComparison(s.config, comparison));
  if ((!details.latency || (s.champion && !details.latency->champion)) && s.end > s.begin) {
    // No latency gate, or one without the champion's numbers: measure both for the report,
    // as the gate would.
    const size_t nf = s.data.n_features;
    validate::PredictOne champion;
    if (s.champion) champion = validate::SingleRowPredict(*s.champion, nf);
    MLLOOP_ASSIGN_OR_RETURN(details.latency,
                            validate::MeasureLatency(validate::SingleRowPredict(*s.candidate, nf),
                                                     champion, s.data.Row(s.begin),
                                                     s.end - s.begin, nf, 1000));
  }
  if (!args.html.empty()) {
    MLLOOP_RETURN_IF_ERROR(
        WriteFileAtomically(args.html, report::RenderEvaluationHtml(comparison, details, s.names)));
  }
  if (!args.json.empty()) {
    MLLOOP_RETURN_IF_ERROR(
        WriteFileAtomically(args.json, report::EvaluationReportJson(comparison, details, s.names)));
  }
  const validate::Evaluation& ev = comparison.evaluation;
  out << s.names.model << " " << s.names.candidate_name << " against "
      << (s.champion ? s.names.champion_name : std::string("no champion")) << " on "
      << comparison.labels.size() << " rows: " << (ev.passed ? "PASSED" : "REJECTED") << "\n";
  for (const validate::GateOutcome& g : ev.gates) {
    out << "  " << g.name << ": " << g.reason << "\n";
  }
  if (!args.html.empty()) out << "HTML report written to " << args.html << "\n";
  if (!args.json.empty()) out << "JSON report written to " << args.json << "\n";
  return ev.passed ? 0 : kExitRejected;
}

}  // namespace mlloop::cli
