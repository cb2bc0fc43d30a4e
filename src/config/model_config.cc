#include "config/model_config.h"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <iterator>
#include <utility>

#include "core/hash.h"
#include "core/time.h"

namespace mlloop::config {
namespace {

// ---------------------------------------------------------------------------------------------
// Metrics

struct MetricInfo {
  std::string_view name;
  bool higher_is_better;
  bool binary;  // true: binary classification only; false: regression only
};

constexpr MetricInfo kMetrics[] = {
    {"accuracy", true, true},  {"auc", true, true},    {"f1", true, true},
    {"precision", true, true}, {"recall", true, true}, {"log_loss", false, true},
    {"brier", false, true},    {"rmse", false, false}, {"mae", false, false},
    {"mape", false, false},
};

const MetricInfo* FindMetric(std::string_view name) {
  for (const MetricInfo& m : kMetrics) {
    if (m.name == name) return &m;
  }
  return nullptr;
}

std::string MetricNames(std::optional<bool> binary = std::nullopt) {
  std::string out;
  for (const MetricInfo& m : kMetrics) {
    if (binary.has_value() && m.binary != *binary) continue;
    if (!out.empty()) out += ", ";
    out += m.name;
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Small text helpers

std::string Join(std::initializer_list<std::string_view> items, std::string_view sep = ", ") {
  std::string out;
  for (std::string_view item : items) {
    if (!out.empty()) out += sep;
    out += item;
  }
  return out;
}

std::string ChildPath(const std::string& parent, std::string_view key) {
  return parent.empty() ? std::string(key) : parent + "." + std::string(key);
}

std::string IndexPath(const std::string& parent, size_t index) {
  return parent + "[" + std::to_string(index) + "]";
}

// "0.75", "40", "0.123457": short enough for logs, exact for the values people write.
std::string FormatNumber(double v) {
  char buf[32];
  std::snprintf(buf, sizeof(buf), "%g", v);
  return buf;
}

// How a node looks in "got ..." messages.
std::string Describe(const YAML::Node& node) {
  switch (node.Type()) {
    case YAML::NodeType::Scalar:
      return "'" + node.Scalar() + "'";
    case YAML::NodeType::Sequence:
      return node.size() == 0 ? "an empty list" : "a list";
    case YAML::NodeType::Map:
      return node.size() == 0 ? "an empty mapping" : "a mapping";
    default:
      return "nothing";
  }
}

// 1-based line of `node`, or `fallback` when the node carries no position.
int LineOf(const YAML::Node& node, int fallback) {
  const YAML::Mark mark = node.Mark();
  if (mark.is_null() || mark.line < 0) return fallback;
  return mark.line + 1;
}

// ---------------------------------------------------------------------------------------------
// Located values

bool HasDetector(const Trigger& t) {
  if (t.kind == Trigger::Kind::kDetector) return true;
  for (const Trigger& c : t.children) {
    if (HasDetector(c)) return true;
  }
  return false;
}

// A value in the document together with its key path ("trainer.window.last") and 1-based line.
struct Field {
  std::string path;
  YAML::Node node;
  int line = 0;
};

// A mapping whose keys were checked against the allowed set, in document order.
struct Mapping {
  std::string path;
  int line = 0;
  std::vector<std::pair<std::string, Field>> entries;

  const Field* Find(std::string_view key) const {
    for (const auto& [name, field] : entries) {
      if (name == key) return &field;
    }
    return nullptr;
  }
};

// Reads one YAML document into a ModelConfig. Every error names file, line and key path.
class Parser {
 public:
  explicit Parser(std::string file) : file_(std::move(file)) {}

  Result<ModelConfig> Parse(const YAML::Node& root);

  Status Error(int line, std::string_view path, std::string_view what) const {
    std::string msg = file_ + ":" + std::to_string(line) + ": ";
    if (!path.empty()) msg += std::string(path) + ": ";
    msg += what;
    return Status::InvalidArgument(std::move(msg));
  }

 private:
  Status Expected(const Field& f, std::string_view expected) const {
    return Error(f.line, f.path, "expected " + std::string(expected) + ", got " + Describe(f.node));
  }
  // "expected ..., got 40" for a value of the right type that is out of range.
  Status OutOfRange(const Field& f, std::string_view expected) const {
    return Error(f.line, f.path, "expected " + std::string(expected) + ", got " + f.node.Scalar());
  }
  Status Missing(const Mapping& parent, std::string_view key, std::string_view expected) const {
    return Error(parent.line, ChildPath(parent.path, key),
                 "required key is missing (expected " + std::string(expected) + ")");
  }

  // Scalar readers. Each fails with "expected <what>, got <value>".
  Result<Mapping> Map(const Field& f, std::initializer_list<std::string_view> allowed) const;
  Result<std::string> String(const Field& f) const;
  Result<std::string> OneOf(const Field& f, std::initializer_list<std::string_view> options) const;
  Result<int64_t> Int(const Field& f, int64_t min, int64_t max, std::string_view expected) const;
  template <typename InRange>
  Result<double> Number(const Field& f, std::string_view expected, InRange in_range) const;
  Result<bool> Bool(const Field& f) const;
  Result<int64_t> Duration(const Field& f, bool positive) const;
  Result<int64_t> Timestamp(const Field& f) const;
  Result<std::string> Metric(const Field& f, core::Task task) const;

  // Sections.
  Status ParseSchema(const Field& f, core::Schema& schema) const;
  Result<core::FeatureSpec> ParseFeature(const Field& f) const;
  Status ParseLabel(const Field& f, core::LabelSpec& label) const;
  Status ParseTimestamp(const Field& f, core::TimestampSpec& ts) const;
  Status ParseTrainer(const Field& f, core::Task task, TrainerConfig& trainer) const;
  Result<TrainingWindow> ParseWindow(const Field& f) const;
  Status ParseMonitoring(const Field& f, MonitoringConfig& monitoring) const;
  Status ParsePolicy(const Field& f, core::Task task, PolicyConfig& policy) const;
  Result<Trigger> ParseTrigger(const Field& f, core::Task task) const;

  const core::Schema* schema_ = nullptr;  // once parsed, for names checked elsewhere
  Status ParsePerformance(const Field& f, core::Task task, Trigger& t) const;
  Status ParseValidation(const Field& f, core::Task task, ValidationConfig& validation) const;
  Result<GateConfig> ParseGate(const Field& f, core::Task task,
                               const ValidationConfig& validation) const;
  Status ParseGateFields(const Mapping& m, core::Task task, GateConfig& g) const;
  Result<double> Micros(const Field& f) const;
  Result<int64_t> Bytes(const Field& f) const;
  Status ParseSimulation(const Field& f, SimulationConfig& simulation) const;
  Status ParseRollout(const Field& f, core::Task task, RolloutConfig& rollout) const;

  std::string file_;
};

Result<Mapping> Parser::Map(const Field& f, std::initializer_list<std::string_view> allowed) const {
  Mapping m{f.path, f.line, {}};
  if (f.node.IsNull()) return m;  // "section:" with nothing after it: all defaults
  if (!f.node.IsMap()) {
    return Expected(f, allowed.size() == 0 ? "a mapping" : "a mapping with keys " + Join(allowed));
  }
  for (auto it = f.node.begin(); it != f.node.end(); ++it) {
    const YAML::Node key = it->first;
    const YAML::Node value = it->second;
    const int key_line = LineOf(key, f.line);
    if (!key.IsScalar()) return Error(key_line, f.path, "keys must be plain names");
    const std::string name = key.Scalar();
    const std::string path = ChildPath(f.path, name);
    // An empty `allowed` list accepts any key (trainer.params).
    if (allowed.size() > 0 && std::find(allowed.begin(), allowed.end(), name) == allowed.end()) {
      return Error(key_line, path, "unknown key (expected one of: " + Join(allowed) + ")");
    }
    if (m.Find(name) != nullptr) return Error(key_line, path, "duplicate key");
    // A null value's own mark points past it, so it takes the key's line.
    const int line = value.IsNull() ? key_line : LineOf(value, key_line);
    m.entries.emplace_back(name, Field{path, value, line});
  }
  return m;
}

Result<std::string> Parser::String(const Field& f) const {
  if (!f.node.IsScalar() || f.node.Scalar().empty()) return Expected(f, "a non-empty string");
  return f.node.Scalar();
}

Result<std::string> Parser::OneOf(const Field& f,
                                  std::initializer_list<std::string_view> options) const {
  if (f.node.IsScalar()) {
    for (std::string_view option : options) {
      if (f.node.Scalar() == option) return std::string(option);
    }
  }
  return Expected(f, "one of (" + Join(options) + ")");
}

Result<int64_t> Parser::Int(const Field& f, int64_t min, int64_t max,
                            std::string_view expected) const {
  if (!f.node.IsScalar()) return Expected(f, expected);
  const std::string& text = f.node.Scalar();
  int64_t v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size()) return Expected(f, expected);
  if (v < min || v > max) return OutOfRange(f, expected);
  return v;
}

template <typename InRange>
Result<double> Parser::Number(const Field& f, std::string_view expected, InRange in_range) const {
  if (!f.node.IsScalar()) return Expected(f, expected);
  const std::string& text = f.node.Scalar();
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  if (ec != std::errc() || end != text.data() + text.size() || !std::isfinite(v)) {
    return Expected(f, expected);
  }
  if (!in_range(v)) return OutOfRange(f, expected);
  return v;
}

Result<bool> Parser::Bool(const Field& f) const {
  bool v = false;
  if (!f.node.IsScalar() || !YAML::convert<bool>::decode(f.node, v)) {
    return Expected(f, "true or false");
  }
  return v;
}

Result<int64_t> Parser::Duration(const Field& f, bool positive) const {
  const std::string_view expected = positive ? "a positive duration such as 90s, 30m, 6h, 7d or 2w"
                                             : "a duration such as 0, 90s, 30m, 6h, 7d or 2w";
  if (!f.node.IsScalar()) return Expected(f, expected);
  Result<int64_t> seconds = core::ParseDuration(f.node.Scalar());
  if (!seconds.ok()) return Expected(f, expected);
  if (positive && *seconds == 0) return OutOfRange(f, expected);
  return *seconds;
}

Result<int64_t> Parser::Timestamp(const Field& f) const {
  constexpr std::string_view kExpected =
      "a timestamp (YYYY-MM-DD, YYYY-MM-DDTHH:MM:SSZ or Unix seconds)";
  if (!f.node.IsScalar()) return Expected(f, kExpected);
  Result<int64_t> t = core::ParseTimestamp(f.node.Scalar());
  if (!t.ok()) return Expected(f, kExpected);
  return *t;
}

Result<std::string> Parser::Metric(const Field& f, core::Task task) const {
  const MetricInfo* metric = f.node.IsScalar() ? FindMetric(f.node.Scalar()) : nullptr;
  if (metric == nullptr) return Expected(f, "one of (" + MetricNames() + ")");
  const bool binary = task == core::Task::kBinaryClassification;
  if (metric->binary != binary) {
    return Error(f.line, f.path,
                 "'" + std::string(metric->name) + "' is a " +
                     (metric->binary ? "binary classification" : "regression") +
                     " metric but schema.label.task is " + (binary ? "binary" : "regression") +
                     " (expected one of: " + MetricNames(binary) + ")");
  }
  return std::string(metric->name);
}

// ---------------------------------------------------------------------------------------------
// Schema

Result<core::FeatureSpec> Parser::ParseFeature(const Field& f) const {
  core::FeatureSpec spec;
  if (f.node.IsScalar()) {  // a bare name is a numeric feature
    MLLOOP_ASSIGN_OR_RETURN(spec.name, String(f));
    return spec;
  }
  if (!f.node.IsMap()) return Expected(f, "a column name or a mapping {name, type, categories}");
  MLLOOP_ASSIGN_OR_RETURN(Mapping m, Map(f, {"name", "type", "categories"}));
  const Field* name = m.Find("name");
  if (name == nullptr) return Missing(m, "name", "the column's name");
  MLLOOP_ASSIGN_OR_RETURN(spec.name, String(*name));
  if (const Field* type = m.Find("type")) {
    MLLOOP_ASSIGN_OR_RETURN(std::string t, OneOf(*type, {"numeric", "categorical", "boolean"}));
    spec.type = t == "categorical" ? core::FeatureType::kCategorical
                : t == "boolean"   ? core::FeatureType::kBoolean
                                   : core::FeatureType::kNumeric;
  }
  if (const Field* cats = m.Find("categories")) {
    if (spec.type != core::FeatureType::kCategorical) {
      return Error(cats->line, cats->path, "only allowed with type: categorical");
    }
    if (!cats->node.IsSequence() || cats->node.size() == 0) {
      return Expected(*cats, "a non-empty list of category values");
    }
    for (size_t i = 0; i < cats->node.size(); ++i) {
      const Field c{IndexPath(cats->path, i), cats->node[i], LineOf(cats->node[i], cats->line)};
      MLLOOP_ASSIGN_OR_RETURN(std::string value, String(c));
      if (std::find(spec.categories.begin(), spec.categories.end(), value) !=
          spec.categories.end()) {
        return Error(c.line, c.path, "duplicate category '" + value + "'");
      }
      spec.categories.push_back(std::move(value));
    }
  }
  return spec;
}

Status Parser::ParseLabel(const Field& f, core::LabelSpec& label) const {
  if (f.node.IsScalar()) {  // `label: class` names the column; task stays binary
    MLLOOP_ASSIGN_OR_RETURN(label.name, String(f));
    return Status::Ok();
  }
  MLLOOP_ASSIGN_OR_RETURN(Mapping m, Map(f, {"name", "task", "positive", "negative"}));
  const Field* name = m.Find("name");
  if (name == nullptr) return Missing(m, "name", "the label column's name");
  MLLOOP_ASSIGN_OR_RETURN(label.name, String(*name));
  if (const Field* task = m.Find("task")) {
    MLLOOP_ASSIGN_OR_RETURN(std::string t, OneOf(*task, {"binary", "regression"}));
    label.task = t == "binary" ? core::Task::kBinaryClassification : core::Task::kRegression;
  }
  for (const char* key : {"positive", "negative"}) {
    const Field* value = m.Find(key);
    if (value == nullptr) continue;
    if (label.task != core::Task::kBinaryClassification) {
      return Error(value->line, value->path, "only allowed with task: binary");
    }
    MLLOOP_ASSIGN_OR_RETURN(std::string v, String(*value));
    (std::string_view(key) == "positive" ? label.positive : label.negative) = std::move(v);
  }
  if (label.positive == label.negative) {
    const Field* negative = m.Find("negative");
    const Field& at = negative != nullptr ? *negative : *m.Find("positive");
    return Error(at.line, at.path,
                 "positive and negative are both '" + label.positive +
                     "' (expected two different label values)");
  }
  return Status::Ok();
}

Status Parser::ParseTimestamp(const Field& f, core::TimestampSpec& ts) const {
  if (f.node.IsScalar()) {  // `timestamp: ts` names the column
    ts.source = core::TimestampSpec::Source::kColumn;
    MLLOOP_ASSIGN_OR_RETURN(ts.column, String(f));
    return Status::Ok();
  }
  MLLOOP_ASSIGN_OR_RETURN(Mapping m,
                          Map(f, {"source", "column", "start", "step", "offset_column", "offset_unit"}));
  // Without `source`, naming a column implies source: column.
  ts.source = m.Find("column") != nullptr ? core::TimestampSpec::Source::kColumn
                                          : core::TimestampSpec::Source::kRowIndex;
  if (const Field* source = m.Find("source")) {
    MLLOOP_ASSIGN_OR_RETURN(std::string s, OneOf(*source, {"row_index", "column"}));
    ts.source = s == "column" ? core::TimestampSpec::Source::kColumn
                              : core::TimestampSpec::Source::kRowIndex;
  }
  if (ts.source == core::TimestampSpec::Source::kColumn) {
    for (const char* key : {"start", "step"}) {
      if (const Field* extra = m.Find(key)) {
        return Error(extra->line, extra->path, "only allowed with source: row_index");
      }
    }
    const Field* column = m.Find("column");
    if (column == nullptr) return Missing(m, "column", "the timestamp column's name");
    MLLOOP_ASSIGN_OR_RETURN(ts.column, String(*column));
    if (const Field* offset = m.Find("offset_column")) {
      MLLOOP_ASSIGN_OR_RETURN(ts.offset_column, String(*offset));
      if (ts.offset_column == ts.column) {
        return Error(offset->line, offset->path,
                     "'" + ts.offset_column + "' is the timestamp column itself (expected another column)");
      }
    }
    if (const Field* unit = m.Find("offset_unit")) {
      if (ts.offset_column.empty()) {
        return Error(unit->line, unit->path, "only allowed with offset_column");
      }
      MLLOOP_ASSIGN_OR_RETURN(ts.offset_unit, Duration(*unit, /*positive=*/true));
    }
    return Status::Ok();
  }
  for (const char* key : {"column", "offset_column", "offset_unit"}) {
    if (const Field* extra = m.Find(key)) {
      return Error(extra->line, extra->path, "only allowed with source: column");
    }
  }
  if (const Field* start = m.Find("start")) {
    MLLOOP_ASSIGN_OR_RETURN(ts.start, Timestamp(*start));
  }
  if (const Field* step = m.Find("step")) {
    MLLOOP_ASSIGN_OR_RETURN(ts.step, Duration(*step, /*positive=*/true));
  }
  return Status::Ok();
}

Status Parser::ParseSchema(const Field& f, core::Schema& schema) const {
  MLLOOP_ASSIGN_OR_RETURN(Mapping m, Map(f, {"features", "label", "timestamp", "segments"}));

  const Field* features = m.Find("features");
  if (features == nullptr) return Missing(m, "features", "a non-empty list of features");
  if (!features->node.IsSequence() || features->node.size() == 0) {
    return Expected(*features, "a non-empty list of features");
  }
  std::vector<int> feature_lines;
  for (size_t i = 0; i < features->node.size(); ++i) {
    const YAML::Node node = features->node[i];
    const Field item{IndexPath(features->path, i), node, LineOf(node, features->line)};
    MLLOOP_ASSIGN_OR_RETURN(core::FeatureSpec spec, ParseFeature(item));
    if (std::optional<size_t> prev = schema.FeatureIndex(spec.name)) {
      return Error(item.line, item.path,
                   "duplicate feature '" + spec.name + "' (first listed on line " +
                       std::to_string(feature_lines[*prev]) + ")");
    }
    schema.features.push_back(std::move(spec));
    feature_lines.push_back(item.line);
  }

  const Field* label = m.Find("label");
  if (label == nullptr) return Missing(m, "label", "a mapping {name, task, positive, negative}");
  MLLOOP_RETURN_IF_ERROR(ParseLabel(*label, schema.label));
  if (schema.FeatureIndex(schema.label.name).has_value()) {
    return Error(label->line, ChildPath(label->path, "name"),
                 "'" + schema.label.name +
                     "' is also listed as a feature (expected the label to be a separate column)");
  }

  if (const Field* ts = m.Find("timestamp")) {
    MLLOOP_RETURN_IF_ERROR(ParseTimestamp(*ts, schema.timestamp));
    if (schema.timestamp.source == core::TimestampSpec::Source::kColumn) {
      const std::string& column = schema.timestamp.column;
      if (column == schema.label.name) {
        return Error(ts->line, ts->path,
                     "'" + column + "' is the label column (expected a separate time column)");
      }
      if (schema.FeatureIndex(column).has_value()) {
        return Error(ts->line, ts->path,
                     "'" + column +
                         "' is also listed as a feature (expected a column that is not a feature)");
      }
      // The offset (an hour, say) may well be a feature too; only the label is off limits.
      if (schema.timestamp.offset_column == schema.label.name) {
        return Error(ts->line, ts->path,
                     "offset_column '" + schema.label.name + "' is the label column");
      }
    }
  }

  if (const Field* segments = m.Find("segments")) {
    if (!segments->node.IsSequence()) return Expected(*segments, "a list of column names");
    for (size_t i = 0; i < segments->node.size(); ++i) {
      const YAML::Node node = segments->node[i];
      const Field item{IndexPath(segments->path, i), node, LineOf(node, segments->line)};
      MLLOOP_ASSIGN_OR_RETURN(std::string name, String(item));
      if (std::find(schema.segments.begin(), schema.segments.end(), name) !=
          schema.segments.end()) {
        return Error(item.line, item.path, "duplicate segment '" + name + "'");
      }
      if (name == schema.label.name) {
        return Error(item.line, item.path,
                     "'" + name + "' is the label (expected a column to slice metrics by)");
      }
      if (schema.timestamp.source == core::TimestampSpec::Source::kColumn &&
          name == schema.timestamp.column) {
        return Error(item.line, item.path,
                     "'" + name + "' is the timestamp column (expected a column to slice by)");
      }
      schema.segments.push_back(std::move(name));
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Trainer, monitoring

Result<TrainingWindow> Parser::ParseWindow(const Field& f) const {
  MLLOOP_ASSIGN_OR_RETURN(Mapping m, Map(f, {"last_rows", "last", "since", "all", "since_change",
                                             "recency_half_life"}));
  std::vector<const std::pair<std::string, Field>*> base;
  for (const auto& entry : m.entries) {
    if (entry.first != "since_change" && entry.first != "recency_half_life") base.push_back(&entry);
  }
  if (base.size() != 1) {
    std::string got;
    for (const auto* entry : base) got += (got.empty() ? "" : " and ") + entry->first;
    if (base.empty()) {
      for (const auto& [name, field] : m.entries) got += (got.empty() ? "only " : " and ") + name;
      if (got.empty()) got = Describe(f.node);
    }
    return Error(f.line, f.path, "expected exactly one of last_rows, last, since, all; got " + got);
  }
  const auto& [key, value] = *base.front();
  TrainingWindow w;
  if (key == "last_rows") {
    w.kind = TrainingWindow::Kind::kLastRows;
    MLLOOP_ASSIGN_OR_RETURN(w.rows, Int(value, 1, INT64_MAX, "a positive integer"));
  } else if (key == "last") {
    w.kind = TrainingWindow::Kind::kLastDuration;
    MLLOOP_ASSIGN_OR_RETURN(w.seconds, Duration(value, /*positive=*/true));
  } else if (key == "since") {
    w.kind = TrainingWindow::Kind::kSince;
    MLLOOP_ASSIGN_OR_RETURN(w.since, Timestamp(value));
  } else {
    w.kind = TrainingWindow::Kind::kAll;
    MLLOOP_ASSIGN_OR_RETURN(bool all, Bool(value));
    if (!all) return Expected(value, "true (train on every labelled row)");
  }
  if (const Field* sc = m.Find("since_change")) {
    MLLOOP_ASSIGN_OR_RETURN(Mapping c, Map(*sc, {"wait_labels", "min_rows", "refresh_labels"}));
    TrainingWindow::SinceChange since_change;
    since_change.line = sc->line;
    if (const Field* v = c.Find("wait_labels")) {
      MLLOOP_ASSIGN_OR_RETURN(since_change.wait_labels, Int(*v, 1, INT64_MAX, "a positive integer"));
    }
    if (const Field* v = c.Find("min_rows")) {
      MLLOOP_ASSIGN_OR_RETURN(since_change.min_rows, Int(*v, 0, INT64_MAX, "a non-negative integer"));
    }
    if (const Field* v = c.Find("refresh_labels")) {
      MLLOOP_ASSIGN_OR_RETURN(since_change.refresh_labels,
                              Int(*v, 0, INT64_MAX, "a non-negative integer"));
      if (since_change.refresh_labels != 0 &&
          since_change.refresh_labels <= since_change.wait_labels) {
        return OutOfRange(*v, "0 (no refresh) or more than wait_labels (" +
                                  std::to_string(since_change.wait_labels) + ")");
      }
    }
    w.since_change = since_change;
  }
  if (const Field* hl = m.Find("recency_half_life")) {
    MLLOOP_ASSIGN_OR_RETURN(w.recency_half_life,
                            Int(*hl, 0, INT64_MAX, "a non-negative number of rows"));
  }
  return w;
}

Status Parser::ParseTrainer(const Field& f, core::Task task, TrainerConfig& trainer) const {
  MLLOOP_ASSIGN_OR_RETURN(Mapping m, Map(f, {"kind", "rounds", "seed", "params", "window"}));
  if (const Field* kind = m.Find("kind")) {
    MLLOOP_ASSIGN_OR_RETURN(trainer.kind, OneOf(*kind, {"xgboost"}));
  }
  if (const Field* rounds = m.Find("rounds")) {
    MLLOOP_ASSIGN_OR_RETURN(int64_t r, Int(*rounds, 1, INT_MAX, "a positive integer"));
    trainer.rounds = static_cast<int>(r);
  }
  if (const Field* seed = m.Find("seed")) {
    MLLOOP_ASSIGN_OR_RETURN(int64_t s, Int(*seed, 0, INT64_MAX, "a non-negative integer"));
    trainer.seed = static_cast<uint64_t>(s);
  }
  if (const Field* params = m.Find("params")) {
    MLLOOP_ASSIGN_OR_RETURN(Mapping p, Map(*params, {}));
    for (const auto& [name, value] : p.entries) {
      if (name == "seed") {
        return Error(value.line, value.path,
                     "the seed is set by trainer.seed (expected it outside params)");
      }
      if (!value.node.IsScalar()) return Expected(value, "a number, string or boolean");
      trainer.params[name] = value.node.Scalar();
    }
  }
  const bool binary = task == core::Task::kBinaryClassification;
  trainer.params.emplace("objective", binary ? "binary:logistic" : "reg:squarederror");
  trainer.params.emplace("tree_method", "hist");
  trainer.params.emplace("max_depth", "6");
  trainer.params.emplace("eta", "0.3");
  trainer.params.emplace("nthread", "1");
  if (const Field* window = m.Find("window")) {
    MLLOOP_ASSIGN_OR_RETURN(trainer.window, ParseWindow(*window));
  }
  return Status::Ok();
}

Status Parser::ParseMonitoring(const Field& f, MonitoringConfig& monitoring) const {
  MLLOOP_ASSIGN_OR_RETURN(Mapping m, Map(f, {"metric_window", "drift_window", "psi_bins"}));
  if (const Field* v = m.Find("metric_window")) {
    MLLOOP_ASSIGN_OR_RETURN(monitoring.metric_window, Int(*v, 1, INT64_MAX, "a positive integer"));
  }
  if (const Field* v = m.Find("drift_window")) {
    MLLOOP_ASSIGN_OR_RETURN(monitoring.drift_window, Int(*v, 1, INT64_MAX, "a positive integer"));
  }
  if (const Field* v = m.Find("psi_bins")) {
    MLLOOP_ASSIGN_OR_RETURN(int64_t bins, Int(*v, 2, 100, "an integer in [2, 100]"));
    monitoring.psi_bins = static_cast<int>(bins);
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Policy and triggers

Status Parser::ParsePerformance(const Field& f, core::Task task, Trigger& t) const {
  MLLOOP_ASSIGN_OR_RETURN(Mapping m, Map(f, {"metric", "below", "above", "min_labels"}));
  t.metric = task == core::Task::kBinaryClassification ? "accuracy" : "rmse";
  if (const Field* metric = m.Find("metric")) {
    MLLOOP_ASSIGN_OR_RETURN(t.metric, Metric(*metric, task));
  }
  const bool higher = HigherIsBetter(t.metric);
  const std::string_view want = higher ? "below" : "above";
  const std::string_view other = higher ? "above" : "below";
  const std::string direction = t.metric + " is " + (higher ? "higher" : "lower") +
                                "-is-better, so its trigger fires when it " +
                                (higher ? "drops below" : "rises above") + " a threshold";
  if (const Field* wrong = m.Find(other)) {
    return Error(wrong->line, wrong->path,
                 direction + " (expected " + std::string(want) + ": <threshold>)");
  }
  const Field* threshold = m.Find(want);
  if (threshold == nullptr) {
    return Missing(m, want, std::string(want) + ": <threshold>; " + direction);
  }
  if (higher) {
    MLLOOP_ASSIGN_OR_RETURN(t.threshold, Number(*threshold, "a number in (0, 1]",
                                                [](double v) { return v > 0 && v <= 1; }));
  } else {
    MLLOOP_ASSIGN_OR_RETURN(
        t.threshold, Number(*threshold, "a number greater than 0", [](double v) { return v > 0; }));
  }
  if (const Field* v = m.Find("min_labels")) {
    MLLOOP_ASSIGN_OR_RETURN(t.min_labels, Int(*v, 1, INT64_MAX, "a positive integer"));
  }
  return Status::Ok();
}

Result<Trigger> Parser::ParseTrigger(const Field& f, core::Task task) const {
  constexpr std::string_view kKinds =
      "any, all, performance, drift, new_labels, schedule, detector, estimated_performance";
  MLLOOP_ASSIGN_OR_RETURN(Mapping m, Map(f, {"any", "all", "performance", "drift", "new_labels",
                                             "schedule", "detector", "estimated_performance"}));
  if (m.entries.size() != 1) {
    std::string got = m.entries.empty() ? Describe(f.node) : "";
    for (const auto& [name, field] : m.entries) got += (got.empty() ? "" : " and ") + name;
    return Error(f.line, f.path,
                 "expected exactly one of " + std::string(kKinds) +
                     " (combine several under any or all); got " + got);
  }
  const auto& [key, value] = m.entries.front();
  Trigger t;
  t.line = f.line;
  if (key == "any" || key == "all") {
    t.kind = key == "any" ? Trigger::Kind::kAny : Trigger::Kind::kAll;
    if (!value.node.IsSequence() || value.node.size() == 0) {
      return Expected(value, "a non-empty list of triggers");
    }
    for (size_t i = 0; i < value.node.size(); ++i) {
      const YAML::Node node = value.node[i];
      const Field child{IndexPath(value.path, i), node, LineOf(node, value.line)};
      MLLOOP_ASSIGN_OR_RETURN(Trigger c, ParseTrigger(child, task));
      t.children.push_back(std::move(c));
    }
  } else if (key == "performance") {
    t.kind = Trigger::Kind::kPerformance;
    MLLOOP_RETURN_IF_ERROR(ParsePerformance(value, task, t));
  } else if (key == "drift") {
    t.kind = Trigger::Kind::kDrift;
    MLLOOP_ASSIGN_OR_RETURN(
        Mapping d, Map(value, {"method", "psi_above", "min_share", "threshold", "features"}));
    if (const Field* v = d.Find("method")) {
      MLLOOP_ASSIGN_OR_RETURN(t.method, OneOf(*v, {"psi", "auto", "ks", "chisquare", "z", "wasserstein", "jensenshannon", "hellinger", "linf",
                                 "anderson", "cvm"}));
    }
    if (const Field* v = d.Find("psi_above")) {
      if (t.method != "psi") return Error(v->line, v->path, "psi_above applies to method psi; use threshold");
      MLLOOP_ASSIGN_OR_RETURN(
          t.psi_above, Number(*v, "a number greater than 0", [](double x) { return x > 0; }));
    }
    if (const Field* v = d.Find("min_share")) {
      MLLOOP_ASSIGN_OR_RETURN(
          t.min_share, Number(*v, "a number in (0, 1]", [](double x) { return x > 0 && x <= 1; }));
    }
    const auto threshold = [&](const Field& f) {
      return Number(f, "a number greater than 0", [](double x) { return x > 0; });
    };
    if (const Field* v = d.Find("threshold")) {
      if (t.method == "psi") return Error(v->line, v->path, "method psi takes psi_above");
      MLLOOP_ASSIGN_OR_RETURN(t.drift_threshold, threshold(*v));
    }
    if (const Field* v = d.Find("features")) {
      if (t.method == "psi") {
        return Error(v->line, v->path, "per-feature settings need a method other than psi");
      }
      MLLOOP_ASSIGN_OR_RETURN(Mapping features, Map(*v, {}));
      for (const auto& [name, rule_field] : features.entries) {
        const bool known = schema_ != nullptr &&
                           std::any_of(schema_->features.begin(), schema_->features.end(),
                                       [&](const core::FeatureSpec& f) { return f.name == name; });
        if (!known) return Error(rule_field.line, rule_field.path, "not a feature of the schema");
        MLLOOP_ASSIGN_OR_RETURN(Mapping r, Map(rule_field, {"method", "threshold"}));
        Trigger::FeatureDriftRule rule;
        if (const Field* m = r.Find("method")) {
          MLLOOP_ASSIGN_OR_RETURN(rule.method, OneOf(*m, {"psi", "auto", "ks", "chisquare", "z", "wasserstein", "jensenshannon", "hellinger", "linf",
                                 "anderson", "cvm"}));
          if (rule.method == "psi") return Error(m->line, m->path, "psi is not a per-feature method");
        }
        if (const Field* th = r.Find("threshold")) {
          MLLOOP_ASSIGN_OR_RETURN(rule.threshold, threshold(*th));
        }
        t.drift_features[name] = rule;
      }
    }
  } else if (key == "detector") {
    t.kind = Trigger::Kind::kDetector;
    MLLOOP_ASSIGN_OR_RETURN(Mapping d, Map(value, {"name", "on", "params"}));
    const Field* name = d.Find("name");
    if (name == nullptr) return Missing(d, "name", "a detector name");
    MLLOOP_ASSIGN_OR_RETURN(t.detector, OneOf(*name, {"adwin", "ddm", "eddm", "page_hinkley",
                                                      "hddm_a", "hddm_w", "kswin", "cusum"}));
    if (const Field* on = d.Find("on")) {
      MLLOOP_ASSIGN_OR_RETURN(t.detector_on, String(*on));
      if (t.detector_on != "errors") {
        const auto it = schema_ == nullptr
                            ? std::vector<core::FeatureSpec>::const_iterator{}
                            : std::find_if(schema_->features.begin(), schema_->features.end(),
                                           [&](const core::FeatureSpec& f) {
                                             return f.name == t.detector_on;
                                           });
        if (schema_ == nullptr || it == schema_->features.end()) {
          return Error(on->line, on->path, "expected errors or a feature of the schema, got '" +
                                               t.detector_on + "'");
        }
        if (it->type != core::FeatureType::kNumeric) {
          return Error(on->line, on->path, "a detector watches a numeric feature; '" +
                                               t.detector_on + "' is not numeric");
        }
      }
    }
    const bool zero_one = t.detector == "ddm" || t.detector == "eddm";
    const bool unit = zero_one || t.detector == "hddm_a" || t.detector == "hddm_w";
    if (unit && (t.detector_on != "errors" || task == core::Task::kRegression)) {
      return Error(name->line, name->path,
                   t.detector + " reads 0/1 errors of a classifier; for " +
                       (t.detector_on != "errors" ? "a feature" : "regression errors") +
                       " use adwin, page_hinkley, kswin or cusum");
    }
    if (const Field* params = d.Find("params")) {
      MLLOOP_ASSIGN_OR_RETURN(Mapping p, Map(*params, {}));
      for (const auto& [key, field] : p.entries) {
        MLLOOP_ASSIGN_OR_RETURN(
            double v, Number(field, "a number", [](double x) { return std::isfinite(x); }));
        t.detector_params[key] = v;
      }
    }
  } else if (key == "estimated_performance") {
    t.kind = Trigger::Kind::kEstimatedPerformance;
    if (task != core::Task::kBinaryClassification) {
      return Error(value.line, value.path,
                   "estimates a binary classifier's metrics (CBPE); this model is regression");
    }
    MLLOOP_ASSIGN_OR_RETURN(Mapping e, Map(value, {"metric", "below", "window", "reference"}));
    t.metric = "accuracy";
    if (const Field* v = e.Find("metric")) {
      MLLOOP_ASSIGN_OR_RETURN(t.metric, OneOf(*v, {"accuracy", "precision", "recall", "f1", "auc"}));
    }
    const Field* below = e.Find("below");
    if (below == nullptr) return Missing(e, "below", "the metric's lowest acceptable estimate");
    MLLOOP_ASSIGN_OR_RETURN(
        t.threshold, Number(*below, "a number in (0, 1]", [](double x) { return x > 0 && x <= 1; }));
    if (const Field* v = e.Find("window")) {
      MLLOOP_ASSIGN_OR_RETURN(t.estimate_window, Int(*v, 10, 10'000'000, "an integer from 10 to 10000000"));
    }
    if (const Field* v = e.Find("reference")) {
      MLLOOP_ASSIGN_OR_RETURN(t.reference_labels,
                              Int(*v, 50, 10'000'000, "an integer from 50 to 10000000"));
    }
  } else if (key == "new_labels") {
    t.kind = Trigger::Kind::kNewLabels;
    MLLOOP_ASSIGN_OR_RETURN(Mapping n, Map(value, {"at_least"}));
    if (const Field* v = n.Find("at_least")) {
      MLLOOP_ASSIGN_OR_RETURN(t.at_least, Int(*v, 1, INT64_MAX, "a positive integer"));
    }
  } else {
    t.kind = Trigger::Kind::kSchedule;
    MLLOOP_ASSIGN_OR_RETURN(Mapping s, Map(value, {"every"}));
    if (const Field* v = s.Find("every")) {
      MLLOOP_ASSIGN_OR_RETURN(t.every, Duration(*v, /*positive=*/true));
    }
  }
  return t;
}

Trigger DefaultTrigger(core::Task task) {
  Trigger t;
  if (task == core::Task::kBinaryClassification) {
    t.kind = Trigger::Kind::kPerformance;
    t.metric = "accuracy";
    t.threshold = 0.7;
    t.min_labels = 200;
  } else {
    t.kind = Trigger::Kind::kNewLabels;
    t.at_least = 1000;
  }
  return t;
}

Status Parser::ParsePolicy(const Field& f, core::Task task, PolicyConfig& policy) const {
  MLLOOP_ASSIGN_OR_RETURN(Mapping m, Map(f, {"tick", "trigger", "cooldown", "budget"}));
  if (const Field* v = m.Find("tick")) {
    MLLOOP_ASSIGN_OR_RETURN(policy.tick, Duration(*v, /*positive=*/true));
  }
  if (const Field* v = m.Find("trigger")) {
    MLLOOP_ASSIGN_OR_RETURN(policy.trigger, ParseTrigger(*v, task));
  }
  if (const Field* v = m.Find("cooldown")) {
    MLLOOP_ASSIGN_OR_RETURN(policy.cooldown, Duration(*v, /*positive=*/false));
  }
  if (const Field* v = m.Find("budget")) {
    MLLOOP_ASSIGN_OR_RETURN(Mapping b, Map(*v, {"max_retrains", "per"}));
    if (const Field* n = b.Find("max_retrains")) {
      MLLOOP_ASSIGN_OR_RETURN(int64_t max,
                              Int(*n, 0, INT_MAX, "a non-negative integer (0 = no limit)"));
      policy.max_retrains = static_cast<int>(max);
    }
    if (const Field* per = b.Find("per")) {
      MLLOOP_ASSIGN_OR_RETURN(policy.budget_period, Duration(*per, /*positive=*/true));
    }
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Validation, simulation

Status Parser::ParseValidation(const Field& f, core::Task task,
                               ValidationConfig& validation) const {
  MLLOOP_ASSIGN_OR_RETURN(Mapping m,
                          Map(f, {"holdout_rows", "holdout_last", "margin", "metric", "min_rows",
                                  "gates"}));
  if (const Field* v = m.Find("holdout_rows")) {
    MLLOOP_ASSIGN_OR_RETURN(validation.holdout_rows, Int(*v, 1, INT64_MAX, "a positive integer"));
  }
  if (const Field* v = m.Find("holdout_last")) {
    if (m.Find("holdout_rows") != nullptr) {
      return Error(v->line, v->path, "expected one of holdout_rows and holdout_last, not both");
    }
    MLLOOP_ASSIGN_OR_RETURN(validation.holdout_seconds, Duration(*v, /*positive=*/true));
  }
  if (const Field* v = m.Find("margin")) {
    MLLOOP_ASSIGN_OR_RETURN(validation.margin,
                            Number(*v, "a number >= 0", [](double x) { return x >= 0; }));
  }
  if (const Field* v = m.Find("metric")) {
    MLLOOP_ASSIGN_OR_RETURN(validation.metric, Metric(*v, task));
  }
  if (const Field* v = m.Find("min_rows")) {
    MLLOOP_ASSIGN_OR_RETURN(validation.min_rows, Int(*v, 1, INT64_MAX, "a positive integer"));
  }
  // More required rows than the holdout holds would reject every candidate.
  if (validation.holdout_seconds == 0 && validation.min_rows > validation.holdout_rows) {
    const Field* at = m.Find("min_rows") != nullptr ? m.Find("min_rows") : m.Find("holdout_rows");
    return Error(at != nullptr ? at->line : m.line, at != nullptr ? at->path : m.path,
                 "min_rows (" + std::to_string(validation.min_rows) + ") is larger than " +
                     "holdout_rows (" + std::to_string(validation.holdout_rows) +
                     ") (expected min_rows <= holdout_rows)");
  }
  const Field* gates = m.Find("gates");
  validation.gates.clear();
  if (gates == nullptr || m.Find("margin") != nullptr) {
    GateConfig margin;
    margin.kind = GateConfig::Kind::kMargin;
    margin.name = "margin";
    margin.metric = validation.metric;
    margin.max_loss = validation.margin;
    const Field* at = m.Find("margin");
    margin.line = at != nullptr ? at->line : 0;
    validation.gates.push_back(std::move(margin));
  }
  if (gates == nullptr) return Status::Ok();
  if (!gates->node.IsSequence() || gates->node.size() == 0) {
    return Expected(*gates, "a non-empty list of gates (value, change, significance, segments, "
                            "bias, latency, sanity)");
  }
  for (size_t i = 0; i < gates->node.size(); ++i) {
    const Field item{IndexPath(gates->path, i), gates->node[i], LineOf(gates->node[i], gates->line)};
    MLLOOP_ASSIGN_OR_RETURN(GateConfig gate, ParseGate(item, task, validation));
    for (const GateConfig& other : validation.gates) {
      if (other.name == gate.name) {
        return Error(item.line, item.path,
                     "duplicate gate name '" + gate.name + "' (also " +
                         (other.line > 0 ? "on line " + std::to_string(other.line)
                                         : std::string("the margin gate")) +
                         "; give each gate its own `name`)");
      }
    }
    validation.gates.push_back(std::move(gate));
  }
  return Status::Ok();
}

// "250ns", "100us", "1.5ms", "1s" -> microseconds.
Result<double> Parser::Micros(const Field& f) const {
  constexpr std::string_view kExpected = "a positive time such as 250ns, 100us, 1.5ms or 1s";
  if (!f.node.IsScalar()) return Expected(f, kExpected);
  const std::string& text = f.node.Scalar();
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  const std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  double scale = 0;
  if (unit == "ns") scale = 1e-3;
  if (unit == "us") scale = 1;
  if (unit == "ms") scale = 1e3;
  if (unit == "s") scale = 1e6;
  if (ec != std::errc() || scale == 0 || !std::isfinite(v)) return Expected(f, kExpected);
  if (v <= 0) return OutOfRange(f, kExpected);
  return v * scale;
}

// "123456", "512KB", "20MB", "1GiB" -> bytes.
Result<int64_t> Parser::Bytes(const Field& f) const {
  constexpr std::string_view kExpected = "a size such as 500000, 512KB, 20MB or 1GiB";
  if (!f.node.IsScalar()) return Expected(f, kExpected);
  const std::string& text = f.node.Scalar();
  double v = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
  const std::string_view unit(end, static_cast<size_t>(text.data() + text.size() - end));
  constexpr std::pair<std::string_view, double> kUnits[] = {
      {"", 1},     {"B", 1},          {"KB", 1e3},       {"MB", 1e6},
      {"GB", 1e9}, {"KiB", 1024.0},   {"MiB", 1048576.0}, {"GiB", 1073741824.0}};
  double scale = 0;
  for (const auto& [name, factor] : kUnits) {
    if (unit == name) scale = factor;
  }
  if (ec != std::errc() || scale == 0 || !std::isfinite(v)) return Expected(f, kExpected);
  if (v <= 0 || v * scale > 9e18) return OutOfRange(f, kExpected);
  return static_cast<int64_t>(v * scale);
}

Result<GateConfig> Parser::ParseGate(const Field& f, core::Task task,
                                     const ValidationConfig& validation) const {
  constexpr std::string_view kExpected =
      "a mapping with one key: value, change, significance, segments, bias, latency or sanity";
  if (!f.node.IsMap() || f.node.size() != 1) return Expected(f, kExpected);
  const auto it = f.node.begin();
  const Field key_field{f.path, it->first, LineOf(it->first, f.line)};
  const std::string key = it->first.IsScalar() ? it->first.Scalar() : "";
  const Field value{ChildPath(f.path, key), it->second,
                    it->second.IsNull() ? key_field.line : LineOf(it->second, key_field.line)};
  GateConfig g;
  g.line = key_field.line;
  g.metric = validation.metric;
  using Kind = GateConfig::Kind;
  Mapping m;
  if (key == "value") {
    g.kind = Kind::kValue;
    if (value.node.IsScalar()) {  // the short form "auc >= 0.8"
      const std::string& text = value.node.Scalar();
      const size_t op = text.find_first_of("<>");
      const bool ge = op != std::string::npos && text.compare(op, 2, ">=") == 0;
      const bool le = op != std::string::npos && text.compare(op, 2, "<=") == 0;
      constexpr std::string_view kShort = "'METRIC >= NUMBER' or 'METRIC <= NUMBER'";
      if (!ge && !le) return Expected(value, kShort);
      auto trim = [](std::string s) {
        const size_t b = s.find_first_not_of(' ');
        const size_t e = s.find_last_not_of(' ');
        return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
      };
      YAML::Node metric_node(trim(text.substr(0, op)));
      YAML::Node number_node(trim(text.substr(op + 2)));
      MLLOOP_ASSIGN_OR_RETURN(g.metric, Metric(Field{value.path, metric_node, value.line}, task));
      MLLOOP_ASSIGN_OR_RETURN(double bound, Number(Field{value.path, number_node, value.line},
                                                   kShort, [](double) { return true; }));
      (ge ? g.at_least : g.at_most) = bound;
    } else {
      MLLOOP_ASSIGN_OR_RETURN(m, Map(value, {"name", "metric", "at_least", "at_most"}));
    }
  } else if (key == "change") {
    g.kind = Kind::kChange;
    MLLOOP_ASSIGN_OR_RETURN(m, Map(value, {"name", "metric", "max_loss", "max_relative_loss",
                                           "min_gain", "min_relative_gain"}));
  } else if (key == "significance") {
    g.kind = Kind::kSignificance;
    MLLOOP_ASSIGN_OR_RETURN(m, Map(value, {"name", "metric", "test", "confidence", "min_gain",
                                           "resamples", "seed"}));
  } else if (key == "segments") {
    g.kind = Kind::kSegments;
    MLLOOP_ASSIGN_OR_RETURN(
        m, Map(value, {"name", "metric", "columns", "min_rows", "max_loss", "max_gap"}));
  } else if (key == "bias") {
    g.kind = Kind::kBias;
    if (task != core::Task::kBinaryClassification) {
      return Error(value.line, value.path, "bias gates need schema.label.task: binary");
    }
    MLLOOP_ASSIGN_OR_RETURN(
        m, Map(value, {"name", "column", "favourable", "max_parity_difference", "min_impact_ratio",
                       "max_opportunity_difference", "confidence", "resamples", "seed"}));
  } else if (key == "latency") {
    g.kind = Kind::kLatency;
    MLLOOP_ASSIGN_OR_RETURN(m, Map(value, {"name", "p50", "p99", "max_ratio", "samples"}));
  } else if (key == "sanity") {
    g.kind = Kind::kSanity;
    MLLOOP_ASSIGN_OR_RETURN(m, Map(value, {"name", "min_std", "max_model_size"}));
  } else {
    return Error(key_field.line, ChildPath(f.path, key),
                 "unknown gate (expected one of: value, change, significance, segments, bias, "
                 "latency, sanity)");
  }
  m.path = value.path;
  m.line = value.line;
  MLLOOP_RETURN_IF_ERROR(ParseGateFields(m, task, g));
  if (g.name.empty()) {
    g.name = std::string(GateKindName(g.kind));
    if (g.kind == Kind::kBias) {
      g.name += "_" + g.column;
    } else if (g.kind != Kind::kLatency && g.kind != Kind::kSanity) {
      g.name += "_" + g.metric;
    }
  }
  return g;
}

Status Parser::ParseGateFields(const Mapping& m, core::Task task, GateConfig& g) const {
  using Kind = GateConfig::Kind;
  auto any_number = [](double) { return true; };
  auto non_negative = [](double x) { return x >= 0; };
  if (const Field* v = m.Find("name")) {
    MLLOOP_ASSIGN_OR_RETURN(g.name, String(*v));
    if (!std::all_of(g.name.begin(), g.name.end(), [](char c) {
          return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
        })) {
      return Expected(*v, "a name of letters, digits, '_' or '-'");
    }
  }
  if (const Field* v = m.Find("metric")) {
    MLLOOP_ASSIGN_OR_RETURN(g.metric, Metric(*v, task));
  }
  if (const Field* v = m.Find("at_least")) {
    MLLOOP_ASSIGN_OR_RETURN(g.at_least, Number(*v, "a number", any_number));
  }
  if (const Field* v = m.Find("at_most")) {
    MLLOOP_ASSIGN_OR_RETURN(g.at_most, Number(*v, "a number", any_number));
  }
  if (const Field* v = m.Find("max_loss")) {
    MLLOOP_ASSIGN_OR_RETURN(g.max_loss, Number(*v, "a number >= 0", non_negative));
  }
  if (const Field* v = m.Find("max_relative_loss")) {
    MLLOOP_ASSIGN_OR_RETURN(g.max_relative_loss,
                            Number(*v, "a fraction >= 0 (0.05 = 5%)", non_negative));
  }
  if (const Field* v = m.Find("min_gain")) {
    MLLOOP_ASSIGN_OR_RETURN(g.min_gain, Number(*v, "a number", any_number));
  }
  if (const Field* v = m.Find("min_relative_gain")) {
    MLLOOP_ASSIGN_OR_RETURN(g.min_relative_gain,
                            Number(*v, "a fraction (0.05 = 5%)", any_number));
  }
  if (const Field* v = m.Find("test")) {
    MLLOOP_ASSIGN_OR_RETURN(g.test, OneOf(*v, {"delong", "mcnemar", "bootstrap"}));
  }
  if (const Field* v = m.Find("confidence")) {
    MLLOOP_ASSIGN_OR_RETURN(g.confidence, Number(*v, "a number between 0 and 1 (e.g. 0.95)",
                                                 [](double x) { return x > 0 && x < 1; }));
  }
  if (const Field* v = m.Find("resamples")) {
    MLLOOP_ASSIGN_OR_RETURN(int64_t n, Int(*v, 1, 100000, "an integer from 1 to 100000"));
    g.resamples = static_cast<int>(n);
  }
  if (const Field* v = m.Find("seed")) {
    MLLOOP_ASSIGN_OR_RETURN(int64_t seed, Int(*v, 0, INT64_MAX, "a non-negative integer"));
    g.seed = static_cast<uint64_t>(seed);
  }
  const std::vector<std::string>& segments = schema_->segments;
  auto segment_column = [&](const Field& field) -> Result<std::string> {
    MLLOOP_ASSIGN_OR_RETURN(std::string name, String(field));
    if (std::find(segments.begin(), segments.end(), name) == segments.end()) {
      std::string listed;
      for (const std::string& s : segments) listed += (listed.empty() ? "" : ", ") + s;
      return Error(field.line, field.path,
                   "'" + name + "' is not a segment column (expected one of schema.segments: " +
                       (listed.empty() ? "none are listed" : listed) + ")");
    }
    return name;
  };
  if (const Field* v = m.Find("columns")) {
    if (!v->node.IsSequence() || v->node.size() == 0) {
      return Expected(*v, "a non-empty list of segment columns");
    }
    for (size_t i = 0; i < v->node.size(); ++i) {
      const Field item{IndexPath(v->path, i), v->node[i], LineOf(v->node[i], v->line)};
      MLLOOP_ASSIGN_OR_RETURN(std::string name, segment_column(item));
      g.columns.push_back(std::move(name));
    }
  }
  if (const Field* v = m.Find("min_rows")) {
    MLLOOP_ASSIGN_OR_RETURN(g.min_rows, Int(*v, 1, INT64_MAX, "a positive integer"));
  }
  if (const Field* v = m.Find("max_gap")) {
    MLLOOP_ASSIGN_OR_RETURN(g.max_gap, Number(*v, "a number >= 0", non_negative));
  }
  if (const Field* v = m.Find("column")) {
    MLLOOP_ASSIGN_OR_RETURN(g.column, segment_column(*v));
  }
  if (const Field* v = m.Find("favourable")) {
    MLLOOP_ASSIGN_OR_RETURN(std::string label, String(*v));
    const core::LabelSpec& spec = schema_->label;
    if (label != spec.positive && label != spec.negative) {
      return Expected(*v, "a label value: '" + spec.positive + "' or '" + spec.negative + "'");
    }
    g.favourable = label == spec.positive ? 1 : 0;
  }
  auto share = [](double x) { return x >= 0 && x <= 1; };
  if (const Field* v = m.Find("max_parity_difference")) {
    MLLOOP_ASSIGN_OR_RETURN(g.max_parity_difference, Number(*v, "a number from 0 to 1", share));
  }
  if (const Field* v = m.Find("min_impact_ratio")) {
    MLLOOP_ASSIGN_OR_RETURN(g.min_impact_ratio, Number(*v, "a number from 0 to 1", share));
  }
  if (const Field* v = m.Find("max_opportunity_difference")) {
    MLLOOP_ASSIGN_OR_RETURN(g.max_opportunity_difference,
                            Number(*v, "a number from 0 to 1", share));
  }
  if (const Field* v = m.Find("p50")) {
    MLLOOP_ASSIGN_OR_RETURN(g.p50_us, Micros(*v));
  }
  if (const Field* v = m.Find("p99")) {
    MLLOOP_ASSIGN_OR_RETURN(g.p99_us, Micros(*v));
  }
  if (const Field* v = m.Find("max_ratio")) {
    MLLOOP_ASSIGN_OR_RETURN(g.max_ratio, Number(*v, "a number > 0 (2 = twice the champion's)",
                                                [](double x) { return x > 0; }));
  }
  if (const Field* v = m.Find("samples")) {
    MLLOOP_ASSIGN_OR_RETURN(int64_t n, Int(*v, 10, 1000000, "an integer from 10 to 1000000"));
    g.samples = static_cast<int>(n);
  }
  if (const Field* v = m.Find("min_std")) {
    MLLOOP_ASSIGN_OR_RETURN(g.min_std, Number(*v, "a number >= 0", non_negative));
  }
  if (const Field* v = m.Find("max_model_size")) {
    MLLOOP_ASSIGN_OR_RETURN(g.max_model_bytes, Bytes(*v));
  }

  // What each kind needs.
  auto need = [&](bool ok, std::string_view what) -> Status {
    if (ok) return Status::Ok();
    return Error(m.line, m.path, "expected " + std::string(what));
  };
  switch (g.kind) {
    case Kind::kMargin:
      break;
    case Kind::kValue:
      MLLOOP_RETURN_IF_ERROR(need(g.at_least || g.at_most, "at_least or at_most"));
      break;
    case Kind::kChange:
      MLLOOP_RETURN_IF_ERROR(need(g.max_loss || g.max_relative_loss || g.min_gain ||
                                      g.min_relative_gain,
                                  "at least one of max_loss, max_relative_loss, min_gain, "
                                  "min_relative_gain"));
      break;
    case Kind::kSignificance: {
      if (g.test.empty()) {
        g.test = g.metric == "auc" ? "delong" : g.metric == "accuracy" ? "mcnemar" : "bootstrap";
      }
      const Field* test = m.Find("test");
      const int line = test != nullptr ? test->line : m.line;
      const std::string path = test != nullptr ? test->path : m.path;
      if (g.test == "delong" && g.metric != "auc") {
        return Error(line, path, "delong compares ROC AUCs (expected metric: auc, got " +
                                     g.metric + "; use test: bootstrap)");
      }
      if (g.test == "mcnemar" && g.metric != "accuracy") {
        return Error(line, path, "mcnemar compares accuracies (expected metric: accuracy, got " +
                                     g.metric + "; use test: bootstrap)");
      }
      if (g.test == "mcnemar" && g.min_gain.value_or(0) != 0) {
        const Field* gain = m.Find("min_gain");
        return Error(gain->line, gain->path,
                     "mcnemar tests equal accuracy (expected min_gain 0; use test: bootstrap "
                     "for a margin)");
      }
      break;
    }
    case Kind::kSegments:
      if (g.columns.empty()) g.columns = segments;
      MLLOOP_RETURN_IF_ERROR(need(!g.columns.empty(),
                                  "columns, or segment columns in schema.segments"));
      MLLOOP_RETURN_IF_ERROR(need(g.max_loss || g.max_gap, "max_loss or max_gap"));
      break;
    case Kind::kBias:
      if (m.Find("column") == nullptr) return Missing(m, "column", "a segment column");
      MLLOOP_RETURN_IF_ERROR(need(g.max_parity_difference || g.min_impact_ratio ||
                                      g.max_opportunity_difference,
                                  "at least one of max_parity_difference, min_impact_ratio, "
                                  "max_opportunity_difference"));
      break;
    case Kind::kLatency:
      MLLOOP_RETURN_IF_ERROR(need(g.p50_us || g.p99_us || g.max_ratio,
                                  "at least one of p50, p99, max_ratio"));
      break;
    case Kind::kSanity:
      break;
  }
  return Status::Ok();
}

Status Parser::ParseSimulation(const Field& f, SimulationConfig& simulation) const {
  MLLOOP_ASSIGN_OR_RETURN(Mapping m, Map(f, {"label_delay", "initial_rows", "baseline_every"}));
  if (const Field* v = m.Find("label_delay")) {
    MLLOOP_ASSIGN_OR_RETURN(simulation.label_delay, Duration(*v, /*positive=*/false));
  }
  if (const Field* v = m.Find("initial_rows")) {
    MLLOOP_ASSIGN_OR_RETURN(simulation.initial_rows,
                            Int(*v, 0, INT64_MAX, "a non-negative integer"));
  }
  if (const Field* v = m.Find("baseline_every")) {
    MLLOOP_ASSIGN_OR_RETURN(simulation.baseline_every, Duration(*v, /*positive=*/true));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Rollout

Status Parser::ParseRollout(const Field& f, core::Task task, RolloutConfig& rollout) const {
  MLLOOP_ASSIGN_OR_RETURN(Mapping m, Map(f, {"strategy", "steps", "step_duration", "step_requests",
                                             "sticky", "guard", "watch"}));
  if (!f.node.IsNull()) rollout.line = f.line;
  using Strategy = RolloutConfig::Strategy;
  if (const Field* v = m.Find("strategy")) {
    MLLOOP_ASSIGN_OR_RETURN(std::string s, OneOf(*v, {"canary", "linear", "blue_green", "shadow"}));
    rollout.strategy = s == "linear"       ? Strategy::kLinear
                       : s == "blue_green" ? Strategy::kBlueGreen
                       : s == "shadow"     ? Strategy::kShadow
                                           : Strategy::kCanary;
  }
  const bool takes_steps =
      rollout.strategy == Strategy::kCanary || rollout.strategy == Strategy::kLinear;
  if (rollout.strategy == Strategy::kLinear) rollout.steps = {0.25, 0.5, 0.75, 1.0};
  if (!takes_steps) rollout.steps = {};
  if (const Field* v = m.Find("steps")) {
    if (!takes_steps) {
      return Error(v->line, v->path,
                   "not used by strategy " +
                       std::string(RolloutStrategyName(rollout.strategy)) +
                       " (expected steps only with canary or linear)");
    }
    if (rollout.strategy == Strategy::kLinear && v->node.IsScalar()) {
      MLLOOP_ASSIGN_OR_RETURN(int64_t n, Int(*v, 1, 100, "a number of steps from 1 to 100, or a "
                                                         "list of traffic shares"));
      rollout.steps.clear();
      for (int64_t i = 1; i <= n; ++i) {
        rollout.steps.push_back(static_cast<double>(i) / static_cast<double>(n));
      }
    } else {
      if (!v->node.IsSequence() || v->node.size() == 0) {
        return Expected(*v, "a non-empty list of traffic shares such as [0.05, 0.25, 0.5]");
      }
      rollout.steps.clear();
      for (size_t i = 0; i < v->node.size(); ++i) {
        const Field step{IndexPath(v->path, i), v->node[i], LineOf(v->node[i], v->line)};
        MLLOOP_ASSIGN_OR_RETURN(double share, Number(step, "a traffic share in (0, 1]",
                                                     [](double x) { return x > 0 && x <= 1; }));
        if (!rollout.steps.empty() && share <= rollout.steps.back()) {
          return Error(step.line, step.path,
                       "expected shares that grow step by step, got " + FormatNumber(share) +
                           " after " + FormatNumber(rollout.steps.back()));
        }
        rollout.steps.push_back(share);
      }
    }
  }
  if (const Field* v = m.Find("step_duration")) {
    MLLOOP_ASSIGN_OR_RETURN(rollout.step_duration, Duration(*v, /*positive=*/false));
  }
  if (const Field* v = m.Find("step_requests")) {
    MLLOOP_ASSIGN_OR_RETURN(rollout.step_requests, Int(*v, 0, INT64_MAX, "a non-negative integer"));
  }
  if (rollout.step_duration == 0 && rollout.step_requests == 0) {
    const Field* at = m.Find("step_duration");
    return Error(at->line, at->path,
                 "a step would never end (expected step_duration > 0 or step_requests > 0)");
  }
  if (const Field* v = m.Find("sticky")) {
    MLLOOP_ASSIGN_OR_RETURN(Mapping sticky, Map(*v, {"header", "field"}));
    if (sticky.entries.size() != 1) {
      return Expected(*v, "exactly one of {header: NAME} or {field: NAME}");
    }
    const auto& [key, field] = sticky.entries.front();
    rollout.sticky_source = key == "header" ? RolloutConfig::StickySource::kHeader
                                            : RolloutConfig::StickySource::kField;
    MLLOOP_ASSIGN_OR_RETURN(rollout.sticky_name, String(field));
  }
  if (const Field* v = m.Find("guard")) {
    MLLOOP_ASSIGN_OR_RETURN(
        Mapping g, Map(*v, {"min_requests", "max_error_rate", "max_error_rate_increase",
                            "max_latency_p99_ratio", "max_prediction_psi", "metric",
                            "max_metric_loss", "min_labels"}));
    RolloutConfig::Guard& guard = rollout.guard;
    auto share = [](double x) { return x >= 0 && x <= 1; };
    auto non_negative = [](double x) { return x >= 0; };
    if (const Field* x = g.Find("min_requests")) {
      MLLOOP_ASSIGN_OR_RETURN(guard.min_requests, Int(*x, 1, INT64_MAX, "a positive integer"));
    }
    if (const Field* x = g.Find("max_error_rate")) {
      MLLOOP_ASSIGN_OR_RETURN(guard.max_error_rate, Number(*x, "a share from 0 to 1", share));
    }
    if (const Field* x = g.Find("max_error_rate_increase")) {
      MLLOOP_ASSIGN_OR_RETURN(guard.max_error_rate_increase,
                              Number(*x, "a share from 0 to 1", share));
    }
    if (const Field* x = g.Find("max_latency_p99_ratio")) {
      MLLOOP_ASSIGN_OR_RETURN(guard.max_latency_p99_ratio,
                              Number(*x, "a ratio >= 1, or 0 for no latency guard",
                                     [](double r) { return r == 0 || r >= 1; }));
    }
    if (const Field* x = g.Find("max_prediction_psi")) {
      MLLOOP_ASSIGN_OR_RETURN(guard.max_prediction_psi,
                              Number(*x, "a number >= 0 (0: no prediction drift guard)",
                                     non_negative));
    }
    if (const Field* x = g.Find("metric")) {
      MLLOOP_ASSIGN_OR_RETURN(guard.metric, Metric(*x, task));
      if (guard.metric != "accuracy" && guard.metric != "rmse" && guard.metric != "mae") {
        return Error(x->line, x->path,
                     "'" + guard.metric +
                         "' cannot be judged one label at a time (expected accuracy, rmse or mae)");
      }
    }
    if (const Field* x = g.Find("max_metric_loss")) {
      MLLOOP_ASSIGN_OR_RETURN(guard.max_metric_loss, Number(*x, "a number >= 0", non_negative));
    }
    if (const Field* x = g.Find("min_labels")) {
      MLLOOP_ASSIGN_OR_RETURN(guard.min_labels, Int(*x, 1, INT64_MAX, "a positive integer"));
    }
  }
  if (const Field* v = m.Find("watch")) {
    MLLOOP_ASSIGN_OR_RETURN(rollout.watch, Duration(*v, /*positive=*/false));
  }
  return Status::Ok();
}

// ---------------------------------------------------------------------------------------------
// Top level

bool IsValidName(std::string_view name) {
  if (name.empty()) return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
           c == '-' || c == '.';
  });
}

Result<ModelConfig> Parser::Parse(const YAML::Node& root) {
  ModelConfig cfg;
  MLLOOP_ASSIGN_OR_RETURN(Mapping top, Map(Field{"", root, LineOf(root, 1)},
                                           {"model", "data", "schema", "trainer", "monitoring",
                                            "policy", "validation", "simulation", "approval",
                                            "rollout"}));
  if (const Field* model = top.Find("model")) {
    if (!model->node.IsScalar() || !IsValidName(model->node.Scalar())) {
      return Expected(*model, "a name of letters, digits, '_', '-' or '.'");
    }
    cfg.name = model->node.Scalar();
  }
  if (const Field* data = top.Find("data")) {
    MLLOOP_ASSIGN_OR_RETURN(Mapping d, Map(*data, {"path"}));
    if (const Field* path = d.Find("path")) {
      MLLOOP_ASSIGN_OR_RETURN(cfg.data_path, String(*path));
    }
  }
  if (const Field* approval = top.Find("approval")) {
    MLLOOP_ASSIGN_OR_RETURN(std::string mode, OneOf(*approval, {"auto", "manual"}));
    cfg.approval = mode == "manual" ? ApprovalMode::kManual : ApprovalMode::kAuto;
  }
  // The schema comes first: the task decides the defaults of trainer, policy and validation.
  const Field* schema = top.Find("schema");
  if (schema == nullptr) return Missing(top, "schema", "a mapping with features and label");
  MLLOOP_RETURN_IF_ERROR(ParseSchema(*schema, cfg.schema));
  schema_ = &cfg.schema;
  const core::Task task = cfg.schema.label.task;

  cfg.policy.trigger = DefaultTrigger(task);
  cfg.validation.metric = cfg.DefaultMetric();
  // An absent section reads like an empty one, so the task-dependent defaults (trainer.params)
  // are filled in the same way.
  auto section = [&top](std::string_view key) {
    const Field* f = top.Find(key);
    return f != nullptr ? *f : Field{std::string(key), YAML::Node(YAML::NodeType::Null), top.line};
  };
  MLLOOP_RETURN_IF_ERROR(ParseTrainer(section("trainer"), task, cfg.trainer));
  MLLOOP_RETURN_IF_ERROR(ParseMonitoring(section("monitoring"), cfg.monitoring));
  MLLOOP_RETURN_IF_ERROR(ParsePolicy(section("policy"), task, cfg.policy));
  if (cfg.trainer.window.since_change && !HasDetector(cfg.policy.trigger)) {
    return Error(cfg.trainer.window.since_change->line, "trainer.window.since_change",
                 "needs a detector trigger in policy.trigger (only a detector locates where a "
                 "change began)");
  }
  MLLOOP_RETURN_IF_ERROR(ParseValidation(section("validation"), task, cfg.validation));
  MLLOOP_RETURN_IF_ERROR(ParseSimulation(section("simulation"), cfg.simulation));
  cfg.rollout.guard.metric = cfg.DefaultMetric();
  MLLOOP_RETURN_IF_ERROR(ParseRollout(section("rollout"), task, cfg.rollout));
  return cfg;
}

void AppendTrigger(const Trigger& t, std::string& out) {
  switch (t.kind) {
    case Trigger::Kind::kAny:
    case Trigger::Kind::kAll:
      out += t.kind == Trigger::Kind::kAny ? "any(" : "all(";
      for (size_t i = 0; i < t.children.size(); ++i) {
        if (i > 0) out += ", ";
        AppendTrigger(t.children[i], out);
      }
      out += ")";
      return;
    case Trigger::Kind::kPerformance:
      out += "performance(" + t.metric + (HigherIsBetter(t.metric) ? " < " : " > ") +
             FormatNumber(t.threshold) + ", n>=" + std::to_string(t.min_labels) + ")";
      return;
    case Trigger::Kind::kDrift:
      if (t.method == "psi") {
        out += "drift(psi > " + FormatNumber(t.psi_above) +
               " on >= " + FormatNumber(t.min_share * 100) + "% of features)";
      } else {
        out += "drift(" + t.method +
               (t.drift_threshold ? " at " + FormatNumber(*t.drift_threshold) : "") + " on >= " +
               FormatNumber(t.min_share * 100) + "% of features" +
               (t.drift_features.empty()
                    ? ""
                    : ", " + std::to_string(t.drift_features.size()) + " set per feature") +
               ")";
      }
      return;
    case Trigger::Kind::kNewLabels:
      out += "new_labels(>= " + std::to_string(t.at_least) + ")";
      return;
    case Trigger::Kind::kDetector:
      out += "detector(" + t.detector + " on " + t.detector_on + ")";
      return;
    case Trigger::Kind::kEstimatedPerformance:
      out += "estimated_performance(" + t.metric + " < " + FormatNumber(t.threshold) + " over " +
             std::to_string(t.estimate_window) + ", reference " +
             std::to_string(t.reference_labels) + ")";
      return;
    case Trigger::Kind::kSchedule:
      out += "schedule(every " + core::FormatDuration(t.every) + ")";
      return;
  }
}

}  // namespace

std::string TrainingWindow::DescribeRange() const {
  switch (kind) {
    case Kind::kLastRows:
      return "last " + std::to_string(rows) + " rows";
    case Kind::kLastDuration:
      return "last " + core::FormatDuration(seconds);
    case Kind::kSince:
      return "since " + core::FormatTimestamp(since);
    case Kind::kAll:
      return "all";
  }
  return "?";
}

std::string TrainingWindow::Describe() const {
  std::string out = DescribeRange();
  if (since_change) {
    out += "; since a detected change (wait for " + std::to_string(since_change->wait_labels) +
           " labels";
    if (since_change->min_rows > 0) {
      out += ", at least " + std::to_string(since_change->min_rows) + " rows";
    }
    if (since_change->refresh_labels > 0) {
      out += ", refresh after " + std::to_string(since_change->refresh_labels);
    }
    out += ")";
  }
  if (recency_half_life > 0) {
    out += "; recency half-life " + std::to_string(recency_half_life) + " rows";
  }
  return out;
}

std::string_view GateKindName(GateConfig::Kind kind) {
  switch (kind) {
    case GateConfig::Kind::kMargin:
      return "margin";
    case GateConfig::Kind::kValue:
      return "value";
    case GateConfig::Kind::kChange:
      return "change";
    case GateConfig::Kind::kSignificance:
      return "significance";
    case GateConfig::Kind::kSegments:
      return "segments";
    case GateConfig::Kind::kBias:
      return "bias";
    case GateConfig::Kind::kLatency:
      return "latency";
    case GateConfig::Kind::kSanity:
      return "sanity";
  }
  return "?";
}

std::string_view RolloutStrategyName(RolloutConfig::Strategy strategy) {
  switch (strategy) {
    case RolloutConfig::Strategy::kCanary: return "canary";
    case RolloutConfig::Strategy::kLinear: return "linear";
    case RolloutConfig::Strategy::kBlueGreen: return "blue_green";
    case RolloutConfig::Strategy::kShadow: return "shadow";
  }
  return "canary";
}

std::string ModelConfig::DefaultMetric() const {
  return schema.label.task == core::Task::kBinaryClassification ? "accuracy" : "rmse";
}

bool HigherIsBetter(std::string_view metric) {
  const MetricInfo* m = FindMetric(metric);
  return m != nullptr && m->higher_is_better;
}

std::string TriggerToString(const Trigger& trigger) {
  std::string out;
  AppendTrigger(trigger, out);
  return out;
}

Result<ModelConfig> ParseModelConfig(std::string_view yaml_text, const std::string& path) {
  Parser parser(path);
  std::vector<YAML::Node> docs;
  try {
    docs = YAML::LoadAll(std::string(yaml_text));
  } catch (const YAML::Exception& e) {
    return parser.Error(e.mark.is_null() ? 1 : e.mark.line + 1, "", "invalid YAML: " + e.msg);
  }
  if (docs.empty() || (docs.size() == 1 && docs[0].IsNull())) {
    return parser.Error(1, "", "the file is empty (expected a mapping with at least schema)");
  }
  if (docs.size() > 1) {
    return parser.Error(LineOf(docs[1], 1), "",
                        "more than one YAML document (expected a single mapping)");
  }
  Result<ModelConfig> cfg = Status::Internal("unreachable");
  try {
    cfg = parser.Parse(docs[0]);
  } catch (const YAML::Exception& e) {  // not expected: every access above is checked
    return parser.Error(e.mark.is_null() ? 1 : e.mark.line + 1, "", e.msg);
  }
  if (!cfg.ok()) return cfg;
  cfg->path = path;
  cfg->text = std::string(yaml_text);
  cfg->config_hash = core::Sha256Hex(yaml_text);
  if (!cfg->data_path.empty()) {
    const std::filesystem::path data(cfg->data_path);
    if (data.is_relative()) {
      cfg->data_path =
          (std::filesystem::path(path).parent_path() / data).lexically_normal().string();
    }
  }
  return cfg;
}

Result<ModelConfig> LoadModelConfig(const std::string& path) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec)) {
    return Status::NotFound("model config '" + path + "' does not exist");
  }
  if (std::filesystem::is_directory(path, ec)) {
    return Status::InvalidArgument("model config '" + path + "' is a directory, not a YAML file");
  }
  std::ifstream in(path, std::ios::binary);
  if (!in) return Status::Unavailable("cannot open model config '" + path + "'");
  const std::string text{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  if (in.bad()) return Status::Unavailable("cannot read model config '" + path + "'");
  return ParseModelConfig(text, path);
}

}  // namespace mlloop::config
