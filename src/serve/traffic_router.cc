#include "serve/traffic_router.h"

#include <chrono>
#include <cmath>
#include <thread>
#include <vector>

#include "core/hash.h"
#include "core/random.h"

namespace mlloop::serve {

namespace {

bool SameFeatures(const ServedModel& a, const ServedModel& b) {
  if (a.n_features() != b.n_features()) return false;
  for (size_t i = 0; i < a.n_features(); ++i) {
    const auto& x = a.features()[i];
    const auto& y = b.features()[i];
    if (x.name != y.name || x.type != y.type || x.categories != y.categories) return false;
  }
  return true;
}

}  // namespace

std::string_view ChallengerModeName(ChallengerMode mode) {
  return mode == ChallengerMode::kShadow ? "shadow" : "split";
}

std::string StickyKey::Describe() const {
  switch (source) {
    case Source::kNone: return "none";
    case Source::kHeader: return "header " + name;
    case Source::kField: return "field " + name;
  }
  return "none";
}

std::shared_ptr<const TrafficRoute> TrafficRoute::ChampionOnly(
    std::shared_ptr<const ServedModel> champion) {
  MLLOOP_CHECK(champion != nullptr, "a route needs a champion");
  auto route = std::make_shared<TrafficRoute>();
  route->champion = std::move(champion);
  return route;
}

Result<std::shared_ptr<const TrafficRoute>> TrafficRoute::Make(
    std::shared_ptr<const ServedModel> champion, std::shared_ptr<const ServedModel> challenger,
    ChallengerMode mode, double challenger_weight, StickyKey sticky) {
  if (champion == nullptr) return Status::InvalidArgument("traffic route: no champion");
  const std::string what = "traffic route of " + champion->name();
  if (challenger == nullptr) return Status::InvalidArgument(what + ": no challenger");
  if (challenger->name() != champion->name()) {
    return Status::InvalidArgument(what + ": the challenger serves another model (" +
                                   challenger->name() + ")");
  }
  if (challenger->version() == champion->version()) {
    return Status::InvalidArgument(what + ": champion and challenger are the same version (v" +
                                   champion->version_text() + ")");
  }
  if (!(challenger_weight >= 0 && challenger_weight <= 1)) {
    return Status::InvalidArgument(what + ": challenger weight " +
                                   std::to_string(challenger_weight) + " (expected 0 to 1)");
  }
  if (sticky.enabled() && sticky.name.empty()) {
    return Status::InvalidArgument(what + ": a sticky key needs a header or field name");
  }
  auto route = std::make_shared<TrafficRoute>();
  route->champion = std::move(champion);
  route->challenger = std::move(challenger);
  route->mode = mode;
  route->challenger_weight = mode == ChallengerMode::kSplit ? challenger_weight : 0;
  route->sticky = std::move(sticky);
  route->all_to_challenger = mode == ChallengerMode::kSplit && challenger_weight >= 1;
  // weight * 2^64, exact for the weights people write (0.05 rounds once, to 53 bits).
  route->threshold = route->all_to_challenger
                         ? UINT64_MAX
                         : static_cast<uint64_t>(std::ldexp(route->challenger_weight, 64));
  route->salt = static_cast<uint64_t>(route->challenger->version());
  route->same_features = SameFeatures(*route->champion, *route->challenger);
  return std::shared_ptr<const TrafficRoute>(std::move(route));
}

uint64_t StickyDraw(std::string_view key, uint64_t salt) {
  uint64_t state = core::Fnv1a64(key) ^ salt;
  return core::SplitMix64(state);
}

namespace {

uint64_t RandomDraw() {
  // One generator per thread, seeded apart: no shared state on the request path.
  thread_local uint64_t state =
      static_cast<uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count()) ^
      std::hash<std::thread::id>{}(std::this_thread::get_id());
  return core::SplitMix64(state);
}

}  // namespace

RouteChoice Choose(const TrafficRoute& route, std::optional<std::string_view> key) {
  RouteChoice choice{route.champion.get(), nullptr};
  if (route.challenger == nullptr) return choice;
  if (route.mode == ChallengerMode::kShadow) {
    choice.shadow = route.challenger.get();
    return choice;
  }
  if (route.all_to_challenger) {
    choice.answer = route.challenger.get();
    return choice;
  }
  if (route.threshold == 0) return choice;
  const uint64_t draw = key ? StickyDraw(*key, route.salt) : RandomDraw();
  if (draw < route.threshold) choice.answer = route.challenger.get();
  return choice;
}

namespace {
std::atomic<uint64_t> next_slot_id{1};

// A thread's routes, one entry per slot it predicted with (a server has a few slots).
struct LocalRouteEntry {
  uint64_t slot_id = 0;
  uint64_t published = 0;
  std::shared_ptr<const TrafficRoute> route;
};
thread_local std::vector<LocalRouteEntry> local_routes;
}  // namespace

ModelSlot::ModelSlot(std::string name)
    : name_(std::move(name)), id_(next_slot_id.fetch_add(1, std::memory_order_relaxed)) {}

const std::shared_ptr<const TrafficRoute>& ModelSlot::LocalRoute() const {
  LocalRouteEntry* entry = nullptr;
  for (LocalRouteEntry& e : local_routes) {
    if (e.slot_id == id_) {
      entry = &e;
      break;
    }
  }
  if (entry == nullptr) {
    // A thread keeps the routes of a few slots (a server has one or two): the oldest goes,
    // so that routes of slots long destroyed are not kept alive by a thread that outlives
    // them (a test's main thread, say).
    constexpr size_t kKept = 8;
    if (local_routes.size() >= kKept) local_routes.erase(local_routes.begin());
    entry = &local_routes.emplace_back(LocalRouteEntry{id_, 0, nullptr});
  }
  // The cached route is current when no publish has begun since it was taken: the count is
  // even (none in progress) and unchanged. Acquire pairs with Publish's increments.
  const uint64_t published = published_.load(std::memory_order_acquire);
  if (published % 2 != 0 || entry->published != published || entry->route == nullptr) {
    entry->route = live_.load(std::memory_order_acquire);
    // Kept as current only if no publish began while it was loaded; otherwise the next call
    // loads again (a cached count is even, so 1 never matches).
    const bool settled =
        published % 2 == 0 && published_.load(std::memory_order_acquire) == published;
    entry->published = settled ? published : 1;
  }
  return entry->route;
}

std::shared_ptr<const TrafficRoute> ModelSlot::Publish(std::shared_ptr<const TrafficRoute> route) {
  std::lock_guard lock(publish_mu_);
  // Odd first: whoever sees the new route (an acquire of the exchange below, which releases
  // this increment) sees a count that is odd or newer, so LocalRoute loads the route again.
  published_.fetch_add(1, std::memory_order_relaxed);
  auto previous = live_.exchange(std::move(route), std::memory_order_acq_rel);
  published_.fetch_add(1, std::memory_order_release);
  return previous;
}

std::shared_ptr<const ServedModel> ModelSlot::Swap(std::shared_ptr<const ServedModel> model) {
  MLLOOP_CHECK(model == nullptr || model->name() == name_, "a slot serves one model name");
  auto route = model ? TrafficRoute::ChampionOnly(std::move(model)) : nullptr;
  auto previous = Publish(std::move(route));
  swaps_.fetch_add(1, std::memory_order_relaxed);
  return previous ? previous->champion : nullptr;
}

void ModelSlot::SetRoute(std::shared_ptr<const TrafficRoute> route) {
  MLLOOP_CHECK(route != nullptr && route->champion != nullptr && route->champion->name() == name_,
               "a slot serves one model name");
  const ServedModel* champion = route->champion.get();
  auto previous = Publish(std::move(route));
  if (previous == nullptr || previous->champion.get() != champion) {
    swaps_.fetch_add(1, std::memory_order_relaxed);
  }
}

}  // namespace mlloop::serve
