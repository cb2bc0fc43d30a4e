// SqliteDb: a thin RAII layer over one SQLite connection, the only code that calls the
// sqlite3 C API. Every SQLite error becomes a Status carrying SQLite's message and the
// statement it came from; codes are mapped as
//   SQLITE_BUSY / LOCKED / CANTOPEN -> kUnavailable (another writer, or a path we cannot open)
//   SQLITE_CORRUPT / NOTADB          -> kDataLoss
//   anything else                     -> kInternal
//
// Thread-safety: a SqliteDb and its Statements belong to one thread at a time. Several
// connections (threads or processes) may share one database file; WAL mode and a 5 s busy
// timeout let readers proceed while one writer holds the lock.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "core/status.h"

struct sqlite3;
struct sqlite3_stmt;

namespace mlloop::store {

class SqliteDb;

// The SQLite library's version, e.g. "3.40.1", for lineage.
std::string SqliteVersion();

// One prepared statement. Bind* calls chain and never fail on their own: the first bind
// error is remembered and returned by the next Step(), so call sites stay flat.
// Parameter indexes are 1-based, as in SQLite.
class Statement {
 public:
  Statement(Statement&& other) noexcept;
  Statement& operator=(Statement&& other) noexcept;
  Statement(const Statement&) = delete;
  Statement& operator=(const Statement&) = delete;
  ~Statement();

  Statement& Bind(int idx, int64_t value);
  Statement& Bind(int idx, int value) { return Bind(idx, static_cast<int64_t>(value)); }
  Statement& Bind(int idx, double value);
  Statement& Bind(int idx, std::string_view value);  // copied by SQLite
  Statement& Bind(int idx, const char* value) { return Bind(idx, std::string_view(value)); }
  Statement& Bind(int idx, std::nullopt_t);
  Statement& Bind(int idx, const std::optional<int64_t>& value);
  Statement& Bind(int idx, const std::optional<double>& value);

  // Runs to the next row. Returns true when a row is available through the Column*
  // getters, false when the statement is done; a non-OK status on any error (including
  // a deferred bind error).
  Result<bool> Step();
  // Steps until done; an error if it fails. For INSERT/UPDATE/DELETE.
  Status Run();
  // Makes the statement ready to run again; bindings are kept until rebound.
  void Reset();

  // Column getters for the current row (0-based). REQUIRES: the last Step() returned true.
  bool ColumnIsNull(int col) const;
  int64_t ColumnInt64(int col) const;
  double ColumnDouble(int col) const;
  std::string ColumnText(int col) const;  // "" for NULL
  std::optional<int64_t> ColumnOptionalInt64(int col) const;
  std::optional<double> ColumnOptionalDouble(int col) const;

 private:
  friend class SqliteDb;
  Statement(SqliteDb* db, sqlite3_stmt* stmt) : db_(db), stmt_(stmt) {}
  void NoteBindError(int rc, int idx);

  SqliteDb* db_;
  sqlite3_stmt* stmt_;
  Status bind_error_;
};

class SqliteDb {
 public:
  // Opens (creating if missing) the database at `path`; ":memory:" gives a private
  // in-memory database. Sets journal_mode=WAL (files only), synchronous=NORMAL,
  // foreign_keys=ON and a 5000 ms busy timeout.
  static Result<std::unique_ptr<SqliteDb>> Open(const std::string& path);

  SqliteDb(const SqliteDb&) = delete;
  SqliteDb& operator=(const SqliteDb&) = delete;
  ~SqliteDb();

  // Runs one or more ';'-separated statements that return no rows of interest.
  Status Exec(std::string_view sql);
  // A statement for `sql`. Compiled statements are kept when a Statement is destroyed and
  // handed out again for the same text, so a registry that records thousands of decisions
  // parses each of its few SQL texts once. REQUIRES: every Statement is destroyed before
  // this SqliteDb.
  Result<Statement> Prepare(std::string_view sql);

  int64_t LastInsertRowId() const;
  // Rows changed by the last INSERT/UPDATE/DELETE.
  int64_t Changes() const;
  // True while a transaction (BEGIN ... COMMIT) is open on this connection.
  bool InTransaction() const;
  const std::string& path() const { return path_; }

  // The raw handle, for the rare caller (tests) that needs it. Ownership stays here.
  sqlite3* handle() const { return db_; }

  // Builds the Status for SQLite result code `rc`, e.g.
  // "sqlite: UNIQUE constraint failed: t.x (in: INSERT INTO t ...)".
  Status Error(int rc, std::string_view context) const;

 private:
  friend class Transaction;
  friend class Statement;
  SqliteDb(sqlite3* db, std::string path) : db_(db), path_(std::move(path)) {}
  // Takes back a statement that its Statement no longer needs (reset, bindings cleared).
  void Recycle(sqlite3_stmt* stmt);

  sqlite3* db_;
  std::string path_;
  // Idle compiled statements by SQL text, at most kIdlePerSql of each.
  static constexpr size_t kIdlePerSql = 4;
  std::unordered_map<std::string, std::vector<sqlite3_stmt*>> idle_;
  int64_t next_savepoint_ = 0;
};

// RAII transaction. The outermost one is BEGIN IMMEDIATE (takes the write lock at once, so
// a busy database fails here rather than halfway through); when the connection is already
// inside a transaction it becomes a SAVEPOINT, so transactions nest and an inner failure
// undoes only the inner work. The destructor rolls back unless Commit() succeeded.
class Transaction {
 public:
  static Result<Transaction> Begin(SqliteDb& db);

  Transaction(Transaction&& other) noexcept;
  Transaction& operator=(Transaction&&) = delete;
  Transaction(const Transaction&) = delete;
  Transaction& operator=(const Transaction&) = delete;
  ~Transaction();

  // COMMIT (outermost) or RELEASE (savepoint). On failure the transaction stays open and
  // is rolled back by Rollback() or the destructor.
  Status Commit();
  // ROLLBACK, or ROLLBACK TO + RELEASE for a savepoint. A no-op after Commit().
  Status Rollback();

 private:
  Transaction(SqliteDb* db, std::string savepoint) : db_(db), savepoint_(std::move(savepoint)) {}

  SqliteDb* db_;
  std::string savepoint_;  // empty for the outermost transaction
  bool active_ = true;
};

}  // namespace mlloop::store
