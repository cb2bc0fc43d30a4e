#include "store/migrations/migrations.h"

#include <gtest/gtest.h>

#include "store/sqlite_registry_store.h"
#include "testutil/testutil.h"

namespace mlloop::store {
namespace {

int64_t CountRows(SqliteDb& db, const std::string& table) {
  auto stmt = db.Prepare("SELECT COUNT(*) FROM " + table);
  EXPECT_TRUE(stmt.ok());
  EXPECT_TRUE(stmt->Step().ok());
  return stmt->ColumnInt64(0);
}

TEST(MigrationsTest, VersionsAreOneBasedAndContiguous) {
  const auto& migrations = RegistryMigrations();
  ASSERT_FALSE(migrations.empty());
  for (size_t i = 0; i < migrations.size(); ++i) {
    EXPECT_EQ(migrations[i].version, static_cast<int>(i) + 1);
  }
  EXPECT_EQ(LatestSchemaVersion(), static_cast<int>(migrations.size()));
}

TEST(MigrationsTest, FreshDatabaseIsMigratedToLatest) {
  auto db = SqliteDb::Open(":memory:");
  ASSERT_TRUE(db.ok());
  EXPECT_EQ(*SchemaVersion(**db), 0);
  ASSERT_TRUE(Migrate(**db).ok());
  EXPECT_EQ(*SchemaVersion(**db), LatestSchemaVersion());
  EXPECT_EQ(CountRows(**db, "model_versions"), 0);
  EXPECT_EQ(CountRows(**db, "audit_log"), 0);
}

TEST(MigrationsTest, MigrateIsIdempotent) {
  testutil::TempDir dir;
  for (int run = 0; run < 3; ++run) {
    auto db = SqliteDb::Open(dir.File("r.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(Migrate(**db).ok()) << "run " << run;
    ASSERT_TRUE(Migrate(**db).ok()) << "run " << run;
    EXPECT_EQ(CountRows(**db, "schema_migrations"),
              static_cast<int64_t>(RegistryMigrations().size()));
  }
}

TEST(MigrationsTest, RefusesDatabaseFromNewerVersion) {
  testutil::TempDir dir;
  {
    auto db = SqliteDb::Open(dir.File("r.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE(Migrate(**db).ok());
    auto stmt = (*db)->Prepare(
        "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, 'future', 0)");
    ASSERT_TRUE(stmt.ok());
    stmt->Bind(1, LatestSchemaVersion() + 1);
    ASSERT_TRUE(stmt->Run().ok());
  }
  auto db = SqliteDb::Open(dir.File("r.db"));
  ASSERT_TRUE(db.ok());
  Status s = Migrate(**db);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(s.message().find("newer than this mlloop knows"), std::string::npos) << s.message();

  auto store = SqliteRegistryStore::Open(dir.File("r.db"));
  ASSERT_FALSE(store.ok());
  EXPECT_EQ(store.status().code(), StatusCode::kFailedPrecondition);
}

TEST(MigrationsTest, VersionsFromTheFirstSchemaKeepTheirLineageAndGainEmptyFields) {
  testutil::TempDir dir;
  {
    // A database as the first release left it: only migration 1, with one version.
    auto db = SqliteDb::Open(dir.File("r.db"));
    ASSERT_TRUE(db.ok());
    ASSERT_TRUE((*db)->Exec(R"sql(CREATE TABLE schema_migrations (
        version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL))sql").ok());
    ASSERT_TRUE((*db)->Exec(RegistryMigrations()[0].sql).ok());
    ASSERT_TRUE((*db)->Exec("INSERT INTO schema_migrations VALUES (1, 'v1', 0)").ok());
    ASSERT_TRUE((*db)->Exec(R"sql(
        INSERT INTO models VALUES ('m', 2, 0);
        INSERT INTO model_versions (model, version, state, created_at, state_changed_at,
          artifact_sha256, data_hash, data_source, row_begin, row_end, time_begin, time_end,
          training_window, config_hash, params_json, seed, rounds, xgboost_version,
          mlloop_version, git_commit, train_seconds)
        VALUES ('m', 1, 'champion', 5, 5, ')sql" + std::string(64, 'a') + R"sql(', 'd', 'x.csv',
          0, 10, 0, 9, 'all', 'c', '{}', 42, 10, '1.7.4', '0.1.0', 'abc', 0.5);
        INSERT INTO audit_log VALUES (1, 5, 'a', 'register', 'm v1', '{}', '', 'h1');
        INSERT INTO audit_log VALUES (2, 6, 'a', 'promote', 'm v1', '{}', 'h1', 'h2');)sql").ok());
  }
  auto store = SqliteRegistryStore::Open(dir.File("r.db"));
  ASSERT_TRUE(store.ok()) << store.status().ToString();
  EXPECT_EQ(*SchemaVersion((*store)->db()), LatestSchemaVersion());
  auto v = (*store)->FindVersion("m", 1);
  ASSERT_TRUE(v.ok() && v->has_value()) << v.status().ToString();
  EXPECT_EQ((*v)->state, VersionState::kChampion);
  EXPECT_EQ((*v)->lineage.data_hash, "d");
  EXPECT_EQ((*v)->lineage.seed, 42u);
  EXPECT_EQ((*v)->lineage.config_text, "");
  EXPECT_EQ((*v)->lineage.os, "");
  // The audit head starts where the log ends.
  AuditHead head = *(*store)->GetAuditHead();
  EXPECT_EQ(head.entries, 2);
  EXPECT_EQ(head.last_id, 2);
  EXPECT_EQ(head.last_hash, "h2");
}

TEST(MigrationsTest, AFreshStoreHasAnEmptyAuditHead) {
  auto store = SqliteRegistryStore::Open(":memory:");
  ASSERT_TRUE(store.ok());
  EXPECT_EQ(*(*store)->GetAuditHead(), AuditHead{});
}

}  // namespace
}  // namespace mlloop::store
