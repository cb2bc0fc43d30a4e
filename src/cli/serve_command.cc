// `mlloop serve`: the champion of one model behind HTTP (src/serve/), reloaded when the
// registry names a new champion, until SIGTERM or SIGINT, which drain the server.
#include <pthread.h>
#include <signal.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <ostream>
#include <thread>

#include "cli/commands.h"
#include "registry/registry.h"
#include "serve/http_server.h"
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

// Polls the registry every `interval` and publishes a new champion into `slot`; a failed
// load keeps the live version serving and is reported once per version.
class ChampionReloader {
 public:
  ChampionReloader(std::unique_ptr<registry::Registry> registry, serve::ModelSlot& slot,
                   serve::ServerMetrics& metrics, std::chrono::milliseconds interval,
                   std::ostream& out)
      : registry_(std::move(registry)), slot_(slot), metrics_(metrics), interval_(interval),
        out_(out), thread_([this] { Run(); }) {}
  ~ChampionReloader() {
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
      auto champion = registry_->Champion(slot_.name());
      if (!champion.ok() || !*champion) continue;
      auto live = slot_.Get();
      const int64_t version = (*champion)->version;
      if ((live && live->version() == version) || version == failed_version_) continue;
      auto loaded = serve::ServedModel::LoadChampion(*registry_, slot_.name(), metrics_);
      if (!loaded.ok()) {
        failed_version_ = version;
        out_ << "mlloop serve: keeping v" << (live ? live->version_text() : "?") << ": "
             << loaded.status().message() << std::endl;
        continue;
      }
      slot_.Swap(*loaded);
      out_ << "mlloop serve: now serving " << slot_.name() << " v" << (*loaded)->version_text()
           << std::endl;
    }
  }

  std::unique_ptr<registry::Registry> registry_;  // this thread's own connection
  serve::ModelSlot& slot_;
  serve::ServerMetrics& metrics_;
  const std::chrono::milliseconds interval_;
  std::ostream& out_;
  std::mutex mu_;
  std::condition_variable wake_;
  bool stop_ = false;  // guarded by mu_
  int64_t failed_version_ = 0;
  std::thread thread_;
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
      << "  GET  " << base << "/metrics, /healthz, /readyz\n"
      << std::flush;

  {
    std::unique_ptr<ChampionReloader> reloader;
    if (args.reload_seconds > 0) {
      MLLOOP_ASSIGN_OR_RETURN(auto reload_registry, registry::Registry::Open(args.store));
      reloader = std::make_unique<ChampionReloader>(
          std::move(reload_registry), slot, service.metrics(),
          std::chrono::milliseconds(static_cast<int64_t>(args.reload_seconds * 1000)), out);
    }
    int signal_number = 0;
    sigwait(&signals, &signal_number);
    out << "mlloop serve: " << (signal_number == SIGTERM ? "SIGTERM" : "SIGINT")
        << ", draining" << std::endl;
    service.SetDraining(true);
    const size_t cut = (*server)->Shutdown();
    out << "mlloop serve: stopped";
    if (cut) out << " (" << cut << " connections still busy after the drain timeout were cut)";
    out << std::endl;
  }
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
  return Status::Ok();
}

}  // namespace mlloop::cli
