// `mlloop serve`: the champion of one model behind HTTP (src/serve/), every prediction and
// label in the inference log, the controller ticking beside it on the wall clock
// (loop/live_loop.h), and the rollout controller (rollout/rollout_service.h) deploying what
// the controller approves through the config's `rollout` steps and rolling it back on an
// alarm; the registry's champion is followed when it changes elsewhere. SIGTERM or SIGINT
// drain the server and flush the log.
//
// Threads: the server's; the event thread (the log's events to the controller and to the
// rollout's online metric, and the controller's ticks); the rollout service's; the log's
// writer. Each thread that touches the registry has its own connection.
#include <pthread.h>
#include <signal.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>
#include <thread>

#include "cli/commands.h"
#include "config/model_config.h"
#include "core/clock.h"
#include "core/time.h"
#include "loop/live_loop.h"
#include "loop/loop_metrics.h"
#include "registry/registry.h"
#include "rollout/rollout_service.h"
#include "serve/http_server.h"
#include "serve/inference_log.h"
#include "serve/prediction_service.h"
#include "serve/served_model.h"

namespace mlloop::cli {
namespace {

// The model to serve: `requested`, or the store's only model.
Result<std::string> ModelToServe(registry::Registry& registry, const std::string& requested) {
  if (!requested.empty()) return requested;
  MLLOOP_ASSIGN_OR_RETURN(auto models, registry.ListModels());
  if (models.size() == 1) return models[0];
  std::string names;
  for (const auto& m : models) names += (names.empty() ? "" : ", ") + m;
  return Status::InvalidArgument("--model: the store holds " + std::to_string(models.size()) +
                                 " models (" + (names.empty() ? "none" : names) +
                                 "); name the one to serve");
}

// Runs `body` every `interval` on a thread of its own until destroyed; the destructor waits
// for a body that is running.
class Periodic {
 public:
  Periodic(std::chrono::milliseconds interval, std::function<void()> body)
      : interval_(interval), body_(std::move(body)), thread_([this] { Run(); }) {}
  ~Periodic() {
    {
      std::lock_guard lock(mu_);
      stop_ = true;
    }
    wake_.notify_all();
    thread_.join();
  }

 private:
  void Run() {
    std::unique_lock lock(mu_);
    while (!wake_.wait_for(lock, interval_, [this] { return stop_; })) {
      lock.unlock();
      body_();
      lock.lock();
    }
  }

  const std::chrono::milliseconds interval_;
  const std::function<void()> body_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  std::thread thread_;
};

// What `mlloop serve` says about itself, one event per line: for people ("mlloop serve:
// MESSAGE"), or with --log-format json one JSON object per line for a log pipeline:
// {"time": ISO 8601 with milliseconds, "level": "info" | "warn", "event": NAME,
//  "message": the line people read, and the event's own fields}.
// Thread-safety: Info() and Warn() from any thread; lines never interleave.
class ServeLog {
 public:
  using Fields = nlohmann::ordered_json;
  ServeLog(std::ostream& out, bool json) : out_(out), json_(json) {}

  void Info(std::string_view event, const std::string& message, Fields fields = Fields::object()) {
    Write("info", event, message, std::move(fields));
  }
  void Warn(std::string_view event, const std::string& message, Fields fields = Fields::object()) {
    Write("warn", event, message, std::move(fields));
  }
  // Text mode only: lines printed as they are (the start banner's endpoint list).
  void Text(const std::string& lines) {
    if (json_) return;
    std::lock_guard lock(mu_);
    out_ << lines << std::flush;
  }

 private:
  void Write(std::string_view level, std::string_view event, const std::string& message,
             Fields fields) {
    std::lock_guard lock(mu_);
    if (!json_) {
      out_ << "mlloop serve: " << message << std::endl;
      return;
    }
    const auto now = std::chrono::system_clock::now().time_since_epoch();
    const int64_t ms = std::chrono::duration_cast<std::chrono::milliseconds>(now).count();
    std::string time = core::FormatTimestamp(ms / 1000);  // "...:SSZ"
    char millis[8];
    std::snprintf(millis, sizeof(millis), ".%03d", static_cast<int>(ms % 1000));
    time.insert(time.size() - 1, millis);
    Fields line = {{"time", time}, {"level", level}, {"event", event}, {"message", message}};
    for (auto& [key, value] : fields.items()) line[key] = value;
    out_ << line.dump() << std::endl;
  }

  std::ostream& out_;
  const bool json_;
  std::mutex mu_;
};

// Publishes the registry's champion into `slot` when it is not the live version; a version
// that fails to load keeps the live one serving and is reported once.
// Thread-safety: one thread calls Check().
class ChampionLoader {
 public:
  // `registry` is the calling thread's own connection.
  ChampionLoader(registry::Registry& registry, serve::ModelSlot& slot,
                 serve::ServerMetrics& metrics, ServeLog& log)
      : registry_(registry), slot_(slot), metrics_(metrics), log_(log) {}

  void Check() {
    auto champion = registry_.Champion(slot_.name());
    if (!champion.ok() || !*champion) return;
    auto live = slot_.Get();
    const int64_t version = (*champion)->version;
    if ((live && live->version() == version) || version == failed_version_) return;
    auto loaded = serve::ServedModel::LoadChampion(registry_, slot_.name(), metrics_);
    if (!loaded.ok()) {
      failed_version_ = version;
      log_.Warn("load_failed",
                "keeping v" + (live ? live->version_text() : std::string("?")) + ": " +
                    loaded.status().message(),
                {{"model", slot_.name()}, {"version", version}});
      return;
    }
    slot_.Swap(*loaded);
    log_.Info("serving", "now serving " + slot_.name() + " v" + (*loaded)->version_text(),
              {{"model", slot_.name()}, {"version", version}});
  }

 private:
  registry::Registry& registry_;
  serve::ModelSlot& slot_;
  serve::ServerMetrics& metrics_;
  ServeLog& log_;
  int64_t failed_version_ = 0;
};

// The config the log reads labels by and the loop runs: --config, or the one recorded in the
// champion's lineage. nullopt (with *why) when there is none.
Result<std::optional<config::ModelConfig>> ServedConfig(const ServeArgs& args,
                                                        registry::Registry& registry,
                                                        const std::string& name,
                                                        size_t n_features, std::string* why) {
  std::optional<config::ModelConfig> config;
  if (!args.config.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(config, config::LoadModelConfig(args.config));
    if (config->name != name) {
      return Status::InvalidArgument("--config " + args.config + " is for model '" +
                                     config->name + "', not the served '" + name + "'");
    }
  } else {
    MLLOOP_ASSIGN_OR_RETURN(auto champion, registry.Champion(name));
    if (!champion || champion->lineage.config_text.empty()) {
      *why = "the champion records no config; pass --config FILE";
      return config;
    }
    auto parsed = config::ParseModelConfig(champion->lineage.config_text, name + ".yaml");
    if (!parsed.ok()) {
      *why = "the champion's recorded config does not parse: " + parsed.status().message();
      return config;
    }
    config = std::move(parsed).value();
  }
  if (config->schema.features.size() != n_features) {
    return Status::InvalidArgument("the config of " + name + " names " +
                                   std::to_string(config->schema.features.size()) +
                                   " features, the champion takes " + std::to_string(n_features));
  }
  return config;
}

// Every 10 ms hands the inference log's events to the live loop (if any) and the labels to
// the rollout's online metric (if any), ticks the loop when due, and follows a champion the
// rollout made. Without a rollout, it swaps a champion the loop promoted into the slot at
// once (the reloader would find it, later); with one, it hands each version the loop
// approved its validation predictions, and the rollout deploys it.
class EventThread {
 public:
  EventThread(loop::LiveLoop* live, rollout::RolloutService* rollout, serve::InferenceLog& log,
              std::unique_ptr<registry::Registry> registry, serve::ModelSlot& slot,
              serve::ServerMetrics& metrics, ServeLog& out)
      : live_(live), rollout_(rollout), log_(log), registry_(std::move(registry)),
        loader_(*registry_, slot, metrics, out), metrics_(metrics), loop_metrics_(slot.name()),
        out_(out), periodic_(kStep, [this] { Step(); }) {
    if (live_) metrics_.SetExternal("loop", loop_metrics_.Render());
  }

  // The log's events, in order, to `live` (before Start(): the replay that rebuilds its data)
  // and to `rollout` (may be null).
  static void Feed(const serve::LogEvents& events, loop::LiveLoop* live,
                   rollout::RolloutService* rollout) {
    for (size_t i = 0; i < events.events.size(); ++i) {
      const serve::LogEvents::Event& e = events.events[i];
      const float* x = events.x.data() + i * events.width;
      const auto id = static_cast<int64_t>(e.row_id);
      if (e.kind == serve::LogEvents::Kind::kPrediction) {
        if (live) live->AddPrediction(id, x, e.prediction, e.version);
        continue;
      }
      if (live) live->AddLabel(id, x, e.label, e.time_ms / 1000);
      if (rollout) {
        rollout->RecordOutcome(e.version, e.prediction, e.label, x);
        // A row a shadow challenger also predicted scores the shadow too.
        if (e.shadow_version != 0) rollout->RecordOutcome(e.shadow_version, e.shadow_prediction, e.label);
      }
    }
  }

 private:
  void Step() {
    log_.TakeEvents(&events_);
    Feed(events_, live_, rollout_);
    if (live_ == nullptr) return;
    // The rollout's promotions and rollbacks reach the loop's monitor within a second.
    if (++steps_ % (std::chrono::milliseconds(1000) / kStep) == 0) {
      auto followed = live_->FollowChampion();
      if (followed.ok() && *followed) ReportFollowed(**followed);
    }
    auto outcome = live_->TickIfDue();
    if (!outcome.ok()) {
      out_.Warn("tick_failed",
                "tick failed, the champion keeps serving: " + outcome.status().ToString(),
                {{"error", outcome.status().ToString()}});
    } else if (*outcome) {
      loop_metrics_.Count(**outcome);
      metrics_.SetExternal("loop", loop_metrics_.Render());
      Report(**outcome);
    }
  }

  void ReportFollowed(const registry::ModelVersion& champion) {
    out_.Info("followed",
              "the controller now judges " + champion.model + " v" +
                  std::to_string(champion.version) + ", the registry's champion",
              {{"model", champion.model}, {"version", champion.version}});
  }

  void Report(const loop::TickOutcome& outcome) {
    if (outcome.followed_champion) ReportFollowed(*outcome.followed_champion);
    const bool promoted = (outcome.retrain && outcome.retrain->promoted) ||
                          outcome.promoted_approved.has_value();
    if (outcome.decision.action != policy::Action::kNone || promoted) {
      const std::string_view action = policy::ActionName(outcome.decision.action);
      std::string line = "tick at " + core::FormatTimestamp(outcome.decision.time) + ": " +
                         std::string(action) + " (" + outcome.decision.reason + ")";
      ServeLog::Fields fields = {{"decision_id", outcome.decision_id},
                                 {"action", action},
                                 {"reason", outcome.decision.reason}};
      if (outcome.retrain) {
        const loop::RetrainOutcome& r = *outcome.retrain;
        line += "; v" + std::to_string(r.version) +
                (r.promoted            ? " promoted"
                 : r.handed_off        ? " approved, handed to the rollout"
                 : r.awaiting_approval ? " awaits approval"
                                       : " rejected by validation (mlloop models show " +
                                             std::to_string(r.version) + ")");
        fields["version"] = r.version;
        fields["outcome"] = r.Verdict();
        fields["validation"] = r.validation;
      }
      out_.Info("decision", line, std::move(fields));
    }
    if (outcome.retrain && outcome.retrain->handed_off && rollout_) {
      // What it predicted on the rows that validated it: the drift guard's reference.
      rollout_->SetValidationPredictions(outcome.retrain->version, outcome.retrain->holdout_scores);
    }
    if (promoted && rollout_ == nullptr) loader_.Check();
  }

  // Often enough that the monitor's share of the work comes in small slices (a few hundred
  // events at 45,000 requests/s) rather than bursts that take a core from the request
  // threads; the log indexes every 5 ms.
  static constexpr std::chrono::milliseconds kStep{10};

  loop::LiveLoop* live_;
  rollout::RolloutService* rollout_;
  serve::InferenceLog& log_;
  std::unique_ptr<registry::Registry> registry_;  // this thread's connection
  ChampionLoader loader_;
  serve::ServerMetrics& metrics_;
  loop::LoopMetrics loop_metrics_;
  ServeLog& out_;
  serve::LogEvents events_;
  uint64_t steps_ = 0;
  Periodic periodic_;  // last: it starts calling Step() at once
};

}  // namespace

Status RunServe(const ServeArgs& args, std::ostream& out) {
  ServeLog slog(out, args.log_format == "json");
  MLLOOP_ASSIGN_OR_RETURN(auto registry, registry::Registry::Open(args.store));
  MLLOOP_ASSIGN_OR_RETURN(std::string name, ModelToServe(*registry, args.model));

  serve::PredictionService::Options service_options;
  service_options.max_rows = args.max_rows;
  serve::PredictionService service(service_options);
  serve::ModelSlot& slot = service.AddModel(name);
  MLLOOP_ASSIGN_OR_RETURN(auto champion,
                          serve::ServedModel::LoadChampion(*registry, name, service.metrics()));
  slot.Swap(champion);

  // The inference log, and the controller fed from it.
  const core::RealClock clock;
  std::unique_ptr<serve::InferenceLog> log;
  std::unique_ptr<loop::LiveLoop> live;
  std::optional<config::ModelConfig> served_config;
  // Events about the log, reported after the address, which comes first: (event, line).
  std::vector<std::pair<std::string, std::string>> log_lines;
  std::string loop_off = !args.log ? "--no-log" : !args.loop ? "--no-loop" : "";
  if (args.log) {
    std::string no_config;
    MLLOOP_ASSIGN_OR_RETURN(auto config, ServedConfig(args, *registry, name,
                                                      champion->n_features(), &no_config));
    served_config = config;
    core::LabelSpec label;
    label.task = champion->task();
    if (config) label = config->schema.label;
    const std::string dir = std::filesystem::absolute(
        args.log_dir.empty() ? args.store + "/inference/" + name : args.log_dir).lexically_normal();
    if (args.loop && !config) loop_off = no_config;
    if (loop_off.empty()) {
      MLLOOP_ASSIGN_OR_RETURN(auto loop_registry, registry::Registry::Open(args.store));
      loop::LiveLoop::Options loop_options;
      loop_options.data_source = dir;
      loop_options.join_window_rows = static_cast<int64_t>(serve::InferenceLog::Options().join_window_rows);
      loop_options.tick = std::chrono::milliseconds(static_cast<int64_t>(args.tick_seconds * 1000));
      loop_options.hand_off = args.rollout;
      live = std::make_unique<loop::LiveLoop>(*config, loop_options, std::move(loop_registry),
                                              &clock);
    }
    serve::InferenceLog::Options log_options;
    log_options.width = champion->n_features();
    log_options.flush_interval = std::chrono::milliseconds(args.log_flush_ms);
    log_options.queue_events = live != nullptr || args.rollout;
    auto replay = [&live](const serve::LogEvents& events) {
      // Before the rollout starts: labels of past runs are not its online metric.
      if (live) EventThread::Feed(events, live.get(), nullptr);
    };
    MLLOOP_ASSIGN_OR_RETURN(log, serve::InferenceLog::Open(dir, log_options, replay));
    const auto& report = log->replay_report();
    if (!report.torn_message.empty()) log_lines.push_back({"log_torn", report.torn_message});
    log_lines.push_back({"log", "inference log " + dir + " (" + std::to_string(report.predictions) +
                                    " predicted rows and " + std::to_string(report.labels) +
                                    " labels before this start)"});
    service.AttachLog(slot, log.get(), label);
    if (live) {
      Status started = live->Start();
      if (!started.ok()) {
        loop_off = started.ToString();
        live.reset();
        if (!args.rollout) log->StopEvents();
      }
    }
  }

  // The rollout controller, on a thread of its own; its admin API goes in front of the
  // prediction service.
  std::unique_ptr<registry::Registry> idle_registry;  // the rollout thread's, for the loader
  std::unique_ptr<ChampionLoader> idle_loader;
  std::unique_ptr<rollout::RolloutService> rollout;  // after what its thread uses
  if (args.rollout) {
    MLLOOP_ASSIGN_OR_RETURN(auto rollout_registry, registry::Registry::Open(args.store));
    rollout::RolloutService::Options rollout_options;
    rollout_options.interval =
        std::chrono::milliseconds(static_cast<int64_t>(args.rollout_seconds * 1000));
    if (served_config) rollout_options.controller.default_config = served_config->rollout;
    rollout_options.report = [&slog](std::string_view action, const std::string& reason) {
      ServeLog::Fields fields = {{"action", action}, {"reason", reason}};
      if (action == "error") {
        slog.Warn("rollout", "rollout: " + reason + " (the champion keeps serving)", fields);
      } else if (action == "warning") {
        slog.Warn("rollout", "rollout: " + reason, fields);
      } else {
        slog.Info("rollout", "rollout: " + std::string(action) + ": " + reason, fields);
      }
    };
    if (args.reload_seconds > 0) {
      // Between rollouts the rollout thread follows a champion made elsewhere (`mlloop
      // rollback`, another replica), as the reloader does without a rollout.
      MLLOOP_ASSIGN_OR_RETURN(idle_registry, registry::Registry::Open(args.store));
      idle_loader = std::make_unique<ChampionLoader>(*idle_registry, slot, service.metrics(), slog);
      rollout_options.when_idle = [loader = idle_loader.get()] { loader->Check(); };
    }
    rollout = std::make_unique<rollout::RolloutService>(std::move(rollout_registry), &slot,
                                                        &service.metrics(), &clock,
                                                        std::move(rollout_options));
    service.AddChallengerObserver(rollout->Observer());
  }

  // SIGTERM and SIGINT are taken by sigwait below, never by a handler: block them before the
  // server's threads start, so that every thread inherits the mask.
  sigset_t signals, previous;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  pthread_sigmask(SIG_BLOCK, &signals, &previous);

  serve::HttpServer::Options options;
  options.host = args.host;
  options.port = args.port;
  options.threads = args.threads;
  options.max_body_bytes = args.max_body_bytes;
  auto millis = [](double seconds) {
    return std::chrono::milliseconds(std::max<int64_t>(1, std::llround(seconds * 1000)));
  };
  options.idle_timeout = millis(args.idle_timeout_seconds);
  options.write_timeout = millis(args.write_timeout_seconds);
  auto server = serve::HttpServer::Start(
      options,
      [&service, &rollout](const serve::HttpRequest& request, serve::HttpResponse* response) {
        if (rollout && rollout->HandleAdmin(request, response)) return;
        service.Handle(request, response);
      });
  if (!server.ok()) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return server.status();
  }
  const std::string base = "http://" + args.host + ":" + std::to_string((*server)->port());
  std::string endpoints = "  POST " + base + "/v1/models/" + name + ":predict   (KServe v1)\n" +
                          "  POST " + base + "/v2/models/" + name +
                          "/infer     (Open Inference Protocol v2)\n" + "  POST " + base +
                          "/v1/models/" + name + "/feedback (labels by request id)\n" +
                          "  GET  " + base + "/metrics, /healthz, /readyz\n";
  if (rollout) {
    endpoints += "  GET  " + base + "/v1/admin/models/" + name +
                 "/rollout   (POST .../rollout:promote, .../rollout:abort)\n";
  }
  slog.Info("start",
            name + " v" + champion->version_text() + " (" +
                (champion->uses_flat_forest() ? "flat forest" : "XGBoost") + ", " +
                std::to_string(champion->n_features()) + " features) on " + base,
            {{"model", name},
             {"version", champion->version()},
             {"address", base},
             {"predictor", champion->uses_flat_forest() ? "flat forest" : "XGBoost"}});
  slog.Text(endpoints);
  for (const auto& [event, line] : log_lines) slog.Info(event, line);
  if (live) {
    const int64_t ms = live->tick().count();
    slog.Info("controller",
              "the controller ticks every " +
                  (ms % 1000 ? std::to_string(ms) + " ms" : core::FormatDuration(ms / 1000)) +
                  " on " + std::to_string(live->training_rows()) + " labelled rows logged so far",
              {{"tick_ms", ms}, {"labelled_rows", live->training_rows()}});
  } else {
    slog.Warn("controller", "the controller is off: " + loop_off, {{"why", loop_off}});
  }
  if (rollout) {
    const config::RolloutConfig& r =
        served_config ? served_config->rollout : config::RolloutConfig();
    std::ostringstream every;
    every << args.rollout_seconds;
    slog.Info("rollout_config",
              "approved versions roll out (" + std::string(config::RolloutStrategyName(r.strategy)) +
                  (served_config ? "" : ", the defaults") + "), judged every " + every.str() + " s",
              {{"strategy", config::RolloutStrategyName(r.strategy)},
               {"interval_s", args.rollout_seconds}});
  } else {
    slog.Info("rollout_config",
              "--no-rollout: the controller promotes what passes validation at once");
  }

  {
    // Polls the registry for a champion made elsewhere (`mlloop rollback`, another replica).
    // Without a rollout: polls the registry for a champion made elsewhere.
    std::unique_ptr<registry::Registry> reload_registry;
    std::unique_ptr<ChampionLoader> loader;
    std::unique_ptr<Periodic> reloader;
    if (args.reload_seconds > 0 && !rollout) {
      MLLOOP_ASSIGN_OR_RETURN(reload_registry, registry::Registry::Open(args.store));
      loader = std::make_unique<ChampionLoader>(*reload_registry, slot, service.metrics(), slog);
      reloader = std::make_unique<Periodic>(
          std::chrono::milliseconds(static_cast<int64_t>(args.reload_seconds * 1000)),
          [&loader] { loader->Check(); });
    }
    std::unique_ptr<EventThread> event_thread;
    if (log && (live || rollout)) {
      MLLOOP_ASSIGN_OR_RETURN(auto event_registry, registry::Registry::Open(args.store));
      event_thread = std::make_unique<EventThread>(live.get(), rollout.get(), *log,
                                                   std::move(event_registry), slot,
                                                   service.metrics(), slog);
    }
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    const std::string signal_name = signal_number == SIGTERM ? "SIGTERM" : "SIGINT";
    slog.Info("draining", signal_name + ", draining", {{"signal", signal_name}});
    service.SetDraining(true);
    const size_t cut = (*server)->Shutdown();
    event_thread.reset();  // after the drain: every answered request is in the log by now
    reloader.reset();
    rollout.reset();
    if (log) {
      Status closed = log->Close();
      const std::string line =
          "inference log " + (closed.ok() ? std::string("flushed") : "NOT flushed: " + closed.ToString()) +
          " (" + std::to_string(log->rows_logged()) + " rows logged by this run)";
      ServeLog::Fields fields = {{"flushed", closed.ok()}, {"rows_logged", log->rows_logged()}};
      if (closed.ok()) {
        slog.Info("log_closed", line, std::move(fields));
      } else {
        slog.Warn("log_closed", line, std::move(fields));
      }
    }
    slog.Info("stopped",
              cut ? "stopped (" + std::to_string(cut) +
                        " connections still busy after the drain timeout were cut)"
                  : std::string("stopped"),
              {{"connections_cut", cut}});
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return Status::Ok();
}

}  // namespace mlloop::cli
