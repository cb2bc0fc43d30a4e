#include <cstdio>
#include <ostream>

#include "cli/commands.h"
#include "cli/registry_cli.h"
#include "cli/table.h"
#include "config/model_config.h"
#include "core/clock.h"
#include "core/format.h"
#include "core/time.h"
#include "io/csv_reader.h"
#include "loop/simulation.h"

namespace mlloop::cli {

namespace {


}  // namespace

Status RunSimulate(const SimulateArgs& args, std::ostream& out) {
  MLLOOP_ASSIGN_OR_RETURN(auto config, config::LoadModelConfig(args.config));
  if (!args.store.empty()) {
    MLLOOP_RETURN_IF_ERROR(CheckMayTrain(args.store, args.token, "simulate " + config.name));
  }
  if (config.data_path.empty())
    return Status::InvalidArgument(args.config + ": data.path is not set");
  const double load_start = core::MonotonicSeconds();
  MLLOOP_ASSIGN_OR_RETURN(auto data, io::ReadCsv(config.data_path, config.schema));
  const double load_seconds = core::MonotonicSeconds() - load_start;

  loop::SimulationOptions options;
  options.compare = args.compare;
  options.store_dir = args.store;
  const double start = core::MonotonicSeconds();
  MLLOOP_ASSIGN_OR_RETURN(auto result, loop::Simulate(config, data, options));
  result.load_seconds = load_seconds;
  const double total = core::MonotonicSeconds() - start + load_seconds;
  result.total_seconds = total;

  out << "model " << config.name << ": " << data.rows() << " rows, first training on "
      << result.initial_rows << ", " << (data.rows() - static_cast<size_t>(result.initial_rows))
      << " replayed (" << core::FormatTimestamp(data.time[static_cast<size_t>(result.initial_rows)])
      << " .. " << core::FormatTimestamp(data.time.back()) << "), label delay "
      << core::FormatDuration(result.label_delay) << ", tick " << core::FormatDuration(result.tick)
      << "\n\n";

  if (!args.quiet) {
    const auto& configured = result.policies.front();
    out << "retrains of the configured policy (" << configured.retrains << ", "
        << configured.rejected << " rejected by validation";
    for (const auto& [gate, count] : configured.rejected_by_gate) {
      out << (&gate == &configured.rejected_by_gate.begin()->first ? ": " : ", ") << count
          << " by " << gate;
    }
    out << "):\n";
    for (const auto& d : configured.decisions) {
      if (d.action == "none") continue;
      out << "  " << core::FormatTimestamp(d.time) << "  " << d.action;
      if (d.version)
        out << " -> v" << *d.version
            << (d.promoted.value_or(false) ? " promoted"
                : d.awaiting_approval      ? " awaiting approval"
                                           : " rejected by " + d.failed_gate);
      out << "  " << d.reason << "\n";
      if (!d.failed_gate.empty()) out << "      " << d.validation << "\n";
    }
    out << "\n";
  }
  const std::string metric = result.policies.front().metric;
  Table table({"policy", metric, "retrains", "rejected", "train s", "wall s"});
  for (const auto& p : result.policies) {
    table.AddRow({p.name, core::FormatFixed(p.value, 4), std::to_string(p.retrains),
                  std::to_string(p.rejected), core::FormatFixed(p.train_seconds, 2),
                  core::FormatFixed(p.wall_seconds, 2)});
  }
  out << table.Render();
  if (result.no_change_accuracy) {
    out << "\nreference: predicting the previous row's label scores accuracy "
        << core::FormatFixed(*result.no_change_accuracy, 4)
        << " on the same rows (no model at all)\n";
  }
  double train = 0;
  for (const auto& p : result.policies) train += p.train_seconds;
  out << "\ntotal " << core::FormatFixed(total, 2) << " s, of which XGBoost training "
      << core::FormatFixed(train, 2) << " s ("
      << core::FormatFixed(train > 0 ? total / train : 0, 2) << "x); CSV load "
      << core::FormatFixed(load_seconds * 1000, 1) << " ms\n";

  if (!args.store.empty()) {
    out << "\nregistry kept in " << args.store << ": try `mlloop models list --store " << args.store
        << "`\n";
  }
  if (!args.json.empty()) {
    MLLOOP_RETURN_IF_ERROR(WriteFileAtomically(args.json, result.ToJson() + "\n"));
    out << "full result written to " << args.json << "\n";
  }
  return Status::Ok();
}

}  // namespace mlloop::cli
