// ServerMetrics: what /metrics reports, in the Prometheus text exposition format 0.0.4
// (https://prometheus.io/docs/instrumenting/exposition_formats/):
//
//   mlloop_http_responses_total{code}                      every response, by HTTP status
//   mlloop_prediction_requests_total{model,version,outcome} outcome: ok | client_error |
//                                                           server_error
//   mlloop_prediction_rows_total{model,version}            rows predicted
//   mlloop_prediction_latency_seconds{model,version}       histogram: request body parsed
//                                                           to response body written
//   mlloop_model_live{model,version}                       1 for the version now serving
//   mlloop_model_swaps_total{model}                        versions published
//   mlloop_traffic_weight{model,version,role}              share of requests each version
//                                                           answers (role champion |
//                                                           challenger), or 1 for a shadow
//                                                           (role shadow) that sees a copy
//   mlloop_shadow_predictions_total{model,version,outcome} predictions a shadow made
//   mlloop_shadow_latency_seconds{model,version}           histogram: a shadow's prediction
//                                                           of a request's rows
//   and the families others keep through SetExternal(): the controller's signals, drift,
//   decisions and retrains (loop/loop_metrics.h) and the rollout's state and guards
//   (rollout/rollout_service.h).
//
// A VersionMetrics belongs to one (model, version) and is reached from its ServedModel, so the
// request path only increments atomics: no lookup, no lock. The counters are sharded by
// thread (kMetricShards copies, each on cache lines of its own, added up when read): when
// both request threads incremented the same counters, their cache lines moved from one core
// to the other on nearly every request. Counters live as long as the ServerMetrics (a
// version swapped out keeps its counts, as Prometheus expects of counters).
//
// Thread-safety: all methods may be called from any thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <deque>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <vector>

namespace mlloop::serve {

// Copies of every request-path counter: one per thread up to this many (threads past it
// share), so that request threads do not write the same cache lines.
inline constexpr size_t kMetricShards = 8;
// The calling thread's copy, in [0, kMetricShards): threads are numbered as they first ask.
size_t MetricShard();

class VersionMetrics {
 public:
  enum class Outcome { kOk, kClientError, kServerError };
  // Upper bounds of the latency buckets, in seconds (+Inf is implied).
  static constexpr std::array<double, 13> kBuckets = {0.00005, 0.0001, 0.00025, 0.0005, 0.001,
                                                      0.0025,  0.005,  0.01,    0.025,  0.05,
                                                      0.1,     0.25,   1.0};

  VersionMetrics(std::string model, std::string version)
      : model_(std::move(model)), version_(std::move(version)) {}

  // A request this version answered.
  void Record(Outcome outcome, uint64_t rows, uint64_t latency_ns) {
    served_.Record(outcome, rows, latency_ns);
  }
  // A prediction this version made in shadow (its answer was not returned).
  void RecordShadow(Outcome outcome, uint64_t rows, uint64_t latency_ns) {
    shadow_.Record(outcome, rows, latency_ns);
  }

  // The counters at one moment; the difference of two is what happened between them.
  struct Snapshot {
    std::array<uint64_t, 3> requests{};  // by Outcome
    uint64_t rows = 0;
    std::array<uint64_t, kBuckets.size() + 1> buckets{};  // not cumulative; last: +Inf
    uint64_t latency_ns_sum = 0;

    uint64_t total() const { return requests[0] + requests[1] + requests[2]; }
    // `this` minus `earlier`, counter by counter.
    Snapshot Since(const Snapshot& earlier) const;
    // The q-quantile of the latency in seconds, interpolated linearly inside its bucket as
    // Prometheus' histogram_quantile() does (the +Inf bucket answers its lower bound); 0
    // when empty.
    double LatencyQuantile(double q) const;
  };
  Snapshot Served() const { return served_.Read(); }
  Snapshot Shadowed() const { return shadow_.Read(); }

  const std::string& model() const { return model_; }
  const std::string& version() const { return version_; }
  uint64_t requests(Outcome outcome) const {
    return served_.Read().requests[static_cast<size_t>(outcome)];
  }
  // Appends this version's lines (without # HELP/# TYPE headers) for one metric family.
  void AppendRequests(std::string* out) const;
  void AppendRows(std::string* out) const;
  void AppendLatency(std::string* out) const;
  void AppendShadowPredictions(std::string* out) const;  // nothing when it never shadowed
  void AppendShadowLatency(std::string* out) const;      // nothing when it never shadowed

 private:
  struct Series {
    struct alignas(64) Shard {
      std::array<std::atomic<uint64_t>, 3> requests{};
      std::atomic<uint64_t> rows{0};
      std::array<std::atomic<uint64_t>, kBuckets.size() + 1> buckets{};  // last: +Inf
      std::atomic<uint64_t> latency_ns_sum{0};
    };
    std::array<Shard, kMetricShards> shards;

    void Record(Outcome outcome, uint64_t rows, uint64_t latency_ns);
    Snapshot Read() const;  // the shards added up
  };
  void AppendRequestsOf(const Snapshot& counts, std::string_view family, std::string* out) const;
  void AppendLatencyOf(const Snapshot& counts, std::string_view family, std::string* out) const;

  const std::string model_;
  const std::string version_;
  Series served_;
  Series shadow_;
};

// Exposition text for families rendered outside the server (the controller's, the
// rollout's; see ServerMetrics::SetExternal): Family() writes # HELP and # TYPE, Sample()
// one line with its labels escaped as the format asks.
class PrometheusText {
 public:
  using Labels = std::initializer_list<std::pair<std::string_view, std::string_view>>;
  void Family(std::string_view name, std::string_view type, std::string_view help);
  // Non-finite values are written as NaN, +Inf and -Inf.
  void Sample(std::string_view name, Labels labels, double value);
  std::string Take() { return std::move(text_); }

 private:
  std::string text_;
};

class ServerMetrics {
 public:
  // The metrics of (model, version), created on first use; the same object afterwards.
  std::shared_ptr<VersionMetrics> ForVersion(const std::string& model, const std::string& version);

  // Counts one HTTP response with status `code`.
  void CountResponse(int code);

  // Which version of each model is live and how many swaps it has seen, for Render().
  struct LiveModel {
    std::string model;
    std::string version;  // empty: none loaded
    uint64_t swaps = 0;
    std::string challenger_version;  // empty: no challenger
    bool shadow = false;             // the challenger sees a copy of the traffic
    double challenger_weight = 0;    // otherwise: the share it answers
  };
  // The whole exposition text: the server's families, then the external ones.
  std::string Render(const std::vector<LiveModel>& live) const;

  // Families that others keep (`source`: "loop", "rollout"): complete exposition text that
  // replaces what `source` set before and is appended to every Render().
  void SetExternal(const std::string& source, std::string text);

 private:
  // The status codes the server sends; anything else is counted as "other".
  static constexpr std::array<int, 9> kCodes = {200, 400, 404, 405, 413, 415, 500, 503, 0};
  struct alignas(64) ResponseShard {
    std::array<std::atomic<uint64_t>, kCodes.size()> count{};
  };
  std::array<ResponseShard, kMetricShards> responses_;

  mutable std::mutex mu_;
  std::vector<std::shared_ptr<VersionMetrics>> versions_;  // guarded by mu_
  std::vector<std::pair<std::string, std::string>> external_;  // source -> text; guarded by mu_
};

}  // namespace mlloop::serve
