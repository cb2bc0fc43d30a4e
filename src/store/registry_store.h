// RegistryStore: the persistent state behind the model registry, as an interface, so the
// registry is written once and runs on SQLite today and PostgreSQL later.
//
// The store is dumb on purpose: it stores and finds records. The state machine, the
// "exactly one champion" rule (which a backend should also enforce with a constraint),
// the audit hash chain and input validation belong to the registry.
//
// Thread-safety: an instance belongs to one thread at a time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/status.h"
#include "store/records.h"

namespace mlloop::store {

class RegistryStore {
 public:
  virtual ~RegistryStore() = default;

  // ---- Transactions. They nest: the outermost Begin starts a transaction that holds
  // the write lock, inner ones are savepoints, so an inner Rollback undoes only the inner
  // work. Every Begin must be matched by Commit or Rollback, innermost first. Destroying
  // the store rolls back whatever is still open. A Commit that fails has rolled back the
  // innermost transaction (it is closed either way).
  virtual Status Begin() = 0;
  virtual Status Commit() = 0;
  virtual Status Rollback() = 0;
  virtual int TransactionDepth() const = 0;

  // ---- Models and versions.
  // Returns the next version number of `model` (1 for a new model) and advances the
  // counter, so a number is handed out once even if its version row is later removed.
  virtual Result<int64_t> ReserveVersionNumber(const std::string& model, int64_t time) = 0;
  // Model names in lexical order.
  virtual Result<std::vector<std::string>> ListModels() = 0;
  // Inserts `v` (its id is ignored) and returns the new id.
  virtual Result<int64_t> InsertVersion(const ModelVersion& v) = 0;
  virtual Result<std::optional<ModelVersion>> FindVersionById(int64_t id) = 0;
  virtual Result<std::optional<ModelVersion>> FindVersion(const std::string& model,
                                                          int64_t version) = 0;
  // Ordered by model, then version. All models when `model` is empty.
  virtual Result<std::vector<ModelVersion>> ListVersions(const std::string& model) = 0;
  virtual Result<std::optional<ModelVersion>> FindChampion(const std::string& model) = 0;
  // Sets a version's artifact signature. NotFound when no version has `id`.
  virtual Status SetArtifactSignature(int64_t id, const std::string& signature) = 0;
  // Records that the version's artifact was removed at `time`. NotFound for an unknown id.
  virtual Status SetArtifactCollected(int64_t id, int64_t time) = 0;
  // Sets state, state_changed_at = `time` and rollback_target (NULL when nullopt).
  // NotFound when no version has `id`.
  virtual Status UpdateVersionState(int64_t id, VersionState state,
                                    std::optional<int64_t> rollback_target, int64_t time) = 0;

  // ---- Decisions.
  virtual Result<int64_t> InsertDecision(const Decision& d) = 0;
  // NotFound when no decision has `decision_id`.
  virtual Status SetDecisionVersion(int64_t decision_id, int64_t version_id) = 0;
  // Sets the decision's outcome. NotFound for an unknown id.
  virtual Status SetDecisionOutcome(int64_t decision_id, const std::string& outcome) = 0;
  virtual Result<std::optional<Decision>> FindDecision(int64_t id) = 0;
  // The newest `limit` decisions (all when 0) of `model` (all models when empty) whose policy
  // starts with `policy_prefix` (any when empty; "rollout:" for the rollout's), oldest first.
  virtual Result<std::vector<Decision>> ListDecisions(const std::string& model, size_t limit,
                                                      const std::string& policy_prefix) = 0;

  // ---- Evaluations.
  virtual Result<int64_t> InsertEvaluation(const Evaluation& e) = 0;
  // In insertion order.
  virtual Result<std::vector<Evaluation>> ListEvaluations(int64_t version_id) = 0;

  // ---- Audit log: append-only, nothing here updates or deletes.
  // Inserts `e` exactly as given, including id, prev_hash and hash.
  virtual Status InsertAuditEntry(const AuditEntry& e) = 0;
  virtual Result<std::optional<AuditEntry>> LastAuditEntry() = 0;
  // Entries with id > `after_id`, ascending, at most `limit` (all when 0).
  virtual Result<std::vector<AuditEntry>> ListAuditEntries(int64_t after_id, size_t limit) = 0;
  // The newest `limit` entries (all when 0), oldest first.
  virtual Result<std::vector<AuditEntry>> RecentAuditEntries(size_t limit) = 0;
  // Every entry whose subject is exactly `subject`, ascending.
  virtual Result<std::vector<AuditEntry>> ListAuditEntriesFor(const std::string& subject) = 0;
  // The newest `limit` entries (all when 0) that match `filter`, oldest first.
  virtual Result<std::vector<AuditEntry>> FindAuditEntries(const AuditFilter& filter,
                                                           size_t limit) = 0;
  // The head; a store whose log never had an entry has {0, 0, "", ""}.
  virtual Result<AuditHead> GetAuditHead() = 0;
  virtual Status SetAuditHead(const AuditHead& head) = 0;

  // ---- The store's signing key: its public half, hex; nullopt until one is recorded.
  virtual Result<std::optional<std::string>> GetPublicKey() = 0;
  // Records the public key. AlreadyExists when one is recorded: a store's key never
  // changes.
  virtual Status SetPublicKey(const std::string& public_key_hex, int64_t time) = 0;

  // ---- Access tokens.
  // Inserts `t` (its id is ignored) and returns the new id. AlreadyExists when an active
  // token has the same name or the same hash.
  virtual Result<int64_t> InsertToken(const Token& t) = 0;
  virtual Result<std::optional<Token>> FindTokenByHash(const std::string& token_sha256) = 0;
  // Every token ever created, revoked ones included, by id.
  virtual Result<std::vector<Token>> ListTokens() = 0;
  // Sets revoked_at and revoked_by. NotFound when no active token has `id`.
  virtual Status RevokeToken(int64_t id, int64_t time, const std::string& by) = 0;
};

// Scoped Begin/Commit over a RegistryStore: rolls back in the destructor unless Commit()
// succeeded.
class StoreTransaction {
 public:
  static Result<StoreTransaction> Begin(RegistryStore& store) {
    MLLOOP_RETURN_IF_ERROR(store.Begin());
    return StoreTransaction(&store);
  }
  StoreTransaction(StoreTransaction&& other) noexcept
      : store_(other.store_), active_(other.active_) {
    other.active_ = false;
  }
  StoreTransaction& operator=(StoreTransaction&&) = delete;
  StoreTransaction(const StoreTransaction&) = delete;
  StoreTransaction& operator=(const StoreTransaction&) = delete;
  ~StoreTransaction() {
    if (active_) store_->Rollback().IgnoreError();
  }

  Status Commit() {
    if (!active_) return Status::FailedPrecondition("transaction already finished");
    active_ = false;  // a failed Commit closes the transaction too (see RegistryStore)
    return store_->Commit();
  }

 private:
  explicit StoreTransaction(RegistryStore* store) : store_(store) {}
  RegistryStore* store_;
  bool active_ = true;
};

}  // namespace mlloop::store
