#include "serve/server_metrics.h"

#include <charconv>
#include <cmath>
#include <string_view>


namespace mlloop::serve {
namespace {

// Label values are model names (letters, digits, '_', '-', '.') and version numbers; escape
// anyway, as the format asks (backslash, quote, newline).
void AppendLabel(std::string_view name, std::string_view value, std::string* out) {
  *out += name;
  *out += "=\"";
  for (char c : value) {
    if (c == '\\' || c == '"') out->push_back('\\');
    if (c == '\n') {
      *out += "\\n";
      continue;
    }
    out->push_back(c);
  }
  out->push_back('"');
}

void AppendUint(uint64_t v, std::string* out) {
  char buf[24];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, ptr);
}

void AppendDouble(double v, std::string* out) {
  char buf[32];
  auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), v);
  out->append(buf, ptr);
}

// A family's "# HELP" and "# TYPE" lines.
void AppendFamily(std::string_view name, std::string_view type, std::string_view help,
                  std::string* out) {
  *out += "# HELP ";
  *out += name;
  out->push_back(' ');
  *out += help;
  *out += "\n# TYPE ";
  *out += name;
  out->push_back(' ');
  *out += type;
  out->push_back('\n');
}

void AppendModelLabels(const VersionMetrics& m, std::string* out) {
  AppendLabel("model", m.model(), out);
  out->push_back(',');
  AppendLabel("version", m.version(), out);
}

}  // namespace

size_t MetricShard() {
  static std::atomic<size_t> next{0};
  thread_local const size_t shard = next.fetch_add(1, std::memory_order_relaxed) % kMetricShards;
  return shard;
}

void VersionMetrics::Series::Record(Outcome outcome, uint64_t rows_predicted,
                                    uint64_t latency_ns) {
  Shard& shard = shards[MetricShard()];
  shard.requests[static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  shard.rows.fetch_add(rows_predicted, std::memory_order_relaxed);
  const double seconds = static_cast<double>(latency_ns) * 1e-9;
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  shard.buckets[b].fetch_add(1, std::memory_order_relaxed);
  shard.latency_ns_sum.fetch_add(latency_ns, std::memory_order_relaxed);
}

VersionMetrics::Snapshot VersionMetrics::Series::Read() const {
  Snapshot s;
  for (const Shard& shard : shards) {
    for (size_t i = 0; i < s.requests.size(); ++i) {
      s.requests[i] += shard.requests[i].load(std::memory_order_relaxed);
    }
    s.rows += shard.rows.load(std::memory_order_relaxed);
    for (size_t b = 0; b < s.buckets.size(); ++b) {
      s.buckets[b] += shard.buckets[b].load(std::memory_order_relaxed);
    }
    s.latency_ns_sum += shard.latency_ns_sum.load(std::memory_order_relaxed);
  }
  return s;
}

VersionMetrics::Snapshot VersionMetrics::Snapshot::Since(const Snapshot& earlier) const {
  Snapshot d;
  for (size_t i = 0; i < requests.size(); ++i) d.requests[i] = requests[i] - earlier.requests[i];
  d.rows = rows - earlier.rows;
  for (size_t b = 0; b < buckets.size(); ++b) d.buckets[b] = buckets[b] - earlier.buckets[b];
  d.latency_ns_sum = latency_ns_sum - earlier.latency_ns_sum;
  return d;
}

double VersionMetrics::Snapshot::LatencyQuantile(double q) const {
  uint64_t count = 0;
  for (uint64_t c : buckets) count += c;
  if (count == 0) return 0;
  const double rank = q * static_cast<double>(count);
  uint64_t below = 0;
  for (size_t b = 0; b < buckets.size(); ++b) {
    if (static_cast<double>(below + buckets[b]) >= rank && buckets[b] > 0) {
      if (b == kBuckets.size()) return kBuckets.back();
      const double lower = b == 0 ? 0.0 : kBuckets[b - 1];
      return lower + (kBuckets[b] - lower) * (rank - static_cast<double>(below)) /
                         static_cast<double>(buckets[b]);
    }
    below += buckets[b];
  }
  return kBuckets.back();
}

void VersionMetrics::AppendRequestsOf(const Snapshot& counts, std::string_view family,
                                      std::string* out) const {
  static constexpr const char* kOutcomes[] = {"ok", "client_error", "server_error"};
  for (size_t i = 0; i < counts.requests.size(); ++i) {
    *out += family;
    out->push_back('{');
    AppendModelLabels(*this, out);
    out->push_back(',');
    AppendLabel("outcome", kOutcomes[i], out);
    *out += "} ";
    AppendUint(counts.requests[i], out);
    out->push_back('\n');
  }
}

void VersionMetrics::AppendRequests(std::string* out) const {
  AppendRequestsOf(served_.Read(), "mlloop_prediction_requests_total", out);
}

void VersionMetrics::AppendRows(std::string* out) const {
  *out += "mlloop_prediction_rows_total{";
  AppendModelLabels(*this, out);
  *out += "} ";
  AppendUint(served_.Read().rows, out);
  out->push_back('\n');
}

void VersionMetrics::AppendLatencyOf(const Snapshot& counts, std::string_view family,
                                     std::string* out) const {
  // Buckets are cumulative in the exposition format; the count is the +Inf bucket.
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kBuckets.size(); ++b) {
    cumulative += counts.buckets[b];
    *out += family;
    *out += "_bucket{";
    AppendModelLabels(*this, out);
    *out += ",le=\"";
    if (b < kBuckets.size()) {
      char buf[32];  // "0.00025", not "2.5e-04"
      auto [ptr, ec] = std::to_chars(buf, buf + sizeof(buf), kBuckets[b], std::chars_format::fixed);
      out->append(buf, ptr);
    } else {
      *out += "+Inf";
    }
    *out += "\"} ";
    AppendUint(cumulative, out);
    out->push_back('\n');
  }
  *out += family;
  *out += "_sum{";
  AppendModelLabels(*this, out);
  *out += "} ";
  AppendDouble(static_cast<double>(counts.latency_ns_sum) * 1e-9, out);
  out->push_back('\n');
  *out += family;
  *out += "_count{";
  AppendModelLabels(*this, out);
  *out += "} ";
  AppendUint(cumulative, out);
  out->push_back('\n');
}

void VersionMetrics::AppendLatency(std::string* out) const {
  AppendLatencyOf(served_.Read(), "mlloop_prediction_latency_seconds", out);
}

void VersionMetrics::AppendShadowPredictions(std::string* out) const {
  const Snapshot counts = shadow_.Read();
  if (counts.total() == 0) return;
  AppendRequestsOf(counts, "mlloop_shadow_predictions_total", out);
}

void VersionMetrics::AppendShadowLatency(std::string* out) const {
  const Snapshot counts = shadow_.Read();
  if (counts.total() == 0) return;
  AppendLatencyOf(counts, "mlloop_shadow_latency_seconds", out);
}

std::shared_ptr<VersionMetrics> ServerMetrics::ForVersion(const std::string& model,
                                                          const std::string& version) {
  std::lock_guard lock(mu_);
  for (const auto& m : versions_) {
    if (m->model() == model && m->version() == version) return m;
  }
  versions_.push_back(std::make_shared<VersionMetrics>(model, version));
  return versions_.back();
}

void ServerMetrics::CountResponse(int code) {
  size_t i = 0;
  while (i + 1 < kCodes.size() && kCodes[i] != code) ++i;
  responses_[MetricShard()].count[i].fetch_add(1, std::memory_order_relaxed);
}

std::string ServerMetrics::Render(const std::vector<LiveModel>& live) const {
  std::vector<std::shared_ptr<VersionMetrics>> versions;
  {
    std::lock_guard lock(mu_);
    versions = versions_;
  }
  std::string out;
  out.reserve(2048 + versions.size() * 2048);
  AppendFamily("mlloop_http_responses_total", "counter", "HTTP responses sent, by status code.",
               &out);
  for (size_t i = 0; i < kCodes.size(); ++i) {
    out += "mlloop_http_responses_total{";
    AppendLabel("code", kCodes[i] ? std::to_string(kCodes[i]) : "other", &out);
    out += "} ";
    uint64_t sent = 0;
    for (const ResponseShard& shard : responses_) sent += shard.count[i].load(std::memory_order_relaxed);
    AppendUint(sent, &out);
    out.push_back('\n');
  }
  AppendFamily("mlloop_prediction_requests_total", "counter",
               "Prediction requests that reached a model version, by outcome.", &out);
  for (const auto& m : versions) m->AppendRequests(&out);
  AppendFamily("mlloop_prediction_rows_total", "counter", "Rows predicted.", &out);
  for (const auto& m : versions) m->AppendRows(&out);
  AppendFamily("mlloop_prediction_latency_seconds", "histogram",
               "Time from a parsed request to its response body.", &out);
  for (const auto& m : versions) m->AppendLatency(&out);
  AppendFamily("mlloop_model_live", "gauge", "1 for the version of each model now serving.", &out);
  for (const auto& l : live) {
    if (l.version.empty()) continue;
    out += "mlloop_model_live{";
    AppendLabel("model", l.model, &out);
    out.push_back(',');
    AppendLabel("version", l.version, &out);
    out += "} 1\n";
  }
  AppendFamily("mlloop_traffic_weight", "gauge",
               "Share of each model's requests a version answers (role champion or "
               "challenger), or 1 for a shadow that predicts a copy of every request.",
               &out);
  auto weight = [&out](const LiveModel& l, const std::string& version, std::string_view role,
                       double share) {
    out += "mlloop_traffic_weight{";
    AppendLabel("model", l.model, &out);
    out.push_back(',');
    AppendLabel("version", version, &out);
    out.push_back(',');
    AppendLabel("role", role, &out);
    out += "} ";
    AppendDouble(share, &out);
    out.push_back('\n');
  };
  for (const auto& l : live) {
    if (l.version.empty()) continue;
    const bool split = !l.challenger_version.empty() && !l.shadow;
    weight(l, l.version, "champion", split ? 1.0 - l.challenger_weight : 1.0);
    if (!l.challenger_version.empty()) {
      weight(l, l.challenger_version, l.shadow ? "shadow" : "challenger",
             l.shadow ? 1.0 : l.challenger_weight);
    }
  }
  AppendFamily("mlloop_shadow_predictions_total", "counter",
               "Predictions made in shadow (never returned), by outcome.", &out);
  for (const auto& m : versions) m->AppendShadowPredictions(&out);
  AppendFamily("mlloop_shadow_latency_seconds", "histogram",
               "Time a shadow took to predict a request's rows.", &out);
  for (const auto& m : versions) m->AppendShadowLatency(&out);
  AppendFamily("mlloop_model_swaps_total", "counter", "Versions published to serve each model.",
               &out);
  for (const auto& l : live) {
    out += "mlloop_model_swaps_total{";
    AppendLabel("model", l.model, &out);
    out += "} ";
    AppendUint(l.swaps, &out);
    out.push_back('\n');
  }
  std::lock_guard lock(mu_);
  for (const auto& [source, text] : external_) out += text;
  return out;
}

void ServerMetrics::SetExternal(const std::string& source, std::string text) {
  std::lock_guard lock(mu_);
  for (auto& [s, t] : external_) {
    if (s == source) {
      t = std::move(text);
      return;
    }
  }
  external_.emplace_back(source, std::move(text));
}

void PrometheusText::Family(std::string_view name, std::string_view type, std::string_view help) {
  AppendFamily(name, type, help, &text_);
}

void PrometheusText::Sample(std::string_view name, Labels labels, double value) {
  text_ += name;
  if (labels.size() > 0) {
    text_.push_back('{');
    bool first = true;
    for (const auto& [label, label_value] : labels) {
      if (!first) text_.push_back(',');
      first = false;
      AppendLabel(label, label_value, &text_);
    }
    text_.push_back('}');
  }
  text_.push_back(' ');
  if (std::isnan(value)) {
    text_ += "NaN";
  } else if (std::isinf(value)) {
    text_ += value > 0 ? "+Inf" : "-Inf";
  } else {
    AppendDouble(value, &text_);
  }
  text_.push_back('\n');
}

}  // namespace mlloop::serve
