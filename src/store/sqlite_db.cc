#include "store/sqlite_db.h"

#include <sqlite3.h>

#include <utility>

namespace mlloop::store {
namespace {

constexpr int kBusyTimeoutMs = 5000;
constexpr size_t kMaxSqlInMessage = 160;

StatusCode CodeFor(int rc) {
  switch (rc & 0xff) {  // primary result code
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_CANTOPEN:
      return StatusCode::kUnavailable;
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
      return StatusCode::kDataLoss;
    default:
      return StatusCode::kInternal;
  }
}

std::string ShortSql(std::string_view sql) {
  std::string out;
  bool space = false;
  for (char c : sql) {  // collapse whitespace so multi-line SQL reads on one line
    if (c == ' ' || c == '\n' || c == '\t' || c == '\r') {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += c;
    if (out.size() >= kMaxSqlInMessage) return out + "...";
  }
  return out;
}

bool IsMemoryPath(const std::string& path) {
  return path.empty() || path == ":memory:" || path.starts_with("file::memory:");
}

}  // namespace

// ---------------------------------------------------------------------------- Statement

Statement::Statement(Statement&& other) noexcept
    : db_(other.db_),
      stmt_(std::exchange(other.stmt_, nullptr)),
      bind_error_(std::move(other.bind_error_)) {}

Statement& Statement::operator=(Statement&& other) noexcept {
  if (this != &other) {
    if (stmt_ != nullptr) db_->Recycle(stmt_);
    db_ = other.db_;
    stmt_ = std::exchange(other.stmt_, nullptr);
    bind_error_ = std::move(other.bind_error_);
  }
  return *this;
}

Statement::~Statement() {
  if (stmt_ != nullptr) db_->Recycle(stmt_);
}

void Statement::NoteBindError(int rc, int idx) {
  if (rc == SQLITE_OK || !bind_error_.ok()) return;
  bind_error_ = db_->Error(
      rc, "binding parameter " + std::to_string(idx) + " of " + ShortSql(sqlite3_sql(stmt_)));
}

Statement& Statement::Bind(int idx, int64_t value) {
  NoteBindError(sqlite3_bind_int64(stmt_, idx, value), idx);
  return *this;
}

Statement& Statement::Bind(int idx, double value) {
  NoteBindError(sqlite3_bind_double(stmt_, idx, value), idx);
  return *this;
}

Statement& Statement::Bind(int idx, std::string_view value) {
  NoteBindError(
      sqlite3_bind_text64(stmt_, idx, value.data(), value.size(), SQLITE_TRANSIENT, SQLITE_UTF8),
      idx);
  return *this;
}

Statement& Statement::Bind(int idx, std::nullopt_t) {
  NoteBindError(sqlite3_bind_null(stmt_, idx), idx);
  return *this;
}

Statement& Statement::Bind(int idx, const std::optional<int64_t>& value) {
  return value ? Bind(idx, *value) : Bind(idx, std::nullopt);
}

Statement& Statement::Bind(int idx, const std::optional<double>& value) {
  return value ? Bind(idx, *value) : Bind(idx, std::nullopt);
}

Result<bool> Statement::Step() {
  if (!bind_error_.ok()) return bind_error_;
  int rc = sqlite3_step(stmt_);
  if (rc == SQLITE_ROW) return true;
  if (rc == SQLITE_DONE) return false;
  return db_->Error(rc, ShortSql(sqlite3_sql(stmt_)));
}

Status Statement::Run() {
  while (true) {
    MLLOOP_ASSIGN_OR_RETURN(bool row, Step());
    if (!row) return Status::Ok();
  }
}

void Statement::Reset() {
  sqlite3_reset(stmt_);
  bind_error_ = Status::Ok();
}

bool Statement::ColumnIsNull(int col) const {
  return sqlite3_column_type(stmt_, col) == SQLITE_NULL;
}

int64_t Statement::ColumnInt64(int col) const { return sqlite3_column_int64(stmt_, col); }

double Statement::ColumnDouble(int col) const { return sqlite3_column_double(stmt_, col); }

std::string Statement::ColumnText(int col) const {
  const unsigned char* text = sqlite3_column_text(stmt_, col);
  if (text == nullptr) return {};
  return std::string(reinterpret_cast<const char*>(text),
                     static_cast<size_t>(sqlite3_column_bytes(stmt_, col)));
}

std::optional<int64_t> Statement::ColumnOptionalInt64(int col) const {
  if (ColumnIsNull(col)) return std::nullopt;
  return ColumnInt64(col);
}

std::optional<double> Statement::ColumnOptionalDouble(int col) const {
  if (ColumnIsNull(col)) return std::nullopt;
  return ColumnDouble(col);
}

// ----------------------------------------------------------------------------- SqliteDb

std::string SqliteVersion() { return sqlite3_libversion(); }

Result<std::unique_ptr<SqliteDb>> SqliteDb::Open(const std::string& path) {
  sqlite3* raw = nullptr;
  int rc =
      sqlite3_open_v2(path.c_str(), &raw,
                      SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, nullptr);
  if (rc != SQLITE_OK) {
    std::string message = raw != nullptr ? sqlite3_errmsg(raw) : sqlite3_errstr(rc);
    sqlite3_close_v2(raw);
    return Status(CodeFor(rc), "sqlite: " + message + " (opening " + path + ")");
  }
  std::unique_ptr<SqliteDb> db(new SqliteDb(raw, path));
  sqlite3_extended_result_codes(raw, 1);
  sqlite3_busy_timeout(raw, kBusyTimeoutMs);
  if (!IsMemoryPath(path)) {
    // journal_mode returns the mode it ended up in; anything but "wal" means the file
    // system refused it (e.g. no shared memory), which we report rather than ignore.
    MLLOOP_ASSIGN_OR_RETURN(Statement wal, db->Prepare("PRAGMA journal_mode=WAL"));
    MLLOOP_ASSIGN_OR_RETURN(bool row, wal.Step());
    if (!row || wal.ColumnText(0) != "wal") {
      return Status::Unavailable("sqlite: could not switch " + path + " to WAL mode");
    }
  }
  MLLOOP_RETURN_IF_ERROR(db->Exec("PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;"));
  return db;
}

SqliteDb::~SqliteDb() {
  for (auto& [sql, stmts] : idle_) {
    for (sqlite3_stmt* stmt : stmts) sqlite3_finalize(stmt);
  }
  sqlite3_close_v2(db_);
}

void SqliteDb::Recycle(sqlite3_stmt* stmt) {
  // A reset statement releases its read or write lock; cleared bindings keep one use's
  // values from leaking into the next.
  sqlite3_reset(stmt);
  sqlite3_clear_bindings(stmt);
  std::vector<sqlite3_stmt*>& stmts = idle_[sqlite3_sql(stmt)];
  if (stmts.size() < kIdlePerSql) {
    stmts.push_back(stmt);
  } else {
    sqlite3_finalize(stmt);
  }
}

Status SqliteDb::Error(int rc, std::string_view context) const {
  // sqlite3_errmsg describes the most recent failure on this connection; fall back to the
  // generic text for the code when they disagree (e.g. a bind misuse).
  std::string message = sqlite3_errcode(db_) == rc ? sqlite3_errmsg(db_) : sqlite3_errstr(rc);
  return Status(CodeFor(rc), "sqlite: " + message + " (in: " + std::string(context) + ")");
}

Status SqliteDb::Exec(std::string_view sql) {
  std::string owned(sql);
  int rc = sqlite3_exec(db_, owned.c_str(), nullptr, nullptr, nullptr);
  if (rc != SQLITE_OK) return Error(rc, ShortSql(sql));
  return Status::Ok();
}

Result<Statement> SqliteDb::Prepare(std::string_view sql) {
  if (auto it = idle_.find(std::string(sql)); it != idle_.end() && !it->second.empty()) {
    sqlite3_stmt* stmt = it->second.back();
    it->second.pop_back();
    return Statement(this, stmt);
  }
  sqlite3_stmt* stmt = nullptr;
  int rc = sqlite3_prepare_v2(db_, sql.data(), static_cast<int>(sql.size()), &stmt, nullptr);
  if (rc != SQLITE_OK) {
    sqlite3_finalize(stmt);
    return Error(rc, "preparing " + ShortSql(sql));
  }
  return Statement(this, stmt);
}

int64_t SqliteDb::LastInsertRowId() const { return sqlite3_last_insert_rowid(db_); }

int64_t SqliteDb::Changes() const { return sqlite3_changes64(db_); }

bool SqliteDb::InTransaction() const { return sqlite3_get_autocommit(db_) == 0; }

// -------------------------------------------------------------------------- Transaction

Result<Transaction> Transaction::Begin(SqliteDb& db) {
  if (!db.InTransaction()) {
    MLLOOP_RETURN_IF_ERROR(db.Exec("BEGIN IMMEDIATE"));
    return Transaction(&db, "");
  }
  std::string name = "mlloop_sp" + std::to_string(db.next_savepoint_++);
  MLLOOP_RETURN_IF_ERROR(db.Exec("SAVEPOINT " + name));
  return Transaction(&db, std::move(name));
}

Transaction::Transaction(Transaction&& other) noexcept
    : db_(other.db_),
      savepoint_(std::move(other.savepoint_)),
      active_(std::exchange(other.active_, false)) {}

Transaction::~Transaction() { Rollback().IgnoreError(); }

Status Transaction::Commit() {
  if (!active_) return Status::FailedPrecondition("transaction already finished");
  MLLOOP_RETURN_IF_ERROR(db_->Exec(savepoint_.empty() ? "COMMIT" : "RELEASE " + savepoint_));
  active_ = false;
  return Status::Ok();
}

Status Transaction::Rollback() {
  if (!active_) return Status::Ok();
  active_ = false;
  if (savepoint_.empty()) {
    // Some errors (e.g. SQLITE_FULL) make SQLite roll back on its own; nothing left to undo.
    if (!db_->InTransaction()) return Status::Ok();
    return db_->Exec("ROLLBACK");
  }
  return db_->Exec("ROLLBACK TO " + savepoint_ + "; RELEASE " + savepoint_);
}

}  // namespace mlloop::store
