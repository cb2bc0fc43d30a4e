#include "store/sqlite_db.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include "testutil/testutil.h"

namespace mlloop::store {
namespace {

std::unique_ptr<SqliteDb> OpenOrDie(const std::string& path) {
  auto db = SqliteDb::Open(path);
  EXPECT_TRUE(db.ok()) << db.status().ToString();
  return db.ok() ? std::move(db).value() : nullptr;
}

std::string QueryText(SqliteDb& db, const std::string& sql) {
  auto stmt = db.Prepare(sql);
  EXPECT_TRUE(stmt.ok()) << stmt.status().ToString();
  auto row = stmt->Step();
  EXPECT_TRUE(row.ok() && *row) << sql;
  return stmt->ColumnText(0);
}

TEST(SqliteDbTest, FileDatabaseUsesWalAndSafePragmas) {
  testutil::TempDir dir;
  auto db = OpenOrDie(dir.File("x.db"));
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryText(*db, "PRAGMA journal_mode"), "wal");
  EXPECT_EQ(QueryText(*db, "PRAGMA synchronous"), "1");  // NORMAL
  EXPECT_EQ(QueryText(*db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(QueryText(*db, "PRAGMA busy_timeout"), "5000");
}

TEST(SqliteDbTest, InMemoryDatabaseOpens) {
  auto db = OpenOrDie(":memory:");
  ASSERT_NE(db, nullptr);
  EXPECT_EQ(QueryText(*db, "PRAGMA foreign_keys"), "1");
  EXPECT_EQ(QueryText(*db, "PRAGMA journal_mode"), "memory");
}

TEST(SqliteDbTest, BindsAndReadsEveryType) {
  auto db = OpenOrDie(":memory:");
  ASSERT_TRUE(db->Exec("CREATE TABLE t (i INTEGER, d REAL, s TEXT, n INTEGER, o REAL)").ok());
  auto insert = db->Prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)");
  ASSERT_TRUE(insert.ok());
  std::string with_nul("a\0b", 3);
  insert->Bind(1, int64_t{-9'000'000'000'000})
      .Bind(2, 0.25)
      .Bind(3, with_nul)
      .Bind(4, std::nullopt)
      .Bind(5, std::optional<double>(1.5));
  ASSERT_TRUE(insert->Run().ok());
  EXPECT_EQ(db->LastInsertRowId(), 1);
  EXPECT_EQ(db->Changes(), 1);

  auto select = db->Prepare("SELECT i, d, s, n, o FROM t");
  ASSERT_TRUE(select.ok());
  auto row = select->Step();
  ASSERT_TRUE(row.ok() && *row);
  EXPECT_EQ(select->ColumnInt64(0), -9'000'000'000'000);
  EXPECT_DOUBLE_EQ(select->ColumnDouble(1), 0.25);
  EXPECT_EQ(select->ColumnText(2), with_nul);
  EXPECT_TRUE(select->ColumnIsNull(3));
  EXPECT_EQ(select->ColumnOptionalInt64(3), std::nullopt);
  EXPECT_EQ(select->ColumnOptionalDouble(4), 1.5);
  auto done = select->Step();
  ASSERT_TRUE(done.ok());
  EXPECT_FALSE(*done);
}

TEST(SqliteDbTest, ReusedStatementsStartWithoutBindingsOrLocks) {
  testutil::TempDir dir;
  auto db = OpenOrDie(dir.File("x.db"));
  ASSERT_NE(db, nullptr);
  ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER)").ok());
  const std::string insert = "INSERT INTO t (x) VALUES (?1)";
  {
    auto stmt = db->Prepare(insert);
    ASSERT_TRUE(stmt.ok());
    ASSERT_TRUE(stmt->Bind(1, int64_t{7}).Run().ok());
  }
  {
    // The same text gets the same compiled statement back, with its binding cleared:
    // unbound parameters are NULL.
    auto stmt = db->Prepare(insert);
    ASSERT_TRUE(stmt.ok());
    ASSERT_TRUE(stmt->Run().ok());
  }
  EXPECT_EQ(QueryText(*db, "SELECT count(*) FROM t WHERE x IS NULL"), "1");
  EXPECT_EQ(QueryText(*db, "SELECT count(*) FROM t WHERE x = 7"), "1");

  // Two live statements of one text are two statements.
  auto a = db->Prepare("SELECT x FROM t ORDER BY x");
  auto b = db->Prepare("SELECT x FROM t ORDER BY x");
  ASSERT_TRUE(a.ok() && b.ok());
  ASSERT_TRUE(*a->Step());
  ASSERT_TRUE(*b->Step());
  ASSERT_TRUE(*b->Step());
  EXPECT_TRUE(a->ColumnIsNull(0));   // a is still on its first row
  EXPECT_EQ(b->ColumnInt64(0), 7);   // b moved on

  // A read abandoned halfway is reset when its Statement goes: no statement kept for reuse
  // is still running (a running one would pin its read snapshot).
  { auto reader = std::move(a).value(); }
  { auto reader = std::move(b).value(); }
  int kept = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db->handle(), nullptr); s != nullptr;
       s = sqlite3_next_stmt(db->handle(), s)) {
    ++kept;
    EXPECT_EQ(sqlite3_stmt_busy(s), 0) << sqlite3_sql(s);
  }
  EXPECT_GE(kept, 3);  // the insert and both selects are kept for reuse
}

TEST(SqliteDbTest, ErrorsCarrySqliteMessageAndStatement) {
  auto db = OpenOrDie(":memory:");
  auto bad = db->Prepare("SELEC 1");
  ASSERT_FALSE(bad.ok());
  EXPECT_EQ(bad.status().code(), StatusCode::kInternal);
  EXPECT_NE(bad.status().message().find("syntax error"), std::string::npos);
  EXPECT_NE(bad.status().message().find("SELEC 1"), std::string::npos);

  ASSERT_TRUE(db->Exec("CREATE TABLE t (x INTEGER UNIQUE)").ok());
  ASSERT_TRUE(db->Exec("INSERT INTO t VALUES (1)").ok());
  auto dup = db->Prepare("INSERT INTO t VALUES (?1)");
  ASSERT_TRUE(dup.ok());
  dup->Bind(1, 1);
  Status s = dup->Run();
  EXPECT_EQ(s.code(), StatusCode::kInternal);
  EXPECT_NE(s.message().find("UNIQUE constraint failed: t.x"), std::string::npos) << s.message();
  EXPECT_NE(s.message().find("INSERT INTO t VALUES (?1)"), std::string::npos) << s.message();
}

TEST(SqliteDbTest, BindErrorIsReportedByStep) {
  auto db = OpenOrDie(":memory:");
  auto stmt = db->Prepare("SELECT ?1");
  ASSERT_TRUE(stmt.ok());
  stmt->Bind(7, 1);
  auto row = stmt->Step();
  ASSERT_FALSE(row.ok());
  EXPECT_NE(row.status().message().find("binding parameter 7"), std::string::npos)
      << row.status().message();
}

TEST(SqliteDbTest, CannotOpenIsUnavailable) {
  auto db = SqliteDb::Open("/nonexistent-mlloop-dir/sub/x.db");
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(db.status().message().find("/nonexistent-mlloop-dir/sub/x.db"), std::string::npos);
}

TEST(SqliteDbTest, NotADatabaseIsDataLoss) {
  testutil::TempDir dir;
  testutil::WriteFile(dir.File("junk.db"), std::string(4096, 'x'));
  auto db = SqliteDb::Open(dir.File("junk.db"));
  ASSERT_FALSE(db.ok());
  EXPECT_EQ(db.status().code(), StatusCode::kDataLoss) << db.status().ToString();
}

TEST(SqliteDbTest, BusyDatabaseIsUnavailable) {
  testutil::TempDir dir;
  auto first = OpenOrDie(dir.File("x.db"));
  auto second = OpenOrDie(dir.File("x.db"));
  sqlite3_busy_timeout(second->handle(), 0);  // fail at once instead of waiting 5 s
  auto writer = Transaction::Begin(*first);
  ASSERT_TRUE(writer.ok());
  auto blocked = Transaction::Begin(*second);
  ASSERT_FALSE(blocked.ok());
  EXPECT_EQ(blocked.status().code(), StatusCode::kUnavailable) << blocked.status().ToString();
}

class TransactionTest : public ::testing::Test {
 protected:
  void SetUp() override {
    db_ = OpenOrDie(":memory:");
    ASSERT_TRUE(db_->Exec("CREATE TABLE t (x INTEGER)").ok());
  }
  void Insert(int x) {
    auto stmt = db_->Prepare("INSERT INTO t VALUES (?1)");
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, x);
    ASSERT_TRUE(stmt->Run().ok());
  }
  std::string Rows() { return QueryText(*db_, "SELECT COALESCE(group_concat(x), '') FROM t"); }

  std::unique_ptr<SqliteDb> db_;
};

TEST_F(TransactionTest, CommitKeepsWork) {
  auto txn = Transaction::Begin(*db_);
  ASSERT_TRUE(txn.ok());
  EXPECT_TRUE(db_->InTransaction());
  Insert(1);
  ASSERT_TRUE(txn->Commit().ok());
  EXPECT_FALSE(db_->InTransaction());
  EXPECT_EQ(Rows(), "1");
  EXPECT_EQ(txn->Commit().code(), StatusCode::kFailedPrecondition);
}

TEST_F(TransactionTest, DestructorRollsBack) {
  {
    auto txn = Transaction::Begin(*db_);
    ASSERT_TRUE(txn.ok());
    Insert(1);
  }
  EXPECT_FALSE(db_->InTransaction());
  EXPECT_EQ(Rows(), "");
}

TEST_F(TransactionTest, NestedTransactionIsASavepoint) {
  auto outer = Transaction::Begin(*db_);
  ASSERT_TRUE(outer.ok());
  Insert(1);
  {
    auto inner = Transaction::Begin(*db_);
    ASSERT_TRUE(inner.ok());
    Insert(2);
  }  // inner rolled back, outer still open
  EXPECT_TRUE(db_->InTransaction());
  {
    auto inner = Transaction::Begin(*db_);
    ASSERT_TRUE(inner.ok());
    Insert(3);
    ASSERT_TRUE(inner->Commit().ok());
  }
  ASSERT_TRUE(outer->Commit().ok());
  EXPECT_EQ(Rows(), "1,3");
}

}  // namespace
}  // namespace mlloop::store
