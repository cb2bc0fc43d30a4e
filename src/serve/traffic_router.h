// The traffic router: which version of a model answers a request. Per model name a ModelSlot
// holds one TrafficRoute — the champion and, during a rollout, a challenger — behind an atomic
// shared_ptr:
//
//   no challenger          the champion answers everything (the hot path: one atomic load)
//   kSplit, weight w       the challenger answers a share w of the requests (canary, linear
//                          shifting: w grows step by step; blue/green: w jumps 0 -> 1)
//   kShadow                the champion answers everything; the challenger also predicts
//                          every request, its answers are recorded and never returned
//
// A split is random per request unless the route is sticky: then a key taken from the request
// (a header, or a top-level field of the JSON body; for OIP v2 also `parameters.NAME`) is
// hashed with the challenger's version as salt, and the challenger answers when the hash falls
// below w * 2^64. So one entity always sees the same version while w stays, an entity moved
// to the challenger stays there as w grows, and each rollout samples its own cohort. A request
// that lacks the key is split at random.
//
// Publishing a route (SetRoute, Swap) is one atomic store: a request takes the route once and
// answers with the versions in it to the end, so a change of weight, a promotion or a rollback
// never fails or blocks a request, and every response names the version that computed it.
//
// Thread-safety: TrafficRoute is immutable once published; ModelSlot is safe for concurrent
// Get(), route(), Swap() and SetRoute(); Choose() reads only its arguments.
#pragma once

#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "serve/served_model.h"

namespace mlloop::serve {

enum class ChallengerMode {
  kSplit,   // the challenger answers a share of the requests
  kShadow,  // the challenger predicts a copy of every request; its answers are never returned
};
std::string_view ChallengerModeName(ChallengerMode mode);  // "split", "shadow"

// What keeps one entity on one version.
struct StickyKey {
  enum class Source { kNone, kHeader, kField };
  Source source = Source::kNone;
  std::string name;  // the header, or the body field

  bool enabled() const { return source != Source::kNone; }
  // "header X-User-Id", "field user_id", "none".
  std::string Describe() const;
};

// Who answers the requests of one model name. Build with Make(); immutable afterwards.
struct TrafficRoute {
  std::shared_ptr<const ServedModel> champion;    // never null
  std::shared_ptr<const ServedModel> challenger;  // null: the champion answers everything
  ChallengerMode mode = ChallengerMode::kSplit;
  double challenger_weight = 0;  // kSplit: the share in [0, 1] the challenger answers
  StickyKey sticky;

  // Derived by Make(): a draw below `threshold` goes to the challenger (every draw when
  // `all_to_challenger`); `salt` is mixed into sticky keys (the challenger's version);
  // `same_features` when the challenger reads the champion's features (names, types and
  // categories, in order), so rows decoded for one serve the other.
  uint64_t threshold = 0;
  bool all_to_challenger = false;
  uint64_t salt = 0;
  bool same_features = false;

  // The champion alone. REQUIRES: champion is not null.
  static std::shared_ptr<const TrafficRoute> ChampionOnly(std::shared_ptr<const ServedModel> champion);
  // A route with a challenger. InvalidArgument for a null model, a weight outside [0, 1] or
  // not a number, two different model names, the same version twice, or a sticky key without
  // a name.
  static Result<std::shared_ptr<const TrafficRoute>> Make(
      std::shared_ptr<const ServedModel> champion, std::shared_ptr<const ServedModel> challenger,
      ChallengerMode mode, double challenger_weight, StickyKey sticky = {});
};

// The versions one request meets.
struct RouteChoice {
  const ServedModel* answer = nullptr;  // computes the response
  const ServedModel* shadow = nullptr;  // also predicts, never returned; null: none
};

// The draw of a sticky key: the same (key, salt) always gives the same draw, spread evenly
// over 64 bits (FNV-1a, then SplitMix64's finaliser).
uint64_t StickyDraw(std::string_view key, uint64_t salt);

// Who answers a request whose sticky key is `key` (nullopt: not sticky or no key in the
// request: a random draw from a per-thread generator).
RouteChoice Choose(const TrafficRoute& route, std::optional<std::string_view> key);

// The routes of one model name. Empty until the first Swap() or SetRoute().
class ModelSlot {
 public:
  explicit ModelSlot(std::string name);

  // The champion now serving, or null. One atomic load; never waits for a writer.
  std::shared_ptr<const ServedModel> Get() const {
    std::shared_ptr<const TrafficRoute> route = live_.load(std::memory_order_acquire);
    if (route == nullptr) return nullptr;
    const ServedModel* champion = route->champion.get();
    return std::shared_ptr<const ServedModel>(std::move(route), champion);  // shares the route
  }
  // The whole route, or null. One atomic load.
  std::shared_ptr<const TrafficRoute> route() const { return live_.load(std::memory_order_acquire); }
  // The same route, as the calling thread last took it: taken again only when a route was
  // published since. For the request path: route()'s load takes a lock bit and a reference
  // on words that every request thread writes, and on two cores those lines moved from one
  // core to the other on nearly every request (docs/DECISIONS.md, "Serving"); this reads one
  // counter that changes only when a route is published. The thread keeps a reference to
  // the route (of its eight latest slots) until its next call after a change, so a replaced
  // version may stay in memory until then. The reference returned is valid until the calling
  // thread's next LocalRoute() call (on any slot); take route() to keep it longer.
  const std::shared_ptr<const TrafficRoute>& LocalRoute() const;

  // Publishes `model` as the champion with no challenger (the route a reload or a finished
  // rollout wants) and returns the champion it replaced. REQUIRES: model->name() == name().
  std::shared_ptr<const ServedModel> Swap(std::shared_ptr<const ServedModel> model);
  // Publishes `route`. REQUIRES: route->champion->name() == name().
  void SetRoute(std::shared_ptr<const TrafficRoute> route);

  const std::string& name() const { return name_; }
  // How many times a new champion was published (a route change that keeps the champion,
  // such as a canary's weight, does not count).
  uint64_t swaps() const { return swaps_.load(std::memory_order_relaxed); }

 private:
  const std::string name_;
  // Never reused by another slot, so that a thread's cached route cannot be taken for the
  // route of a slot later made at the same address.
  const uint64_t id_;
  // Stores `route` and returns the one it replaced, between two increments of published_.
  std::shared_ptr<const TrafficRoute> Publish(std::shared_ptr<const TrafficRoute> route);

  std::atomic<std::shared_ptr<const TrafficRoute>> live_;
  // For LocalRoute, like a sequence lock: odd while a route is being published, so that a
  // thread that saw the new route (say, a client that then sent a request) can never have
  // it answered from a cached older one. Writers take publish_mu_ (routes change rarely);
  // readers never wait.
  std::atomic<uint64_t> published_{0};
  std::mutex publish_mu_;
  std::atomic<uint64_t> swaps_{0};
};

// A prediction made by a challenger, answered (kSplit) or in shadow (kShadow), as handed to
// the observers of PredictionService (AddChallengerObserver). Everything is borrowed for the
// duration of the call.
struct ChallengerPrediction {
  const ServedModel& champion;
  const ServedModel& challenger;
  ChallengerMode mode;
  std::string_view request_id;
  size_t rows = 0;
  const float* x = nullptr;  // rows x challenger.n_features(), row-major
  // The challenger's predictions; empty when `status` is not OK (it failed on these rows).
  const std::vector<float>& predictions;
  // kShadow: the champion's predictions of the same rows (what was returned); else null.
  const std::vector<float>* champion_predictions = nullptr;
  Status status;
  uint64_t latency_ns = 0;  // kShadow: the challenger's prediction alone; kSplit: the request
};
// Called on the request's thread after its response is ready; must be thread-safe and quick.
using ChallengerObserver = std::function<void(const ChallengerPrediction&)>;

}  // namespace mlloop::serve
