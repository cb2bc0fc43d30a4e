#include "store/migrations/migrations.h"

#include <string>

#include "core/clock.h"

namespace mlloop::store {
namespace {

// Version 1: models, versions with their lineage, decisions, evaluations and the
// append-only, hash-chained audit log.
constexpr std::string_view kV1Registry = R"sql(
CREATE TABLE models (
  name          TEXT PRIMARY KEY,
  next_version  INTEGER NOT NULL CHECK (next_version >= 1),  -- never decreases: numbers are never reused
  created_at    INTEGER NOT NULL
);

CREATE TABLE decisions (
  id            INTEGER PRIMARY KEY,
  model         TEXT NOT NULL,
  policy        TEXT NOT NULL,
  time          INTEGER NOT NULL,
  signals_json  TEXT NOT NULL,
  action        TEXT NOT NULL CHECK (action IN ('none', 'alert', 'retrain', 'rollback')),
  reason        TEXT NOT NULL,
  budget_left   INTEGER NOT NULL CHECK (budget_left >= -1),  -- -1 = unlimited
  version_id    INTEGER REFERENCES model_versions (id)
);
CREATE INDEX decisions_by_model ON decisions (model, id);

CREATE TABLE model_versions (
  id                INTEGER PRIMARY KEY,
  model             TEXT NOT NULL REFERENCES models (name),
  version           INTEGER NOT NULL CHECK (version >= 1),
  state             TEXT NOT NULL CHECK (state IN ('candidate', 'validated', 'approved', 'canary',
                                                   'champion', 'retired', 'rejected', 'rolled_back')),
  created_at        INTEGER NOT NULL,
  state_changed_at  INTEGER NOT NULL,
  artifact_sha256   TEXT NOT NULL CHECK (length(artifact_sha256) = 64),
  decision_id       INTEGER REFERENCES decisions (id),
  rollback_target   INTEGER REFERENCES model_versions (id),
  -- lineage
  data_hash         TEXT NOT NULL,
  data_source       TEXT NOT NULL,
  row_begin         INTEGER NOT NULL,
  row_end           INTEGER NOT NULL,
  time_begin        INTEGER NOT NULL,
  time_end          INTEGER NOT NULL,
  training_window   TEXT NOT NULL,
  config_hash       TEXT NOT NULL,
  params_json       TEXT NOT NULL,
  seed              INTEGER NOT NULL,  -- uint64 stored bit for bit in an int64
  rounds            INTEGER NOT NULL,
  xgboost_version   TEXT NOT NULL,
  mlloop_version    TEXT NOT NULL,
  git_commit        TEXT NOT NULL,
  train_seconds     REAL NOT NULL,
  UNIQUE (model, version)
);
-- Exactly one champion per model, enforced by the database as well as by the registry.
CREATE UNIQUE INDEX one_champion_per_model ON model_versions (model) WHERE state = 'champion';

CREATE TABLE evaluations (
  id              INTEGER PRIMARY KEY,
  version_id      INTEGER NOT NULL REFERENCES model_versions (id),
  champion_id     INTEGER REFERENCES model_versions (id),
  metric          TEXT NOT NULL,
  candidate_value REAL NOT NULL,
  champion_value  REAL,
  rows            INTEGER NOT NULL,
  margin          REAL NOT NULL,
  passed          INTEGER NOT NULL CHECK (passed IN (0, 1)),
  reason          TEXT NOT NULL,
  time            INTEGER NOT NULL
);
CREATE INDEX evaluations_by_version ON evaluations (version_id, id);

CREATE TABLE audit_log (
  id            INTEGER PRIMARY KEY,
  time          INTEGER NOT NULL,
  actor         TEXT NOT NULL,
  action        TEXT NOT NULL,
  subject       TEXT NOT NULL,
  details_json  TEXT NOT NULL,
  prev_hash     TEXT NOT NULL,  -- hash of the entry before, '' for the first
  hash          TEXT NOT NULL   -- sha256 over prev_hash and this entry's fields
);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: UPDATE refused');
END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN
  SELECT RAISE(ABORT, 'audit_log is append-only: DELETE refused');
END;
)sql";

// Version 2: complete lineage (the data file's hash, the configuration text, the external
// trainer's version and command hash, the environment), and an index that finds a
// version's history in the audit log.
constexpr std::string_view kV2Lineage = R"sql(
ALTER TABLE model_versions ADD COLUMN data_file_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE model_versions ADD COLUMN config_text TEXT NOT NULL DEFAULT '';
ALTER TABLE model_versions ADD COLUMN trainer_version TEXT NOT NULL DEFAULT '';
ALTER TABLE model_versions ADD COLUMN trainer_command_hash TEXT NOT NULL DEFAULT '';
ALTER TABLE model_versions ADD COLUMN sqlite_version TEXT NOT NULL DEFAULT '';
ALTER TABLE model_versions ADD COLUMN compiler TEXT NOT NULL DEFAULT '';
ALTER TABLE model_versions ADD COLUMN os TEXT NOT NULL DEFAULT '';
CREATE INDEX audit_log_by_subject ON audit_log (subject, id);
)sql";

// Version 3: access tokens. Only the SHA-256 of a token's secret is stored; a name has at
// most one active token.
constexpr std::string_view kV3Tokens = R"sql(
CREATE TABLE tokens (
  id            INTEGER PRIMARY KEY,
  name          TEXT NOT NULL CHECK (length(name) > 0),
  role          TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'approver', 'admin')),
  token_sha256  TEXT NOT NULL UNIQUE CHECK (length(token_sha256) = 64),
  created_at    INTEGER NOT NULL,
  created_by    TEXT NOT NULL,
  revoked_at    INTEGER,
  revoked_by    TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX one_active_token_per_name ON tokens (name) WHERE revoked_at IS NULL;
)sql";

// Version 4: the audit log's head (entry count, newest id and hash, and a signature), one
// row updated with every append, so that removing the newest entries is detected. A store
// migrated with entries starts from its current end.
constexpr std::string_view kV4AuditHead = R"sql(
CREATE TABLE audit_head (
  id         INTEGER PRIMARY KEY CHECK (id = 1),
  entries    INTEGER NOT NULL CHECK (entries >= 0),
  last_id    INTEGER NOT NULL,
  last_hash  TEXT NOT NULL,
  signature  TEXT NOT NULL DEFAULT ''
);
INSERT INTO audit_head (id, entries, last_id, last_hash)
  SELECT 1, COUNT(*), COALESCE(MAX(id), 0),
         COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), '')
  FROM audit_log;
CREATE TRIGGER audit_head_no_delete BEFORE DELETE ON audit_head
BEGIN
  SELECT RAISE(ABORT, 'audit_head is kept forever: DELETE refused');
END;
CREATE INDEX audit_log_by_time ON audit_log (time);
)sql";

// Version 5: Ed25519 signatures. The store's public key (its secret key is a file beside
// the database, never in it), and each version's signature of its artifact.
constexpr std::string_view kV5Signatures = R"sql(
CREATE TABLE signing_key (
  id          INTEGER PRIMARY KEY CHECK (id = 1),
  public_key  TEXT NOT NULL CHECK (length(public_key) = 64),
  created_at  INTEGER NOT NULL
);
ALTER TABLE model_versions ADD COLUMN artifact_signature TEXT NOT NULL DEFAULT '';
)sql";

// Version 6: when garbage collection removed a version's artifact.
constexpr std::string_view kV6Collected = R"sql(
ALTER TABLE model_versions ADD COLUMN artifact_collected_at INTEGER;
)sql";

// Version 7: what the validation gates found (the evaluation report as JSON, with every
// gate's numbers) and what came of a decision (e.g. which gate rejected its candidate).
constexpr std::string_view kV7EvaluationReports = R"sql(
ALTER TABLE evaluations ADD COLUMN report_json TEXT NOT NULL DEFAULT '';
ALTER TABLE decisions ADD COLUMN outcome TEXT NOT NULL DEFAULT '';
)sql";

constexpr std::string_view kCreateMigrationsTable = R"sql(
CREATE TABLE IF NOT EXISTS schema_migrations (
  version     INTEGER PRIMARY KEY,
  name        TEXT NOT NULL,
  applied_at  INTEGER NOT NULL
)
)sql";

Result<bool> IsApplied(SqliteDb& db, int version) {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt,
                          db.Prepare("SELECT 1 FROM schema_migrations WHERE version = ?1"));
  stmt.Bind(1, version);
  return stmt.Step();
}

Status Apply(SqliteDb& db, const Migration& m, int64_t now) {
  MLLOOP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(db));
  // Checked again under the write lock: another process may have migrated meanwhile.
  MLLOOP_ASSIGN_OR_RETURN(bool applied, IsApplied(db, m.version));
  if (applied) return Status::Ok();
  MLLOOP_RETURN_IF_ERROR(db.Exec(m.sql));
  MLLOOP_ASSIGN_OR_RETURN(
      Statement insert,
      db.Prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)"));
  insert.Bind(1, m.version).Bind(2, m.name).Bind(3, now);
  MLLOOP_RETURN_IF_ERROR(insert.Run());
  return txn.Commit();
}

}  // namespace

const std::vector<Migration>& RegistryMigrations() {
  static const std::vector<Migration> kMigrations = {
      {1, "registry: models, versions, decisions, evaluations, audit log", kV1Registry},
      {2, "lineage: data file hash, config text, trainer, environment", kV2Lineage},
      {3, "access tokens", kV3Tokens},
      {4, "audit head", kV4AuditHead},
      {5, "signatures: the store's public key, artifact signatures", kV5Signatures},
      {6, "garbage collection: artifact_collected_at", kV6Collected},
      {7, "evaluation reports and decision outcomes", kV7EvaluationReports},
  };
  return kMigrations;
}

int LatestSchemaVersion() { return RegistryMigrations().back().version; }

Result<int> SchemaVersion(SqliteDb& db) {
  MLLOOP_ASSIGN_OR_RETURN(
      Statement exists,
      db.Prepare(
          "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"));
  MLLOOP_ASSIGN_OR_RETURN(bool has_table, exists.Step());
  if (!has_table) return 0;
  MLLOOP_ASSIGN_OR_RETURN(Statement max,
                          db.Prepare("SELECT COALESCE(MAX(version), 0) FROM schema_migrations"));
  MLLOOP_ASSIGN_OR_RETURN(bool row, max.Step());
  return row ? static_cast<int>(max.ColumnInt64(0)) : 0;
}

Status Migrate(SqliteDb& db) {
  MLLOOP_ASSIGN_OR_RETURN(int current, SchemaVersion(db));
  if (current > LatestSchemaVersion()) {
    return Status::FailedPrecondition("database " + db.path() + " has schema version " +
                                      std::to_string(current) + ", newer than this mlloop knows (" +
                                      std::to_string(LatestSchemaVersion()) +
                                      "); upgrade mlloop to open it");
  }
  MLLOOP_RETURN_IF_ERROR(db.Exec(kCreateMigrationsTable));
  int64_t now = core::RealClock().Now();
  for (const Migration& m : RegistryMigrations()) {
    Status s = Apply(db, m, now);
    if (!s.ok()) return s.WithContext("applying migration " + std::to_string(m.version));
  }
  return Status::Ok();
}

}  // namespace mlloop::store
