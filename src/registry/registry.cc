#include "registry/registry.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <set>
#include <nlohmann/json.hpp>

#include "core/clock.h"
#include "core/hash.h"
#include "core/time.h"
#include "registry/audit_chain.h"
#include "registry/crash_point.h"
#include "store/sqlite_registry_store.h"

namespace mlloop::registry {
namespace {

using store::StoreTransaction;
using Json = nlohmann::json;

constexpr size_t kMaxModelName = 128;
constexpr size_t kMaxNamesInMessage = 20;
constexpr size_t kAuditVerifyPage = 1000;

// Runs `fn` inside one store transaction: committed when `fn` succeeds, rolled back when
// it fails (or when the commit does).
template <typename Fn>
auto InTransaction(store::RegistryStore& store, Fn fn) -> decltype(fn()) {
  MLLOOP_ASSIGN_OR_RETURN(StoreTransaction txn, StoreTransaction::Begin(store));
  auto result = fn();
  if (!result.ok()) return result;
  MLLOOP_RETURN_IF_ERROR(txn.Commit());
  return result;
}

// "churn v3": how versions are named in messages and audit subjects.
std::string Label(const ModelVersion& v) { return v.model + " v" + std::to_string(v.version); }

std::string JoinNames(const std::vector<std::string>& names) {
  if (names.empty()) return "none";
  std::string out;
  for (size_t i = 0; i < names.size() && i < kMaxNamesInMessage; ++i) {
    out += (i == 0 ? "" : ", ") + names[i];
  }
  if (names.size() > kMaxNamesInMessage) {
    out += ", ... (" + std::to_string(names.size()) + " in all)";
  }
  return out;
}

std::string JoinStates(const std::vector<VersionState>& states) {
  std::vector<std::string> names;
  for (VersionState s : states) names.emplace_back(VersionStateName(s));
  return JoinNames(names);
}

// Model names travel in URLs (/v1/models/NAME:predict), file names and CLI arguments.
Status CheckModelName(const std::string& model) {
  bool ok = !model.empty() && model.size() <= kMaxModelName;
  for (char c : model) {
    bool allowed = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                   c == '_' || c == '-' || c == '.';
    ok = ok && allowed;
  }
  if (ok) return Status::Ok();
  return Status::InvalidArgument("model name '" + model +
                                 "' is not valid: expected 1 to 128 letters, digits, '_', '-' "
                                 "or '.'");
}

Status CheckNotEmpty(const std::string& value, std::string_view what) {
  if (!value.empty()) return Status::Ok();
  return Status::InvalidArgument(std::string(what) + " is empty");
}

// JSON text as stored: "" becomes "{}", anything else must parse.
Result<std::string> NormalizeJson(const std::string& text, std::string_view what) {
  if (text.empty()) return std::string("{}");
  if (!Json::accept(text)) {
    return Status::InvalidArgument(std::string(what) + " is not valid JSON: " + text.substr(0, 80));
  }
  return text;
}

Json OptionalId(const std::optional<int64_t>& id) { return id ? Json(*id) : Json(nullptr); }

AuditEntry MakeEntry(int64_t time, const std::string& actor, std::string action,
                     std::string subject, const Json& details) {
  AuditEntry e;
  e.time = time;
  e.actor = actor;
  e.action = std::move(action);
  e.subject = std::move(subject);
  e.details_json = details.dump();
  return e;
}

// "entry 12 (hash 3f2a9c01b7e4...)": how the head is named in messages.
std::string HeadText(int64_t id, const std::string& hash) {
  return "entry " + std::to_string(id) + " (hash " + hash.substr(0, 12) + "...)";
}

// Checks the audit chain from the first entry, a page at a time, then that it ends where
// the head says. Ids are consecutive from 1 (the registry assigns head.last_id + 1), so a
// gap names the first missing entry. On the first bad entry returns DataLoss and sets
// *bad_id; other errors come from the store.
Status WalkAuditChain(store::RegistryStore& store, const std::string& public_key,
                      std::optional<int64_t>* bad_id) {
  MLLOOP_ASSIGN_OR_RETURN(store::AuditHead head, store.GetAuditHead());
  // The head is trusted only with a valid signature: whoever cuts entries off the end and
  // rewrites the head to match cannot sign it without the store's secret key.
  if (head.last_id > 0 && !public_key.empty() &&
      !VerifySignature(public_key, AuditHeadMessage(head.entries, head.last_id, head.last_hash),
                       head.signature)) {
    *bad_id = head.last_id;
    return Status::DataLoss("the audit head (" + HeadText(head.last_id, head.last_hash) +
                            ", " + std::to_string(head.entries) +
                            " entries) is not signed by the store's key: it was rewritten "
                            "outside mlloop, so the log may have lost its newest entries");
  }
  std::string prev_hash;
  int64_t next_id = 1;
  while (true) {
    MLLOOP_ASSIGN_OR_RETURN(std::vector<AuditEntry> page,
                            store.ListAuditEntries(next_id - 1, kAuditVerifyPage));
    if (page.empty()) break;
    for (const AuditEntry& e : page) {
      if (e.id != next_id) {
        *bad_id = next_id;
        return Status::DataLoss("audit entry " + std::to_string(next_id) +
                                " is missing: the log goes from entry " +
                                std::to_string(next_id - 1) + " to entry " +
                                std::to_string(e.id));
      }
      Status s = CheckAuditEntry(e, prev_hash);
      if (!s.ok()) {
        *bad_id = e.id;
        return s;
      }
      prev_hash = e.hash;
      ++next_id;
    }
  }
  const int64_t last_id = next_id - 1;
  if (last_id < head.last_id) {
    *bad_id = next_id;
    return Status::DataLoss(
        "audit log truncated: its head records " + std::to_string(head.entries) +
        " entries up to " + HeadText(head.last_id, head.last_hash) + ", but the log ends at entry " +
        std::to_string(last_id) + "; entries " + std::to_string(next_id) + ".." +
        std::to_string(head.last_id) + " were removed");
  }
  if (last_id > head.last_id) {
    *bad_id = head.last_id + 1;
    return Status::DataLoss("audit entry " + std::to_string(head.last_id + 1) +
                            " is past the head (" + HeadText(head.last_id, head.last_hash) +
                            "): entries were added outside mlloop");
  }
  if (prev_hash != head.last_hash || head.entries != last_id) {
    *bad_id = last_id;
    return Status::DataLoss("audit entry " + std::to_string(last_id) +
                            " does not match the head (" + HeadText(head.last_id, head.last_hash) +
                            ", " + std::to_string(head.entries) + " entries)");
  }
  return Status::Ok();
}

}  // namespace

std::string_view TransitionAction(VersionState to) {
  switch (to) {
    case VersionState::kCandidate:
      return "register";
    case VersionState::kValidated:
      return "validate";
    case VersionState::kApproved:
      return "approve";
    case VersionState::kCanary:
      return "canary";
    case VersionState::kChampion:
      return "promote";
    case VersionState::kRetired:
      return "retire";
    case VersionState::kRejected:
      return "reject";
    case VersionState::kRolledBack:
      return "rollback";
  }
  return "transition";
}

std::vector<VersionState> AllowedTransitions(VersionState from) {
  using S = VersionState;
  switch (from) {
    case S::kCandidate:
      return {S::kValidated, S::kRejected};
    case S::kValidated:
      return {S::kApproved, S::kRejected};
    case S::kApproved:
      return {S::kCanary, S::kChampion, S::kRejected};
    case S::kCanary:
      return {S::kChampion, S::kRolledBack};
    case S::kChampion:
      return {S::kRetired, S::kRolledBack};
    case S::kRetired:
    case S::kRejected:
    case S::kRolledBack:
      return {};
  }
  return {};
}

// ------------------------------------------------------------------------- construction

Registry::Registry(std::unique_ptr<store::RegistryStore> store,
                   std::unique_ptr<store::ArtifactStore> artifacts)
    : store_(std::move(store)), artifacts_(std::move(artifacts)) {}

Registry::~Registry() = default;

Result<std::unique_ptr<Registry>> Registry::Open(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return Status::Unavailable("creating registry directory " + dir + ": " + ec.message());
  auto store = store::SqliteRegistryStore::Open(dir + "/registry.db");
  if (!store.ok()) return store.status().WithContext("opening registry " + dir);
  auto artifacts = store::FileArtifactStore::Open(dir + "/artifacts");
  if (!artifacts.ok()) return artifacts.status().WithContext("opening registry " + dir);
  std::unique_ptr<Registry> registry = Create(std::move(store).value(), std::move(artifacts).value());
  registry->key_path_ = dir + "/signing.key";
  MLLOOP_RETURN_IF_ERROR(registry->EnsureSigning().WithContext("opening registry " + dir));
  return registry;
}

Result<std::unique_ptr<Registry>> Registry::OpenInMemory() {
  MLLOOP_ASSIGN_OR_RETURN(auto store, store::SqliteRegistryStore::Open(":memory:"));
  return Create(std::move(store), std::make_unique<store::MemoryArtifactStore>());
}

std::unique_ptr<Registry> Registry::Create(std::unique_ptr<store::RegistryStore> store,
                                           std::unique_ptr<store::ArtifactStore> artifacts) {
  return std::unique_ptr<Registry>(new Registry(std::move(store), std::move(artifacts)));
}

// ------------------------------------------------------------------------------ signing

Status Registry::EnsureSigning() {
  if (signing_ready_) return Status::Ok();
  signing_ready_ = true;  // set first: adopting a key appends to the audit log, which signs
  const int64_t now = core::RealClock().Now();
  MLLOOP_ASSIGN_OR_RETURN(std::optional<std::string> recorded, store_->GetPublicKey());
  if (!recorded) {
    // The store has no key yet. Making one happens under the write lock, so that of
    // several processes opening a new store only one does it and the others then find it.
    Status made = InTransaction(*store_, [&]() -> Status {
      MLLOOP_ASSIGN_OR_RETURN(recorded, store_->GetPublicKey());
      if (recorded) return Status::Ok();
      return MakeKey(now);
    });
    if (!made.ok()) {
      signing_ready_ = false;
      key_.reset();
      return made;
    }
    if (!recorded) return Status::Ok();  // made now (key_ set), or refused (key_problem_)
  }
  public_key_ = *recorded;
  if (key_path_.empty()) {
    key_problem_ = "this registry was composed without the store's signing key";
    return Status::Ok();
  }
  auto loaded = SigningKey::Load(key_path_);
  if (!loaded.ok()) {
    key_problem_ = loaded.status().code() == StatusCode::kNotFound
                       ? "its signing key " + key_path_ + " is missing"
                       : loaded.status().message();
  } else if (*recorded != loaded->PublicKeyHex()) {
    key_problem_ = key_path_ + " is not this store's signing key (its public key is " +
                   loaded->PublicKeyHex().substr(0, 16) + "..., the store's is " +
                   recorded->substr(0, 16) + "...)";
    key_mismatch_ = true;
  } else {
    key_ = std::move(loaded).value();
  }
  return Status::Ok();
}

Result<std::string> Registry::EarlierKeyEvidence() {
  MLLOOP_ASSIGN_OR_RETURN(store::AuditHead head, store_->GetAuditHead());
  if (!head.signature.empty()) return std::string("its audit head is signed");
  store::AuditFilter created;
  created.action = "signing_key_create";
  MLLOOP_ASSIGN_OR_RETURN(std::vector<AuditEntry> entries, store_->FindAuditEntries(created, 1));
  if (!entries.empty()) {
    return "audit entry " + std::to_string(entries.front().id) + " records its key";
  }
  MLLOOP_ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, store_->ListVersions(""));
  for (const ModelVersion& v : versions) {
    if (!v.artifact_signature.empty()) return Label(v) + " is signed";
  }
  return std::string();
}

Status Registry::MakeKey(int64_t time) {
  if (!key_path_.empty()) {
    auto existing = SigningKey::Load(key_path_);
    if (existing.status().code() != StatusCode::kNotFound) {
      // A key file beside a database that records no key: the database was replaced, or
      // its key removed. Signing its rows now could vouch for whatever is in them.
      key_problem_ = key_path_ + " exists but the database records no public key (was it " +
                     "replaced?); refusing to sign what it holds";
      return Status::Ok();
    }
  }
  // Versions from before signatures are signed now, unless the store shows it was signed
  // before: then its key was removed, and signing its rows could vouch for an edit.
  MLLOOP_ASSIGN_OR_RETURN(std::string evidence, EarlierKeyEvidence());
  if (!evidence.empty()) {
    key_problem_ = "the store was signed before (" + evidence +
                   ") but its public key is gone from the database; refusing to sign what it "
                   "holds — restore the database or its key";
    return Status::Ok();
  }
  SigningKey key = SigningKey::Generate();
  if (!key_path_.empty()) {
    Status saved = key.Save(key_path_);
    if (!saved.ok()) {
      key_problem_ = "cannot create its signing key: " + saved.message();
      return Status::Ok();
    }
  }
  key_ = std::move(key);
  public_key_ = key_->PublicKeyHex();
  MLLOOP_RETURN_IF_ERROR(store_->SetPublicKey(public_key_, time));
  MLLOOP_ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, store_->ListVersions(""));
  int64_t signed_now = 0;
  for (const ModelVersion& v : versions) {
    MLLOOP_RETURN_IF_ERROR(store_->SetArtifactSignature(
        v.id, key_->Sign(ArtifactMessage(v.model, v.version, v.artifact_sha256))));
    ++signed_now;
  }
  Json details = {{"public_key", public_key_}, {"versions_signed", signed_now}};
  return AppendInTransaction(MakeEntry(time, "mlloop", "signing_key_create", "store", details));
}

Status Registry::signing_status() {
  MLLOOP_RETURN_IF_ERROR(EnsureSigning());
  if (key_) return Status::Ok();
  return Status::FailedPrecondition("the registry cannot sign, so it changes nothing: " +
                                    key_problem_);
}

Result<std::string> Registry::PublicKey() {
  MLLOOP_RETURN_IF_ERROR(EnsureSigning());
  return public_key_;
}

Status Registry::CheckSignature(const ModelVersion& version) {
  MLLOOP_RETURN_IF_ERROR(EnsureSigning());
  const std::string where = Label(version) + ": ";
  if (key_mismatch_) return Status::DataLoss(where + "cannot trust the store's key: " + key_problem_);
  if (public_key_.empty()) {
    return Status::FailedPrecondition(where + "the store has no signing key to verify with: " +
                                      key_problem_);
  }
  if (version.artifact_signature.empty()) {
    return Status::DataLoss(where + "the artifact is not signed; its row was changed outside "
                                    "mlloop");
  }
  if (!VerifySignature(public_key_,
                       ArtifactMessage(version.model, version.version, version.artifact_sha256),
                       version.artifact_signature)) {
    return Status::DataLoss(where + "the artifact's signature does not verify with the store's "
                                    "key; the version's artifact or signature was changed "
                                    "outside mlloop");
  }
  return Status::Ok();
}

// ------------------------------------------------------------------------------ batches

Status Registry::Begin() { return store_->Begin(); }
Status Registry::Commit() { return store_->Commit(); }
Status Registry::Rollback() { return store_->Rollback(); }

// ---------------------------------------------------------------------------- decisions

Result<int64_t> Registry::RecordDecision(const Decision& decision) {
  Decision d = decision;
  MLLOOP_RETURN_IF_ERROR(CheckModelName(d.model));
  static constexpr std::string_view kActions[] = {"none", "alert", "retrain", "rollback"};
  if (std::find(std::begin(kActions), std::end(kActions), d.action) == std::end(kActions)) {
    return Status::InvalidArgument("decision action '" + d.action +
                                   "' is not one of none, alert, retrain, rollback");
  }
  if (d.budget_left < -1) {
    return Status::InvalidArgument("decision budget_left " + std::to_string(d.budget_left) +
                                   " is below -1 (-1 means unlimited)");
  }
  MLLOOP_ASSIGN_OR_RETURN(d.signals_json, NormalizeJson(d.signals_json, "decision signals_json"));
  if (d.version_id) MLLOOP_RETURN_IF_ERROR(GetVersionById(*d.version_id).status());
  // One INSERT is atomic on its own: no transaction needed, which keeps batches cheap.
  return store_->InsertDecision(d);
}

Status Registry::AttachDecisionVersion(int64_t decision_id, int64_t version_id) {
  return InTransaction(*store_, [&]() -> Status {
    MLLOOP_ASSIGN_OR_RETURN(std::optional<Decision> d, store_->FindDecision(decision_id));
    if (!d) return Status::NotFound("no decision with id " + std::to_string(decision_id));
    MLLOOP_ASSIGN_OR_RETURN(ModelVersion v, GetVersionById(version_id));
    if (d->model != v.model) {
      return Status::InvalidArgument("decision " + std::to_string(decision_id) + " is about " +
                                     d->model + ", not " + Label(v));
    }
    if (d->version_id == version_id) return Status::Ok();
    if (d->version_id) {
      return Status::FailedPrecondition("decision " + std::to_string(decision_id) +
                                        " already names version id " +
                                        std::to_string(*d->version_id));
    }
    return store_->SetDecisionVersion(decision_id, version_id);
  });
}

Status Registry::RecordDecisionOutcome(int64_t decision_id, const std::string& outcome) {
  if (outcome.empty()) return Status::InvalidArgument("a decision's outcome must not be empty");
  return InTransaction(*store_, [&]() -> Status {
    MLLOOP_ASSIGN_OR_RETURN(std::optional<Decision> d, store_->FindDecision(decision_id));
    if (!d) return Status::NotFound("no decision with id " + std::to_string(decision_id));
    if (d->outcome == outcome) return Status::Ok();
    if (!d->outcome.empty()) {
      return Status::FailedPrecondition("decision " + std::to_string(decision_id) +
                                        " already has an outcome: " + d->outcome);
    }
    return store_->SetDecisionOutcome(decision_id, outcome);
  });
}

Result<std::optional<Decision>> Registry::GetDecision(int64_t id) {
  return store_->FindDecision(id);
}

Result<std::vector<Decision>> Registry::ListDecisions(const std::string& model, size_t limit,
                                                      const std::string& policy_prefix) {
  return store_->ListDecisions(model, limit, policy_prefix);
}

// ----------------------------------------------------------------------------- versions

Result<ModelVersion> Registry::Register(const std::string& model, std::string_view artifact,
                                        const Lineage& lineage, std::optional<int64_t> decision_id,
                                        const std::string& actor, int64_t time,
                                        std::string_view data_snapshot) {
  std::string context = "registering a version of " + model;
  MLLOOP_RETURN_IF_ERROR(CheckModelName(model));
  if (artifact.empty()) return Status::InvalidArgument(context + ": the artifact is empty");
  MLLOOP_RETURN_IF_ERROR(CheckNotEmpty(actor, "actor").WithContext(context));
  Lineage l = lineage;
  auto params = NormalizeJson(l.params_json, "lineage params_json");
  if (!params.ok()) return params.status().WithContext(context);
  l.params_json = *params;

  MLLOOP_RETURN_IF_ERROR(signing_status().WithContext(context));
  // The blob goes first and outside the transaction: until a version row names it, it is
  // invisible, and the write lock is not held during file I/O.
  auto sha = artifacts_->Put(artifact);
  if (!sha.ok()) return sha.status().WithContext(context + ": storing the artifact");
  if (!data_snapshot.empty()) {
    const std::string snapshot_sha = core::Sha256Hex(data_snapshot);
    if (snapshot_sha != l.data_hash) {
      return Status::InvalidArgument(context + ": the data snapshot hashes to " + snapshot_sha +
                                     ", but the lineage names " +
                                     (l.data_hash.empty() ? "none" : l.data_hash));
    }
    auto stored = artifacts_->Put(data_snapshot);
    if (!stored.ok()) return stored.status().WithContext(context + ": storing the data snapshot");
  }
  CrashPoint("register:after_artifact");

  auto registered = InTransaction(*store_, [&]() -> Result<ModelVersion> {
    std::optional<Decision> decision;
    if (decision_id) {
      MLLOOP_ASSIGN_OR_RETURN(decision, store_->FindDecision(*decision_id));
      if (!decision) return Status::NotFound("no decision with id " + std::to_string(*decision_id));
      if (decision->model != model) {
        return Status::InvalidArgument("decision " + std::to_string(*decision_id) + " is about " +
                                       decision->model);
      }
    }
    ModelVersion v;
    v.model = model;
    MLLOOP_ASSIGN_OR_RETURN(v.version, store_->ReserveVersionNumber(model, time));
    v.state = VersionState::kCandidate;
    v.created_at = time;
    v.state_changed_at = time;
    // Garbage collection may have removed identical bytes between the Put above and this
    // transaction (it deletes under the write lock this transaction now holds).
    if (!artifacts_->Contains(*sha)) MLLOOP_RETURN_IF_ERROR(artifacts_->Put(artifact).status());
    if (!data_snapshot.empty() && !artifacts_->Contains(l.data_hash)) {
      MLLOOP_RETURN_IF_ERROR(artifacts_->Put(data_snapshot).status());
    }
    v.artifact_sha256 = *sha;
    v.artifact_signature = key_->Sign(ArtifactMessage(model, v.version, v.artifact_sha256));
    v.lineage = l;
    v.decision_id = decision_id;
    MLLOOP_ASSIGN_OR_RETURN(v.id, store_->InsertVersion(v));
    if (decision && !decision->version_id) {
      MLLOOP_RETURN_IF_ERROR(store_->SetDecisionVersion(decision->id, v.id));
    }
    Json details = {{"version_id", v.id},
                    {"artifact_sha256", v.artifact_sha256},
                    {"decision_id", OptionalId(decision_id)},
                    {"data_hash", l.data_hash},
                    {"config_hash", l.config_hash}};
    MLLOOP_RETURN_IF_ERROR(
        AppendInTransaction(MakeEntry(time, actor, "register", Label(v), details)));
    CrashPoint("register:before_commit");
    return v;
  });
  if (!registered.ok()) return registered.status().WithContext(context);
  return registered;
}

Status Registry::SetState(const ModelVersion& v, VersionState to,
                          std::optional<int64_t> rollback_target, const std::string& actor,
                          const std::string& reason, int64_t time, std::string_view action) {
  MLLOOP_RETURN_IF_ERROR(store_->UpdateVersionState(v.id, to, rollback_target, time));
  Json details = {{"version_id", v.id},
                  {"from", VersionStateName(v.state)},
                  {"to", VersionStateName(to)},
                  {"reason", reason},
                  {"rollback_target", OptionalId(rollback_target)}};
  return AppendInTransaction(MakeEntry(time, actor, std::string(action), Label(v), details));
}

Status Registry::Transition(int64_t version_id, VersionState to, const std::string& actor,
                            const std::string& reason, int64_t time) {
  MLLOOP_RETURN_IF_ERROR(CheckNotEmpty(actor, "actor"));
  return InTransaction(*store_, [&]() -> Status {
    MLLOOP_ASSIGN_OR_RETURN(ModelVersion v, GetVersionById(version_id));
    std::vector<VersionState> allowed = AllowedTransitions(v.state);
    if (std::find(allowed.begin(), allowed.end(), to) == allowed.end()) {
      return Status::FailedPrecondition(
          Label(v) + ": cannot go from " + std::string(VersionStateName(v.state)) + " to " +
          std::string(VersionStateName(to)) + " (allowed: " + JoinStates(allowed) + ")");
    }
    std::optional<int64_t> rollback_target = v.rollback_target;
    if (to == VersionState::kCanary || to == VersionState::kChampion) {
      MLLOOP_ASSIGN_OR_RETURN(std::optional<ModelVersion> champion, store_->FindChampion(v.model));
      rollback_target = champion ? std::optional(champion->id) : std::nullopt;
      if (to == VersionState::kChampion && champion) {
        MLLOOP_RETURN_IF_ERROR(SetState(*champion, VersionState::kRetired,
                                        champion->rollback_target, actor, "replaced by " + Label(v),
                                        time, TransitionAction(VersionState::kRetired)));
        CrashPoint("promote:after_retire");
      }
    }
    MLLOOP_RETURN_IF_ERROR(
        SetState(v, to, rollback_target, actor, reason, time, TransitionAction(to)));
    if (to == VersionState::kChampion) CrashPoint("promote:before_commit");

    // Rolling back a champion restores the champion it replaced.
    if (v.state == VersionState::kChampion && to == VersionState::kRolledBack &&
        v.rollback_target) {
      MLLOOP_ASSIGN_OR_RETURN(std::optional<ModelVersion> previous,
                              store_->FindVersionById(*v.rollback_target));
      CrashPoint("rollback:after_demote");
      if (previous && previous->state == VersionState::kRetired) {
        MLLOOP_RETURN_IF_ERROR(SetState(*previous, VersionState::kChampion,
                                        previous->rollback_target, actor,
                                        "restored by the rollback of " + Label(v), time,
                                        "restore"));
      }
    }
    return Status::Ok();
  });
}

Status Registry::Approve(int64_t version_id, const std::string& approver,
                         const std::string& reason, int64_t time) {
  MLLOOP_RETURN_IF_ERROR(CheckNotEmpty(reason, "the reason for an approval"));
  return Transition(version_id, VersionState::kApproved, approver, reason, time);
}

Status Registry::Reject(int64_t version_id, const std::string& actor, const std::string& reason,
                        int64_t time) {
  MLLOOP_RETURN_IF_ERROR(CheckNotEmpty(reason, "the reason for a rejection"));
  return Transition(version_id, VersionState::kRejected, actor, reason, time);
}

Result<std::optional<ModelVersion>> Registry::Champion(const std::string& model) {
  return store_->FindChampion(model);
}

Result<ModelVersion> Registry::GetVersion(const std::string& model, int64_t version) {
  MLLOOP_ASSIGN_OR_RETURN(std::optional<ModelVersion> v, store_->FindVersion(model, version));
  if (v) return *std::move(v);
  MLLOOP_ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, store_->ListVersions(model));
  if (versions.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(std::vector<std::string> models, store_->ListModels());
    return Status::NotFound("no model named " + model + " (models: " + JoinNames(models) + ")");
  }
  std::vector<std::string> numbers;
  for (const ModelVersion& each : versions) numbers.push_back(std::to_string(each.version));
  return Status::NotFound("model " + model + " has no version " + std::to_string(version) +
                          " (versions: " + JoinNames(numbers) + ")");
}

Result<ModelVersion> Registry::GetVersionById(int64_t id) {
  MLLOOP_ASSIGN_OR_RETURN(std::optional<ModelVersion> v, store_->FindVersionById(id));
  if (!v) return Status::NotFound("no model version with id " + std::to_string(id));
  return *std::move(v);
}

Result<std::vector<ModelVersion>> Registry::ListVersions(const std::string& model) {
  return store_->ListVersions(model);
}

Result<std::vector<std::string>> Registry::ListModels() { return store_->ListModels(); }

Result<std::string> Registry::LoadArtifact(const ModelVersion& version) {
  const std::string context = "loading the artifact of " + Label(version);
  if (version.artifact_collected_at) {
    return Status::NotFound(context + ": it was removed by `mlloop gc` at " +
                            core::FormatTimestamp(*version.artifact_collected_at) +
                            " (`mlloop reproduce " + std::to_string(version.version) +
                            "` can train it again)");
  }
  MLLOOP_RETURN_IF_ERROR(CheckSignature(version).WithContext(context));
  auto bytes = artifacts_->Get(version.artifact_sha256);
  if (!bytes.ok()) return bytes.status().WithContext(context);
  return bytes;
}

bool Registry::HasDataSnapshot(const ModelVersion& version) {
  return store::IsSha256Hex(version.lineage.data_hash) &&
         artifacts_->Contains(version.lineage.data_hash);
}

Result<std::string> Registry::LoadDataSnapshot(const ModelVersion& version) {
  const std::string context = "loading the data snapshot of " + Label(version);
  if (!HasDataSnapshot(version)) {
    return Status::NotFound(context + ": none is stored" +
                            (version.lineage.data_hash.empty()
                                 ? std::string(" (no data hash was recorded)")
                                 : " under its data hash " + version.lineage.data_hash));
  }
  auto bytes = artifacts_->Get(version.lineage.data_hash);
  if (!bytes.ok()) return bytes.status().WithContext(context);
  return bytes;
}

Result<std::vector<StateChange>> Registry::History(const ModelVersion& version) {
  MLLOOP_ASSIGN_OR_RETURN(std::vector<AuditEntry> entries,
                          store_->ListAuditEntriesFor(Label(version)));
  std::vector<StateChange> out;
  for (const AuditEntry& e : entries) {
    Json details = Json::parse(e.details_json, nullptr, /*allow_exceptions=*/false);
    if (!details.is_object()) {
      return Status::DataLoss("audit entry " + std::to_string(e.id) + " about " + Label(version) +
                              " does not hold a JSON object");
    }
    const Json id = details.value("version_id", Json());
    if (!id.is_number_integer() || id.get<int64_t>() != version.id) continue;
    StateChange c;
    c.audit_id = e.id;
    c.time = e.time;
    c.actor = e.actor;
    c.action = e.action;
    if (e.action == "register") {
      c.to = VersionState::kCandidate;
    } else if (details.contains("to") && details["to"].is_string()) {
      auto to = ParseVersionState(details["to"].get<std::string>());
      auto from = ParseVersionState(details.value("from", ""));
      if (!to.ok() || !from.ok()) {
        return Status::DataLoss("audit entry " + std::to_string(e.id) +
                                " names an unknown state");
      }
      c.from = *from;
      c.to = *to;
      c.reason = details.value("reason", "");
    } else {
      continue;  // another kind of entry about the version
    }
    out.push_back(std::move(c));
  }
  return out;
}

// -------------------------------------------------------------------- garbage collection

Result<GarbagePlan> Registry::PlanGarbageCollection() {
  using S = VersionState;
  MLLOOP_ASSIGN_OR_RETURN(std::vector<ModelVersion> versions, store_->ListVersions(""));
  MLLOOP_ASSIGN_OR_RETURN(std::vector<store::BlobInfo> blobs, artifacts_->List());
  std::set<int64_t> needed;
  for (const ModelVersion& v : versions) {
    const bool live = v.state == S::kCandidate || v.state == S::kValidated ||
                      v.state == S::kApproved || v.state == S::kCanary || v.state == S::kChampion;
    if (live) needed.insert(v.id);
    if ((v.state == S::kCanary || v.state == S::kChampion) && v.rollback_target) {
      needed.insert(*v.rollback_target);
    }
  }
  std::set<std::string> needed_blobs;
  std::set<std::string> snapshots;  // data snapshots: kept for reproduce, never garbage
  for (const ModelVersion& v : versions) {
    if (needed.count(v.id)) needed_blobs.insert(v.artifact_sha256);
    if (!v.lineage.data_hash.empty()) snapshots.insert(v.lineage.data_hash);
  }
  std::map<std::string, uint64_t> on_disk;
  GarbagePlan plan;
  for (const store::BlobInfo& b : blobs) {
    on_disk[b.sha256] = b.bytes;
    plan.total_bytes += b.bytes;
    if (needed_blobs.count(b.sha256) || snapshots.count(b.sha256)) continue;
    plan.blobs.push_back(b);
    plan.bytes += b.bytes;
  }
  std::map<std::string, ModelDiskUsage> usage;
  std::map<std::string, std::set<std::string>> counted, counted_garbage;  // by model
  for (const ModelVersion& v : versions) {
    const bool garbage = !needed.count(v.id);
    if (garbage && !v.artifact_collected_at) plan.versions.push_back(v);
    auto snapshot = on_disk.find(v.lineage.data_hash);
    if (snapshot != on_disk.end() && counted[v.model].insert(snapshot->first).second) {
      usage[v.model].model = v.model;
      usage[v.model].snapshot_bytes += snapshot->second;
    }
    auto blob = on_disk.find(v.artifact_sha256);
    if (blob == on_disk.end()) continue;
    ModelDiskUsage& u = usage[v.model];
    u.model = v.model;
    ++u.versions;
    if (counted[v.model].insert(blob->first).second) u.bytes += blob->second;
    if (needed_blobs.count(blob->first)) continue;
    ++u.collectable_versions;
    if (counted_garbage[v.model].insert(blob->first).second) u.collectable_bytes += blob->second;
  }
  for (auto& [model, u] : usage) plan.models.push_back(std::move(u));
  return plan;
}

Result<GarbagePlan> Registry::CollectGarbage(const std::string& actor, int64_t time) {
  MLLOOP_RETURN_IF_ERROR(CheckNotEmpty(actor, "actor"));
  constexpr int64_t kTemporaryGrace = 3600;
  auto collected = InTransaction(*store_, [&]() -> Result<GarbagePlan> {
    // Planned again under the write lock: what another process did meanwhile counts.
    MLLOOP_ASSIGN_OR_RETURN(GarbagePlan plan, PlanGarbageCollection());
    Json labels = Json::array();
    for (const ModelVersion& v : plan.versions) {
      MLLOOP_RETURN_IF_ERROR(store_->SetArtifactCollected(v.id, time));
      labels.push_back(Label(v));
    }
    // Files go while the lock is held: a Register waiting for it re-checks its blob.
    for (const store::BlobInfo& b : plan.blobs) MLLOOP_RETURN_IF_ERROR(artifacts_->Remove(b.sha256));
    MLLOOP_ASSIGN_OR_RETURN(uint64_t temporaries,
                            artifacts_->RemoveStaleTemporaries(time - kTemporaryGrace));
    plan.bytes += temporaries;
    Json details = {{"versions", labels},
                    {"blobs", plan.blobs.size()},
                    {"bytes", plan.bytes}};
    MLLOOP_RETURN_IF_ERROR(AppendInTransaction(MakeEntry(time, actor, "gc", "store", details)));
    return plan;
  });
  if (!collected.ok()) return collected.status().WithContext("collecting garbage");
  return collected;
}

// -------------------------------------------------------------------------- evaluations

Result<int64_t> Registry::RecordEvaluation(const Evaluation& evaluation) {
  MLLOOP_RETURN_IF_ERROR(CheckNotEmpty(evaluation.metric, "evaluation metric"));
  if (evaluation.rows < 0) {
    return Status::InvalidArgument("evaluation rows " + std::to_string(evaluation.rows) +
                                   " is negative");
  }
  MLLOOP_ASSIGN_OR_RETURN(ModelVersion v, GetVersionById(evaluation.version_id));
  if (evaluation.champion_id) {
    MLLOOP_ASSIGN_OR_RETURN(ModelVersion champion, GetVersionById(*evaluation.champion_id));
    if (champion.model != v.model) {
      return Status::InvalidArgument("evaluation compares " + Label(v) + " with " +
                                     Label(champion) + ", a different model");
    }
  }
  return store_->InsertEvaluation(evaluation);
}

Result<std::vector<Evaluation>> Registry::EvaluationsFor(int64_t version_id) {
  return store_->ListEvaluations(version_id);
}

// ------------------------------------------------------------------------------- access

Result<Principal> Registry::Authorize(const Credentials& credentials, Permission permission,
                                      const std::string& what, int64_t time) {
  std::optional<Principal> principal;
  std::string refusal;
  std::string actor = credentials.claimed_name.empty() ? "unauthenticated"
                                                       : credentials.claimed_name;
  if (credentials.token.empty()) {
    MLLOOP_ASSIGN_OR_RETURN(std::vector<Token> tokens, store_->ListTokens());
    if (tokens.empty()) {
      // Bootstrap: no token was ever created, so the local user administers the store.
      Principal local;
      local.name = !credentials.claimed_name.empty() ? credentials.claimed_name
                   : !credentials.local_name.empty() ? credentials.local_name
                                                     : "local";
      local.role = Role::kAdmin;
      return local;
    }
    refusal = "this store requires a token (set MLLOOP_TOKEN or pass --token)";
  } else {
    MLLOOP_ASSIGN_OR_RETURN(std::optional<Token> token,
                            store_->FindTokenByHash(TokenHash(credentials.token)));
    if (!token) {
      refusal = "the token is not one this store issued";
    } else {
      actor = token->name;
      if (token->revoked_at) {
        refusal = "the token of " + token->name + " was revoked at " +
                  core::FormatTimestamp(*token->revoked_at) + " by " + token->revoked_by;
      } else if (!credentials.claimed_name.empty() && credentials.claimed_name != token->name) {
        refusal = "the token is " + token->name + "'s, not " + credentials.claimed_name + "'s";
      } else if (!RoleAllows(token->role, permission)) {
        refusal = token->name + " (" + std::string(RoleName(token->role)) + ") may not " +
                  std::string(PermissionName(permission)) + " (needs the " +
                  RolesAllowing(permission) + " role)";
      } else {
        principal = Principal{token->name, token->role, token->id};
      }
    }
  }
  if (principal) return *principal;
  Json details = {{"permission", PermissionName(permission)}, {"reason", refusal}};
  Status audited = InTransaction(*store_, [&]() -> Status {
    return AppendInTransaction(MakeEntry(time, actor, "access_denied", what, details));
  });
  std::string message = "permission denied: " + what + ": " + refusal;
  if (!audited.ok()) message += " (and the refusal could not be audited: " + audited.message() + ")";
  return Status::FailedPrecondition(message);
}

Result<IssuedToken> Registry::CreateToken(const std::string& name, Role role,
                                          const std::string& by, int64_t time) {
  MLLOOP_RETURN_IF_ERROR(CheckNotEmpty(name, "token name"));
  MLLOOP_RETURN_IF_ERROR(CheckNotEmpty(by, "actor"));
  if (name.size() > kMaxModelName) {
    return Status::InvalidArgument("token name '" + name.substr(0, 40) + "...' is longer than " +
                                   std::to_string(kMaxModelName) + " bytes");
  }
  return InTransaction(*store_, [&]() -> Result<IssuedToken> {
    MLLOOP_ASSIGN_OR_RETURN(std::vector<Token> tokens, store_->ListTokens());
    if (tokens.empty() && role != Role::kAdmin) {
      return Status::FailedPrecondition(
          "the first token of a store must be an admin's: once a store has a token, every "
          "command needs one, and nobody could create or revoke tokens otherwise");
    }
    IssuedToken issued;
    issued.secret = NewTokenSecret();
    Token& t = issued.token;
    t.name = name;
    t.role = role;
    t.token_sha256 = TokenHash(issued.secret);
    t.created_at = time;
    t.created_by = by;
    MLLOOP_ASSIGN_OR_RETURN(t.id, store_->InsertToken(t));
    Json details = {{"token_id", t.id}, {"role", RoleName(role)}};
    MLLOOP_RETURN_IF_ERROR(
        AppendInTransaction(MakeEntry(time, by, "token_create", "token " + name, details)));
    return issued;
  });
}

Result<Token> Registry::RevokeToken(const std::string& id_or_name, const std::string& by,
                                    int64_t time) {
  MLLOOP_RETURN_IF_ERROR(CheckNotEmpty(by, "actor"));
  return InTransaction(*store_, [&]() -> Result<Token> {
    MLLOOP_ASSIGN_OR_RETURN(std::vector<Token> tokens, store_->ListTokens());
    const bool by_id = !id_or_name.empty() &&
                       id_or_name.find_first_not_of("0123456789") == std::string::npos;
    std::optional<Token> found;
    int active_admins = 0;
    for (const Token& t : tokens) {
      if (t.revoked_at) continue;
      active_admins += t.role == Role::kAdmin;
      if (by_id ? std::to_string(t.id) == id_or_name : t.name == id_or_name) found = t;
    }
    if (!found) {
      return Status::NotFound("no active token " + std::string(by_id ? "with id " : "named ") +
                              id_or_name);
    }
    if (found->role == Role::kAdmin && active_admins == 1) {
      return Status::FailedPrecondition("token " + found->name +
                                        " is the last active admin token; create another admin "
                                        "token before revoking it");
    }
    MLLOOP_RETURN_IF_ERROR(store_->RevokeToken(found->id, time, by));
    Json details = {{"token_id", found->id}, {"role", RoleName(found->role)}};
    MLLOOP_RETURN_IF_ERROR(AppendInTransaction(
        MakeEntry(time, by, "token_revoke", "token " + found->name, details)));
    found->revoked_at = time;
    found->revoked_by = by;
    return *found;
  });
}

Result<std::vector<Token>> Registry::ListTokens() { return store_->ListTokens(); }

// ---------------------------------------------------------------------------- audit log

Status Registry::AppendInTransaction(AuditEntry entry) {
  // The head, not the newest row, says where the chain continues: entries removed from the
  // end stay detectable after later appends.
  MLLOOP_RETURN_IF_ERROR(signing_status());
  MLLOOP_ASSIGN_OR_RETURN(store::AuditHead head, store_->GetAuditHead());
  entry.id = head.last_id + 1;
  entry.prev_hash = head.last_hash;
  entry.hash = AuditEntryHash(entry);
  MLLOOP_RETURN_IF_ERROR(store_->InsertAuditEntry(entry));
  head.entries += 1;
  head.last_id = entry.id;
  head.last_hash = entry.hash;
  head.signature = key_->Sign(AuditHeadMessage(head.entries, head.last_id, head.last_hash));
  return store_->SetAuditHead(head);
}

Status Registry::Append(const AuditEntry& entry) {
  MLLOOP_RETURN_IF_ERROR(CheckNotEmpty(entry.actor, "audit actor"));
  MLLOOP_RETURN_IF_ERROR(CheckNotEmpty(entry.action, "audit action"));
  AuditEntry e = entry;
  MLLOOP_ASSIGN_OR_RETURN(e.details_json, NormalizeJson(e.details_json, "audit details_json"));
  return InTransaction(*store_, [&]() -> Status { return AppendInTransaction(e); });
}

Result<std::vector<AuditEntry>> Registry::Audit(size_t limit) {
  return store_->RecentAuditEntries(limit);
}

Result<std::vector<AuditEntry>> Registry::FindAudit(const store::AuditFilter& filter,
                                                    size_t limit) {
  return store_->FindAuditEntries(filter, limit);
}

Result<store::AuditHead> Registry::VerifyAudit() {
  MLLOOP_RETURN_IF_ERROR(EnsureSigning());
  if (key_mismatch_) return Status::DataLoss("cannot trust the store's key: " + key_problem_);
  std::optional<int64_t> bad_id;
  MLLOOP_RETURN_IF_ERROR(WalkAuditChain(*store_, public_key_, &bad_id));
  return store_->GetAuditHead();
}

Result<std::optional<int64_t>> Registry::FirstBrokenAuditEntry() {
  MLLOOP_RETURN_IF_ERROR(EnsureSigning());
  std::optional<int64_t> bad_id;
  Status s = WalkAuditChain(*store_, public_key_, &bad_id);
  if (!s.ok() && !bad_id) return s;  // the store failed, not the chain
  return bad_id;
}

Status Registry::VerifyAuditChain() { return VerifyAudit().status(); }

}  // namespace mlloop::registry
