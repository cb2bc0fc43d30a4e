#include "drift/reference_profile.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <thread>
#include <utility>

#include "drift/category_codes.h"
#include "stats/moments.h"
#include "stats/sort.h"

namespace mlloop::drift {

namespace {

constexpr char kMagic[4] = {'M', 'L', 'R', 'P'};
constexpr uint32_t kVersion = 1;

stats::ColumnKind KindOf(core::FeatureType type) {
  return type == core::FeatureType::kNumeric ? stats::ColumnKind::kNumeric
                                             : stats::ColumnKind::kCategorical;
}

// One column of a row-major table.
struct Strided {
  const float* data;
  size_t rows;
  size_t stride;
  float At(size_t i) const { return data[i * stride]; }
};

Result<ReferenceProfile::Column> ProfileColumn(const std::string& name, core::FeatureType type,
                                               Strided column,
                                               const std::vector<std::string>* dictionary,
                                               const ReferenceProfileOptions& options) {
  MLLOOP_ASSIGN_OR_RETURN(auto profile,
                          stats::ColumnProfile::Create(KindOf(type), options.column));
  ReferenceProfile::Column out{name, type, std::move(profile), false, {}};
  if (type == core::FeatureType::kNumeric) {
    std::vector<float> finite;
    for (size_t i = 0; i < column.rows; ++i) {
      const float v = column.At(i);
      out.profile.AddNumeric(v);  // NaN counts as missing there
      if (std::isfinite(v) && finite.size() <= options.exact_values) finite.push_back(v);
    }
    if (finite.size() <= options.exact_values) {
      std::vector<uint32_t> scratch;
      stats::SortFloats(finite, &scratch);
      out.values = std::move(finite);
      out.has_values = true;
    }
    return out;
  }
  std::vector<size_t> counts;
  size_t missing = 0;
  Status read = internal::CountCategoryCodes(column.data, column.rows, column.stride,
                                             dictionary ? dictionary->size() : 0, &counts,
                                             &missing);
  if (!read.ok()) return Status::InvalidArgument("column '" + name + "': " + read.message());
  for (size_t code = 0; code < counts.size(); ++code) {
    if (counts[code] > 0) {
      out.profile.AddCategory(internal::CategoryCodeText(dictionary, type, code), counts[code]);
    }
  }
  out.profile.AddMissing(missing);
  return out;
}

void WriteColumn(const ReferenceProfile::Column& c, stats::wire::Writer* w) {
  w->Bytes(c.name);
  w->U8(static_cast<uint8_t>(c.type));
  w->Bytes(c.profile.Serialize());
  w->U8(c.has_values ? 1 : 0);
  w->U32(static_cast<uint32_t>(c.values.size()));
  for (float v : c.values) w->F32(v);
}

Result<ReferenceProfile::Column> ReadColumn(stats::wire::Reader* r) {
  std::string_view name, profile_bytes;
  uint8_t type = 0, has_values = 0;
  uint32_t n = 0;
  r->Bytes(&name);
  r->U8(&type);
  r->Bytes(&profile_bytes);
  r->U8(&has_values);
  r->U32(&n);
  if (!r->ok() || type > static_cast<uint8_t>(core::FeatureType::kBoolean) || has_values > 1 ||
      n > r->remaining() / 4) {
    return Status::DataLoss("reference profile: a column record is truncated or corrupt");
  }
  MLLOOP_ASSIGN_OR_RETURN(auto profile, stats::ColumnProfile::Deserialize(profile_bytes));
  ReferenceProfile::Column c{std::string(name), static_cast<core::FeatureType>(type),
                             std::move(profile), has_values == 1, {}};
  c.values.resize(n);
  for (auto& v : c.values) r->F32(&v);
  if (!r->ok() || c.profile.kind() != KindOf(c.type) ||
      (!c.has_values && n > 0) ||
      !std::is_sorted(c.values.begin(), c.values.end()) ||
      std::any_of(c.values.begin(), c.values.end(), [](float v) { return !std::isfinite(v); })) {
    return Status::DataLoss("reference profile: column '" + c.name + "' is inconsistent");
  }
  return c;
}

}  // namespace

Status ReferenceProfileOptions::Validate() const {
  MLLOOP_RETURN_IF_ERROR(column.Validate());
  if (exact_values > (1u << 24)) {
    return Status::InvalidArgument("reference profile: exact_values must be at most 2^24");
  }
  return Status::Ok();
}

Result<ReferenceProfile> ReferenceProfile::Build(const core::Dataset& data,
                                                 const core::Schema& schema,
                                                 const ReferenceProfileOptions& options) {
  MLLOOP_RETURN_IF_ERROR(options.Validate());
  const size_t nf = schema.features.size();
  if (data.n_features != nf || (nf > 0 && data.x.size() % nf != 0)) {
    return Status::InvalidArgument("reference profile: the table has " +
                                   std::to_string(data.n_features) +
                                   " features, the schema " + std::to_string(nf));
  }
  const size_t rows = nf > 0 ? data.x.size() / nf : data.y.size();
  const bool labelled = !schema.label.name.empty() && data.y.size() == rows && rows > 0;
  const bool binary = schema.label.task == core::Task::kBinaryClassification;
  const std::vector<std::string> classes = {schema.label.negative, schema.label.positive};

  const size_t tasks = nf + (labelled ? 1 : 0);
  std::vector<std::optional<Result<Column>>> results(tasks);
  const auto run = [&](size_t j) {
    if (j == nf) {
      results[j] = ProfileColumn(
          schema.label.name, binary ? core::FeatureType::kCategorical : core::FeatureType::kNumeric,
          Strided{data.y.data(), rows, 1}, binary ? &classes : nullptr, options);
      return;
    }
    results[j] = ProfileColumn(schema.features[j].name, schema.features[j].type,
                               Strided{rows > 0 ? data.x.data() + j : nullptr, rows, nf},
                               j < data.categories.size() ? &data.categories[j] : nullptr,
                               options);
  };
  size_t threads = options.threads > 0 ? static_cast<size_t>(options.threads)
                                       : std::max(1u, std::thread::hardware_concurrency());
  threads = std::min(threads, std::max<size_t>(tasks, 1));
  std::atomic<size_t> next{0};
  const auto worker = [&] {
    for (size_t j = next++; j < tasks; j = next++) run(j);
  };
  {
    std::vector<std::jthread> pool;
    for (size_t t = 1; t < threads; ++t) pool.emplace_back(worker);
    worker();
  }

  ReferenceProfile out;
  out.options_ = options;
  out.rows_ = rows;
  for (size_t j = 0; j < tasks; ++j) {
    if (!results[j]->ok()) return results[j]->status();
    if (j == nf) {
      out.target_ = std::move(*results[j]).value();
      out.label_ = schema.label;
    } else {
      out.features_.push_back(std::move(*results[j]).value());
    }
  }
  return out;
}

Status ReferenceProfile::Merge(const ReferenceProfile& other) {
  const auto same_columns = [](const std::vector<Column>& a, const std::vector<Column>& b) {
    if (a.size() != b.size()) return false;
    for (size_t j = 0; j < a.size(); ++j) {
      if (a[j].name != b[j].name || a[j].type != b[j].type) return false;
    }
    return true;
  };
  if (!same_columns(features_, other.features_) ||
      target_.has_value() != other.target_.has_value() ||
      (target_ && (target_->name != other.target_->name || target_->type != other.target_->type))) {
    return Status::InvalidArgument("reference profiles of different tables cannot be merged");
  }
  if (options_.exact_values != other.options_.exact_values) {
    return Status::InvalidArgument("reference profiles with different exact_values");
  }
  // Merge into a copy, so a failure leaves this profile as it was.
  ReferenceProfile merged = *this;
  const auto merge_column = [&](Column* into, const Column& from) -> Status {
    MLLOOP_RETURN_IF_ERROR(into->profile.Merge(from.profile));
    if (into->has_values && from.has_values &&
        into->values.size() + from.values.size() <= options_.exact_values) {
      into->values.insert(into->values.end(), from.values.begin(), from.values.end());
      std::sort(into->values.begin(), into->values.end());
    } else {
      into->has_values = false;
      into->values.clear();
    }
    return Status::Ok();
  };
  for (size_t j = 0; j < merged.features_.size(); ++j) {
    MLLOOP_RETURN_IF_ERROR(merge_column(&merged.features_[j], other.features_[j]));
  }
  if (merged.target_) MLLOOP_RETURN_IF_ERROR(merge_column(&*merged.target_, *other.target_));
  merged.rows_ += other.rows_;
  *this = std::move(merged);
  return Status::Ok();
}

std::string ReferenceProfile::Serialize() const {
  stats::wire::Writer w;
  w.Raw(std::string_view(kMagic, 4));
  w.U32(kVersion);
  w.U64(rows_);
  w.U32(options_.exact_values);
  w.U32(static_cast<uint32_t>(features_.size()));
  for (const auto& c : features_) WriteColumn(c, &w);
  w.U8(target_ ? 1 : 0);
  if (target_) {
    WriteColumn(*target_, &w);
    w.U8(static_cast<uint8_t>(label_.task));
    w.Bytes(label_.positive);
    w.Bytes(label_.negative);
  }
  return w.Take();
}

Result<ReferenceProfile> ReferenceProfile::Deserialize(std::string_view bytes) {
  if (bytes.size() < 4 || bytes.substr(0, 4) != std::string_view(kMagic, 4)) {
    return Status::DataLoss("not a reference profile (no MLRP header)");
  }
  stats::wire::Reader r(bytes.substr(4));
  uint32_t version = 0, exact = 0, n = 0;
  uint64_t rows = 0;
  r.U32(&version);
  if (r.ok() && version != kVersion) {
    return Status::FailedPrecondition("reference profile format version " +
                                      std::to_string(version) + "; this mlloop reads version " +
                                      std::to_string(kVersion));
  }
  r.U64(&rows);
  r.U32(&exact);
  r.U32(&n);
  if (!r.ok() || n > r.remaining()) return Status::DataLoss("reference profile is truncated");
  ReferenceProfile out;
  out.rows_ = rows;
  out.options_.exact_values = exact;
  for (uint32_t j = 0; j < n; ++j) {
    MLLOOP_ASSIGN_OR_RETURN(Column c, ReadColumn(&r));
    out.features_.push_back(std::move(c));
  }
  uint8_t has_target = 0;
  r.U8(&has_target);
  if (!r.ok() || has_target > 1) return Status::DataLoss("reference profile is truncated");
  if (has_target) {
    MLLOOP_ASSIGN_OR_RETURN(Column c, ReadColumn(&r));
    uint8_t task = 0;
    std::string_view positive, negative;
    r.U8(&task);
    r.Bytes(&positive);
    r.Bytes(&negative);
    if (!r.ok() || task > static_cast<uint8_t>(core::Task::kRegression)) {
      return Status::DataLoss("reference profile: the label record is truncated or corrupt");
    }
    out.label_.name = c.name;
    out.label_.task = static_cast<core::Task>(task);
    out.label_.positive = std::string(positive);
    out.label_.negative = std::string(negative);
    out.target_ = std::move(c);
  }
  if (r.remaining() != 0) return Status::DataLoss("reference profile has trailing bytes");
  if (!out.features_.empty()) {
    out.options_.column = out.features_.front().profile.options();
  }
  return out;
}

}  // namespace mlloop::drift
