// The records the registry keeps, as plain values shared by the storage interface
// (store/registry_store.h) and the public registry API, which re-exports them.
//
// Times are Unix seconds, UTC. Ids are assigned by the store and are 0 until then.
// Thread-safety: plain values.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "core/status.h"

namespace mlloop::store {

// The lifecycle of a model version (DESIGN.md, "States of a model version"). The legal
// moves between states are the registry's business, not the store's.
enum class VersionState {
  kCandidate,
  kValidated,
  kApproved,
  kCanary,
  kChampion,
  kRetired,
  kRejected,
  kRolledBack,
};

// "candidate", "validated", "approved", "canary", "champion", "retired", "rejected",
// "rolled_back": the names used in the database, the audit log, the CLI and JSON.
std::string_view VersionStateName(VersionState state);
// Inverse of VersionStateName; InvalidArgument listing the valid names otherwise.
Result<VersionState> ParseVersionState(std::string_view name);

// What a person or service may do with a registry (registry/access.h has the rules).
enum class Role { kViewer, kOperator, kApprover, kAdmin };

// "viewer", "operator", "approver", "admin".
std::string_view RoleName(Role role);
// Inverse of RoleName; InvalidArgument listing the valid names otherwise.
Result<Role> ParseRole(std::string_view name);

// An access token, as stored: only the SHA-256 of its secret is kept, never the secret.
struct Token {
  int64_t id = 0;
  std::string name;  // whom it was issued to: a person or a service
  Role role = Role::kViewer;
  std::string token_sha256;
  int64_t created_at = 0;
  std::string created_by;
  std::optional<int64_t> revoked_at;
  std::string revoked_by;  // "" while active

  bool operator==(const Token&) const = default;
};

// Where a model version came from: enough to reproduce its training run, and to say on
// which machine and with which code it was built. Empty strings mean "not recorded"
// (versions registered before a field existed, or a trainer that has no such thing).
struct Lineage {
  std::string data_hash;       // content hash of the training snapshot (io/snapshot.h)
  std::string data_source;     // e.g. the absolute CSV path or table the rows came from
  std::string data_file_hash;  // SHA-256 of the whole source file's bytes when read
  int64_t row_begin = 0;    // [row_begin, row_end) rows of the source
  int64_t row_end = 0;
  int64_t time_begin = 0;  // [time_begin, time_end) event times of those rows
  int64_t time_end = 0;
  std::string training_window;  // as configured, e.g. "last 4000 rows"
  std::string config_hash;  // SHA-256 of config_text
  std::string config_text;  // the model's YAML file as it was when the version was trained
  std::string params_json;  // trainer parameters as a JSON object
  uint64_t seed = 0;
  int rounds = 0;
  // Code: mlloop itself, and for an external trainer its own version string (as it
  // reports it) and the SHA-256 of its command line; both empty for the XGBoost trainer.
  std::string mlloop_version;
  std::string git_commit;
  std::string trainer_version;
  std::string trainer_command_hash;
  // Environment: the libraries and machine that trained it.
  std::string xgboost_version;
  std::string sqlite_version;
  std::string compiler;  // e.g. "GCC 12.2.0"
  std::string os;        // e.g. "Debian GNU/Linux 12 (bookworm); Linux 6.1.0-13-amd64 x86_64"
  double train_seconds = 0;

  bool operator==(const Lineage&) const = default;
};

struct ModelVersion {
  int64_t id = 0;
  std::string model;
  int64_t version = 0;  // 1, 2, 3 ... per model; never reused
  VersionState state = VersionState::kCandidate;
  int64_t created_at = 0;
  int64_t state_changed_at = 0;  // when `state` was last set
  std::string artifact_sha256;
  std::string artifact_signature;  // Ed25519, hex (registry/signing.h); "" = unsigned
  std::optional<int64_t> artifact_collected_at;  // when `mlloop gc` removed the artifact
  Lineage lineage;
  std::optional<int64_t> decision_id;      // the decision that asked for this version
  std::optional<int64_t> rollback_target;  // id of the champion it replaced / would replace

  bool operator==(const ModelVersion&) const = default;
};

// One controller tick's verdict (DESIGN.md, "The model of a decision").
struct Decision {
  int64_t id = 0;
  std::string model;
  std::string policy;
  int64_t time = 0;
  std::string signals_json;  // {name: {value, threshold, fired}}
  std::string action;        // none | alert | retrain | rollback
  std::string reason;
  int64_t budget_left = -1;           // -1 = unlimited
  std::optional<int64_t> version_id;  // the version this decision produced or acted on
  // What came of it, set once after the fact: e.g. "v7 rejected: gate segments_accuracy
  // rejected: ...". "" until then (and for decisions that acted on nothing).
  std::string outcome;

  bool operator==(const Decision&) const = default;
};

// One gate of a challenger-vs-champion comparison.
struct Evaluation {
  int64_t id = 0;
  int64_t version_id = 0;
  std::optional<int64_t> champion_id;
  std::string metric;
  double candidate_value = 0;
  std::optional<double> champion_value;
  int64_t rows = 0;
  double margin = 0;
  bool passed = false;
  std::string reason;
  int64_t time = 0;
  // The whole evaluation as JSON (validate::Evaluation::ToJson: every gate with its
  // numbers); "" for evaluations recorded before gates existed.
  std::string report_json;

  bool operator==(const Evaluation&) const = default;
};

// One line of the append-only audit log. `prev_hash` and `hash` chain the entries; they
// are computed by the registry when the entry is appended (see registry/audit_chain.h).
struct AuditEntry {
  int64_t id = 0;
  int64_t time = 0;
  std::string actor;
  std::string action;
  std::string subject;
  std::string details_json;
  std::string prev_hash;
  std::string hash;

  bool operator==(const AuditEntry&) const = default;
};

// The newest state of the audit log, kept apart from the entries and updated in the same
// transaction as each append: how many entries there are and which is the newest. Walking
// the chain finds edited, removed and reordered entries; only the head can tell that the
// newest entries were removed.
struct AuditHead {
  int64_t entries = 0;
  int64_t last_id = 0;     // 0 while the log is empty
  std::string last_hash;   // "" while the log is empty
  std::string signature;   // over the three fields above by the store's key; "" when unsigned

  bool operator==(const AuditHead&) const = default;
};

// Which audit entries to list; empty fields match everything.
struct AuditFilter {
  std::string model;   // "m": entries about model m or any of its versions; "m v3": that version
  std::string actor;
  std::string action;
  int64_t since = 0;   // time >= since
};

}  // namespace mlloop::store
