#include <algorithm>
#include <optional>
#include <ostream>
#include <set>

#include "cli/commands.h"
#include "cli/table.h"
#include "config/model_config.h"
#include "core/format.h"
#include "drift/drift_report.h"
#include "drift/reference_profile.h"
#include "io/csv_reader.h"
#include "pipeline/xgb/xgb_model.h"
#include "report/drift_html.h"

namespace mlloop::cli {

namespace {


std::string Number(const std::optional<double>& v, int digits) {
  if (!v) return "-";
  if (*v != 0 && (*v < 1e-3 || *v >= 1e6)) {
    char buf[32];
    std::snprintf(buf, sizeof(buf), "%.2e", *v);
    return buf;
  }
  return core::FormatFixed(*v, digits);
}

// A model config's schema as a two-table comparison reads it: no segments (slicing is not
// part of the drift report yet), no time (it plays no part in comparing two tables).
Result<core::Schema> ConfiguredSchema(const std::string& path) {
  MLLOOP_ASSIGN_OR_RETURN(auto config, config::LoadModelConfig(path));
  core::Schema schema = config.schema;
  schema.segments.clear();
  schema.timestamp = core::TimestampSpec{};
  return schema;
}

// The schema both tables are read with: the configured one, or one inferred from the
// reference; features the current table lacks are left out (and reported as findings).
Result<core::Schema> CommonSchema(const DriftArgs& args, std::string_view reference_text,
                                  const std::vector<std::string>& reference_header,
                                  const std::vector<std::string>& current_header,
                                  drift::ReadFindings* findings) {
  core::Schema schema;
  if (!args.config.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(schema, ConfiguredSchema(args.config));
  } else {
    MLLOOP_ASSIGN_OR_RETURN(schema, io::InferSchema(reference_text, args.reference));
  }
  const std::set<std::string> in_reference(reference_header.begin(), reference_header.end());
  const std::set<std::string> in_current(current_header.begin(), current_header.end());
  for (const auto& name : reference_header) {
    if (!in_current.contains(name)) findings->columns_missing.push_back(name);
  }
  for (const auto& name : current_header) {
    if (!in_reference.contains(name)) findings->columns_added.push_back(name);
  }
  std::vector<core::FeatureSpec> kept;
  for (auto& f : schema.features) {
    if (!in_reference.contains(f.name)) {
      return Status::InvalidArgument(args.reference + ": the reference has no column '" + f.name +
                                     "', a feature of " + args.config);
    }
    if (in_current.contains(f.name)) kept.push_back(std::move(f));
  }
  schema.features = std::move(kept);
  if (!schema.label.name.empty() &&
      (!in_reference.contains(schema.label.name) || !in_current.contains(schema.label.name))) {
    schema.label.name.clear();  // no target drift without the label on both sides
  }
  if (schema.features.empty()) {
    return Status::InvalidArgument("the reference and the current table share no feature column");
  }
  return schema;
}

// The schema against a reference profile: the configured one, or the profile's own
// features and label; features the current table lacks are left out (and reported).
Result<core::Schema> ProfileSchema(const DriftArgs& args, const drift::ReferenceProfile& profile,
                                   const std::vector<std::string>& current_header,
                                   drift::ReadFindings* findings) {
  core::Schema schema;
  if (!args.config.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(schema, ConfiguredSchema(args.config));
  } else {
    for (const auto& c : profile.features()) schema.features.push_back({c.name, c.type, {}});
    schema.label = profile.label();
  }
  const std::set<std::string> in_current(current_header.begin(), current_header.end());
  std::vector<core::FeatureSpec> kept;
  for (auto& f : schema.features) {
    if (in_current.contains(f.name)) {
      kept.push_back(std::move(f));
    } else {
      findings->columns_missing.push_back(f.name);
    }
  }
  std::set<std::string> known;
  for (const auto& c : profile.features()) known.insert(c.name);
  if (profile.target()) known.insert(profile.target()->name);
  for (const auto& name : current_header) {
    if (!known.contains(name)) findings->columns_added.push_back(name);
  }
  schema.features = std::move(kept);
  if (!schema.label.name.empty() && !in_current.contains(schema.label.name)) {
    schema.label.name.clear();
  }
  if (schema.features.empty()) {
    return Status::InvalidArgument("the reference profile and the current table share no feature column");
  }
  return schema;
}

// The model's predictions on both tables, compared. Not computable (with a note) when the
// current table lacks one of the model's features.
Result<drift::FeatureDrift> PredictionDrift(const DriftArgs& args, const core::Schema& schema,
                                            const core::Dataset& reference,
                                            const core::Dataset& current,
                                            const drift::DriftOptions& options) {
  MLLOOP_ASSIGN_OR_RETURN(auto config, config::LoadModelConfig(args.config));
  if (schema.features.size() != config.schema.features.size()) {
    drift::FeatureDrift fd;
    fd.name = "prediction";
    fd.computable = false;
    fd.note = "the current table lacks some of the model's features";
    return fd;
  }
  MLLOOP_ASSIGN_OR_RETURN(std::string bytes, io::ReadFileBytes(args.model));
  auto model = pipeline::XgbModel::Load(bytes, config.schema.label.task);
  if (!model.ok()) {
    return Status(model.status().code(), args.model + ": " + model.status().message());
  }
  std::vector<float> ref_pred, cur_pred;
  MLLOOP_RETURN_IF_ERROR((*model)->Predict(reference.x.data(), reference.rows(),
                                           reference.n_features, &ref_pred));
  MLLOOP_RETURN_IF_ERROR(
      (*model)->Predict(current.x.data(), current.rows(), current.n_features, &cur_pred));
  return drift::ComparePredictions(ref_pred, cur_pred, options);
}

// Two lines: the domain classifier and the PCA reconstruction error.
void PrintMultivariate(const drift::MultivariateDrift& m, std::ostream& out) {
  const auto verdict = [](bool computable, bool drift) {
    return !computable ? "not computable" : (drift ? "MULTIVARIATE DRIFT" : "no drift");
  };
  const auto& dc = m.domain_classifier;
  out << "multivariate: domain classifier ";
  if (dc.computable) {
    out << "AUC " << Number(dc.auc, 3) << " +- " << Number(dc.auc_std, 3) << " (threshold "
        << Number(dc.threshold, 3) << ")";
    if (!dc.top_features.empty()) {
      out << ", separating:";
      for (size_t i = 0; i < dc.top_features.size() && i < 3; ++i) {
        out << (i > 0 ? "," : "") << " " << dc.top_features[i].name << " "
            << core::FormatFixed(100 * dc.top_features[i].gain_share, 0) << "%";
      }
    }
  } else {
    out << "(" << dc.note << ")";
  }
  out << ": " << verdict(dc.computable, dc.drift) << "\n";
  const auto& pca = m.pca;
  out << "multivariate: PCA reconstruction error ";
  if (pca.computable) {
    out << "current " << Number(pca.current_mean, 3) << " vs reference "
        << Number(pca.reference_mean, 3) << " (ratio " << Number(pca.ratio, 2) << ")";
  } else {
    out << "(" << pca.note << ")";
  }
  out << ": " << verdict(pca.computable, pca.drift) << "\n";
}

// "--statistics ks,psi" -> methods; "all" -> every method but auto.
Result<std::vector<drift::Method>> ParseStatistics(std::string_view list) {
  std::vector<drift::Method> methods;
  if (list.empty()) return methods;
  if (list == "all") {
    for (std::string_view name : {"ks", "chisquare", "z", "wasserstein", "jensenshannon", "psi",
                                  "hellinger", "linf", "anderson", "cvm"}) {
      MLLOOP_ASSIGN_OR_RETURN(auto m, drift::ParseMethod(name));
      methods.push_back(m);
    }
    return methods;
  }
  size_t start = 0;
  while (start <= list.size()) {
    const size_t comma = std::min(list.find(',', start), list.size());
    const std::string_view name = list.substr(start, comma - start);
    auto method = drift::ParseMethod(name);
    if (!method.ok() || *method == drift::Method::kAuto) {
      return Status::InvalidArgument("--statistics: '" + std::string(name) +
                                     "' is not a method; expected a comma-separated list of ks, "
                                     "chisquare, z, wasserstein, jensenshannon, psi, hellinger, "
                                     "linf, anderson, cvm, or 'all'");
    }
    methods.push_back(*method);
    start = comma + 1;
  }
  return methods;
}

}  // namespace

Result<int> RunDrift(const DriftArgs& args, std::ostream& out) {
  drift::DriftOptions options;
  if (!args.method.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(options.method, drift::ParseMethod(args.method));
  }
  if (!(args.drift_share > 0 && args.drift_share <= 1)) {
    return Status::InvalidArgument("--drift-share must be in (0, 1], got " +
                                   core::FormatFixed(args.drift_share, 3));
  }
  options.dataset_drift_share = args.drift_share;
  options.multivariate = args.multivariate;
  options.threads = args.threads;
  MLLOOP_ASSIGN_OR_RETURN(options.statistics, ParseStatistics(args.statistics));
  for (const std::string& rule : args.feature_methods) {
    const size_t eq = rule.find('=');
    if (eq == std::string::npos || eq == 0) {
      return Status::InvalidArgument("--feature-method '" + rule + "': expected NAME=METHOD");
    }
    auto method = drift::ParseMethod(std::string_view(rule).substr(eq + 1));
    if (!method.ok()) {
      return Status::InvalidArgument("--feature-method '" + rule + "': " + method.status().message());
    }
    options.per_feature[rule.substr(0, eq)] = *method;
  }

  if (args.reference.empty() == args.reference_profile.empty()) {
    return Status::InvalidArgument("give exactly one of --reference CSV and --reference-profile FILE");
  }
  if (!args.save_profile.empty() && args.reference.empty()) {
    return Status::InvalidArgument("--save-profile profiles the --reference CSV; give one");
  }
  if (args.current.empty() && args.save_profile.empty()) {
    return Status::InvalidArgument("--current CSV is required (unless --save-profile alone)");
  }
  if (!args.model.empty() && (args.config.empty() || args.reference.empty())) {
    return Status::InvalidArgument(
        "--model needs --config (the model's features and task) and --reference (its rows)");
  }
  if (!args.reference_profile.empty() && args.multivariate) {
    return Status::InvalidArgument(
        "--multivariate needs the reference rows: use --reference, not --reference-profile");
  }

  std::string current_text;
  std::vector<std::string> current_header;
  if (!args.current.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(current_text, io::ReadFileBytes(args.current));
    MLLOOP_ASSIGN_OR_RETURN(current_header, io::ParseCsvHeader(current_text, args.current));
  }

  drift::ReadFindings findings;
  core::Schema schema;
  std::optional<core::Dataset> reference;
  std::optional<drift::ReferenceProfile> profile;
  if (!args.reference.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(std::string reference_text, io::ReadFileBytes(args.reference));
    MLLOOP_ASSIGN_OR_RETURN(auto reference_header,
                            io::ParseCsvHeader(reference_text, args.reference));
    // Alone, --save-profile profiles every column of the reference.
    MLLOOP_ASSIGN_OR_RETURN(
        schema, CommonSchema(args, reference_text, reference_header,
                             args.current.empty() ? reference_header : current_header, &findings));
    // The reference is the trusted baseline and is read strictly.
    MLLOOP_ASSIGN_OR_RETURN(reference, io::ParseCsv(reference_text, args.reference, schema));
    std::string().swap(reference_text);  // the text is several times the floats: free it now
    if (!args.save_profile.empty()) {
      drift::ReferenceProfileOptions profile_options;
      profile_options.threads = args.threads;
      MLLOOP_ASSIGN_OR_RETURN(auto built,
                              drift::ReferenceProfile::Build(*reference, schema, profile_options));
      MLLOOP_RETURN_IF_ERROR(WriteFileAtomically(args.save_profile, built.Serialize()));
      out << "reference profile of " << args.reference << " (" << built.rows() << " rows, "
          << built.features().size() << " features) written to " << args.save_profile << "\n";
      if (args.current.empty()) return 0;
    }
  } else {
    MLLOOP_ASSIGN_OR_RETURN(std::string bytes, io::ReadFileBytes(args.reference_profile));
    auto loaded = drift::ReferenceProfile::Deserialize(bytes);
    if (!loaded.ok()) {
      return Status(loaded.status().code(),
                    args.reference_profile + ": " + loaded.status().message());
    }
    profile = std::move(loaded).value();
    MLLOOP_ASSIGN_OR_RETURN(schema, ProfileSchema(args, *profile, current_header, &findings));
  }

  for (const auto& [name, method] : options.per_feature) {
    const bool known = std::any_of(schema.features.begin(), schema.features.end(),
                                   [&](const core::FeatureSpec& f) { return f.name == name; });
    if (!known) {
      return Status::InvalidArgument("--feature-method: '" + name +
                                     "' is not a feature compared here");
    }
  }
  // In the current table a value of the wrong type is itself a finding, so it is counted
  // and read as missing.
  io::TypeViolations violations;
  io::CsvOptions lenient;
  lenient.bad_values_as_missing = &violations;
  MLLOOP_ASSIGN_OR_RETURN(core::Dataset current,
                          io::ParseCsv(current_text, args.current, schema, lenient));
  std::string().swap(current_text);
  findings.type_violations = violations.counts;
  findings.type_violation_example = violations.examples;

  MLLOOP_ASSIGN_OR_RETURN(
      drift::DriftReport report,
      profile ? drift::ComputeDriftAgainstProfile(*profile, current, schema, options, findings)
              : drift::ComputeDrift(*reference, current, schema, options, findings));
  const std::string& reference_name =
      args.reference.empty() ? args.reference_profile : args.reference;
  if (!args.model.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(report.prediction,
                            PredictionDrift(args, schema, *reference, current, options));
  }

  out << "reference " << reference_name << ": " << report.reference_rows << " rows; current "
      << args.current << ": " << report.current_rows << " rows\n\n";
  Table table({"feature", "type", "method", "statistic", "p-value", "threshold", "verdict"});
  std::vector<const drift::FeatureDrift*> rows;
  if (report.target) rows.push_back(&*report.target);
  if (report.prediction) rows.push_back(&*report.prediction);
  for (const auto& f : report.features) rows.push_back(&f);
  for (const auto* f : rows) {
    std::string verdict = !f->computable ? "not computable" : (f->drift ? "DRIFT" : "ok");
    std::string name = f == (report.target ? &*report.target : nullptr) ? f->name + " (target)" : f->name;
    if (f == (report.prediction ? &*report.prediction : nullptr)) name = "(model prediction)";
    table.AddRow({name, std::string(core::FeatureTypeName(f->type)), f->method,
                  Number(f->statistic, 4), Number(f->p_value, 4),
                  f->computable ? Number(f->threshold, 4) : "-", verdict});
  }
  out << table.Render();
  out << "\n" << report.features_drifted << " of " << report.features_computable
      << " features drifted (" << core::FormatFixed(100 * report.drift_share, 1)
      << "%; dataset drift at " << core::FormatFixed(100 * report.dataset_drift_threshold, 0)
      << "%): " << (report.dataset_drift ? "DATASET DRIFT" : "no dataset drift") << "\n";
  for (const auto& f : report.features) {
    if (!f.computable && !f.note.empty()) out << "  " << f.name << ": " << f.note << "\n";
  }
  if (report.multivariate) PrintMultivariate(*report.multivariate, out);
  if (!report.quality.empty()) {
    out << "\ndata quality:\n";
    for (const auto& q : report.quality) out << "  " << q.column << ": " << q.kind << ": " << q.detail << "\n";
  }
  // Nothing comparable (an empty current table, say) is what a broken upstream job looks
  // like; a scheduler must not read it as "no drift".
  const bool nothing_computable = report.features_computable == 0;
  if (nothing_computable) {
    out << "\nno feature could be compared: the data is unusable, which is a data-quality "
           "problem, not a verdict\n";
  } else if (report.mostly_data_quality) {
    out << "\nthe trouble looks like a broken pipeline (data quality), not drift: fix the data, "
           "do not retrain\n";
  }
  if (!args.json.empty()) {
    MLLOOP_RETURN_IF_ERROR(WriteFileAtomically(args.json, report.ToJson() + "\n"));
    out << "JSON written to " << args.json << "\n";
  }
  if (!args.html.empty()) {
    report::DriftHtmlOptions html;
    html.reference_name = reference_name;
    html.current_name = args.current;
    MLLOOP_RETURN_IF_ERROR(WriteFileAtomically(args.html, report::RenderDriftHtml(report, html)));
    out << "HTML report written to " << args.html << "\n";
  }
  if (report.mostly_data_quality || nothing_computable) return kExitDataQuality;
  return report.AnyDrift() ? kExitDrift : 0;
}

}  // namespace mlloop::cli
