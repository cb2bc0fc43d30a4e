#include "loop/live_loop.h"

#include <algorithm>
#include <numeric>

#include "core/format.h"
#include "io/csv_reader.h"
#include "io/snapshot.h"

namespace mlloop::loop {

LiveLoop::LiveLoop(config::ModelConfig config, Options options,
                   std::unique_ptr<registry::Registry> registry, const core::Clock* clock)
    : config_(std::move(config)),
      options_(std::move(options)),
      registry_(std::move(registry)),
      clock_(clock),
      controller_(config_, ControllerOptions{"configured", true, options_.actor, options_.hand_off},
                  registry_.get(), clock_),
      tick_(options_.tick.count() > 0 ? options_.tick
                                       : std::chrono::milliseconds(config_.policy.tick * 1000)) {
  data_.n_features = config_.schema.features.size();
  for (const core::FeatureSpec& f : config_.schema.features) data_.categories.push_back(f.categories);
  for (const std::string& name : config_.schema.segments) {
    std::optional<size_t> feature = config_.schema.FeatureIndex(name);
    if (!feature) continue;
    data_.segments.push_back({name, {}, {}});
    segment_sources_.push_back({*feature, {}});
  }
}

void LiveLoop::AddLabel(int64_t id, const float* features, float label, int64_t time) {
  pending_.push_back({id, label, time, pending_x_.size()});
  pending_x_.insert(pending_x_.end(), features, features + data_.n_features);
  // Before Start() the replayed labels are the data itself; take them as they come so a long
  // log never waits in pending_ whole.
  if (!started_ && pending_.size() >= 4096) TakePending(false);
}

void LiveLoop::AddPrediction(int64_t id, const float* features, float prediction,
                             int64_t version) {
  newest_prediction_ = std::max(newest_prediction_, id);
  if (!started_) {
    replayed_.push_back({id, version, prediction});
    if (static_cast<int64_t>(replayed_.size()) > options_.join_window_rows) replayed_.pop_front();
    replayed_x_.insert(replayed_x_.end(), features, features + data_.n_features);
    const size_t keep = static_cast<size_t>(config_.monitoring.drift_window) * data_.n_features;
    while (replayed_x_.size() > keep) replayed_x_.pop_front();
    return;
  }
  if (version == ChampionVersion()) controller_.ObservePrediction(id, features, prediction);
}

void LiveLoop::TakePending(bool started) {
  std::stable_sort(pending_.begin(), pending_.end(),
                   [](const Pending& a, const Pending& b) { return a.id < b.id; });
  for (const Pending& p : pending_) {
    if (!data_.row.empty() && p.id <= data_.row.back()) {
      // Its row would land before rows already taken: the monitor scores it, the data keeps
      // its order.
      ++late_labels_;
      if (started) controller_.ObserveLabel(p.id, p.label);
      continue;
    }
    data_.x.insert(data_.x.end(), pending_x_.begin() + static_cast<std::ptrdiff_t>(p.x),
                   pending_x_.begin() + static_cast<std::ptrdiff_t>(p.x + data_.n_features));
    data_.y.push_back(p.label);
    for (size_t k = 0; k < segment_sources_.size(); ++k) {
      // The value as the data file spells it: the category, the number, "" when missing.
      const size_t f = segment_sources_[k].feature;
      const float v = pending_x_[p.x + f];
      const std::vector<std::string>& categories = data_.categories[f];
      std::string value = core::IsMissing(v) ? ""
                          : categories.empty() ? core::FormatShortest(v)
                          : static_cast<size_t>(v) < categories.size() ? categories[static_cast<size_t>(v)]
                                                                       : core::FormatShortest(v);
      core::Dataset::SegmentColumn& column = data_.segments[k];
      auto [it, added] = segment_sources_[k].codes.try_emplace(
          std::move(value), static_cast<uint32_t>(column.values.size()));
      if (added) column.values.push_back(it->first);
      column.codes.push_back(it->second);
    }
    // Prediction times follow row ids but can step back with the wall clock: keep order.
    data_.time.push_back(data_.time.empty() ? p.time : std::max(p.time, data_.time.back()));
    data_.row.push_back(p.id);
  }
  pending_.clear();
  pending_x_.clear();
  if (started) controller_.ObserveLabelledRows();
}

Status LiveLoop::ReadReference(const registry::ModelVersion& champion, core::Dataset* reference,
                               size_t* begin, size_t* end) const {
  const registry::Lineage& lineage = champion.lineage;
  const std::string what = "the training rows of " + config_.name + " v" +
                           std::to_string(champion.version) + " (the drift reference)";
  const core::Dataset* rows = &data_;
  core::Dataset file;
  if (lineage.data_source != options_.data_source) {
    if (lineage.data_source.empty()) {
      return Status::NotFound(what + ": its lineage names no data file");
    }
    auto read = io::ReadCsv(lineage.data_source, config_.schema);
    if (!read.ok()) return read.status().WithContext(what);
    file = std::move(read).value();
    rows = &file;
  }
  const auto& ids = rows->row;
  *begin = static_cast<size_t>(std::lower_bound(ids.begin(), ids.end(), lineage.row_begin) - ids.begin());
  *end = static_cast<size_t>(std::lower_bound(ids.begin(), ids.end(), lineage.row_end) - ids.begin());
  if (*begin >= *end) {
    return Status::NotFound(what + ": rows " + std::to_string(lineage.row_begin) + ".." +
                            std::to_string(lineage.row_end) + " are not in " +
                            lineage.data_source);
  }
  if (!lineage.data_hash.empty() && io::SnapshotHash(*rows, *begin, *end) != lineage.data_hash) {
    return Status::FailedPrecondition(what + ": rows " + std::to_string(lineage.row_begin) + ".." +
                                      std::to_string(lineage.row_end) + " of " +
                                      lineage.data_source + " changed since it trained");
  }
  if (rows == &file) {
    *reference = file.Slice(*begin, *end);
    *end -= *begin;
    *begin = 0;
  }
  return Status::Ok();
}

Status LiveLoop::Start() {
  TakePending(false);
  MLLOOP_ASSIGN_OR_RETURN(std::optional<registry::ModelVersion> champion,
                          registry_->Champion(config_.name));
  if (!champion) return Status::NotFound("model " + config_.name + " has no champion");
  core::Dataset file_rows;
  size_t begin = 0, end = 0;
  MLLOOP_RETURN_IF_ERROR(ReadReference(*champion, &file_rows, &begin, &end));
  const core::Dataset& reference = file_rows.rows() > 0 ? file_rows : data_;
  MLLOOP_RETURN_IF_ERROR(controller_.Resume(data_, options_.data_source, reference, begin, end));
  ReplayToMonitor();
  started_ = true;
  next_tick_ = std::chrono::steady_clock::now() + tick_;
  return Status::Ok();
}

void LiveLoop::ReplayToMonitor() {
  const size_t n = data_.n_features;
  const int64_t champion = ChampionVersion();
  // replayed_x_ holds the features of the newest rows, counted from the end (it may keep
  // more rows than replayed_ when the join window is the smaller).
  const size_t rows_with_features = replayed_x_.size() / n;
  std::vector<float> x(n);
  for (size_t i = 0; i < replayed_.size(); ++i) {
    const Replayed& r = replayed_[i];
    if (r.version != champion) continue;
    const float* features = nullptr;
    const size_t from_end = replayed_.size() - i;
    if (from_end <= rows_with_features) {
      const auto at = static_cast<std::ptrdiff_t>((rows_with_features - from_end) * n);
      std::copy(replayed_x_.begin() + at, replayed_x_.begin() + at + static_cast<std::ptrdiff_t>(n),
                x.begin());
      features = x.data();
    }
    controller_.ReplayPrediction(r.id, features, r.prediction);
  }
  // The labels those predictions got before the restart, now rows of the data.
  if (!replayed_.empty()) {
    const auto& ids = data_.row;
    for (auto it = std::lower_bound(ids.begin(), ids.end(), replayed_.front().id); it != ids.end();
         ++it) {
      controller_.ReplayLabel(*it, data_.y[static_cast<size_t>(it - ids.begin())]);
    }
  }
  replayed_ = {};
  replayed_x_ = {};
}

Result<std::optional<TickOutcome>> LiveLoop::TickIfDue() {
  if (!started_) return Status::FailedPrecondition("the live loop has not started");
  const auto now = std::chrono::steady_clock::now();
  if (now < next_tick_) return std::optional<TickOutcome>();
  // The next tick is one interval after this one was due; a tick that ran long (training)
  // is not made up for by a burst of ticks.
  next_tick_ = std::max(next_tick_ + tick_, now);
  TakePending(true);
  controller_.ForgetPredictionsBefore(newest_prediction_ + 1 - options_.join_window_rows);
  MLLOOP_ASSIGN_OR_RETURN(std::optional<registry::ModelVersion> followed, FollowChampion());
  MLLOOP_RETURN_IF_ERROR(registry_->Begin());
  auto outcome = controller_.Tick();
  if (!outcome.ok()) {
    registry_->Rollback().IgnoreError();  // the tick's own error is the one to report
    return outcome.status();
  }
  MLLOOP_RETURN_IF_ERROR(registry_->Commit());
  outcome->followed_champion = std::move(followed);
  return std::optional<TickOutcome>(std::move(outcome).value());
}

Result<std::optional<registry::ModelVersion>> LiveLoop::FollowChampion() {
  using None = std::optional<registry::ModelVersion>;
  if (!started_) return None();
  MLLOOP_ASSIGN_OR_RETURN(std::optional<registry::ModelVersion> champion,
                          registry_->Champion(config_.name));
  if (!champion || champion->version == ChampionVersion()) return None();
  core::Dataset file_rows;
  size_t begin = 0, end = 0;
  MLLOOP_RETURN_IF_ERROR(ReadReference(*champion, &file_rows, &begin, &end));
  const core::Dataset& reference = file_rows.rows() > 0 ? file_rows : data_;
  MLLOOP_RETURN_IF_ERROR(controller_.AdoptChampion(*champion, reference, begin, end));
  return None(std::move(champion));
}

}  // namespace mlloop::loop
