#include "serve/server_metrics.h"

#include <charconv>
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

void AppendModelLabels(const VersionMetrics& m, std::string* out) {
  AppendLabel("model", m.model(), out);
  out->push_back(',');
  AppendLabel("version", m.version(), out);
}

}  // namespace

void VersionMetrics::Record(Outcome outcome, uint64_t rows, uint64_t latency_ns) {
  requests_[static_cast<size_t>(outcome)].fetch_add(1, std::memory_order_relaxed);
  rows_.fetch_add(rows, std::memory_order_relaxed);
  const double seconds = static_cast<double>(latency_ns) * 1e-9;
  size_t b = 0;
  while (b < kBuckets.size() && seconds > kBuckets[b]) ++b;
  buckets_[b].fetch_add(1, std::memory_order_relaxed);
  latency_ns_sum_.fetch_add(latency_ns, std::memory_order_relaxed);
}

void VersionMetrics::AppendRequests(std::string* out) const {
  static constexpr const char* kOutcomes[] = {"ok", "client_error", "server_error"};
  for (size_t i = 0; i < requests_.size(); ++i) {
    *out += "mlloop_prediction_requests_total{";
    AppendModelLabels(*this, out);
    out->push_back(',');
    AppendLabel("outcome", kOutcomes[i], out);
    *out += "} ";
    AppendUint(requests_[i].load(std::memory_order_relaxed), out);
    out->push_back('\n');
  }
}

void VersionMetrics::AppendRows(std::string* out) const {
  *out += "mlloop_prediction_rows_total{";
  AppendModelLabels(*this, out);
  *out += "} ";
  AppendUint(rows_.load(std::memory_order_relaxed), out);
  out->push_back('\n');
}

void VersionMetrics::AppendLatency(std::string* out) const {
  // Buckets are cumulative in the exposition format; the count is the +Inf bucket.
  uint64_t cumulative = 0;
  for (size_t b = 0; b <= kBuckets.size(); ++b) {
    cumulative += buckets_[b].load(std::memory_order_relaxed);
    *out += "mlloop_prediction_latency_seconds_bucket{";
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
  *out += "mlloop_prediction_latency_seconds_sum{";
  AppendModelLabels(*this, out);
  *out += "} ";
  AppendDouble(static_cast<double>(latency_ns_sum_.load(std::memory_order_relaxed)) * 1e-9, out);
  *out += "\nmlloop_prediction_latency_seconds_count{";
  AppendModelLabels(*this, out);
  *out += "} ";
  AppendUint(cumulative, out);
  out->push_back('\n');
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
  responses_[i].fetch_add(1, std::memory_order_relaxed);
}

std::string ServerMetrics::Render(const std::vector<LiveModel>& live) const {
  std::vector<std::shared_ptr<VersionMetrics>> versions;
  {
    std::lock_guard lock(mu_);
    versions = versions_;
  }
  std::string out;
  out.reserve(2048 + versions.size() * 2048);
  out += "# HELP mlloop_http_responses_total HTTP responses sent, by status code.\n"
         "# TYPE mlloop_http_responses_total counter\n";
  for (size_t i = 0; i < kCodes.size(); ++i) {
    out += "mlloop_http_responses_total{";
    AppendLabel("code", kCodes[i] ? std::to_string(kCodes[i]) : "other", &out);
    out += "} ";
    AppendUint(responses_[i].load(std::memory_order_relaxed), &out);
    out.push_back('\n');
  }
  out += "# HELP mlloop_prediction_requests_total Prediction requests that reached a model "
         "version, by outcome.\n# TYPE mlloop_prediction_requests_total counter\n";
  for (const auto& m : versions) m->AppendRequests(&out);
  out += "# HELP mlloop_prediction_rows_total Rows predicted.\n"
         "# TYPE mlloop_prediction_rows_total counter\n";
  for (const auto& m : versions) m->AppendRows(&out);
  out += "# HELP mlloop_prediction_latency_seconds Time from a parsed request to its response "
         "body.\n# TYPE mlloop_prediction_latency_seconds histogram\n";
  for (const auto& m : versions) m->AppendLatency(&out);
  out += "# HELP mlloop_model_live 1 for the version of each model now serving.\n"
         "# TYPE mlloop_model_live gauge\n";
  for (const auto& l : live) {
    if (l.version.empty()) continue;
    out += "mlloop_model_live{";
    AppendLabel("model", l.model, &out);
    out.push_back(',');
    AppendLabel("version", l.version, &out);
    out += "} 1\n";
  }
  out += "# HELP mlloop_model_swaps_total Versions published to serve each model.\n"
         "# TYPE mlloop_model_swaps_total counter\n";
  for (const auto& l : live) {
    out += "mlloop_model_swaps_total{";
    AppendLabel("model", l.model, &out);
    out += "} ";
    AppendUint(l.swaps, &out);
    out.push_back('\n');
  }
  return out;
}

}  // namespace mlloop::serve
