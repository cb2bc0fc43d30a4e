// mlloop: keeps a production ML model healthy. See README.md for the commands.
#include <CLI/CLI.hpp>

#include <iostream>

#include "cli/commands.h"
#include "core/version.h"

int main(int argc, char** argv) {
  using namespace mlloop;
  CLI::App app{"mlloop: watch a model, retrain when the evidence justifies it, validate, ship"};
  app.require_subcommand(1);
  app.set_version_flag("--version", std::string(core::kMlloopVersion) + " (" + core::kGitCommit + ")");

  cli::CheckArgs check;
  auto* check_cmd = app.add_subcommand("check", "Validate a model config (and its data) without running");
  check_cmd->add_option("config", check.config, "model YAML file")->required();
  check_cmd->add_flag("--no-data", check.skip_data, "validate the YAML only, not the data file");

  cli::SimulateArgs sim;
  auto* sim_cmd = app.add_subcommand("simulate", "Replay the model's data as production traffic on a virtual clock");
  sim_cmd->add_option("config", sim.config, "model YAML file")->required();
  sim_cmd->add_flag("--compare", sim.compare, "also run the never-retrain and fixed-schedule baselines");
  sim_cmd->add_option("--store", sim.store, "keep the registry in this directory (default: in memory)");
  sim_cmd->add_option("--json", sim.json, "write the full result as JSON to this file");
  sim_cmd->add_flag("-q,--quiet", sim.quiet, "print only the summary table");

  cli::ModelsArgs models;
  auto* models_cmd = app.add_subcommand("models", "Inspect the model registry");
  models_cmd->require_subcommand(1);
  auto* list_cmd = models_cmd->add_subcommand("list", "List model versions with their state");
  auto* show_cmd = models_cmd->add_subcommand("show", "Show one version: lineage, decision, evaluation");
  show_cmd->add_option("version", models.version, "version: 3, v3 or champion")->required();
  for (auto* c : {list_cmd, show_cmd}) {
    c->add_option("--store", models.store, "registry directory")->capture_default_str();
    c->add_option("--model", models.model, "model name (default: every model / the only model)");
    c->add_flag("--json", models.json, "machine-readable output");
  }

  if (argc == 1) {
    std::cout << app.help();
    return 0;
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    // --help and --version end here with 0; a usage error is bad input, exit code 2 as for
    // every other bad input (CLI11's own codes are not ours to promise).
    return app.exit(e) == 0 ? 0 : 2;
  }

  Status status;
  if (check_cmd->parsed()) status = cli::RunCheck(check, std::cout);
  else if (sim_cmd->parsed()) status = cli::RunSimulate(sim, std::cout);
  else if (list_cmd->parsed()) status = cli::RunModelsList(models, std::cout);
  else if (show_cmd->parsed()) status = cli::RunModelsShow(models, std::cout);
  if (!status.ok()) {
    std::cerr << "mlloop: error: " << status.message() << "\n";
    return cli::ExitCode(status);
  }
  return 0;
}
