// Conformance suite for RegistryStore, run against SQLite in memory and in a file. A
// PostgreSQL backend will join the parameter list (skipped without a DSN).
#include "store/sqlite_registry_store.h"

#include <gtest/gtest.h>

#include <limits>

#include "testutil/testutil.h"

namespace mlloop::store {
namespace {

ModelVersion MakeVersion(const std::string& model, int64_t number,
                         VersionState state = VersionState::kCandidate) {
  ModelVersion v;
  v.model = model;
  v.version = number;
  v.state = state;
  v.created_at = 1000 + number;
  v.state_changed_at = 1000 + number;
  v.artifact_sha256 = std::string(64, 'a');
  v.lineage.data_hash = "d" + std::to_string(number);
  v.lineage.data_source = "elec2.csv";
  v.lineage.row_begin = 10;
  v.lineage.row_end = 4010;
  v.lineage.time_begin = 100;
  v.lineage.time_end = 200;
  v.lineage.training_window = "last 4000 rows";
  v.lineage.config_hash = "c";
  v.lineage.params_json = R"({"max_depth":"6"})";
  v.lineage.seed = std::numeric_limits<uint64_t>::max() - 1;  // above INT64_MAX on purpose
  v.lineage.rounds = 100;
  v.lineage.xgboost_version = "1.7.4";
  v.lineage.mlloop_version = "0.1.0";
  v.lineage.git_commit = "abc123";
  v.lineage.train_seconds = 1.25;
  v.lineage.data_file_hash = std::string(64, 'f');
  v.lineage.config_text = "model: m\nschema: {}\n";
  v.lineage.trainer_version = "trainer 2.1";
  v.lineage.trainer_command_hash = std::string(64, 'e');
  v.lineage.sqlite_version = "3.40.1";
  v.lineage.compiler = "GCC 12.2.0";
  v.lineage.os = "Debian GNU/Linux 12 (bookworm); Linux 6.1.0 x86_64";
  return v;
}

class RegistryStoreConformanceTest : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    path_ = GetParam() == "file" ? dir_.File("registry.db") : ":memory:";
    auto store = SqliteRegistryStore::Open(path_);
    ASSERT_TRUE(store.ok()) << store.status().ToString();
    store_ = std::move(store).value();
  }

  int64_t Insert(const ModelVersion& v) {
    auto id = store_->InsertVersion(v);
    EXPECT_TRUE(id.ok()) << id.status().ToString();
    return id.ok() ? *id : 0;
  }

  testutil::TempDir dir_;
  std::string path_;
  std::unique_ptr<SqliteRegistryStore> store_;
};

TEST_P(RegistryStoreConformanceTest, VersionNumbersArePerModelAndIncreasing) {
  EXPECT_EQ(*store_->ReserveVersionNumber("a", 1), 1);
  EXPECT_EQ(*store_->ReserveVersionNumber("a", 2), 2);
  EXPECT_EQ(*store_->ReserveVersionNumber("b", 3), 1);
  EXPECT_EQ(*store_->ReserveVersionNumber("a", 4), 3);
  EXPECT_EQ(*store_->ListModels(), (std::vector<std::string>{"a", "b"}));
}

TEST_P(RegistryStoreConformanceTest, VersionRoundTripsWithLineage) {
  ASSERT_TRUE(store_->ReserveVersionNumber("m", 0).ok());
  ModelVersion v = MakeVersion("m", 1);
  v.id = Insert(v);
  ASSERT_GT(v.id, 0);
  auto by_id = store_->FindVersionById(v.id);
  ASSERT_TRUE(by_id.ok() && by_id->has_value());
  EXPECT_EQ(**by_id, v);
  auto by_number = store_->FindVersion("m", 1);
  ASSERT_TRUE(by_number.ok() && by_number->has_value());
  EXPECT_EQ(**by_number, v);
  EXPECT_FALSE(store_->FindVersion("m", 2)->has_value());
  EXPECT_FALSE(store_->FindVersionById(v.id + 1)->has_value());
}

TEST_P(RegistryStoreConformanceTest, AuditEntriesBySubject) {
  for (int i = 1; i <= 4; ++i) {
    AuditEntry e;
    e.id = i;
    e.time = i;
    e.actor = "a";
    e.action = "x";
    e.subject = i % 2 ? "m v1" : "m v10";
    e.details_json = "{}";
    ASSERT_TRUE(store_->InsertAuditEntry(e).ok());
  }
  auto v1 = store_->ListAuditEntriesFor("m v1");
  ASSERT_TRUE(v1.ok());
  ASSERT_EQ(v1->size(), 2u);
  EXPECT_EQ((*v1)[0].id, 1);
  EXPECT_EQ((*v1)[1].id, 3);
  EXPECT_TRUE(store_->ListAuditEntriesFor("m")->empty());
}

TEST_P(RegistryStoreConformanceTest, TokensRoundTripAndRevoke) {
  EXPECT_TRUE(store_->ListTokens()->empty());
  Token t;
  t.name = "ci";
  t.role = Role::kOperator;
  t.token_sha256 = std::string(64, 'b');
  t.created_at = 10;
  t.created_by = "root";
  auto id = store_->InsertToken(t);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  t.id = *id;
  EXPECT_EQ(**store_->FindTokenByHash(t.token_sha256), t);
  EXPECT_FALSE(store_->FindTokenByHash(std::string(64, 'c'))->has_value());

  // One active token per name.
  Token twin = t;
  twin.token_sha256 = std::string(64, 'd');
  EXPECT_EQ(store_->InsertToken(twin).status().code(), StatusCode::kAlreadyExists);

  ASSERT_TRUE(store_->RevokeToken(t.id, 20, "root").ok());
  EXPECT_EQ(store_->RevokeToken(t.id, 21, "root").code(), StatusCode::kNotFound);
  auto revoked = **store_->FindTokenByHash(t.token_sha256);
  EXPECT_EQ(revoked.revoked_at, 20);
  EXPECT_EQ(revoked.revoked_by, "root");
  // Once revoked, the name can be issued again.
  ASSERT_TRUE(store_->InsertToken(twin).ok());
  EXPECT_EQ(store_->ListTokens()->size(), 2u);
}

TEST_P(RegistryStoreConformanceTest, ListsVersionsByModelThenNumber) {
  for (const char* model : {"b", "a"}) ASSERT_TRUE(store_->ReserveVersionNumber(model, 0).ok());
  Insert(MakeVersion("b", 1));
  Insert(MakeVersion("a", 2));
  Insert(MakeVersion("a", 1));
  auto all = store_->ListVersions("");
  ASSERT_TRUE(all.ok());
  ASSERT_EQ(all->size(), 3u);
  EXPECT_EQ((*all)[0].model + std::to_string((*all)[0].version), "a1");
  EXPECT_EQ((*all)[1].model + std::to_string((*all)[1].version), "a2");
  EXPECT_EQ((*all)[2].model + std::to_string((*all)[2].version), "b1");
  EXPECT_EQ(store_->ListVersions("a")->size(), 2u);
  EXPECT_TRUE(store_->ListVersions("zzz")->empty());
}

TEST_P(RegistryStoreConformanceTest, AtMostOneChampionPerModel) {
  ASSERT_TRUE(store_->ReserveVersionNumber("m", 0).ok());
  int64_t v1 = Insert(MakeVersion("m", 1, VersionState::kChampion));
  int64_t v2 = Insert(MakeVersion("m", 2));
  Status s = store_->UpdateVersionState(v2, VersionState::kChampion, v1, 5);
  EXPECT_FALSE(s.ok());
  EXPECT_NE(s.message().find("UNIQUE constraint failed"), std::string::npos) << s.message();
  auto champion = store_->FindChampion("m");
  ASSERT_TRUE(champion.ok() && champion->has_value());
  EXPECT_EQ((*champion)->id, v1);

  ASSERT_TRUE(store_->UpdateVersionState(v1, VersionState::kRetired, std::nullopt, 6).ok());
  ASSERT_TRUE(store_->UpdateVersionState(v2, VersionState::kChampion, v1, 6).ok());
  auto after = store_->FindVersionById(v2);
  EXPECT_EQ((*after)->state, VersionState::kChampion);
  EXPECT_EQ((*after)->rollback_target, v1);
  EXPECT_EQ((*after)->state_changed_at, 6);
  EXPECT_EQ(store_->UpdateVersionState(999, VersionState::kRetired, std::nullopt, 7).code(),
            StatusCode::kNotFound);
}

TEST_P(RegistryStoreConformanceTest, DecisionsRoundTripAndListNewestOldestFirst) {
  for (int i = 0; i < 5; ++i) {
    Decision d;
    d.model = i % 2 == 0 ? "m" : "other";
    d.policy = i == 2 ? "rollout:canary" : "configured";
    d.time = 100 + i;
    d.signals_json = R"({"psi":{"value":0.3,"threshold":0.2,"fired":true}})";
    d.action = "retrain";
    d.reason = "psi above threshold";
    d.budget_left = 3;
    auto id = store_->InsertDecision(d);
    ASSERT_TRUE(id.ok()) << id.status().ToString();
    d.id = *id;
    EXPECT_EQ(**store_->FindDecision(d.id), d);
  }
  auto m = store_->ListDecisions("m", 0, "");
  ASSERT_EQ(m->size(), 3u);
  EXPECT_EQ((*m)[0].time, 100);
  auto last_two = store_->ListDecisions("m", 2, "");
  ASSERT_EQ(last_two->size(), 2u);
  EXPECT_EQ((*last_two)[0].time, 102);
  EXPECT_EQ((*last_two)[1].time, 104);
  EXPECT_EQ(store_->ListDecisions("", 0, "")->size(), 5u);
  // By the policy's prefix: the rollout's decisions among the loop's.
  auto rollout = store_->ListDecisions("m", 0, "rollout:");
  ASSERT_EQ(rollout->size(), 1u);
  EXPECT_EQ((*rollout)[0].time, 102);
  EXPECT_TRUE(store_->ListDecisions("m", 0, "rollout:x")->empty());
  EXPECT_EQ(store_->ListDecisions("", 0, "configured")->size(), 4u);
  EXPECT_FALSE(store_->FindDecision(999)->has_value());
  EXPECT_EQ(store_->SetDecisionVersion(999, 1).code(), StatusCode::kNotFound);
}

TEST_P(RegistryStoreConformanceTest, EvaluationsRoundTrip) {
  ASSERT_TRUE(store_->ReserveVersionNumber("m", 0).ok());
  int64_t v1 = Insert(MakeVersion("m", 1));
  Evaluation e;
  e.version_id = v1;
  e.metric = "roc_auc";
  e.candidate_value = 0.91;
  e.rows = 2000;
  e.margin = 0.005;
  e.passed = true;
  e.reason = "no champion";
  e.time = 50;
  e.id = *store_->InsertEvaluation(e);
  Evaluation with_champion = e;
  with_champion.champion_id = v1;
  with_champion.champion_value = 0.88;
  with_champion.passed = false;
  with_champion.id = *store_->InsertEvaluation(with_champion);
  auto listed = store_->ListEvaluations(v1);
  ASSERT_TRUE(listed.ok());
  EXPECT_EQ(*listed, (std::vector<Evaluation>{e, with_champion}));
}

TEST_P(RegistryStoreConformanceTest, ForeignKeysAreEnforced) {
  Evaluation e;
  e.version_id = 12345;
  e.metric = "accuracy";
  EXPECT_FALSE(store_->InsertEvaluation(e).ok());
  EXPECT_FALSE(store_->InsertVersion(MakeVersion("no-such-model", 1)).ok());
}

TEST_P(RegistryStoreConformanceTest, AuditLogIsAppendOnly) {
  AuditEntry a;
  a.id = 1;
  a.time = 10;
  a.actor = "alice";
  a.action = "approve";
  a.subject = "m v1";
  a.details_json = "{}";
  a.hash = "h1";
  ASSERT_TRUE(store_->InsertAuditEntry(a).ok());
  EXPECT_EQ(**store_->LastAuditEntry(), a);
  Status update = store_->db().Exec("UPDATE audit_log SET actor = 'mallory'");
  EXPECT_FALSE(update.ok());
  EXPECT_NE(update.message().find("append-only"), std::string::npos) << update.message();
  Status remove = store_->db().Exec("DELETE FROM audit_log");
  EXPECT_FALSE(remove.ok());
  EXPECT_NE(remove.message().find("append-only"), std::string::npos) << remove.message();
  EXPECT_EQ(store_->ListAuditEntries(0, 0)->size(), 1u);
  EXPECT_EQ((*store_->ListAuditEntries(0, 0))[0].actor, "alice");
}

TEST_P(RegistryStoreConformanceTest, AuditListingsPageAndTail) {
  for (int i = 1; i <= 5; ++i) {
    AuditEntry a;
    a.id = i;
    a.actor = "loop";
    a.action = "a" + std::to_string(i);
    ASSERT_TRUE(store_->InsertAuditEntry(a).ok());
  }
  auto page = store_->ListAuditEntries(2, 2);
  ASSERT_EQ(page->size(), 2u);
  EXPECT_EQ((*page)[0].id, 3);
  EXPECT_EQ((*page)[1].id, 4);
  auto tail = store_->RecentAuditEntries(2);
  ASSERT_EQ(tail->size(), 2u);
  EXPECT_EQ((*tail)[0].id, 4);
  EXPECT_EQ((*tail)[1].id, 5);
  EXPECT_EQ(store_->RecentAuditEntries(0)->size(), 5u);
}

TEST_P(RegistryStoreConformanceTest, NestedTransactionsRollBackInnermostOnly) {
  ASSERT_TRUE(store_->Begin().ok());
  ASSERT_TRUE(store_->ReserveVersionNumber("kept", 0).ok());
  ASSERT_TRUE(store_->Begin().ok());
  EXPECT_EQ(store_->TransactionDepth(), 2);
  ASSERT_TRUE(store_->ReserveVersionNumber("dropped", 0).ok());
  ASSERT_TRUE(store_->Rollback().ok());
  ASSERT_TRUE(store_->Commit().ok());
  EXPECT_EQ(store_->TransactionDepth(), 0);
  EXPECT_EQ(*store_->ListModels(), std::vector<std::string>{"kept"});
  EXPECT_EQ(store_->Commit().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(store_->Rollback().code(), StatusCode::kFailedPrecondition);
}

TEST_P(RegistryStoreConformanceTest, StoreTransactionRollsBackUnlessCommitted) {
  {
    auto txn = StoreTransaction::Begin(*store_);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(store_->ReserveVersionNumber("gone", 0).ok());
  }
  {
    auto txn = StoreTransaction::Begin(*store_);
    ASSERT_TRUE(txn.ok());
    ASSERT_TRUE(store_->ReserveVersionNumber("here", 0).ok());
    ASSERT_TRUE(txn->Commit().ok());
  }
  EXPECT_EQ(*store_->ListModels(), std::vector<std::string>{"here"});
}

INSTANTIATE_TEST_SUITE_P(Sqlite, RegistryStoreConformanceTest, ::testing::Values("memory", "file"),
                         [](const auto& info) { return info.param; });

// Behaviour that needs a database outliving its store: SQLite file only.
TEST(SqliteRegistryStoreTest, OpenTransactionIsRolledBackWhenStoreCloses) {
  testutil::TempDir dir;
  {
    auto store = SqliteRegistryStore::Open(dir.File("registry.db"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->Begin().ok());
    ASSERT_TRUE((*store)->ReserveVersionNumber("m", 0).ok());
  }
  auto reopened = SqliteRegistryStore::Open(dir.File("registry.db"));
  ASSERT_TRUE(reopened.ok());
  EXPECT_TRUE((*reopened)->ListModels()->empty());
}

TEST(SqliteRegistryStoreTest, ReopenedFileKeepsEverything) {
  testutil::TempDir dir;
  ModelVersion v = MakeVersion("m", 1);
  {
    auto store = SqliteRegistryStore::Open(dir.File("registry.db"));
    ASSERT_TRUE(store.ok());
    ASSERT_TRUE((*store)->ReserveVersionNumber("m", 0).ok());
    auto id = (*store)->InsertVersion(v);
    ASSERT_TRUE(id.ok());
    v.id = *id;
  }
  auto reopened = SqliteRegistryStore::Open(dir.File("registry.db"));
  ASSERT_TRUE(reopened.ok());
  EXPECT_EQ(**(*reopened)->FindVersionById(v.id), v);
  EXPECT_EQ(*(*reopened)->ReserveVersionNumber("m", 0), 2);
}

}  // namespace
}  // namespace mlloop::store
