// The `mlloop` subcommands. Each one parses nothing itself (main.cc owns CLI11), calls the
// library, prints for people (or JSON with --json) and returns a Status that main.cc maps to
// an exit code.
#pragma once

#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <string>
#include <vector>
#include <string_view>

#include "core/status.h"

namespace mlloop::cli {

struct CheckArgs {
  std::string config;
  bool skip_data = false;
};
Status RunCheck(const CheckArgs& args, std::ostream& out);

struct SimulateArgs {
  std::string config;
  bool compare = false;
  std::string store;
  std::string json;
  bool quiet = false;
  std::string token;  // --token; empty: $MLLOOP_TOKEN (writing to an existing --store needs train)
};
Status RunSimulate(const SimulateArgs& args, std::ostream& out);

struct ModelsArgs {
  std::string store = ".mlloop";
  std::string model;   // empty: all models (list) or the only model (show)
  std::string version;  // show: "3", "v3" or "champion"
  bool json = false;
  std::string token;  // --token; empty: $MLLOOP_TOKEN
};
Status RunModelsList(const ModelsArgs& args, std::ostream& out);
Status RunModelsShow(const ModelsArgs& args, std::ostream& out);
// `models lineage V`: data, code, configuration, environment, decision, evaluation,
// approval, deployments, rollback target and history of one version.
Status RunModelsLineage(const ModelsArgs& args, std::ostream& out);

// `approve V`, `reject V`, `rollback`: a person's decision, audited with name and reason.
// Approve: validated -> approved (the controller promotes it at its next tick); reject:
// candidate, validated or approved -> rejected; rollback: the champion -> rolled_back and
// the champion it replaced serves again (FailedPrecondition, changing nothing, when there
// is none).
struct DecideArgs {
  std::string store = ".mlloop";
  std::string model;    // empty: the only model
  std::string version;  // approve, reject: "3" or "v3"; unused by rollback and rollout
  std::string as;       // who decides: must be the token's name when a token is used
  std::string reason;
  bool json = false;
  std::string token;  // --token; empty: $MLLOOP_TOKEN
};
Status RunApprove(const DecideArgs& args, std::ostream& out);
Status RunReject(const DecideArgs& args, std::ostream& out);
Status RunRollback(const DecideArgs& args, std::ostream& out);

// `rollout status|promote|abort`: the rollout of an approved version (rollout/rollout_record.h)
// as the registry records it, from any machine, with or without a server; a running
// `mlloop serve` follows a promote or abort at its next rollout tick. Status needs read;
// promote (canary -> champion now) the approve permission; abort (canary -> rolled_back, or
// a version watched after its promotion -> rolled_back, restoring the previous champion)
// the roll back one. FailedPrecondition (exit 5) when there is nothing to promote or abort.
// They take DecideArgs (status: store, model, json and token; none takes a version).
Status RunRolloutStatus(const DecideArgs& args, std::ostream& out);
Status RunRolloutPromote(const DecideArgs& args, std::ostream& out);
Status RunRolloutAbort(const DecideArgs& args, std::ostream& out);

// `tokens create --role R --name N` (prints the secret once), `tokens list`,
// `tokens revoke ID|NAME`; all need the admin role (registry/access.h).
struct TokensArgs {
  std::string store = ".mlloop";
  std::string role;
  std::string name;  // create: whom for; revoke: the token's id or name
  bool json = false;
  std::string token;  // --token; empty: $MLLOOP_TOKEN
};
Status RunTokensCreate(const TokensArgs& args, std::ostream& out);
Status RunTokensList(const TokensArgs& args, std::ostream& out);
Status RunTokensRevoke(const TokensArgs& args, std::ostream& out);

// `reproduce V`: trains version V again from its recorded configuration, data file, rows,
// parameters and seed. OK when the new artifact is byte-identical to the recorded one;
// NotFound naming the first recorded input no longer available (the config text, the data
// file, its rows); FailedPrecondition naming the first one that changed, or giving both
// hashes when everything matched but the bytes differ. Needs the train permission.
struct ReproduceArgs {
  std::string store = ".mlloop";
  std::string model;
  std::string version;
  std::string data;  // another copy of the data file (default: the recorded path)
  bool json = false;
  std::string token;  // --token; empty: $MLLOOP_TOKEN
};
Status RunReproduce(const ReproduceArgs& args, std::ostream& out);

// `gc [--apply]`: lists (and with --apply, removes) the artifacts that no candidate,
// validated, approved, canary or champion version, nor the rollback target of one, needs,
// with the disk each model uses. The dry run needs read, --apply the admin role.
struct GcArgs {
  std::string store = ".mlloop";
  bool apply = false;
  bool json = false;
  std::string token;  // --token; empty: $MLLOOP_TOKEN
};
Status RunGc(const GcArgs& args, std::ostream& out);

// `audit`: the newest `limit` entries (all when 0) matching the filters, oldest first.
// `audit verify`: OK when every entry is chained to the one before and the log ends where
// its head says; DataLoss (exit 7) naming the first edited, removed, reordered or added
// entry otherwise.
struct AuditArgs {
  std::string store = ".mlloop";
  std::string model;   // the model and its versions
  std::string actor;
  std::string action;  // register, validate, approve, promote, rollback, access_denied, ...
  std::string since;   // ISO 8601 time, or a duration back from now ("7d")
  int64_t limit = 0;
  bool json = false;
  std::string token;  // --token; empty: $MLLOOP_TOKEN
};
Status RunAudit(const AuditArgs& args, std::ostream& out);
Status RunAuditVerify(const AuditArgs& args, std::ostream& out);

struct DriftArgs {
  std::string reference;          // reference CSV, or
  std::string reference_profile;  // a profile saved with --save-profile
  std::string save_profile;       // write the reference's profile here
  std::string current;            // optional with --save-profile alone
  std::string model;              // optional: a model file whose predictions are compared
  std::string config;  // optional: the model's schema instead of one inferred from the reference
  std::string method;  // optional: one method for every feature
  std::vector<std::string> feature_methods;  // "name=method", overriding `method` per feature
  double drift_share = 0.5;
  bool multivariate = false;  // also the domain classifier and PCA reconstruction error
  std::string statistics;     // optional: "ks,psi,..." or "all", computed beside the verdict
  int threads = 0;            // 0: the hardware's
  std::string json;
  std::string html;
};
// `mlloop drift`: exit kExitDrift when the dataset drifted or (with --multivariate) either
// multivariate detector flagged drift, kExitDataQuality when the trouble looks like a broken
// pipeline (this wins over drift), 0 otherwise; errors as ExitCode().
inline constexpr int kExitDrift = 10;
inline constexpr int kExitDataQuality = 11;
Result<int> RunDrift(const DriftArgs& args, std::ostream& out);

// `mlloop evaluate`: the evaluation report of a candidate against a champion, on registry
// versions (`version`, `against`) or outside the loop on two model files and a labelled CSV
// (`candidate_file`, `champion_file`, `data`, `config`). Exit 0 when every gate passed,
// kExitRejected when one failed; errors as ExitCode().
struct EvaluateArgs {
  std::string version;              // registry mode: "7", "v7" or "champion"
  std::string against = "champion";  // registry mode: a version, "champion" or "none"
  std::string store = ".mlloop";
  std::string model;  // empty: the only model
  std::string token;  // --token; empty: $MLLOOP_TOKEN
  std::string config;          // file mode: the model's YAML (schema, validation gates)
  std::string candidate_file;  // file mode: XGBoost UBJSON or JSON
  std::string champion_file;   // file mode, optional
  std::string data;            // the labelled CSV (registry mode: overrides the recorded file)
  std::string html;
  std::string json;
};
inline constexpr int kExitRejected = 10;
Result<int> RunEvaluate(const EvaluateArgs& args, std::ostream& out);

// `mlloop serve`: the champion of `model` from the registry in `store`, behind HTTP (KServe
// v1, Open Inference Protocol v2, feedback, /metrics, health), every prediction and label in
// the inference log, the controller ticking beside it on the wall clock, reloaded when the
// registry names a new champion, until SIGTERM or SIGINT, which drain in-flight requests and
// flush the log. Prints the address.
struct ServeArgs {
  std::string store = ".mlloop";
  std::string model;  // empty: the store's only model
  std::string host = "127.0.0.1";
  uint16_t port = 8080;  // 0: any free port (printed)
  int threads = 2;
  size_t max_rows = 10000;
  size_t max_body_bytes = 1 << 20;
  // Seconds a keep-alive connection may stay silent (keep it above a load balancer's own
  // idle timeout), and a response may make no progress.
  double idle_timeout_seconds = 60;
  double write_timeout_seconds = 30;
  double reload_seconds = 2;  // registry poll for a new champion; 0: never
  // The inference log (serve/inference_log.h): every prediction, and labels from
  // POST /v1/models/NAME/feedback. Empty: STORE/inference/MODEL.
  std::string log_dir;
  bool log = true;           // false: no log, no feedback, no loop
  int log_flush_ms = 50;     // the log's write-and-fsync interval
  // The controller beside the server (loop/live_loop.h): retrains on logged, labelled rows
  // and swaps in what it promotes. `config`: the model config it runs (default: the one
  // recorded in the champion's lineage); `tick_seconds` > 0 overrides policy.tick.
  bool loop = true;
  std::string config;
  double tick_seconds = 0;
  // The rollout controller (rollout/rollout_service.h): deploys the versions the loop (or a
  // person) approved through the config's `rollout` steps, judged every `rollout_seconds`.
  // false: the loop promotes what passes validation at once.
  bool rollout = true;
  double rollout_seconds = 1;
  // How the server reports what it does: "text" lines for people, or "json", one object per
  // line (time, level, event, message and the event's fields) for a log pipeline.
  std::string log_format = "text";
};

Status RunServe(const ServeArgs& args, std::ostream& out);

// Writes `text` to `path` through a temporary file in the same directory and a rename, so a
// reader never sees half a file. Unavailable, naming the path, when either step fails.
Status WriteFileAtomically(const std::string& path, std::string_view text);

// Exit code for a failed command: 2 bad input, 3 not found, 4 already exists,
// 5 failed precondition, 6 unavailable, 7 data loss, 1 anything else.
// `mlloop detect FILE --column C --detector NAME [--param k=v]... [--warnings] [--json]`:
// a streaming change detector over one numeric column; exit kExitDrift when it flagged a
// drift, 0 when not; errors as ExitCode().
struct DetectArgs {
  std::string file;
  std::string column;
  std::string detector = "adwin";
  std::vector<std::string> params;  // "name=value"
  bool warnings = false;            // also print where warnings start
  bool json = false;
};
Result<int> RunDetect(const DetectArgs& args, std::ostream& out);

int ExitCode(const Status& status);

}  // namespace mlloop::cli
