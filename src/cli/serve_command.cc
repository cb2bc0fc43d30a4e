// `mlloop serve`: the champion of one model behind HTTP (src/serve/), every prediction and
// label in the inference log, the controller ticking beside it on the wall clock
// (loop/live_loop.h) and swapping in what it promotes, reloaded when the registry names a
// new champion, until SIGTERM or SIGINT, which drain the server and flush the log.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <functional>
#include <mutex>
#include <ostream>
#include <thread>

#include "cli/commands.h"
#include "config/model_config.h"
#include "core/clock.h"
#include "core/time.h"
#include "loop/live_loop.h"
#include "registry/registry.h"
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

// Publishes the registry's champion into `slot` when it is not the live version; a version
// that fails to load keeps the live one serving and is reported once.
// Thread-safety: one thread calls Check().
class ChampionLoader {
 public:
  ChampionLoader(std::unique_ptr<registry::Registry> registry, serve::ModelSlot& slot,
                 serve::ServerMetrics& metrics, std::ostream& out)
      : registry_(std::move(registry)), slot_(slot), metrics_(metrics), out_(out) {}

  void Check() {
    auto champion = registry_->Champion(slot_.name());
    if (!champion.ok() || !*champion) return;
    auto live = slot_.Get();
    const int64_t version = (*champion)->version;
    if ((live && live->version() == version) || version == failed_version_) return;
    auto loaded = serve::ServedModel::LoadChampion(*registry_, slot_.name(), metrics_);
    if (!loaded.ok()) {
      failed_version_ = version;
      out_ << "mlloop serve: keeping v" << (live ? live->version_text() : "?") << ": "
           << loaded.status().message() << std::endl;
      return;
    }
    slot_.Swap(*loaded);
    out_ << "mlloop serve: now serving " << slot_.name() << " v" << (*loaded)->version_text()
         << std::endl;
  }

 private:
  std::unique_ptr<registry::Registry> registry_;  // the calling thread's own connection
  serve::ModelSlot& slot_;
  serve::ServerMetrics& metrics_;
  std::ostream& out_;
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

// Hands the inference log's events to the live loop every 50 ms, ticks it when due, and
// swaps a champion it promoted into the slot at once (the reloader would find it, later).
class LoopThread {
 public:
  LoopThread(loop::LiveLoop& live, serve::InferenceLog& log,
             std::unique_ptr<registry::Registry> registry, serve::ModelSlot& slot,
             serve::ServerMetrics& metrics, std::ostream& out)
      : live_(live), log_(log), loader_(std::move(registry), slot, metrics, out), out_(out),
        periodic_(std::chrono::milliseconds(50), [this] { Step(); }) {}

  // The log's events, in order, to `live` (before Start(): the replay that rebuilds its data).
  static void Feed(const serve::LogEvents& events, loop::LiveLoop& live) {
    for (size_t i = 0; i < events.events.size(); ++i) {
      const serve::LogEvents::Event& e = events.events[i];
      const float* x = events.x.data() + i * events.width;
      const auto id = static_cast<int64_t>(e.row_id);
      if (e.kind == serve::LogEvents::Kind::kPrediction) {
        live.AddPrediction(id, x, e.prediction);
      } else {
        live.AddLabel(id, x, e.label, e.time_ms / 1000);
      }
    }
  }

 private:
  void Step() {
    log_.TakeEvents(&events_);
    Feed(events_, live_);
    auto outcome = live_.TickIfDue();
    if (!outcome.ok()) {
      out_ << "mlloop serve: tick failed, the champion keeps serving: "
           << outcome.status().ToString() << std::endl;
    } else if (*outcome) {
      Report(**outcome);
    }
  }

  void Report(const loop::TickOutcome& outcome) {
    const bool promoted = (outcome.retrain && outcome.retrain->promoted) ||
                          outcome.promoted_approved.has_value();
    if (outcome.decision.action != policy::Action::kNone || promoted) {
      out_ << "mlloop serve: tick at " << core::FormatTimestamp(outcome.decision.time) << ": "
           << policy::ActionName(outcome.decision.action) << " (" << outcome.decision.reason
           << ")";
      if (outcome.retrain) {
        out_ << "; v" << outcome.retrain->version
             << (outcome.retrain->promoted            ? " promoted"
                 : outcome.retrain->awaiting_approval ? " awaits approval"
                                                      : " rejected by validation (mlloop models show " +
                                                            std::to_string(outcome.retrain->version) + ")");
      }
      out_ << std::endl;
    }
    if (promoted) loader_.Check();
  }

  loop::LiveLoop& live_;
  serve::InferenceLog& log_;
  ChampionLoader loader_;
  std::ostream& out_;
  serve::LogEvents events_;
  Periodic periodic_;  // last: it starts calling Step() at once
};

}  // namespace

Status RunServe(const ServeArgs& args, std::ostream& out) {
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
  std::string log_lines;  // printed after the address, which comes first
  std::string loop_off = !args.log ? "--no-log" : !args.loop ? "--no-loop" : "";
  if (args.log) {
    std::string no_config;
    MLLOOP_ASSIGN_OR_RETURN(auto config, ServedConfig(args, *registry, name,
                                                      champion->n_features(), &no_config));
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
      live = std::make_unique<loop::LiveLoop>(*config, loop_options, std::move(loop_registry),
                                              &clock);
    }
    serve::InferenceLog::Options log_options;
    log_options.width = champion->n_features();
    log_options.flush_interval = std::chrono::milliseconds(args.log_flush_ms);
    log_options.queue_events = live != nullptr;
    auto replay = [&live](const serve::LogEvents& events) {
      if (live) LoopThread::Feed(events, *live);
    };
    MLLOOP_ASSIGN_OR_RETURN(log, serve::InferenceLog::Open(dir, log_options, replay));
    const auto& report = log->replay_report();
    if (!report.torn_message.empty()) log_lines += "mlloop serve: " + report.torn_message + "\n";
    log_lines += "mlloop serve: inference log " + dir + " (" + std::to_string(report.predictions) +
                 " predicted rows and " + std::to_string(report.labels) +
                 " labels before this start)\n";
    service.AttachLog(slot, log.get(), label);
    if (live) {
      Status started = live->Start();
      if (!started.ok()) {
        loop_off = started.ToString();
        live.reset();
        log->StopEvents();
      }
    }
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
  auto server = serve::HttpServer::Start(
      options, [&service](const serve::HttpRequest& request, serve::HttpResponse* response) {
        service.Handle(request, response);
      });
  if (!server.ok()) {
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    return server.status();
  }
  const std::string base = "http://" + args.host + ":" + std::to_string((*server)->port());
  out << "mlloop serve: " << name << " v" << champion->version_text() << " ("
      << (champion->uses_flat_forest() ? "flat forest" : "XGBoost") << ", "
      << champion->n_features() << " features) on " << base << "\n"
      << "  POST " << base << "/v1/models/" << name << ":predict   (KServe v1)\n"
      << "  POST " << base << "/v2/models/" << name << "/infer     (Open Inference Protocol v2)\n"
      << "  POST " << base << "/v1/models/" << name << "/feedback (labels by request id)\n"
      << "  GET  " << base << "/metrics, /healthz, /readyz\n"
      << log_lines;
  if (live) {
    const int64_t ms = live->tick().count();
    out << "mlloop serve: the controller ticks every "
        << (ms % 1000 ? std::to_string(ms) + " ms" : core::FormatDuration(ms / 1000)) << " on "
        << live->training_rows() << " labelled rows logged so far\n";
  } else {
    out << "mlloop serve: the controller is off: " << loop_off << "\n";
  }
  out << std::flush;

  {
    // Polls the registry for a champion made elsewhere (`mlloop rollback`, another replica).
    std::unique_ptr<ChampionLoader> loader;
    std::unique_ptr<Periodic> reloader;
    if (args.reload_seconds > 0) {
      MLLOOP_ASSIGN_OR_RETURN(auto reload_registry, registry::Registry::Open(args.store));
      loader = std::make_unique<ChampionLoader>(std::move(reload_registry), slot,
                                                service.metrics(), out);
      reloader = std::make_unique<Periodic>(
          std::chrono::milliseconds(static_cast<int64_t>(args.reload_seconds * 1000)),
          [&loader] { loader->Check(); });
    }
    std::unique_ptr<LoopThread> loop_thread;
    if (live) {
      MLLOOP_ASSIGN_OR_RETURN(auto swap_registry, registry::Registry::Open(args.store));
      loop_thread = std::make_unique<LoopThread>(*live, *log, std::move(swap_registry), slot,
                                                 service.metrics(), out);
    }
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    out << "mlloop serve: " << (signal_number == SIGTERM ? "SIGTERM" : "SIGINT")
        << ", draining" << std::endl;
    service.SetDraining(true);
    const size_t cut = (*server)->Shutdown();
    loop_thread.reset();  // after the drain: every answered request is in the log by now
    if (log) {
      Status closed = log->Close();
      out << "mlloop serve: inference log "
          << (closed.ok() ? "flushed" : "NOT flushed: " + closed.ToString()) << " ("
          << log->rows_logged() << " rows logged by this run)" << std::endl;
    }
    out << "mlloop serve: stopped";
    if (cut) out << " (" << cut << " connections still busy after the drain timeout were cut)";
    out << std::endl;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return Status::Ok();
}

}  // namespace mlloop::cli
