// Registry: the model registry the loop, the pipeline and the CLI talk to. It keeps model
// versions and their states, lineage, the decisions that caused them, their evaluations,
// and a hash-chained, append-only audit log, and it answers "which model is live, why,
// and how do we go back?".
//
// Guarantees:
//  - Every mutating call is all or nothing: it runs in one store transaction (a savepoint
//    inside a Begin/Commit batch), so a failure leaves versions, champion and audit log as
//    they were. Artifacts are written before the transaction; a failed Register can leave
//    an unreferenced blob behind, which is harmless (content-addressed) and collectable.
//  - The version state machine (DESIGN.md) is enforced here; exactly one champion per
//    model (also a unique index in the store).
//  - Register and Transition name an actor and land in the audit log.
//
// Thread-safety: none. A Registry owns one store connection and belongs to one thread at a
// time; other threads or processes open their own Registry on the same directory.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "registry/access.h"
#include "registry/signing.h"
#include "store/artifact_store.h"
#include "store/records.h"
#include "store/registry_store.h"

namespace mlloop::registry {

using store::AuditEntry;
using store::Decision;
using store::Evaluation;
using store::Lineage;
using store::ModelVersion;
using store::ParseVersionState;
using store::VersionState;
using store::VersionStateName;

// One step in a version's life, as the audit log records it: its registration (no `from`)
// and every state change, with who did it, when and why.
struct StateChange {
  int64_t audit_id = 0;
  int64_t time = 0;
  std::string actor;
  std::string action;  // register, validate, approve, canary, promote, retire, reject, ...
  std::optional<VersionState> from;
  VersionState to = VersionState::kCandidate;
  std::string reason;
};

// The audit action of a move into `to`: validate, approve, canary, promote, retire,
// reject, rollback.
std::string_view TransitionAction(VersionState to);

// The states a version in `from` may move to, in the order of DESIGN.md:
//   candidate -> validated | rejected        validated -> approved | rejected
//   approved  -> canary | champion | rejected canary   -> champion | rolled_back
//   champion  -> retired | rolled_back       retired, rejected, rolled_back: final
std::vector<VersionState> AllowedTransitions(VersionState from);

// Disk used by one model's artifacts and data snapshots.
struct ModelDiskUsage {
  std::string model;
  int64_t versions = 0;              // versions whose artifact is on disk
  uint64_t bytes = 0;                // their distinct artifacts
  int64_t collectable_versions = 0;  // of those, the ones no live version needs
  uint64_t collectable_bytes = 0;    // what collecting the model's garbage would free
  uint64_t snapshot_bytes = 0;       // distinct data snapshots stored (never collected)
};

// What garbage collection removes (or removed). A version needs its artifact while it is
// candidate, validated, approved, canary or champion, or while it is the rollback target
// of a canary or champion; the artifacts of the others (retired, rejected, rolled back)
// and blobs no version names are garbage. A data snapshot stored with a version (one trained
// on live traffic, whose rows no file holds) is never garbage: it is what `mlloop
// reproduce` trains from once the artifact is gone. Versions trained from a file store no
// snapshot: lineage names the file and its hashes.
struct GarbagePlan {
  std::vector<ModelVersion> versions;  // whose artifacts go, and that are not marked yet
  std::vector<store::BlobInfo> blobs;  // the files that go: needed by no version
  uint64_t bytes = 0;                  // what removing them frees
  uint64_t total_bytes = 0;            // every artifact on disk
  std::vector<ModelDiskUsage> models;  // by model name
};

class Registry {
 public:
  // A registry in directory `dir`: <dir>/registry.db (SQLite, WAL), <dir>/artifacts/ and
  // <dir>/signing.key (registry/signing.h). All are created if missing; the schema is
  // migrated; a store from before signatures gets its key and its versions and audit head
  // are signed (audited as "signing_key_create"). FailedPrecondition when the database was
  // written by a newer mlloop. A key file that is missing, readable by others or not the
  // store's does not stop Open: the registry then reads (and verifies) but refuses every
  // change, saying why (signing_status()).
  static Result<std::unique_ptr<Registry>> Open(const std::string& dir);
  // A private registry in memory (SQLite ":memory:", a memory artifact store and a key
  // pair of its own).
  static Result<std::unique_ptr<Registry>> OpenInMemory();
  // A registry over any backend; the composition seam for other stores and for tests. It
  // signs with a new key pair of its own when the store has no public key yet, and is
  // read-only otherwise (its key is not at hand).
  static std::unique_ptr<Registry> Create(std::unique_ptr<store::RegistryStore> store,
                                          std::unique_ptr<store::ArtifactStore> artifacts);

  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // ---- Batches. Begin() opens a transaction that groups the calls up to the matching
  // Commit() (a simulation records thousands of decisions this way). Batches nest; each
  // mutating call inside one still is all or nothing on its own (a savepoint). Rollback()
  // undoes the innermost open batch; destroying the Registry rolls back open batches.
  Status Begin();
  Status Commit();
  Status Rollback();

  // ---- Decisions.
  // Records a controller decision; returns its id. InvalidArgument for an empty model, an
  // action other than none|alert|retrain|rollback, budget_left < -1 or signals_json that
  // is not JSON ("" is stored as "{}"); NotFound for an unknown version_id.
  Result<int64_t> RecordDecision(const Decision& decision);
  // Links a decision to the version it produced or acted on. NotFound for unknown ids,
  // InvalidArgument when they belong to different models, FailedPrecondition when the
  // decision already names another version (links never change). Same link: no-op.
  Status AttachDecisionVersion(int64_t decision_id, int64_t version_id);
  // Records what came of a decision (e.g. which gate rejected the candidate it asked for),
  // once. InvalidArgument for an empty outcome; NotFound for an unknown id;
  // FailedPrecondition when it already has another outcome (outcomes never change). Same
  // outcome: no-op.
  Status RecordDecisionOutcome(int64_t decision_id, const std::string& outcome);
  Result<std::optional<Decision>> GetDecision(int64_t id);
  // The newest `limit` decisions (all when 0) of `model` (all models when empty) whose policy
  // starts with `policy_prefix` (any when empty), oldest first.
  Result<std::vector<Decision>> ListDecisions(const std::string& model, size_t limit = 0,
                                              const std::string& policy_prefix = "");

  // ---- Versions.
  // Stores `artifact` (content-addressed, atomic), inserts a kCandidate version with the
  // model's next version number, links `decision_id` to it when given (and not yet linked)
  // and audits it as (`actor`, "register") — all or nothing. Returns the stored version.
  // With `data_snapshot` (the training rows' canonical bytes, io/snapshot.h), stores them
  // too, under their SHA-256, which must be lineage.data_hash.
  // InvalidArgument for an empty model name, artifact or actor, or a snapshot whose hash is
  // not lineage.data_hash; NotFound for an unknown decision_id; InvalidArgument when the
  // decision is about another model.
  Result<ModelVersion> Register(const std::string& model, std::string_view artifact,
                                const Lineage& lineage, std::optional<int64_t> decision_id,
                                const std::string& actor, int64_t time,
                                std::string_view data_snapshot = {});

  // Moves version `version_id` to `to`, enforcing AllowedTransitions(); otherwise
  // FailedPrecondition "churn v3: cannot go from candidate to champion (allowed: validated,
  // rejected)". In the same transaction:
  //  - to canary or champion: rollback_target := the current champion (if another);
  //  - to champion: the current champion is retired;
  //  - champion to rolled_back: its rollback_target, if retired, is champion again (the
  //    previous champion is restored); otherwise the model is left without a champion.
  // Every state change is audited with `actor` and `reason`.
  Status Transition(int64_t version_id, VersionState to, const std::string& actor,
                    const std::string& reason, int64_t time);

  // ---- Approvals: a person's word on a version (or the controller's, with `approval:
  // auto`). Approve: validated -> approved; Reject: candidate, validated or approved ->
  // rejected. Audited as "approve" / "reject" with the actor and the reason.
  // InvalidArgument for an empty actor or reason; NotFound for an unknown id;
  // FailedPrecondition (the state machine's message) from any other state.
  Status Approve(int64_t version_id, const std::string& approver, const std::string& reason,
                 int64_t time);
  Status Reject(int64_t version_id, const std::string& actor, const std::string& reason,
                int64_t time);

  // The model's champion, or nullopt when it has none (or the model is unknown).
  Result<std::optional<ModelVersion>> Champion(const std::string& model);
  // NotFound "model churn has no version 7 (versions: 1, 2, 3)" or, for an unknown model,
  // "no model named churn (models: a, b)".
  Result<ModelVersion> GetVersion(const std::string& model, int64_t version);
  // NotFound for an unknown id.
  Result<ModelVersion> GetVersionById(int64_t id);
  // Ordered by model, then version. All models when `model` is empty.
  Result<std::vector<ModelVersion>> ListVersions(const std::string& model = "");
  // Model names in lexical order.
  Result<std::vector<std::string>> ListModels();
  // The version's artifact bytes, checked: DataLoss when they no longer hash to the
  // version's artifact_sha256, or when the version's signature of (model, version, hash)
  // does not verify with the store's public key (the row or the file was changed outside
  // mlloop); NotFound when the artifact is gone.
  Result<std::string> LoadArtifact(const ModelVersion& version);
  // Whether the data snapshot lineage.data_hash names is stored (see Register).
  bool HasDataSnapshot(const ModelVersion& version);
  // Its bytes, checked against their name: NotFound when none is stored, DataLoss when the
  // stored bytes no longer hash to lineage.data_hash.
  Result<std::string> LoadDataSnapshot(const ModelVersion& version);

  // ---- Garbage collection and disk use.
  // What CollectGarbage() would remove now, and the disk used per model. Changes nothing.
  Result<GarbagePlan> PlanGarbageCollection();
  // Removes the garbage in one transaction, under the write lock so that nothing is
  // registered meanwhile: marks the versions (artifact_collected_at), deletes the files,
  // audits "gc" with `actor`, and drops temporary files older than an hour that crashed
  // writes left. Returns what it removed. A crash midway leaves needed artifacts alone;
  // the next run finishes the job.
  Result<GarbagePlan> CollectGarbage(const std::string& actor, int64_t time);

  // ---- Signing (registry/signing.h).
  // OK when this registry can sign (and so change anything); otherwise why not.
  Status signing_status();
  // The store's public key, hex; "" when none is recorded.
  Result<std::string> PublicKey();
  // The version's registration and state changes, oldest first, read from the audit log
  // (so they are as trustworthy as VerifyAuditChain() says). DataLoss when an entry about
  // the version is not the JSON the registry writes.
  Result<std::vector<StateChange>> History(const ModelVersion& version);

  // ---- Evaluations.
  // Records one gate result; returns its id. NotFound for an unknown version_id or
  // champion_id; InvalidArgument for an empty metric or negative rows.
  Result<int64_t> RecordEvaluation(const Evaluation& evaluation);
  // In the order recorded.
  Result<std::vector<Evaluation>> EvaluationsFor(int64_t version_id);

  // ---- Access (registry/access.h).
  // The one check before acting: resolves `credentials` to a principal that holds
  // `permission`, or refuses with FailedPrecondition "permission denied: ..." naming who,
  // what and the roles that may. Every refusal is audited (action "access_denied",
  // subject `what`). Without a token: the local admin while the store has never had a
  // token (named by claimed_name, else local_name), refused otherwise. With a token: its
  // holder, if the token is known, not revoked, its role holds `permission`, and
  // claimed_name is empty or the token's name.
  Result<Principal> Authorize(const Credentials& credentials, Permission permission,
                              const std::string& what, int64_t time);
  // Issues a token for `name` with `role` on behalf of `by` (audited as "token_create";
  // the secret is never stored or audited). InvalidArgument for an empty or over-long
  // name; AlreadyExists when `name` has an active token; FailedPrecondition when it would
  // be the store's first token and `role` is not admin (everyone would be locked out of
  // administering it).
  Result<IssuedToken> CreateToken(const std::string& name, Role role, const std::string& by,
                                  int64_t time);
  // Revokes the active token with id `id_or_name` (digits) or of that name, on behalf of
  // `by` (audited as "token_revoke"). NotFound when there is none; FailedPrecondition for
  // the last active admin token. Returns the revoked token.
  Result<Token> RevokeToken(const std::string& id_or_name, const std::string& by, int64_t time);
  // Every token ever created, by id (hashes only).
  Result<std::vector<Token>> ListTokens();

  // ---- Audit log.
  // Appends an entry (id, prev_hash and hash are assigned here). InvalidArgument for an
  // empty actor or action, or details_json that is not JSON ("" is stored as "{}").
  Status Append(const AuditEntry& entry);
  // The newest `limit` entries (all when 0), oldest first.
  Result<std::vector<AuditEntry>> Audit(size_t limit = 0);
  // The newest `limit` entries (all when 0) matching `filter`, oldest first.
  Result<std::vector<AuditEntry>> FindAudit(const store::AuditFilter& filter, size_t limit = 0);
  // The id of the first bad entry — edited, reordered, missing (a gap, or removed from the
  // end: the first id the head says should be there), or past the head — or nullopt when
  // the whole log is intact.
  Result<std::optional<int64_t>> FirstBrokenAuditEntry();
  // OK when the chain is intact and ends where the head says; DataLoss naming the first bad
  // entry and what is wrong with it otherwise.
  Status VerifyAuditChain();
  // As VerifyAuditChain(), returning the verified head.
  Result<store::AuditHead> VerifyAudit();

 private:
  Registry(std::unique_ptr<store::RegistryStore> store,
           std::unique_ptr<store::ArtifactStore> artifacts);

  // Appends to the audit log. REQUIRES: inside a store transaction.
  Status AppendInTransaction(AuditEntry entry);
  // Sets the state of `v` and audits the change as `action`. REQUIRES: inside a store
  // transaction.
  Status SetState(const ModelVersion& v, VersionState to, std::optional<int64_t> rollback_target,
                  const std::string& actor, const std::string& reason, int64_t time,
                  std::string_view action);

  // Loads, creates or adopts the signing key, once (see Open). Errors are the store's; a
  // key that cannot be used is recorded in key_problem_.
  Status EnsureSigning();
  // Makes the store's key pair (its file, unless in memory), records the public key, signs
  // the versions of a store from before signatures and audits it — or, when the store
  // shows signs of an earlier key, refuses (key_problem_). REQUIRES: inside a store
  // transaction; the store records no key.
  Status MakeKey(int64_t time);
  // "" when nothing in the store was ever signed; otherwise what was.
  Result<std::string> EarlierKeyEvidence();
  // OK when `version`'s signature verifies with the store's key; DataLoss otherwise.
  Status CheckSignature(const ModelVersion& version);

  std::unique_ptr<store::RegistryStore> store_;
  std::unique_ptr<store::ArtifactStore> artifacts_;
  std::string key_path_;  // "" for a registry whose key lives only in memory
  bool signing_ready_ = false;
  std::optional<SigningKey> key_;   // set when this registry can sign
  std::string key_problem_;         // why key_ is unset, or why the recorded key is in doubt
  std::string public_key_;          // the store's recorded public key ("" when none)
  bool key_mismatch_ = false;       // signing.key is not the key the database records
};

}  // namespace mlloop::registry
