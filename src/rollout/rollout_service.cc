#include "rollout/rollout_service.h"

#include <future>
#include <nlohmann/json.hpp>

#include "core/time.h"
#include "rollout/validation_predictions.h"
#include "serve/served_model.h"

namespace mlloop::rollout {
namespace {

using nlohmann::json;

json VersionJson(const std::optional<registry::ModelVersion>& v) {
  if (!v) return nullptr;
  return {{"version", v->version}, {"state", std::string(registry::VersionStateName(v->state))}};
}

json StatusJson(const RolloutStatus& s) {
  json guards = json::array();
  for (const GuardReading& g : s.guards) {
    guards.push_back({{"name", g.name},
                      {"value", g.value},
                      {"threshold", g.threshold},
                      {"fired", g.fired},
                      {"note", g.note}});
  }
  return {{"model", s.model},
          {"phase", std::string(PhaseName(s.phase))},
          {"strategy", std::string(config::RolloutStrategyName(s.strategy))},
          {"challenger", VersionJson(s.challenger)},
          {"champion", VersionJson(s.champion)},
          {"step", s.step},
          {"steps", s.steps},
          {"weight", s.weight},
          {"phase_started", s.phase == Phase::kIdle ? json(nullptr)
                                                    : json(core::FormatTimestamp(s.phase_started))},
          {"challenger_requests", s.challenger_requests},
          {"champion_requests", s.champion_requests},
          {"guards", guards}};
}

void SetJsonError(int status, const std::string& message, serve::HttpResponse* response) {
  response->status = status;
  response->body = json{{"error", message}, {"request_id", response->request_id}}.dump();
}

std::string_view PathOf(std::string_view target) {
  return target.substr(0, target.find('?'));
}

// What an admin request produced on the service's thread, read by the waiting server thread
// only once `done` is set (the request itself may be gone by the time a late task runs).
struct Answer {
  int status = 200;
  std::string body;  // 200: the JSON body; otherwise the error message
  bool done = false;
};

}  // namespace

RolloutService::RolloutService(std::unique_ptr<registry::Registry> registry,
                               serve::ModelSlot* slot, serve::ServerMetrics* metrics,
                               const core::Clock* clock, Options options)
    : registry_(std::move(registry)),
      slot_(slot),
      metrics_(metrics),
      clock_(clock),
      options_(std::move(options)),
      controller_(
          registry_.get(), clock_, slot_,
          [this, metrics](const registry::ModelVersion& v) {
            return serve::ServedModel::LoadVersion(*registry_, v, *metrics);
          },
          options_.controller),
      thread_([this] { Run(); }) {
  // Before the first tick: the families exist from the start (the thread reads nothing of
  // this; metrics_ is thread-safe).
  serve::PrometheusText t;
  t.Family("mlloop_rollout_phase", "gauge", "1 for the phase the rollout is in (idle, rolling, watching).");
  for (Phase p : {Phase::kIdle, Phase::kRolling, Phase::kWatching}) {
    t.Sample("mlloop_rollout_phase", {{"model", slot_->name()}, {"phase", PhaseName(p)}},
             p == Phase::kIdle ? 1 : 0);
  }
  metrics_->SetExternal("rollout", t.Take());
}

RolloutService::~RolloutService() {
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  wake_.notify_all();
  thread_.join();
}

void RolloutService::Run() {
  auto next_tick = std::chrono::steady_clock::now() + options_.interval;
  std::unique_lock lock(mu_);
  while (!stop_) {
    wake_.wait_until(lock, next_tick, [this] { return stop_ || !inbox_.empty(); });
    if (stop_) break;
    std::deque<std::function<void()>> tasks;
    tasks.swap(inbox_);
    lock.unlock();
    for (auto& task : tasks) task();
    if (std::chrono::steady_clock::now() >= next_tick) {
      Step();
      next_tick = std::chrono::steady_clock::now() + options_.interval;
    }
    lock.lock();
  }
}

void RolloutService::Step() {
  Result<TickResult> result = controller_.Tick();
  Report(result);
  const RolloutStatus status = controller_.status();
  if (result.ok() && result->action == Action::kStarted && status.challenger &&
      references_.count(status.challenger->version) == 0) {
    // A version the loop did not hand over (approved by a person, trained elsewhere): its
    // validation rows come from its lineage's data file, when it names one.
    std::shared_ptr<const serve::TrafficRoute> route = slot_->route();
    if (route && route->challenger) {
      auto predictions = ValidationPredictions(*status.challenger, *route->challenger);
      if (predictions.ok()) {
        references_.insert(status.challenger->version);
        controller_.SetValidationPredictions(status.challenger->version, *predictions);
      } else {
        options_.report("warning", "v" + std::to_string(status.challenger->version) +
                        " has no prediction-drift reference, that guard is off: " +
                        predictions.status().message());
      }
    }
  }
  if (status.phase == Phase::kIdle) options_.when_idle();
}

void RolloutService::PublishMetrics() {
  const RolloutStatus status = controller_.status();
  const std::string& model = slot_->name();
  serve::PrometheusText t;
  t.Family("mlloop_rollout_phase", "gauge", "1 for the phase the rollout is in (idle, rolling, watching).");
  for (Phase p : {Phase::kIdle, Phase::kRolling, Phase::kWatching}) {
    t.Sample("mlloop_rollout_phase", {{"model", model}, {"phase", PhaseName(p)}},
             status.phase == p ? 1 : 0);
  }
  t.Family("mlloop_rollout_step", "gauge", "The rollout's step (1-based) while rolling, else 0.");
  t.Sample("mlloop_rollout_step", {{"model", model}}, static_cast<double>(status.step));
  t.Family("mlloop_rollout_guard_value", "gauge", "Each guard's value at the last judgement.");
  for (const GuardReading& g : status.guards) {
    t.Sample("mlloop_rollout_guard_value", {{"model", model}, {"guard", g.name}}, g.value);
  }
  t.Family("mlloop_rollout_guard_threshold", "gauge", "Each guard's limit.");
  for (const GuardReading& g : status.guards) {
    t.Sample("mlloop_rollout_guard_threshold", {{"model", model}, {"guard", g.name}}, g.threshold);
  }
  t.Family("mlloop_rollout_guard_fired", "gauge", "1 when the guard fired at the last judgement.");
  for (const GuardReading& g : status.guards) {
    t.Sample("mlloop_rollout_guard_fired", {{"model", model}, {"guard", g.name}}, g.fired ? 1 : 0);
  }
  t.Family("mlloop_rollout_actions_total", "counter", "Rollout steps taken, by action.");
  for (size_t a = 1; a < actions_.size(); ++a) {
    t.Sample("mlloop_rollout_actions_total",
             {{"model", model}, {"action", ActionName(static_cast<Action>(a))}},
             static_cast<double>(actions_[a]));
  }
  metrics_->SetExternal("rollout", t.Take());
}

void RolloutService::Report(const Result<TickResult>& result) {
  if (result.ok()) ++actions_[static_cast<size_t>(result->action)];
  PublishMetrics();
  if (!result.ok()) {
    const std::string message = result.status().ToString();
    if (message != last_error_) {
      options_.report("error", message);
      last_error_ = message;
    }
    return;
  }
  last_error_.clear();
  if (result->action != Action::kNone) {
    options_.report(ActionName(result->action), result->reason);
  }
}

void RolloutService::SetValidationPredictions(int64_t version, std::vector<float> predictions) {
  {
    std::lock_guard lock(mu_);
    inbox_.push_back([this, version, predictions = std::move(predictions)] {
      references_.insert(version);
      controller_.SetValidationPredictions(version, predictions);
    });
  }
  wake_.notify_all();
}

bool RolloutService::Call(std::function<void()> task, std::chrono::milliseconds timeout) {
  auto finished = std::make_shared<std::promise<void>>();
  std::future<void> future = finished->get_future();
  {
    std::lock_guard lock(mu_);
    inbox_.push_back([task = std::move(task), finished] {
      task();
      finished->set_value();
    });
  }
  wake_.notify_all();
  return future.wait_for(timeout) == std::future_status::ready;
}

bool RolloutService::HandleAdmin(const serve::HttpRequest& request,
                                 serve::HttpResponse* response) {
  // Every request passes here first: one comparison for all but admin requests.
  constexpr std::string_view kAdmin = "/v1/admin/";
  if (request.target.substr(0, kAdmin.size()) != kAdmin) return false;
  std::string_view path = PathOf(request.target);
  const std::string prefix = "/v1/admin/models/" + slot_->name() + "/rollout";
  if (path.substr(0, prefix.size()) != prefix) return false;
  std::string_view action = path.substr(prefix.size());
  if (action != "" && action != ":promote" && action != ":abort") return false;
  Admin(request.method, action, request, response);
  return true;
}

void RolloutService::Admin(std::string_view method, std::string_view action,
                           const serve::HttpRequest& request, serve::HttpResponse* response) {
  const bool status_only = action.empty();
  if (status_only ? method != "GET" : method != "POST") {
    return SetJsonError(405, std::string("use ") + (status_only ? "GET" : "POST") + " for " +
                                 std::string(PathOf(request.target)),
                        response);
  }
  auto answer = std::make_shared<Answer>();
  std::function<void()> task;
  if (status_only) {
    task = [this, answer] {
      answer->body = StatusJson(controller_.status()).dump();
      answer->done = true;
    };
  } else {
    std::string_view authorization = request.Header("Authorization");
    constexpr std::string_view kBearer = "Bearer ";
    if (authorization.substr(0, kBearer.size()) != kBearer) {
      return SetJsonError(403,
                          "an admin request needs 'Authorization: Bearer <token>' (mlloop "
                          "tokens create NAME --role approver|operator)",
                          response);
    }
    std::string reason;
    if (!request.body.empty()) {
      json body = json::parse(request.body, nullptr, /*allow_exceptions=*/false);
      if (body.is_discarded() || !body.is_object()) {
        return SetJsonError(400, "the body must be a JSON object such as {\"reason\": \"...\"}",
                            response);
      }
      if (body.contains("reason")) {
        if (!body["reason"].is_string()) {
          return SetJsonError(400, "reason: expected a string", response);
        }
        reason = body["reason"].get<std::string>();
      }
    }
    const bool promote = action == ":promote";
    registry::Credentials credentials;
    credentials.token = std::string(authorization.substr(kBearer.size()));
    task = [this, answer, promote, reason, credentials] {
      const std::string what = std::string(promote ? "rollout promote " : "rollout abort ") +
                               slot_->name();
      auto who = registry_->Authorize(
          credentials,
          promote ? registry::Permission::kApprove : registry::Permission::kRollback, what,
          clock_->Now());
      if (!who.ok()) {
        answer->status = 403;
        answer->body = who.status().message();
        answer->done = true;
        return;
      }
      Result<TickResult> result = promote ? controller_.Promote(who->name, reason)
                                          : controller_.Abort(who->name, reason);
      Report(result);
      if (!result.ok()) {
        answer->status = result.status().code() == StatusCode::kFailedPrecondition ? 409 : 500;
        answer->body = result.status().message();
      } else {
        answer->body =
            json{{"action", std::string(ActionName(result->action))},
                 {"reason", result->reason},
                 {"decision_id", result->decision_id ? json(*result->decision_id) : json(nullptr)},
                 {"status", StatusJson(controller_.status())}}
                .dump();
      }
      answer->done = true;
    };
  }
  if (!Call(std::move(task), std::chrono::seconds(10)) || !answer->done) {
    return SetJsonError(503, "the rollout controller did not answer within 10 s", response);
  }
  if (answer->status != 200) return SetJsonError(answer->status, answer->body, response);
  response->body = std::move(answer->body);
}

}  // namespace mlloop::rollout
