// mlloop: keeps a production ML model healthy. See README.md for the commands.
#include <CLI/CLI.hpp>

#include <cmath>
#include <iostream>
#include <string>

#include "cli/commands.h"
#include "core/version.h"

namespace {

// CLI11's PositiveNumber and NonNegativeNumber name their range up to the largest double
// (300 digits) when a value is out of it; these say what was expected and what came.
CLI::Validator Numeric(bool zero_allowed) {
  return CLI::Validator(
      [zero_allowed](std::string& text) -> std::string {
        std::size_t end = 0;
        double value = 0;
        try {
          value = std::stod(text, &end);
        } catch (const std::exception&) {
          end = 0;
        }
        if (end != text.size() || text.empty() || !std::isfinite(value)) {
          return "expected a number, got '" + text + "'";
        }
        if (zero_allowed ? value < 0 : value <= 0) {
          return std::string(zero_allowed ? "expected 0 or more" : "expected more than 0") +
                 ", got " + text;
        }
        return "";
      },
      zero_allowed ? "NONNEGATIVE" : "POSITIVE");
}
const CLI::Validator kPositive = Numeric(false);
const CLI::Validator kNonNegative = Numeric(true);

}  // namespace

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
  sim_cmd->add_option("--token", sim.token, "access token for --store (default: $MLLOOP_TOKEN)");

  cli::DriftArgs drift;
  auto* drift_cmd = app.add_subcommand(
      "drift", "Compare a current table with a reference: which features drifted, by how much, "
               "and is it drift or a broken pipeline? Exit 0 no drift, 10 drift (dataset drift, or "
               "with --multivariate either multivariate detector), 11 data quality");
  drift_cmd->add_option("--reference", drift.reference, "reference CSV (e.g. the training data)");
  drift_cmd->add_option("--reference-profile", drift.reference_profile,
                        "a reference profile saved with --save-profile, instead of --reference");
  drift_cmd->add_option("--save-profile", drift.save_profile,
                        "save the reference's profile to this file (then --current is optional)");
  drift_cmd->add_option("--current", drift.current, "current CSV (e.g. last week's traffic)");
  drift_cmd->add_option("--model", drift.model,
                        "a model artifact (XGBoost UBJSON, as the store keeps it): also compare "
                        "its predictions on both tables (needs --config)");
  drift_cmd->add_option("--config", drift.config, "model YAML whose schema to use (default: inferred)");
  drift_cmd->add_option("--method", drift.method, "one method for every feature: ks, chisquare, z, "
                        "wasserstein, jensenshannon, psi, hellinger, linf, anderson, cvm");
  drift_cmd->add_option("--feature-method", drift.feature_methods,
                        "NAME=METHOD: this method for this feature (repeatable)");
  drift_cmd->add_option("--drift-share", drift.drift_share,
                        "share of drifted features that means dataset drift")->capture_default_str();
  drift_cmd->add_flag("--multivariate", drift.multivariate,
                      "also look for joint changes no single feature shows: an XGBoost domain "
                      "classifier (5-fold AUC) and PCA reconstruction error; either flagging "
                      "drift exits 10");
  drift_cmd->add_option("--statistics", drift.statistics,
                        "also compute these methods for every feature, comma-separated, or 'all' "
                        "(listed in the JSON; the verdict stays the chosen method's)");
  drift_cmd->add_option("--threads", drift.threads, "threads comparing columns (0: all cores)")
      ->check(kNonNegative);
  drift_cmd->add_option("--json", drift.json, "write the report as JSON to this file");
  drift_cmd->add_option("--html", drift.html, "write a self-contained HTML report to this file");

  cli::EvaluateArgs evaluate;
  auto* evaluate_cmd = app.add_subcommand(
      "evaluate", "The evaluation report of a candidate against a champion: every gate with its "
                  "numbers, metric deltas with intervals, segments, calibration, confusion "
                  "matrices, latency. Exit 0 passed, 10 rejected");
  evaluate_cmd->add_option("candidate", evaluate.version,
                           "registry version to evaluate: 3, v3 or champion");
  evaluate_cmd->add_option("--against", evaluate.against,
                           "registry version to compare with: 3, v3, champion or none")
      ->capture_default_str();
  evaluate_cmd->add_option("--store", evaluate.store, "registry directory")->capture_default_str();
  evaluate_cmd->add_option("--model", evaluate.model, "model name (default: the only model)");
  evaluate_cmd->add_option("--token", evaluate.token, "access token (default: $MLLOOP_TOKEN)");
  evaluate_cmd->add_option("--config", evaluate.config,
                           "outside the loop: the model's YAML (schema and validation gates)");
  evaluate_cmd->add_option("--candidate", evaluate.candidate_file,
                           "outside the loop: the candidate model file (XGBoost UBJSON or JSON)");
  evaluate_cmd->add_option("--champion", evaluate.champion_file,
                           "outside the loop: the champion model file");
  evaluate_cmd->add_option("--data", evaluate.data,
                           "labelled CSV to compare on (registry versions: instead of the "
                           "recorded data file)");
  evaluate_cmd->add_option("--html", evaluate.html, "write the self-contained HTML report here");
  evaluate_cmd->add_option("--json", evaluate.json, "write the report as JSON here");

  cli::ModelsArgs models;
  auto* models_cmd = app.add_subcommand("models", "Inspect the model registry");
  models_cmd->require_subcommand(1);
  auto* list_cmd = models_cmd->add_subcommand("list", "List model versions with their state");
  auto* show_cmd = models_cmd->add_subcommand("show", "Show one version: lineage, decision, evaluation");
  show_cmd->add_option("version", models.version, "version: 3, v3 or champion")->required();
  auto* lineage_cmd = models_cmd->add_subcommand(
      "lineage", "Where one version came from and what happened to it: data, code, config, "
                 "environment, decision, evaluation, approval, deployments, history");
  lineage_cmd->add_option("version", models.version, "version: 3, v3 or champion")->required();
  for (auto* c : {list_cmd, show_cmd, lineage_cmd}) {
    c->add_option("--store", models.store, "registry directory")->capture_default_str();
    c->add_option("--model", models.model, "model name (default: every model / the only model)");
    c->add_flag("--json", models.json, "machine-readable output");
    c->add_option("--token", models.token, "access token (default: $MLLOOP_TOKEN)");
  }

  cli::DecideArgs decide;
  auto* approve_cmd = app.add_subcommand(
      "approve", "Approve a validated version (approval: manual); the controller promotes it at "
                 "its next tick");
  auto* reject_cmd = app.add_subcommand("reject", "Reject a candidate, validated or approved version");
  auto* rollback_cmd = app.add_subcommand(
      "rollback", "Take the champion out of service; the champion it replaced serves again");
  for (auto* c : {approve_cmd, reject_cmd}) {
    c->add_option("version", decide.version, "version: 3 or v3")->required();
  }
  for (auto* c : {approve_cmd, reject_cmd, rollback_cmd}) {
    c->add_option("--as", decide.as, "who decides (default: the token's name, or $USER)");
    c->add_option("--reason", decide.reason, "why, for the audit log")->required();
    c->add_option("--store", decide.store, "registry directory")->capture_default_str();
    c->add_option("--model", decide.model, "model name (default: the only model)");
    c->add_flag("--json", decide.json, "machine-readable output");
    c->add_option("--token", decide.token, "access token (default: $MLLOOP_TOKEN)");
  }

  cli::DecideArgs rollout;
  auto* rollout_cmd = app.add_subcommand(
      "rollout", "The rollout of an approved version, through the registry (from any machine; a "
                 "running `mlloop serve` follows at its next rollout tick)");
  rollout_cmd->require_subcommand(1);
  auto* rollout_status_cmd = rollout_cmd->add_subcommand(
      "status", "The champion, the version in canary (strategy, step, traffic share, guards), a "
                "version watched after its promotion, approved versions waiting, and the last "
                "rollout decisions");
  auto* rollout_promote_cmd = rollout_cmd->add_subcommand(
      "promote", "Promote the version in canary to champion now (approver)");
  auto* rollout_abort_cmd = rollout_cmd->add_subcommand(
      "abort", "Roll back the version in canary, or the one watched after its promotion (the "
               "previous champion serves again) (operator)");
  for (auto* c : {rollout_promote_cmd, rollout_abort_cmd}) {
    c->add_option("--as", rollout.as, "who decides (default: the token's name, or $USER)");
    c->add_option("--reason", rollout.reason, "why, for the audit log")->required();
  }
  for (auto* c : {rollout_status_cmd, rollout_promote_cmd, rollout_abort_cmd}) {
    c->add_option("--store", rollout.store, "registry directory")->capture_default_str();
    c->add_option("--model", rollout.model, "model name (default: the only model)");
    c->add_flag("--json", rollout.json,
                c == rollout_status_cmd
                    ? "machine-readable output: model, state (idle, rolling, watching), champion, "
                      "rolling, watching, approved, recent_decisions (src/cli/rollout_command.cc)"
                    : "machine-readable output: model, version, state, champion, decision_id, "
                      "message");
    c->add_option("--token", rollout.token, "access token (default: $MLLOOP_TOKEN)");
  }

  cli::TokensArgs tokens;
  auto* tokens_cmd = app.add_subcommand("tokens", "Access tokens and their roles (admin only)");
  tokens_cmd->require_subcommand(1);
  auto* token_create_cmd = tokens_cmd->add_subcommand(
      "create", "Issue a token; its secret is printed once and stored only as a hash");
  token_create_cmd->add_option("--role", tokens.role, "viewer, operator, approver or admin")
      ->required();
  token_create_cmd->add_option("--name", tokens.name, "whom it is for: a person or a service")
      ->required();
  auto* token_list_cmd = tokens_cmd->add_subcommand("list", "List tokens (never their secrets)");
  auto* token_revoke_cmd = tokens_cmd->add_subcommand("revoke", "Revoke a token");
  token_revoke_cmd->add_option("token", tokens.name, "the token's id or name")->required();
  for (auto* c : {token_create_cmd, token_list_cmd, token_revoke_cmd}) {
    c->add_option("--store", tokens.store, "registry directory")->capture_default_str();
    c->add_flag("--json", tokens.json, "machine-readable output");
    c->add_option("--token", tokens.token, "access token (default: $MLLOOP_TOKEN)");
  }

  cli::ServeArgs serve;
  auto* serve_cmd = app.add_subcommand(
      "serve", "Serve a model's champion over HTTP (KServe v1, Open Inference Protocol v2, "
               "/metrics); SIGTERM drains and stops");
  serve_cmd->add_option("--store", serve.store, "registry directory")->capture_default_str();
  serve_cmd->add_option("--model", serve.model, "model name (default: the only model)");
  serve_cmd->add_option("--host", serve.host, "address to listen on")->capture_default_str();
  serve_cmd->add_option("--port", serve.port, "port (0: any free port)")->capture_default_str();
  serve_cmd->add_option("--threads", serve.threads, "server threads")
      ->check(kPositive)->capture_default_str();
  serve_cmd->add_option("--max-rows", serve.max_rows, "rows per request at most")
      ->check(kPositive)->capture_default_str();
  serve_cmd->add_option("--max-body-bytes", serve.max_body_bytes, "request body size limit")
      ->check(kPositive)->capture_default_str();
  serve_cmd->add_option("--idle-timeout", serve.idle_timeout_seconds,
                        "seconds a keep-alive connection may stay silent (behind a load "
                        "balancer: more than its own idle timeout)")
      ->check(kPositive)->capture_default_str();
  serve_cmd->add_option("--write-timeout", serve.write_timeout_seconds,
                        "seconds a response may make no progress before its connection is cut")
      ->check(kPositive)->capture_default_str();
  serve_cmd->add_option("--reload-interval", serve.reload_seconds,
                        "seconds between checks for a new champion (0: never)")
      ->check(kNonNegative)->capture_default_str();
  serve_cmd->add_option("--log-dir", serve.log_dir,
                        "inference log directory (default: STORE/inference/MODEL)");
  serve_cmd->add_flag("!--no-log", serve.log, "log no predictions (and take no feedback, run no loop)");
  serve_cmd->add_option("--log-flush-ms", serve.log_flush_ms,
                        "milliseconds between the log's writes (each one fsynced)")
      ->check(kPositive)->capture_default_str();
  serve_cmd->add_flag("!--no-loop", serve.loop, "serve only: run no controller beside the server");
  serve_cmd->add_option("--config", serve.config,
                        "the model config the controller runs (default: the champion's recorded one)");
  serve_cmd->add_option("--tick", serve.tick_seconds,
                        "seconds between controller ticks (default: the config's policy.tick)")
      ->check(kPositive);
  serve_cmd->add_flag("!--no-rollout", serve.rollout,
                      "promote what the controller approves at once, without a rollout");
  serve_cmd->add_option("--rollout-interval", serve.rollout_seconds,
                        "seconds between the rollout controller's judgements")
      ->capture_default_str()
      ->check(kPositive);
  serve_cmd->add_option("--log-format", serve.log_format,
                        "what the server reports: text lines, or json (one object per line)")
      ->capture_default_str()
      ->check(CLI::IsMember({"text", "json"}));

  cli::DetectArgs detect;
  auto* detect_cmd = app.add_subcommand(
      "detect", "Run a streaming change detector over one column of a CSV (an error stream, "
                "say) and print where it flags a change. Exit 0 none, 10 drift flagged");
  detect_cmd->add_option("file", detect.file, "CSV file (.csv or .csv.gz)")->required();
  detect_cmd->add_option("--column", detect.column, "the numeric column to watch")->required();
  detect_cmd->add_option("--detector", detect.detector,
                         "adwin, ddm, eddm, page_hinkley, hddm_a, hddm_w, kswin or cusum")
      ->capture_default_str();
  detect_cmd->add_option("--param", detect.params, "NAME=VALUE detector option (repeatable)");
  detect_cmd->add_flag("--warnings", detect.warnings, "also print where warnings begin");
  detect_cmd->add_flag("--json", detect.json, "print JSON instead of text");

  cli::AuditArgs audit;
  auto* audit_cmd = app.add_subcommand("audit", "The audit log: who did what, when and why");
  auto* audit_verify_cmd = audit_cmd->add_subcommand(
      "verify", "Check that no audit entry was edited, removed, reordered or added; exit 7 "
                "naming the first bad one");
  audit_cmd->add_option("--model", audit.model, "entries about this model and its versions");
  audit_cmd->add_option("--actor", audit.actor, "entries by this actor");
  audit_cmd->add_option("--action", audit.action,
                        "entries of this action (register, approve, promote, rollback, "
                        "access_denied, ...)");
  audit_cmd->add_option("--since", audit.since, "from this time (ISO 8601) or this long ago (7d)");
  audit_cmd->add_option("--limit", audit.limit, "only the newest N (0: all)")
      ->check(kNonNegative);
  for (auto* c : {audit_cmd, audit_verify_cmd}) {
    c->add_option("--store", audit.store, "registry directory")->capture_default_str();
    c->add_flag("--json", audit.json, "machine-readable output");
    c->add_option("--token", audit.token, "access token (default: $MLLOOP_TOKEN)");
  }

  cli::ReproduceArgs reproduce;
  auto* reproduce_cmd = app.add_subcommand(
      "reproduce", "Train a version again from its lineage and compare the artifact's hash");
  reproduce_cmd->add_option("version", reproduce.version, "version: 3, v3 or champion")->required();
  reproduce_cmd->add_option("--data", reproduce.data,
                            "another copy of the data file (default: the recorded path)");
  reproduce_cmd->add_option("--store", reproduce.store, "registry directory")->capture_default_str();
  reproduce_cmd->add_option("--model", reproduce.model, "model name (default: the only model)");
  reproduce_cmd->add_flag("--json", reproduce.json, "machine-readable output");
  reproduce_cmd->add_option("--token", reproduce.token, "access token (default: $MLLOOP_TOKEN)");

  cli::GcArgs gc;
  auto* gc_cmd = app.add_subcommand(
      "gc", "Artifacts no live, approved or rollback-target version needs, and disk used per "
            "model; a dry run unless --apply");
  gc_cmd->add_flag("--apply", gc.apply, "remove them (admin)");
  gc_cmd->add_option("--store", gc.store, "registry directory")->capture_default_str();
  gc_cmd->add_flag("--json", gc.json, "machine-readable output");
  gc_cmd->add_option("--token", gc.token, "access token (default: $MLLOOP_TOKEN)");

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
  if (drift_cmd->parsed()) {
    Result<int> code = cli::RunDrift(drift, std::cout);
    if (code.ok()) return *code;
    status = code.status();
  } else if (detect_cmd->parsed()) {
    Result<int> code = cli::RunDetect(detect, std::cout);
    if (code.ok()) return *code;
    status = code.status();
  } else if (evaluate_cmd->parsed()) {
    Result<int> code = cli::RunEvaluate(evaluate, std::cout);
    if (code.ok()) return *code;
    status = code.status();
  } else if (check_cmd->parsed()) status = cli::RunCheck(check, std::cout);
  else if (sim_cmd->parsed()) status = cli::RunSimulate(sim, std::cout);
  else if (list_cmd->parsed()) status = cli::RunModelsList(models, std::cout);
  else if (show_cmd->parsed()) status = cli::RunModelsShow(models, std::cout);
  else if (lineage_cmd->parsed()) status = cli::RunModelsLineage(models, std::cout);
  else if (serve_cmd->parsed()) status = cli::RunServe(serve, std::cout);
  else if (approve_cmd->parsed()) status = cli::RunApprove(decide, std::cout);
  else if (reject_cmd->parsed()) status = cli::RunReject(decide, std::cout);
  else if (rollback_cmd->parsed()) status = cli::RunRollback(decide, std::cout);
  else if (rollout_status_cmd->parsed()) status = cli::RunRolloutStatus(rollout, std::cout);
  else if (rollout_promote_cmd->parsed()) status = cli::RunRolloutPromote(rollout, std::cout);
  else if (rollout_abort_cmd->parsed()) status = cli::RunRolloutAbort(rollout, std::cout);
  else if (token_create_cmd->parsed()) status = cli::RunTokensCreate(tokens, std::cout);
  else if (token_list_cmd->parsed()) status = cli::RunTokensList(tokens, std::cout);
  else if (token_revoke_cmd->parsed()) status = cli::RunTokensRevoke(tokens, std::cout);
  else if (audit_verify_cmd->parsed()) status = cli::RunAuditVerify(audit, std::cout);
  else if (audit_cmd->parsed()) status = cli::RunAudit(audit, std::cout);
  else if (reproduce_cmd->parsed()) status = cli::RunReproduce(reproduce, std::cout);
  else if (gc_cmd->parsed()) status = cli::RunGc(gc, std::cout);
  if (!status.ok()) {
    std::cerr << "mlloop: error: " << status.message() << "\n";
    return cli::ExitCode(status);
  }
  return 0;
}
