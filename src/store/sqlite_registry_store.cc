#include "store/sqlite_registry_store.h"

#include <algorithm>
#include <bit>
#include <type_traits>

#include "store/migrations/migrations.h"

namespace mlloop::store {
namespace {

constexpr std::string_view kVersionColumns =
    "id, model, version, state, created_at, state_changed_at, artifact_sha256, decision_id, "
    "rollback_target, data_hash, data_source, row_begin, row_end, time_begin, time_end, "
    "training_window, config_hash, params_json, seed, rounds, xgboost_version, "
    "mlloop_version, git_commit, train_seconds, data_file_hash, config_text, trainer_version, "
    "trainer_command_hash, sqlite_version, compiler, os, artifact_signature, "
    "artifact_collected_at";

constexpr std::string_view kDecisionColumns =
    "id, model, policy, time, signals_json, action, reason, budget_left, version_id, outcome";

constexpr std::string_view kEvaluationColumns =
    "id, version_id, champion_id, metric, candidate_value, champion_value, rows, margin, "
    "passed, reason, time, report_json";

constexpr std::string_view kAuditColumns =
    "id, time, actor, action, subject, details_json, prev_hash, hash";

Result<ModelVersion> ReadVersion(const Statement& s) {
  ModelVersion v;
  v.id = s.ColumnInt64(0);
  v.model = s.ColumnText(1);
  v.version = s.ColumnInt64(2);
  MLLOOP_ASSIGN_OR_RETURN(v.state, ParseVersionState(s.ColumnText(3)));
  v.created_at = s.ColumnInt64(4);
  v.state_changed_at = s.ColumnInt64(5);
  v.artifact_sha256 = s.ColumnText(6);
  v.decision_id = s.ColumnOptionalInt64(7);
  v.rollback_target = s.ColumnOptionalInt64(8);
  Lineage& l = v.lineage;
  l.data_hash = s.ColumnText(9);
  l.data_source = s.ColumnText(10);
  l.row_begin = s.ColumnInt64(11);
  l.row_end = s.ColumnInt64(12);
  l.time_begin = s.ColumnInt64(13);
  l.time_end = s.ColumnInt64(14);
  l.training_window = s.ColumnText(15);
  l.config_hash = s.ColumnText(16);
  l.params_json = s.ColumnText(17);
  l.seed = std::bit_cast<uint64_t>(s.ColumnInt64(18));
  l.rounds = static_cast<int>(s.ColumnInt64(19));
  l.xgboost_version = s.ColumnText(20);
  l.mlloop_version = s.ColumnText(21);
  l.git_commit = s.ColumnText(22);
  l.train_seconds = s.ColumnDouble(23);
  l.data_file_hash = s.ColumnText(24);
  l.config_text = s.ColumnText(25);
  l.trainer_version = s.ColumnText(26);
  l.trainer_command_hash = s.ColumnText(27);
  l.sqlite_version = s.ColumnText(28);
  l.compiler = s.ColumnText(29);
  l.os = s.ColumnText(30);
  v.artifact_signature = s.ColumnText(31);
  v.artifact_collected_at = s.ColumnOptionalInt64(32);
  return v;
}

Decision ReadDecision(const Statement& s) {
  Decision d;
  d.id = s.ColumnInt64(0);
  d.model = s.ColumnText(1);
  d.policy = s.ColumnText(2);
  d.time = s.ColumnInt64(3);
  d.signals_json = s.ColumnText(4);
  d.action = s.ColumnText(5);
  d.reason = s.ColumnText(6);
  d.budget_left = s.ColumnInt64(7);
  d.version_id = s.ColumnOptionalInt64(8);
  d.outcome = s.ColumnText(9);
  return d;
}

Evaluation ReadEvaluation(const Statement& s) {
  Evaluation e;
  e.id = s.ColumnInt64(0);
  e.version_id = s.ColumnInt64(1);
  e.champion_id = s.ColumnOptionalInt64(2);
  e.metric = s.ColumnText(3);
  e.candidate_value = s.ColumnDouble(4);
  e.champion_value = s.ColumnOptionalDouble(5);
  e.rows = s.ColumnInt64(6);
  e.margin = s.ColumnDouble(7);
  e.passed = s.ColumnInt64(8) != 0;
  e.reason = s.ColumnText(9);
  e.time = s.ColumnInt64(10);
  e.report_json = s.ColumnText(11);
  return e;
}

AuditEntry ReadAudit(const Statement& s) {
  AuditEntry a;
  a.id = s.ColumnInt64(0);
  a.time = s.ColumnInt64(1);
  a.actor = s.ColumnText(2);
  a.action = s.ColumnText(3);
  a.subject = s.ColumnText(4);
  a.details_json = s.ColumnText(5);
  a.prev_hash = s.ColumnText(6);
  a.hash = s.ColumnText(7);
  return a;
}

constexpr std::string_view kTokenColumns =
    "id, name, role, token_sha256, created_at, created_by, revoked_at, revoked_by";

Result<Token> ReadToken(const Statement& s) {
  Token t;
  t.id = s.ColumnInt64(0);
  t.name = s.ColumnText(1);
  MLLOOP_ASSIGN_OR_RETURN(t.role, ParseRole(s.ColumnText(2)));
  t.token_sha256 = s.ColumnText(3);
  t.created_at = s.ColumnInt64(4);
  t.created_by = s.ColumnText(5);
  t.revoked_at = s.ColumnOptionalInt64(6);
  t.revoked_by = s.ColumnText(7);
  return t;
}

// Steps `stmt` to the end, turning each row into a T with `read`.
template <typename T, typename ReadFn>
Result<std::vector<T>> Collect(Statement& stmt, ReadFn read) {
  std::vector<T> out;
  while (true) {
    MLLOOP_ASSIGN_OR_RETURN(bool row, stmt.Step());
    if (!row) return out;
    if constexpr (std::is_same_v<decltype(read(stmt)), T>) {
      out.push_back(read(stmt));
    } else {
      MLLOOP_ASSIGN_OR_RETURN(T value, read(stmt));
      out.push_back(std::move(value));
    }
  }
}

template <typename T>
Result<std::optional<T>> AtMostOne(Result<std::vector<T>> rows) {
  if (!rows.ok()) return rows.status();
  if (rows->empty()) return std::optional<T>();
  return std::optional<T>(std::move(rows->front()));
}

// "LIMIT n" as a bindable value: SQLite treats a negative limit as no limit.
int64_t SqlLimit(size_t limit) { return limit == 0 ? -1 : static_cast<int64_t>(limit); }

}  // namespace

Result<std::unique_ptr<SqliteRegistryStore>> SqliteRegistryStore::Open(const std::string& path) {
  MLLOOP_ASSIGN_OR_RETURN(std::unique_ptr<SqliteDb> db, SqliteDb::Open(path));
  MLLOOP_RETURN_IF_ERROR(Migrate(*db));
  return std::unique_ptr<SqliteRegistryStore>(new SqliteRegistryStore(std::move(db)));
}

SqliteRegistryStore::~SqliteRegistryStore() {
  while (!transactions_.empty()) {  // innermost first
    transactions_.back().Rollback().IgnoreError();
    transactions_.pop_back();
  }
}

// --------------------------------------------------------------------------- transactions

Status SqliteRegistryStore::Begin() {
  MLLOOP_ASSIGN_OR_RETURN(Transaction txn, Transaction::Begin(*db_));
  transactions_.push_back(std::move(txn));
  return Status::Ok();
}

Status SqliteRegistryStore::Commit() {
  if (transactions_.empty()) return Status::FailedPrecondition("Commit without Begin");
  Status s = transactions_.back().Commit();
  if (!s.ok()) s = s.WithContext("commit failed, rolled back");
  transactions_.pop_back();  // rolls back when the commit failed
  return s;
}

Status SqliteRegistryStore::Rollback() {
  if (transactions_.empty()) return Status::FailedPrecondition("Rollback without Begin");
  Status s = transactions_.back().Rollback();
  transactions_.pop_back();
  return s;
}

// ------------------------------------------------------------------- models and versions

Result<int64_t> SqliteRegistryStore::ReserveVersionNumber(const std::string& model, int64_t time) {
  MLLOOP_ASSIGN_OR_RETURN(Statement upsert, db_->Prepare(R"sql(
      INSERT INTO models (name, next_version, created_at) VALUES (?1, 2, ?2)
      ON CONFLICT (name) DO UPDATE SET next_version = next_version + 1
      RETURNING next_version - 1)sql"));
  upsert.Bind(1, model).Bind(2, time);
  MLLOOP_ASSIGN_OR_RETURN(bool row, upsert.Step());
  if (!row) return Status::Internal("reserving a version number of " + model + " returned nothing");
  int64_t number = upsert.ColumnInt64(0);
  MLLOOP_RETURN_IF_ERROR(upsert.Run());
  return number;
}

Result<std::vector<std::string>> SqliteRegistryStore::ListModels() {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT name FROM models ORDER BY name"));
  return Collect<std::string>(stmt, [](const Statement& s) { return s.ColumnText(0); });
}

Result<int64_t> SqliteRegistryStore::InsertVersion(const ModelVersion& v) {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(R"sql(
      INSERT INTO model_versions (model, version, state, created_at, state_changed_at,
        artifact_sha256, decision_id, rollback_target, data_hash, data_source, row_begin,
        row_end, time_begin, time_end, training_window, config_hash, params_json, seed, rounds,
        xgboost_version, mlloop_version, git_commit, train_seconds, data_file_hash, config_text,
        trainer_version, trainer_command_hash, sqlite_version, compiler, os, artifact_signature,
        artifact_collected_at)
      VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
              ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28, ?29, ?30, ?31, ?32))sql"));
  const Lineage& l = v.lineage;
  stmt.Bind(1, v.model)
      .Bind(2, v.version)
      .Bind(3, VersionStateName(v.state))
      .Bind(4, v.created_at)
      .Bind(5, v.state_changed_at)
      .Bind(6, v.artifact_sha256)
      .Bind(7, v.decision_id)
      .Bind(8, v.rollback_target)
      .Bind(9, l.data_hash)
      .Bind(10, l.data_source)
      .Bind(11, l.row_begin)
      .Bind(12, l.row_end)
      .Bind(13, l.time_begin)
      .Bind(14, l.time_end)
      .Bind(15, l.training_window)
      .Bind(16, l.config_hash)
      .Bind(17, l.params_json)
      .Bind(18, std::bit_cast<int64_t>(l.seed))
      .Bind(19, l.rounds)
      .Bind(20, l.xgboost_version)
      .Bind(21, l.mlloop_version)
      .Bind(22, l.git_commit)
      .Bind(23, l.train_seconds)
      .Bind(24, l.data_file_hash)
      .Bind(25, l.config_text)
      .Bind(26, l.trainer_version)
      .Bind(27, l.trainer_command_hash)
      .Bind(28, l.sqlite_version)
      .Bind(29, l.compiler)
      .Bind(30, l.os)
      .Bind(31, v.artifact_signature)
      .Bind(32, v.artifact_collected_at);
  MLLOOP_RETURN_IF_ERROR(stmt.Run());
  return db_->LastInsertRowId();
}

Result<std::vector<ModelVersion>> SqliteRegistryStore::QueryVersions(
    std::string_view where, const std::string& text_arg, std::optional<int64_t> int_arg) {
  std::string sql = "SELECT " + std::string(kVersionColumns) + " FROM model_versions " +
                    std::string(where) + " ORDER BY model, version";
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql));
  if (!text_arg.empty()) stmt.Bind(1, text_arg);
  if (int_arg) stmt.Bind(text_arg.empty() ? 1 : 2, *int_arg);
  return Collect<ModelVersion>(stmt, ReadVersion);
}

Result<std::optional<ModelVersion>> SqliteRegistryStore::FindVersionById(int64_t id) {
  return AtMostOne(QueryVersions("WHERE id = ?1", "", id));
}

Result<std::optional<ModelVersion>> SqliteRegistryStore::FindVersion(const std::string& model,
                                                                     int64_t version) {
  return AtMostOne(QueryVersions("WHERE model = ?1 AND version = ?2", model, version));
}

Result<std::vector<ModelVersion>> SqliteRegistryStore::ListVersions(const std::string& model) {
  if (model.empty()) return QueryVersions("", "", std::nullopt);
  return QueryVersions("WHERE model = ?1", model, std::nullopt);
}

Result<std::optional<ModelVersion>> SqliteRegistryStore::FindChampion(const std::string& model) {
  return AtMostOne(QueryVersions("WHERE model = ?1 AND state = 'champion'", model, std::nullopt));
}

Status SqliteRegistryStore::SetArtifactSignature(int64_t id, const std::string& signature) {
  MLLOOP_ASSIGN_OR_RETURN(
      Statement stmt, db_->Prepare("UPDATE model_versions SET artifact_signature = ?2 WHERE id = ?1"));
  stmt.Bind(1, id).Bind(2, signature);
  MLLOOP_RETURN_IF_ERROR(stmt.Run());
  if (db_->Changes() == 0) {
    return Status::NotFound("no model version with id " + std::to_string(id));
  }
  return Status::Ok();
}

Status SqliteRegistryStore::SetArtifactCollected(int64_t id, int64_t time) {
  MLLOOP_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("UPDATE model_versions SET artifact_collected_at = ?2 WHERE id = ?1"));
  stmt.Bind(1, id).Bind(2, time);
  MLLOOP_RETURN_IF_ERROR(stmt.Run());
  if (db_->Changes() == 0) {
    return Status::NotFound("no model version with id " + std::to_string(id));
  }
  return Status::Ok();
}

Status SqliteRegistryStore::UpdateVersionState(int64_t id, VersionState state,
                                               std::optional<int64_t> rollback_target,
                                               int64_t time) {
  MLLOOP_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare(
          "UPDATE model_versions SET state = ?2, rollback_target = ?3, state_changed_at = ?4 "
          "WHERE id = ?1"));
  stmt.Bind(1, id).Bind(2, VersionStateName(state)).Bind(3, rollback_target).Bind(4, time);
  MLLOOP_RETURN_IF_ERROR(stmt.Run());
  if (db_->Changes() == 0)
    return Status::NotFound("no model version with id " + std::to_string(id));
  return Status::Ok();
}

// ----------------------------------------------------------------------------- decisions

Result<int64_t> SqliteRegistryStore::InsertDecision(const Decision& d) {
  MLLOOP_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare(
          "INSERT INTO decisions (model, policy, time, signals_json, action, reason, budget_left, "
          "version_id, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"));
  stmt.Bind(1, d.model)
      .Bind(2, d.policy)
      .Bind(3, d.time)
      .Bind(4, d.signals_json)
      .Bind(5, d.action)
      .Bind(6, d.reason)
      .Bind(7, d.budget_left)
      .Bind(8, d.version_id)
      .Bind(9, d.outcome);
  MLLOOP_RETURN_IF_ERROR(stmt.Run());
  return db_->LastInsertRowId();
}

Status SqliteRegistryStore::SetDecisionVersion(int64_t decision_id, int64_t version_id) {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt,
                          db_->Prepare("UPDATE decisions SET version_id = ?2 WHERE id = ?1"));
  stmt.Bind(1, decision_id).Bind(2, version_id);
  MLLOOP_RETURN_IF_ERROR(stmt.Run());
  if (db_->Changes() == 0) {
    return Status::NotFound("no decision with id " + std::to_string(decision_id));
  }
  return Status::Ok();
}

Status SqliteRegistryStore::SetDecisionOutcome(int64_t decision_id, const std::string& outcome) {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt,
                          db_->Prepare("UPDATE decisions SET outcome = ?2 WHERE id = ?1"));
  stmt.Bind(1, decision_id).Bind(2, outcome);
  MLLOOP_RETURN_IF_ERROR(stmt.Run());
  if (db_->Changes() == 0) {
    return Status::NotFound("no decision with id " + std::to_string(decision_id));
  }
  return Status::Ok();
}

Result<std::optional<Decision>> SqliteRegistryStore::FindDecision(int64_t id) {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT " + std::string(kDecisionColumns) +
                                                       " FROM decisions WHERE id = ?1"));
  stmt.Bind(1, id);
  return AtMostOne(Collect<Decision>(stmt, ReadDecision));
}

Result<std::vector<Decision>> SqliteRegistryStore::ListDecisions(const std::string& model,
                                                                 size_t limit,
                                                                 const std::string& policy_prefix) {
  // The newest `limit` rows, then put back in chronological order. The prefix matches with
  // substr, not LIKE, as the audit's model filter does.
  std::string sql = "SELECT " + std::string(kDecisionColumns) + " FROM decisions " +
                    (model.empty() ? "WHERE ?1 = ''" : "WHERE model = ?1") +
                    " AND (?3 = '' OR substr(policy, 1, length(?3)) = ?3)"
                    " ORDER BY id DESC LIMIT ?2";
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare(sql));
  stmt.Bind(1, model).Bind(2, SqlLimit(limit)).Bind(3, policy_prefix);
  MLLOOP_ASSIGN_OR_RETURN(std::vector<Decision> out, Collect<Decision>(stmt, ReadDecision));
  std::reverse(out.begin(), out.end());
  return out;
}

// --------------------------------------------------------------------------- evaluations

Result<int64_t> SqliteRegistryStore::InsertEvaluation(const Evaluation& e) {
  MLLOOP_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("INSERT INTO evaluations (version_id, champion_id, metric, candidate_value, "
                   "champion_value, rows, margin, passed, reason, time, report_json) "
                   "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)"));
  stmt.Bind(1, e.version_id)
      .Bind(2, e.champion_id)
      .Bind(3, e.metric)
      .Bind(4, e.candidate_value)
      .Bind(5, e.champion_value)
      .Bind(6, e.rows)
      .Bind(7, e.margin)
      .Bind(8, e.passed ? 1 : 0)
      .Bind(9, e.reason)
      .Bind(10, e.time)
      .Bind(11, e.report_json);
  MLLOOP_RETURN_IF_ERROR(stmt.Run());
  return db_->LastInsertRowId();
}

Result<std::vector<Evaluation>> SqliteRegistryStore::ListEvaluations(int64_t version_id) {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt,
                          db_->Prepare("SELECT " + std::string(kEvaluationColumns) +
                                       " FROM evaluations WHERE version_id = ?1 ORDER BY id"));
  stmt.Bind(1, version_id);
  return Collect<Evaluation>(stmt, ReadEvaluation);
}

// ----------------------------------------------------------------------------- audit log

Status SqliteRegistryStore::InsertAuditEntry(const AuditEntry& e) {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt,
                          db_->Prepare("INSERT INTO audit_log (" + std::string(kAuditColumns) +
                                       ") VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"));
  stmt.Bind(1, e.id)
      .Bind(2, e.time)
      .Bind(3, e.actor)
      .Bind(4, e.action)
      .Bind(5, e.subject)
      .Bind(6, e.details_json)
      .Bind(7, e.prev_hash)
      .Bind(8, e.hash);
  return stmt.Run();
}

Result<std::optional<AuditEntry>> SqliteRegistryStore::LastAuditEntry() {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT " + std::string(kAuditColumns) +
                                                       " FROM audit_log ORDER BY id DESC LIMIT 1"));
  return AtMostOne(Collect<AuditEntry>(stmt, ReadAudit));
}

Result<std::vector<AuditEntry>> SqliteRegistryStore::ListAuditEntries(int64_t after_id,
                                                                      size_t limit) {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt,
                          db_->Prepare("SELECT " + std::string(kAuditColumns) +
                                       " FROM audit_log WHERE id > ?1 ORDER BY id LIMIT ?2"));
  stmt.Bind(1, after_id).Bind(2, SqlLimit(limit));
  return Collect<AuditEntry>(stmt, ReadAudit);
}

Result<std::vector<AuditEntry>> SqliteRegistryStore::RecentAuditEntries(size_t limit) {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt,
                          db_->Prepare("SELECT " + std::string(kAuditColumns) +
                                       " FROM audit_log ORDER BY id DESC LIMIT ?1"));
  stmt.Bind(1, SqlLimit(limit));
  MLLOOP_ASSIGN_OR_RETURN(std::vector<AuditEntry> out, Collect<AuditEntry>(stmt, ReadAudit));
  std::reverse(out.begin(), out.end());
  return out;
}

Result<std::vector<AuditEntry>> SqliteRegistryStore::ListAuditEntriesFor(
    const std::string& subject) {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt,
                          db_->Prepare("SELECT " + std::string(kAuditColumns) +
                                       " FROM audit_log WHERE subject = ?1 ORDER BY id"));
  stmt.Bind(1, subject);
  return Collect<AuditEntry>(stmt, ReadAudit);
}

Result<std::vector<AuditEntry>> SqliteRegistryStore::FindAuditEntries(const AuditFilter& f,
                                                                      size_t limit) {
  // Each condition is true for an empty parameter, so one statement serves every filter.
  // The model matches by prefix with substr, not LIKE: '_' is common in model names.
  MLLOOP_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT " + std::string(kAuditColumns) + " FROM audit_log WHERE "
                   "(?1 = '' OR subject = ?1 OR substr(subject, 1, length(?1) + 2) = ?1 || ' v') "
                   "AND (?2 = '' OR actor = ?2) AND (?3 = '' OR action = ?3) AND time >= ?4 "
                   "ORDER BY id DESC LIMIT ?5"));
  stmt.Bind(1, f.model).Bind(2, f.actor).Bind(3, f.action).Bind(4, f.since).Bind(5, SqlLimit(limit));
  MLLOOP_ASSIGN_OR_RETURN(std::vector<AuditEntry> out, Collect<AuditEntry>(stmt, ReadAudit));
  std::reverse(out.begin(), out.end());
  return out;
}

Result<AuditHead> SqliteRegistryStore::GetAuditHead() {
  MLLOOP_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("SELECT entries, last_id, last_hash, signature FROM audit_head WHERE id = 1"));
  MLLOOP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  AuditHead head;
  if (!row) return head;
  head.entries = stmt.ColumnInt64(0);
  head.last_id = stmt.ColumnInt64(1);
  head.last_hash = stmt.ColumnText(2);
  head.signature = stmt.ColumnText(3);
  return head;
}

Status SqliteRegistryStore::SetAuditHead(const AuditHead& head) {
  MLLOOP_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("INSERT INTO audit_head (id, entries, last_id, last_hash, signature) "
                   "VALUES (1, ?1, ?2, ?3, ?4) ON CONFLICT (id) DO UPDATE SET "
                   "entries = ?1, last_id = ?2, last_hash = ?3, signature = ?4"));
  stmt.Bind(1, head.entries).Bind(2, head.last_id).Bind(3, head.last_hash).Bind(4, head.signature);
  return stmt.Run();
}

// --------------------------------------------------------------------------- signing key

Result<std::optional<std::string>> SqliteRegistryStore::GetPublicKey() {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt,
                          db_->Prepare("SELECT public_key FROM signing_key WHERE id = 1"));
  MLLOOP_ASSIGN_OR_RETURN(bool row, stmt.Step());
  if (!row) return std::optional<std::string>();
  return std::optional<std::string>(stmt.ColumnText(0));
}

Status SqliteRegistryStore::SetPublicKey(const std::string& public_key_hex, int64_t time) {
  MLLOOP_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("INSERT INTO signing_key (id, public_key, created_at) VALUES (1, ?1, ?2)"));
  stmt.Bind(1, public_key_hex).Bind(2, time);
  Status s = stmt.Run();
  if (!s.ok() && s.message().find("UNIQUE constraint failed") != std::string::npos) {
    return Status::AlreadyExists("the store already has a signing key");
  }
  return s;
}

// -------------------------------------------------------------------------------- tokens

Result<int64_t> SqliteRegistryStore::InsertToken(const Token& t) {
  MLLOOP_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("INSERT INTO tokens (name, role, token_sha256, created_at, created_by, "
                   "revoked_at, revoked_by) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)"));
  stmt.Bind(1, t.name)
      .Bind(2, RoleName(t.role))
      .Bind(3, t.token_sha256)
      .Bind(4, t.created_at)
      .Bind(5, t.created_by)
      .Bind(6, t.revoked_at)
      .Bind(7, t.revoked_by);
  Status s = stmt.Run();
  if (!s.ok() && s.message().find("UNIQUE constraint failed") != std::string::npos) {
    return Status::AlreadyExists("an active token named '" + t.name + "' already exists");
  }
  MLLOOP_RETURN_IF_ERROR(s);
  return db_->LastInsertRowId();
}

Result<std::optional<Token>> SqliteRegistryStore::FindTokenByHash(
    const std::string& token_sha256) {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT " + std::string(kTokenColumns) +
                                                       " FROM tokens WHERE token_sha256 = ?1"));
  stmt.Bind(1, token_sha256);
  return AtMostOne(Collect<Token>(stmt, ReadToken));
}

Result<std::vector<Token>> SqliteRegistryStore::ListTokens() {
  MLLOOP_ASSIGN_OR_RETURN(Statement stmt, db_->Prepare("SELECT " + std::string(kTokenColumns) +
                                                       " FROM tokens ORDER BY id"));
  return Collect<Token>(stmt, ReadToken);
}

Status SqliteRegistryStore::RevokeToken(int64_t id, int64_t time, const std::string& by) {
  MLLOOP_ASSIGN_OR_RETURN(
      Statement stmt,
      db_->Prepare("UPDATE tokens SET revoked_at = ?2, revoked_by = ?3 "
                   "WHERE id = ?1 AND revoked_at IS NULL"));
  stmt.Bind(1, id).Bind(2, time).Bind(3, by);
  MLLOOP_RETURN_IF_ERROR(stmt.Run());
  if (db_->Changes() == 0) {
    return Status::NotFound("no active token with id " + std::to_string(id));
  }
  return Status::Ok();
}

}  // namespace mlloop::store
