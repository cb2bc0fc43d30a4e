// SqliteRegistryStore: RegistryStore on one SQLite connection. Opening migrates the
// schema (store/migrations/), so a store is always at LatestSchemaVersion().
//
// Thread-safety: one thread at a time, like the SqliteDb it owns. Other processes may
// open the same file; writers are serialized by SQLite's lock (5 s busy timeout).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "store/registry_store.h"
#include "store/sqlite_db.h"

namespace mlloop::store {

class SqliteRegistryStore final : public RegistryStore {
 public:
  // Opens or creates the database at `path` (":memory:" for a private in-memory one) and
  // applies missing migrations. FailedPrecondition for a database from a newer mlloop.
  static Result<std::unique_ptr<SqliteRegistryStore>> Open(const std::string& path);

  ~SqliteRegistryStore() override;

  Status Begin() override;
  // When the commit itself fails, the transaction is rolled back before returning.
  Status Commit() override;
  Status Rollback() override;
  int TransactionDepth() const override { return static_cast<int>(transactions_.size()); }

  Result<int64_t> ReserveVersionNumber(const std::string& model, int64_t time) override;
  Result<std::vector<std::string>> ListModels() override;
  Result<int64_t> InsertVersion(const ModelVersion& v) override;
  Result<std::optional<ModelVersion>> FindVersionById(int64_t id) override;
  Result<std::optional<ModelVersion>> FindVersion(const std::string& model,
                                                  int64_t version) override;
  Result<std::vector<ModelVersion>> ListVersions(const std::string& model) override;
  Result<std::optional<ModelVersion>> FindChampion(const std::string& model) override;
  Status SetArtifactSignature(int64_t id, const std::string& signature) override;
  Status SetArtifactCollected(int64_t id, int64_t time) override;
  Status UpdateVersionState(int64_t id, VersionState state, std::optional<int64_t> rollback_target,
                            int64_t time) override;

  Result<int64_t> InsertDecision(const Decision& d) override;
  Status SetDecisionVersion(int64_t decision_id, int64_t version_id) override;
  Status SetDecisionOutcome(int64_t decision_id, const std::string& outcome) override;
  Result<std::optional<Decision>> FindDecision(int64_t id) override;
  Result<std::vector<Decision>> ListDecisions(const std::string& model, size_t limit,
                                              const std::string& policy_prefix) override;

  Result<int64_t> InsertEvaluation(const Evaluation& e) override;
  Result<std::vector<Evaluation>> ListEvaluations(int64_t version_id) override;

  Status InsertAuditEntry(const AuditEntry& e) override;
  Result<std::optional<AuditEntry>> LastAuditEntry() override;
  Result<std::vector<AuditEntry>> ListAuditEntries(int64_t after_id, size_t limit) override;
  Result<std::vector<AuditEntry>> RecentAuditEntries(size_t limit) override;
  Result<std::vector<AuditEntry>> ListAuditEntriesFor(const std::string& subject) override;
  Result<std::vector<AuditEntry>> FindAuditEntries(const AuditFilter& filter,
                                                   size_t limit) override;
  Result<AuditHead> GetAuditHead() override;
  Status SetAuditHead(const AuditHead& head) override;

  Result<std::optional<std::string>> GetPublicKey() override;
  Status SetPublicKey(const std::string& public_key_hex, int64_t time) override;

  Result<int64_t> InsertToken(const Token& t) override;
  Result<std::optional<Token>> FindTokenByHash(const std::string& token_sha256) override;
  Result<std::vector<Token>> ListTokens() override;
  Status RevokeToken(int64_t id, int64_t time, const std::string& by) override;

  SqliteDb& db() { return *db_; }

 private:
  explicit SqliteRegistryStore(std::unique_ptr<SqliteDb> db) : db_(std::move(db)) {}

  Result<std::vector<ModelVersion>> QueryVersions(std::string_view where,
                                                  const std::string& text_arg,
                                                  std::optional<int64_t> int_arg);

  std::unique_ptr<SqliteDb> db_;
  std::vector<Transaction> transactions_;  // innermost last
};

}  // namespace mlloop::store
