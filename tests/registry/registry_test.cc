#include "registry/registry.h"

#include <gtest/gtest.h>
#include <sqlite3.h>

#include <filesystem>
#include <map>
#include <set>

#include "core/clock.h"
#include "core/hash.h"
#include "registry/audit_chain.h"
#include "registry/environment.h"
#include "store/sqlite_registry_store.h"
#include "testutil/testutil.h"

namespace mlloop::registry {
namespace {

using S = VersionState;

const std::vector<VersionState> kAllStates = {S::kCandidate, S::kValidated, S::kApproved,
                                              S::kCanary,    S::kChampion,  S::kRetired,
                                              S::kRejected,  S::kRolledBack};

Lineage SampleLineage() {
  Lineage l;
  l.data_hash = core::Sha256Hex("rows");
  l.data_source = "elec2.csv";
  l.row_begin = 0;
  l.row_end = 4000;
  l.time_begin = 1000;
  l.time_end = 2000;
  l.training_window = "last 4000 rows";
  l.config_hash = core::Sha256Hex("config");
  l.params_json = R"({"eta":"0.3"})";
  l.seed = 42;
  l.rounds = 100;
  l.xgboost_version = "1.7.4";
  l.mlloop_version = "0.1.0";
  l.git_commit = "abc";
  l.train_seconds = 0.5;
  l.data_file_hash = core::Sha256Hex("file");
  l.config_text = "model: m\n";
  RecordEnvironment(&l);
  return l;
}

std::unique_ptr<Registry> InMemory() {
  auto r = Registry::OpenInMemory();
  EXPECT_TRUE(r.ok()) << r.status().ToString();
  return std::move(r).value();
}

ModelVersion MustRegister(Registry& r, const std::string& model, std::string_view artifact,
                          int64_t time = 100) {
  auto v = r.Register(model, artifact, SampleLineage(), std::nullopt, "pipeline", time);
  EXPECT_TRUE(v.ok()) << v.status().ToString();
  return v.ok() ? *v : ModelVersion{};
}

void MustMove(Registry& r, int64_t id, std::vector<VersionState> path, int64_t time = 200) {
  for (VersionState to : path) {
    Status s = r.Transition(id, to, "alice", "test", time);
    ASSERT_TRUE(s.ok()) << s.ToString();
  }
}

// Makes `model` have a champion (the returned version) through the full legal path.
ModelVersion MakeChampion(Registry& r, const std::string& model, std::string_view artifact) {
  ModelVersion v = MustRegister(r, model, artifact);
  MustMove(r, v.id, {S::kValidated, S::kApproved, S::kChampion});
  return *r.GetVersionById(v.id);
}

// A legal path from candidate to each state.
std::vector<VersionState> PathTo(VersionState s) {
  switch (s) {
    case S::kCandidate:
      return {};
    case S::kValidated:
      return {S::kValidated};
    case S::kApproved:
      return {S::kValidated, S::kApproved};
    case S::kCanary:
      return {S::kValidated, S::kApproved, S::kCanary};
    case S::kChampion:
      return {S::kValidated, S::kApproved, S::kChampion};
    case S::kRetired:
      return {S::kValidated, S::kApproved, S::kChampion, S::kRetired};
    case S::kRejected:
      return {S::kRejected};
    case S::kRolledBack:
      return {S::kValidated, S::kApproved, S::kCanary, S::kRolledBack};
  }
  return {};
}

// ---------------------------------------------------------------------- state machine

TEST(RegistryTest, StateNamesRoundTrip) {
  for (VersionState s : kAllStates) EXPECT_EQ(*ParseVersionState(VersionStateName(s)), s);
  EXPECT_EQ(VersionStateName(S::kRolledBack), "rolled_back");
  EXPECT_EQ(ParseVersionState("live").status().code(), StatusCode::kInvalidArgument);
}

TEST(RegistryTest, EveryTransitionIsAllowedOrRefusedAsDesigned) {
  int legal = 0;
  for (VersionState from : kAllStates) {
    for (VersionState to : kAllStates) {
      SCOPED_TRACE(std::string(VersionStateName(from)) + " -> " +
                   std::string(VersionStateName(to)));
      auto r = InMemory();
      ModelVersion v = MustRegister(*r, "m", "artifact");
      MustMove(*r, v.id, PathTo(from));
      ASSERT_EQ(r->GetVersionById(v.id)->state, from);
      auto allowed = AllowedTransitions(from);
      bool expect_ok = std::find(allowed.begin(), allowed.end(), to) != allowed.end();
      Status s = r->Transition(v.id, to, "alice", "test", 300);
      if (expect_ok) {
        ++legal;
        ASSERT_TRUE(s.ok()) << s.ToString();
        EXPECT_EQ(r->GetVersionById(v.id)->state, to);
        EXPECT_EQ(r->GetVersionById(v.id)->state_changed_at, 300);
      } else {
        EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition) << s.ToString();
        EXPECT_EQ(r->GetVersionById(v.id)->state, from);
      }
    }
  }
  EXPECT_EQ(legal, 11);  // the arrows of DESIGN.md's state diagram
}

TEST(RegistryTest, IllegalTransitionNamesTheAllowedOnes) {
  auto r = InMemory();
  MustRegister(*r, "churn", "a");
  MustRegister(*r, "churn", "b");
  ModelVersion v3 = MustRegister(*r, "churn", "c");
  Status s = r->Transition(v3.id, S::kChampion, "alice", "skip ahead", 5);
  EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(s.message(),
            "churn v3: cannot go from candidate to champion (allowed: validated, rejected)");
  MustMove(*r, v3.id, {S::kRejected});
  EXPECT_EQ(r->Transition(v3.id, S::kValidated, "alice", "", 6).message(),
            "churn v3: cannot go from rejected to validated (allowed: none)");
  EXPECT_EQ(r->Transition(999, S::kValidated, "alice", "", 6).code(), StatusCode::kNotFound);
  EXPECT_EQ(r->Transition(v3.id, S::kValidated, "", "", 6).code(), StatusCode::kInvalidArgument);
}

TEST(RegistryTest, PromotionRetiresTheChampionAndRecordsTheRollbackTarget) {
  auto r = InMemory();
  ModelVersion v1 = MakeChampion(*r, "m", "one");
  EXPECT_EQ(v1.rollback_target, std::nullopt);
  ModelVersion v2 = MustRegister(*r, "m", "two");
  MustMove(*r, v2.id, {S::kValidated, S::kApproved, S::kCanary});
  EXPECT_EQ(r->GetVersionById(v2.id)->rollback_target, v1.id);  // the champion it would replace
  MustMove(*r, v2.id, {S::kChampion});

  auto champion = r->Champion("m");
  ASSERT_TRUE(champion.ok() && champion->has_value());
  EXPECT_EQ((*champion)->id, v2.id);
  EXPECT_EQ((*champion)->rollback_target, v1.id);
  EXPECT_EQ(r->GetVersionById(v1.id)->state, S::kRetired);
  int champions = 0;
  std::vector<ModelVersion> versions = *r->ListVersions("m");
  for (const ModelVersion& v : versions) champions += v.state == S::kChampion;
  EXPECT_EQ(champions, 1);

  // Other models are untouched.
  ModelVersion other = MakeChampion(*r, "other", "x");
  EXPECT_EQ((*r->Champion("m"))->id, v2.id);
  EXPECT_EQ((*r->Champion("other"))->id, other.id);
  EXPECT_FALSE(r->Champion("nobody")->has_value());
}

TEST(RegistryTest, RollingBackTheChampionRestoresThePreviousOne) {
  auto r = InMemory();
  ModelVersion v1 = MakeChampion(*r, "m", "one");
  ModelVersion v2 = MakeChampion(*r, "m", "two");
  ASSERT_TRUE(r->Transition(v2.id, S::kRolledBack, "oncall", "error rate alarm", 400).ok());
  EXPECT_EQ(r->GetVersionById(v2.id)->state, S::kRolledBack);
  auto champion = r->Champion("m");
  ASSERT_TRUE(champion->has_value());
  EXPECT_EQ((*champion)->id, v1.id);

  auto audit = *r->Audit(1);
  EXPECT_EQ(audit[0].subject, "m v1");
  EXPECT_NE(audit[0].details_json.find("restored by the rollback of m v2"), std::string::npos);

  // A first champion has nothing to go back to: the model is left without one.
  ASSERT_TRUE(r->Transition(v1.id, S::kRolledBack, "oncall", "bad too", 500).ok());
  EXPECT_FALSE(r->Champion("m")->has_value());
}

TEST(RegistryTest, RollingBackACanaryLeavesTheChampionServing) {
  auto r = InMemory();
  ModelVersion v1 = MakeChampion(*r, "m", "one");
  ModelVersion v2 = MustRegister(*r, "m", "two");
  MustMove(*r, v2.id, {S::kValidated, S::kApproved, S::kCanary, S::kRolledBack});
  EXPECT_EQ((*r->Champion("m"))->id, v1.id);
  EXPECT_EQ(r->GetVersionById(v1.id)->state, S::kChampion);
}

TEST(RegistryTest, HistoryListsRegistrationAndEveryStateChangeWithActorAndReason) {
  auto r = InMemory();
  ModelVersion v1 = MakeChampion(*r, "m", "one");
  ModelVersion v2 = MustRegister(*r, "m", "two", 300);
  ASSERT_TRUE(r->Transition(v2.id, S::kValidated, "ci", "gates passed", 310).ok());
  ASSERT_TRUE(r->Transition(v2.id, S::kApproved, "alice", "looks right", 320).ok());
  ASSERT_TRUE(r->Transition(v2.id, S::kChampion, "loop", "rollout", 330).ok());
  ASSERT_TRUE(r->Transition(v2.id, S::kRolledBack, "bob", "error spike", 340).ok());

  auto h2 = r->History(*r->GetVersionById(v2.id));
  ASSERT_TRUE(h2.ok()) << h2.status().ToString();
  ASSERT_EQ(h2->size(), 5u);
  EXPECT_EQ((*h2)[0].action, "register");
  EXPECT_EQ((*h2)[0].from, std::nullopt);
  EXPECT_EQ((*h2)[0].to, S::kCandidate);
  EXPECT_EQ((*h2)[0].time, 300);
  EXPECT_EQ((*h2)[2].action, "approve");
  EXPECT_EQ((*h2)[2].actor, "alice");
  EXPECT_EQ((*h2)[2].reason, "looks right");
  EXPECT_EQ((*h2)[2].from, S::kValidated);
  EXPECT_EQ((*h2)[3].action, "promote");
  EXPECT_EQ((*h2)[4].action, "rollback");
  EXPECT_EQ((*h2)[4].time, 340);

  // v1: registered, validated, approved, champion, retired by v2, restored by the rollback.
  auto h1 = *r->History(*r->GetVersionById(v1.id));
  ASSERT_EQ(h1.size(), 6u);
  EXPECT_EQ(h1[4].action, "retire");
  EXPECT_EQ(h1[4].reason, "replaced by m v2");
  EXPECT_EQ(h1[5].action, "restore");
  EXPECT_EQ(h1[5].to, S::kChampion);
  EXPECT_EQ(h1[5].actor, "bob");
}

TEST(RegistryTest, ApproveAndRejectNeedAReasonAndTheRightState) {
  auto r = InMemory();
  ModelVersion v = MustRegister(*r, "m", "a");
  // A candidate has not passed validation: it cannot be approved.
  Status early = r->Approve(v.id, "alice", "ok", 1);
  EXPECT_EQ(early.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(early.message(),
            "m v1: cannot go from candidate to approved (allowed: validated, rejected)");
  MustMove(*r, v.id, {S::kValidated});
  EXPECT_EQ(r->Approve(v.id, "alice", "", 2).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r->Approve(v.id, "", "ok", 2).code(), StatusCode::kInvalidArgument);
  ASSERT_TRUE(r->Approve(v.id, "alice", "ok", 3).ok());
  EXPECT_EQ(r->GetVersionById(v.id)->state, S::kApproved);
  EXPECT_EQ(r->Audit(1)->front().action, "approve");
  EXPECT_EQ(r->Audit(1)->front().actor, "alice");

  // Rejected from candidate, validated or approved; not once it serves.
  for (VersionState from : {S::kCandidate, S::kValidated, S::kApproved}) {
    ModelVersion w = MustRegister(*r, "m", "b");
    MustMove(*r, w.id, PathTo(from));
    EXPECT_EQ(r->Reject(w.id, "bob", "", 4).code(), StatusCode::kInvalidArgument);
    ASSERT_TRUE(r->Reject(w.id, "bob", "too slow", 4).ok());
    EXPECT_EQ(r->GetVersionById(w.id)->state, S::kRejected);
    EXPECT_EQ(r->Audit(1)->front().action, "reject");
  }
  ModelVersion champion = MakeChampion(*r, "m", "c");
  EXPECT_EQ(r->Reject(champion.id, "bob", "late", 5).code(), StatusCode::kFailedPrecondition);
}

TEST(RegistryTest, TransitionActionsNameTheMove) {
  EXPECT_EQ(TransitionAction(S::kValidated), "validate");
  EXPECT_EQ(TransitionAction(S::kApproved), "approve");
  EXPECT_EQ(TransitionAction(S::kCanary), "canary");
  EXPECT_EQ(TransitionAction(S::kChampion), "promote");
  EXPECT_EQ(TransitionAction(S::kRetired), "retire");
  EXPECT_EQ(TransitionAction(S::kRejected), "reject");
  EXPECT_EQ(TransitionAction(S::kRolledBack), "rollback");
}

TEST(RegistryTest, EnvironmentNamesCompilerSqliteAndOs) {
  Lineage l;
  RecordEnvironment(&l);
  EXPECT_TRUE(l.compiler.rfind("GCC ", 0) == 0 || l.compiler.rfind("Clang ", 0) == 0)
      << l.compiler;
  EXPECT_EQ(l.sqlite_version.substr(0, 2), "3.");
  EXPECT_NE(l.os.find("Linux"), std::string::npos) << l.os;
  EXPECT_FALSE(l.mlloop_version.empty());
  EXPECT_FALSE(l.git_commit.empty());
}

// ------------------------------------------------------------------------------- access

TEST(AccessTest, EachRoleHoldsExactlyItsPermissions) {
  using P = Permission;
  const std::vector<P> all = {P::kRead, P::kTrain, P::kRollback, P::kApprove, P::kAdminister};
  const std::map<Role, std::set<P>> expected = {
      {Role::kViewer, {P::kRead}},
      {Role::kOperator, {P::kRead, P::kTrain, P::kRollback}},
      {Role::kApprover, {P::kRead, P::kApprove}},
      {Role::kAdmin, {P::kRead, P::kTrain, P::kRollback, P::kApprove, P::kAdminister}},
  };
  for (const auto& [role, allowed] : expected) {
    for (P p : all) {
      EXPECT_EQ(RoleAllows(role, p), allowed.count(p) == 1)
          << RoleName(role) << " / " << PermissionName(p);
    }
  }
  EXPECT_EQ(RolesAllowing(P::kApprove), "approver or admin");
  EXPECT_EQ(RolesAllowing(P::kRead), "viewer, operator, approver or admin");
}

TEST(AccessTest, AStoreWithoutTokensTrustsItsLocalUserAsAdmin) {
  auto r = InMemory();
  auto local = r->Authorize({"", "", "alice"}, Permission::kAdminister, "tokens list", 1);
  ASSERT_TRUE(local.ok()) << local.status().ToString();
  EXPECT_EQ(local->name, "alice");
  EXPECT_EQ(local->role, Role::kAdmin);
  EXPECT_EQ(local->token_id, std::nullopt);
  EXPECT_EQ(r->Authorize({"", "bob", "alice"}, Permission::kApprove, "x", 1)->name, "bob");
  // The first token must be an admin's.
  auto first = r->CreateToken("ci", Role::kOperator, "alice", 2);
  EXPECT_EQ(first.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_TRUE(r->ListTokens()->empty());
}

TEST(AccessTest, TokensAreRandomStoredAsHashesAndCheckedOnEveryCall) {
  auto r = InMemory();
  auto root = r->CreateToken("root", Role::kAdmin, "local", 1);
  ASSERT_TRUE(root.ok()) << root.status().ToString();
  EXPECT_EQ(root->secret.size(), 7u + 64u);
  EXPECT_EQ(root->secret.rfind("mlloop_", 0), 0u);
  EXPECT_EQ(root->token.token_sha256, TokenHash(root->secret));
  auto ci = *r->CreateToken("ci", Role::kOperator, "root", 2);
  EXPECT_NE(ci.secret, root->secret);
  EXPECT_EQ(r->CreateToken("ci", Role::kViewer, "root", 3).status().code(),
            StatusCode::kAlreadyExists);
  const std::vector<Token> stored = *r->ListTokens();
  for (const Token& t : stored) EXPECT_NE(t.token_sha256, ci.secret);

  auto op = r->Authorize({ci.secret, "", ""}, Permission::kRollback, "rollback m", 4);
  ASSERT_TRUE(op.ok()) << op.status().ToString();
  EXPECT_EQ(op->name, "ci");
  EXPECT_EQ(op->role, Role::kOperator);
  EXPECT_EQ(op->token_id, ci.token.id);

  // Once a token exists, no token is no longer enough.
  Status none = r->Authorize({"", "", "alice"}, Permission::kRead, "models list", 5).status();
  EXPECT_EQ(none.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(none.message(),
            "permission denied: models list: this store requires a token (set MLLOOP_TOKEN or "
            "pass --token)");
}

TEST(AccessTest, EveryRefusalIsAuditedWithWhoWhatAndWhy) {
  auto r = InMemory();
  auto root = *r->CreateToken("root", Role::kAdmin, "local", 1);
  auto ci = *r->CreateToken("ci", Role::kOperator, "root", 2);
  struct Case {
    Credentials credentials;
    std::string actor;
    std::string reason;
  };
  const std::vector<Case> cases = {
      {{ci.secret, "", ""}, "ci", "ci (operator) may not approve (needs the approver or admin role)"},
      {{ci.secret, "alice", ""}, "ci", "the token is ci's, not alice's"},
      {{"mlloop_forged", "", ""}, "unauthenticated", "the token is not one this store issued"},
      {{"", "mallory", ""}, "mallory",
       "this store requires a token (set MLLOOP_TOKEN or pass --token)"},
  };
  for (const Case& c : cases) {
    SCOPED_TRACE(c.reason);
    size_t before = r->Audit()->size();
    Status s = r->Authorize(c.credentials, Permission::kApprove, "approve m v2", 7).status();
    EXPECT_EQ(s.code(), StatusCode::kFailedPrecondition);
    EXPECT_EQ(s.message(), "permission denied: approve m v2: " + c.reason);
    auto audit = *r->Audit();
    ASSERT_EQ(audit.size(), before + 1);
    EXPECT_EQ(audit.back().action, "access_denied");
    EXPECT_EQ(audit.back().actor, c.actor);
    EXPECT_EQ(audit.back().subject, "approve m v2");
    EXPECT_NE(audit.back().details_json.find(c.reason), std::string::npos);
  }

  // A revoked token is refused too; the last admin token cannot be revoked.
  ASSERT_TRUE(r->RevokeToken("ci", "root", 8).ok());
  Status revoked = r->Authorize({ci.secret, "", ""}, Permission::kRead, "models list", 9).status();
  EXPECT_NE(revoked.message().find("the token of ci was revoked at"), std::string::npos)
      << revoked.message();
  EXPECT_EQ(r->RevokeToken("root", "root", 10).status().code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(r->RevokeToken(std::to_string(root.token.id), "root", 10).status().code(),
            StatusCode::kFailedPrecondition);
  EXPECT_EQ(r->RevokeToken("nobody", "root", 10).status().code(), StatusCode::kNotFound);
  EXPECT_TRUE(r->VerifyAuditChain().ok());
}

// ---------------------------------------------------------------------------- versions

TEST(RegistryTest, VersionNumbersArePerModelAndOneBased) {
  auto r = InMemory();
  EXPECT_EQ(MustRegister(*r, "a", "1").version, 1);
  EXPECT_EQ(MustRegister(*r, "a", "2").version, 2);
  EXPECT_EQ(MustRegister(*r, "b", "1").version, 1);
  EXPECT_EQ(MustRegister(*r, "a", "2").version, 3);  // same artifact, still a new version
  EXPECT_EQ(*r->ListModels(), (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(r->ListVersions()->size(), 4u);
  EXPECT_EQ(r->ListVersions("a")->size(), 3u);
}

TEST(RegistryTest, RegisterStoresLineageArtifactAndAudit) {
  auto r = InMemory();
  auto v = r->Register("m", "booster", SampleLineage(), std::nullopt, "pipeline", 123);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->state, S::kCandidate);
  EXPECT_EQ(v->created_at, 123);
  EXPECT_EQ(v->artifact_sha256, core::Sha256Hex("booster"));
  EXPECT_EQ(v->lineage, SampleLineage());
  EXPECT_EQ(*r->GetVersion("m", 1), *v);
  EXPECT_EQ(*r->GetVersionById(v->id), *v);
  EXPECT_EQ(*r->LoadArtifact(*v), "booster");
  auto audit = *r->Audit();
  ASSERT_EQ(audit.size(), 2u);
  EXPECT_EQ(audit[0].action, "signing_key_create");  // every store's first entry
  EXPECT_EQ(audit[1].actor, "pipeline");
  EXPECT_EQ(audit[1].action, "register");
  EXPECT_EQ(audit[1].subject, "m v1");
  EXPECT_EQ(audit[1].time, 123);
}

TEST(RegistryTest, RegisterRefusesBadInput) {
  auto r = InMemory();
  Lineage l = SampleLineage();
  EXPECT_EQ(r->Register("", "x", l, std::nullopt, "p", 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(r->Register("a/b", "x", l, std::nullopt, "p", 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(r->Register("m", "", l, std::nullopt, "p", 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(r->Register("m", "x", l, std::nullopt, "", 0).status().code(),
            StatusCode::kInvalidArgument);
  l.params_json = "{not json";
  EXPECT_EQ(r->Register("m", "x", l, std::nullopt, "p", 0).status().code(),
            StatusCode::kInvalidArgument);
  EXPECT_EQ(r->Register("m", "x", SampleLineage(), 77, "p", 0).status().code(),
            StatusCode::kNotFound);
  EXPECT_TRUE(r->ListVersions()->empty());
  EXPECT_EQ(r->Audit()->size(), 1u);  // the store's signing key, nothing else
}

TEST(RegistryTest, GetVersionNotFoundListsWhatExists) {
  auto r = InMemory();
  MustRegister(*r, "churn", "1");
  MustRegister(*r, "churn", "2");
  MustRegister(*r, "fraud", "1");
  EXPECT_EQ(r->GetVersion("churn", 7).status().message(),
            "model churn has no version 7 (versions: 1, 2)");
  EXPECT_EQ(r->GetVersion("pricing", 1).status().message(),
            "no model named pricing (models: churn, fraud)");
  EXPECT_EQ(r->GetVersionById(999).status().code(), StatusCode::kNotFound);
}

// --------------------------------------------------------------- decisions, evaluations

Decision SampleDecision(const std::string& model, int64_t time, std::string action = "none") {
  Decision d;
  d.model = model;
  d.policy = "configured";
  d.time = time;
  d.signals_json = R"({"psi":{"value":0.12,"threshold":0.2,"fired":false}})";
  d.action = std::move(action);
  d.reason = "nothing fired";
  d.budget_left = 2;
  return d;
}

TEST(RegistryTest, DecisionsRoundTripAndLinkToTheirVersion) {
  auto r = InMemory();
  Decision d = SampleDecision("m", 10, "retrain");
  auto id = r->RecordDecision(d);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  d.id = *id;
  EXPECT_EQ(**r->GetDecision(d.id), d);
  EXPECT_FALSE(r->GetDecision(d.id + 100)->has_value());

  auto v = r->Register("m", "art", SampleLineage(), d.id, "pipeline", 11);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_EQ(v->decision_id, d.id);
  EXPECT_EQ((*r->GetDecision(d.id))->version_id, v->id);  // linked by Register

  Decision rollback = SampleDecision("m", 12, "rollback");
  int64_t rid = *r->RecordDecision(rollback);
  ASSERT_TRUE(r->AttachDecisionVersion(rid, v->id).ok());
  ASSERT_TRUE(r->AttachDecisionVersion(rid, v->id).ok());  // same link: no-op
  ModelVersion v2 = MustRegister(*r, "m", "art2");
  EXPECT_EQ(r->AttachDecisionVersion(rid, v2.id).code(), StatusCode::kFailedPrecondition);
  ModelVersion other = MustRegister(*r, "other", "x");
  int64_t fresh = *r->RecordDecision(SampleDecision("m", 13));
  EXPECT_EQ(r->AttachDecisionVersion(fresh, other.id).code(), StatusCode::kInvalidArgument);
  EXPECT_EQ(r->AttachDecisionVersion(9999, v->id).code(), StatusCode::kNotFound);
  EXPECT_EQ(r->Register("other", "y", SampleLineage(), fresh, "p", 14).status().code(),
            StatusCode::kInvalidArgument);
}

TEST(RegistryTest, ADecisionsOutcomeIsRecordedOnce) {
  auto r = InMemory();
  const int64_t id = *r->RecordDecision(SampleDecision("m", 10, "retrain"));
  EXPECT_EQ((*r->GetDecision(id))->outcome, "");
  const std::string rejected = "v2 rejected: gate segments_accuracy rejected: segment day=4 ...";
  ASSERT_TRUE(r->RecordDecisionOutcome(id, rejected).ok());
  EXPECT_EQ((*r->GetDecision(id))->outcome, rejected);
  EXPECT_TRUE(r->RecordDecisionOutcome(id, rejected).ok());  // the same outcome: no-op
  Status changed = r->RecordDecisionOutcome(id, "v2 promoted");
  EXPECT_EQ(changed.code(), StatusCode::kFailedPrecondition);
  EXPECT_EQ(changed.message(), "decision " + std::to_string(id) + " already has an outcome: " +
                                   rejected);
  EXPECT_EQ(r->RecordDecisionOutcome(id + 100, "x").code(), StatusCode::kNotFound);
  EXPECT_EQ(r->RecordDecisionOutcome(id, "").code(), StatusCode::kInvalidArgument);
}

TEST(RegistryTest, ListDecisionsReturnsTheNewestOldestFirst) {
  auto r = InMemory();
  for (int t = 1; t <= 6; ++t)
    ASSERT_TRUE(r->RecordDecision(SampleDecision(t % 2 ? "a" : "b", t)).ok());
  auto a = *r->ListDecisions("a");
  ASSERT_EQ(a.size(), 3u);
  EXPECT_EQ(a[0].time, 1);
  auto last2 = *r->ListDecisions("a", 2);
  ASSERT_EQ(last2.size(), 2u);
  EXPECT_EQ(last2[0].time, 3);
  EXPECT_EQ(last2[1].time, 5);
  EXPECT_EQ(r->ListDecisions("")->size(), 6u);
}

TEST(RegistryTest, RecordDecisionRefusesBadInput) {
  auto r = InMemory();
  Decision d = SampleDecision("m", 1, "deploy");
  EXPECT_EQ(r->RecordDecision(d).status().code(), StatusCode::kInvalidArgument);
  d = SampleDecision("m", 1);
  d.signals_json = "{";
  EXPECT_EQ(r->RecordDecision(d).status().code(), StatusCode::kInvalidArgument);
  d = SampleDecision("m", 1);
  d.budget_left = -2;
  EXPECT_EQ(r->RecordDecision(d).status().code(), StatusCode::kInvalidArgument);
  d = SampleDecision("m", 1);
  d.version_id = 42;
  EXPECT_EQ(r->RecordDecision(d).status().code(), StatusCode::kNotFound);
  d = SampleDecision("m", 1);
  d.signals_json = "";
  auto id = r->RecordDecision(d);
  ASSERT_TRUE(id.ok());
  EXPECT_EQ((*r->GetDecision(*id))->signals_json, "{}");
}

TEST(RegistryTest, EvaluationsRoundTrip) {
  auto r = InMemory();
  ModelVersion champion = MakeChampion(*r, "m", "one");
  ModelVersion candidate = MustRegister(*r, "m", "two");
  Evaluation e;
  e.version_id = candidate.id;
  e.champion_id = champion.id;
  e.metric = "roc_auc";
  e.candidate_value = 0.93;
  e.champion_value = 0.90;
  e.rows = 2000;
  e.margin = 0.01;
  e.passed = true;
  e.reason = "roc_auc +0.03 >= margin 0.01 (DeLong p=0.002)";
  e.time = 77;
  e.report_json = R"({"passed":true,"gates":[{"name":"significance_auc","passed":true}]})";
  auto id = r->RecordEvaluation(e);
  ASSERT_TRUE(id.ok()) << id.status().ToString();
  e.id = *id;
  EXPECT_EQ(*r->EvaluationsFor(candidate.id), std::vector<Evaluation>{e});
  EXPECT_TRUE(r->EvaluationsFor(champion.id)->empty());

  Evaluation bad = e;
  bad.version_id = 999;
  EXPECT_EQ(r->RecordEvaluation(bad).status().code(), StatusCode::kNotFound);
  bad = e;
  bad.metric = "";
  EXPECT_EQ(r->RecordEvaluation(bad).status().code(), StatusCode::kInvalidArgument);
  bad = e;
  bad.champion_id = MustRegister(*r, "other", "x").id;
  EXPECT_EQ(r->RecordEvaluation(bad).status().code(), StatusCode::kInvalidArgument);
}

// ----------------------------------------------------------------------------- audit log

TEST(RegistryTest, AuditEntriesChainAndVerify) {
  auto r = InMemory();
  MakeChampion(*r, "m", "one");
  AuditEntry note;
  note.time = 9;
  note.actor = "bob";
  note.action = "comment";
  note.subject = "m v1";
  note.details_json = R"({"text":"looks good"})";
  ASSERT_TRUE(r->Append(note).ok());
  auto audit = *r->Audit();
  ASSERT_EQ(audit.size(), 6u);  // the store's key, register, 3 transitions, comment
  EXPECT_EQ(audit[0].prev_hash, "");
  for (size_t i = 0; i < audit.size(); ++i) {
    EXPECT_EQ(audit[i].id, static_cast<int64_t>(i) + 1);
    EXPECT_EQ(audit[i].hash, AuditEntryHash(audit[i]));
    if (i > 0) {
      EXPECT_EQ(audit[i].prev_hash, audit[i - 1].hash);
    }
  }
  EXPECT_EQ(audit[4].actor, "alice");
  EXPECT_NE(audit[4].details_json.find(R"("to":"champion")"), std::string::npos);
  EXPECT_EQ(audit[5].details_json, note.details_json);
  EXPECT_TRUE(r->VerifyAuditChain().ok());
  EXPECT_EQ(*r->FirstBrokenAuditEntry(), std::nullopt);
  EXPECT_EQ(r->Audit(2)->front().id, 5);

  note.actor = "";
  EXPECT_EQ(r->Append(note).code(), StatusCode::kInvalidArgument);
  note.actor = "bob";
  note.details_json = "{oops";
  EXPECT_EQ(r->Append(note).code(), StatusCode::kInvalidArgument);
}

// A raw SQLite connection to a file registry, standing in for someone with shell access.
class RawDb {
 public:
  explicit RawDb(const std::string& path) {
    EXPECT_EQ(sqlite3_open(path.c_str(), &db_), SQLITE_OK);
  }
  ~RawDb() { sqlite3_close(db_); }
  // Returns "" on success, SQLite's message otherwise.
  std::string Exec(const std::string& sql) {
    char* err = nullptr;
    if (sqlite3_exec(db_, sql.c_str(), nullptr, nullptr, &err) == SQLITE_OK) return "";
    std::string message = err ? err : "error";
    sqlite3_free(err);
    return message;
  }

 private:
  sqlite3* db_ = nullptr;
};

class FileRegistryTest : public ::testing::Test {
 protected:
  void SetUp() override { Reopen(); }
  void Reopen() {
    registry_.reset();
    auto r = Registry::Open(dir_.File("reg"));
    ASSERT_TRUE(r.ok()) << r.status().ToString();
    registry_ = std::move(r).value();
  }
  std::string DbPath() const { return dir_.File("reg") + "/registry.db"; }

  testutil::TempDir dir_;
  std::unique_ptr<Registry> registry_;
};

TEST_F(FileRegistryTest, CreatesDatabaseAndArtifactDirectory) {
  ModelVersion v = MustRegister(*registry_, "m", "bytes");
  EXPECT_TRUE(std::filesystem::exists(DbPath()));
  std::string blob =
      dir_.File("reg") + "/artifacts/" + v.artifact_sha256.substr(0, 2) + "/" + v.artifact_sha256;
  EXPECT_EQ(testutil::ReadFile(blob), "bytes");
}

TEST_F(FileRegistryTest, ReopenSeesTheSameState) {
  ModelVersion v1 = MakeChampion(*registry_, "m", "one");
  ModelVersion v2 = MakeChampion(*registry_, "m", "two");
  int64_t decision = *registry_->RecordDecision(SampleDecision("m", 5, "alert"));
  auto before_versions = *registry_->ListVersions();
  auto before_audit = *registry_->Audit();
  Reopen();
  EXPECT_EQ(*registry_->ListVersions(), before_versions);
  EXPECT_EQ(*registry_->Audit(), before_audit);
  EXPECT_EQ((*registry_->Champion("m"))->id, v2.id);
  EXPECT_EQ((*registry_->Champion("m"))->rollback_target, v1.id);
  EXPECT_EQ((*registry_->GetDecision(decision))->action, "alert");
  EXPECT_EQ(*registry_->LoadArtifact(v1), "one");
  EXPECT_TRUE(registry_->VerifyAuditChain().ok());
  EXPECT_EQ(MustRegister(*registry_, "m", "three").version, 3);  // numbering continues
}

TEST_F(FileRegistryTest, LoadArtifactDetectsCorruption) {
  ModelVersion v = MustRegister(*registry_, "m", "pristine");
  testutil::WriteFile(
      dir_.File("reg") + "/artifacts/" + v.artifact_sha256.substr(0, 2) + "/" + v.artifact_sha256,
      "tampered");
  auto bytes = registry_->LoadArtifact(v);
  ASSERT_FALSE(bytes.ok());
  EXPECT_EQ(bytes.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(
      bytes.status().message().find("is corrupt: content hash is " + core::Sha256Hex("tampered")),
      std::string::npos);
}

TEST_F(FileRegistryTest, AuditTriggersRefuseUpdateAndDelete) {
  MustRegister(*registry_, "m", "x");
  RawDb raw(DbPath());
  EXPECT_NE(raw.Exec("UPDATE audit_log SET actor = 'mallory'").find("append-only"),
            std::string::npos);
  EXPECT_NE(raw.Exec("DELETE FROM audit_log").find("append-only"), std::string::npos);
  EXPECT_EQ(registry_->Audit()->size(), 2u);
  EXPECT_EQ(registry_->Audit()->back().actor, "pipeline");
}

TEST_F(FileRegistryTest, ChainVerificationCatchesAnEditedEntry) {
  MakeChampion(*registry_, "m", "one");  // 4 entries
  ASSERT_TRUE(registry_->VerifyAuditChain().ok());
  RawDb raw(DbPath());
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_log_no_update"), "");
  ASSERT_EQ(raw.Exec("UPDATE audit_log SET actor = 'mallory' WHERE id = 2"), "");
  EXPECT_EQ(*registry_->FirstBrokenAuditEntry(), 2);
  Status s = registry_->VerifyAuditChain();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("audit entry 2:"), std::string::npos) << s.message();
}

TEST_F(FileRegistryTest, ChainVerificationCatchesARemovedEntry) {
  MakeChampion(*registry_, "m", "one");
  RawDb raw(DbPath());
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_log_no_delete"), "");
  ASSERT_EQ(raw.Exec("DELETE FROM audit_log WHERE id = 2"), "");
  EXPECT_EQ(*registry_->FirstBrokenAuditEntry(), 2);
  EXPECT_EQ(registry_->VerifyAuditChain().message(),
            "audit entry 2 is missing: the log goes from entry 1 to entry 3");
}

TEST_F(FileRegistryTest, ChainVerificationCatchesTheFirstEntryRemoved) {
  MakeChampion(*registry_, "m", "one");
  RawDb raw(DbPath());
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_log_no_delete"), "");
  ASSERT_EQ(raw.Exec("DELETE FROM audit_log WHERE id = 1"), "");
  EXPECT_EQ(*registry_->FirstBrokenAuditEntry(), 1);
}

TEST_F(FileRegistryTest, ChainVerificationCatchesReorderedEntries) {
  MakeChampion(*registry_, "m", "one");  // entries 1..4
  RawDb raw(DbPath());
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_log_no_update"), "");
  // Swap the content of entries 2 and 3, hashes and all, keeping the ids in order.
  ASSERT_EQ(raw.Exec("UPDATE audit_log SET id = -2 WHERE id = 2;"
                     "UPDATE audit_log SET id = 2 WHERE id = 3;"
                     "UPDATE audit_log SET id = 3 WHERE id = -2;"),
            "");
  EXPECT_EQ(*registry_->FirstBrokenAuditEntry(), 2);
  EXPECT_NE(registry_->VerifyAuditChain().message().find("audit entry 2: prev_hash"),
            std::string::npos);
}

TEST_F(FileRegistryTest, ChainVerificationCatchesTheNewestEntriesRemoved) {
  MakeChampion(*registry_, "m", "one");
  // 10 entries: the key; 4 for the first; register, 3 moves and a retirement for the second.
  MakeChampion(*registry_, "m", "two");
  ASSERT_EQ(registry_->Audit()->size(), 10u);
  ASSERT_TRUE(registry_->VerifyAuditChain().ok());
  RawDb raw(DbPath());
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_log_no_delete"), "");
  // The chain that is left is intact: only the head knows it used to be longer.
  ASSERT_EQ(raw.Exec("DELETE FROM audit_log WHERE id >= 8"), "");
  EXPECT_EQ(*registry_->FirstBrokenAuditEntry(), 8);
  Status s = registry_->VerifyAuditChain();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("audit log truncated: its head records 10 entries up to entry 10"),
            std::string::npos)
      << s.message();
  EXPECT_NE(s.message().find("the log ends at entry 7; entries 8..10 were removed"),
            std::string::npos)
      << s.message();

  // Later appends continue from the head, so the gap stays visible.
  Reopen();
  MustRegister(*registry_, "m", "three");
  EXPECT_EQ(registry_->Audit(1)->front().id, 11);
  EXPECT_EQ(*registry_->FirstBrokenAuditEntry(), 8);
}

TEST_F(FileRegistryTest, ChainVerificationCatchesEntriesAddedBehindTheRegistrysBack) {
  MustRegister(*registry_, "m", "one");
  AuditEntry forged;
  forged.id = 3;
  forged.time = 5;
  forged.actor = "mallory";
  forged.action = "approve";
  forged.subject = "m v1";
  forged.details_json = "{}";
  forged.prev_hash = registry_->Audit(1)->front().hash;
  forged.hash = AuditEntryHash(forged);  // a perfect link: only the head can tell
  auto store = store::SqliteRegistryStore::Open(DbPath());
  ASSERT_TRUE(store.ok());
  ASSERT_TRUE((*store)->InsertAuditEntry(forged).ok());
  EXPECT_EQ(*registry_->FirstBrokenAuditEntry(), 3);
  EXPECT_NE(registry_->VerifyAuditChain().message().find("entries were added outside mlloop"),
            std::string::npos);
}

// ------------------------------------------------------------------ garbage collection

TEST(GarbageTest, OnlyArtifactsNoLiveApprovedOrRollbackTargetVersionNeedsAreCollected) {
  auto r = InMemory();
  ModelVersion v1 = MakeChampion(*r, "m", "one");       // retired, not a rollback target
  ModelVersion v2 = MakeChampion(*r, "m", "two");       // retired, the champion's target
  ModelVersion v3 = MakeChampion(*r, "m", "three");     // champion
  ModelVersion v4 = MustRegister(*r, "m", "four");      // rejected
  MustMove(*r, v4.id, {S::kRejected});
  ModelVersion v5 = MustRegister(*r, "m", "five");      // approved, waiting
  MustMove(*r, v5.id, {S::kValidated, S::kApproved});
  ModelVersion v6 = MustRegister(*r, "m", "six");       // candidate
  ModelVersion v7 = MustRegister(*r, "m", "three");     // rejected, same bytes as the champion
  MustMove(*r, v7.id, {S::kRejected});
  ModelVersion other = MustRegister(*r, "n", "other");  // another model's candidate

  auto plan = r->PlanGarbageCollection();
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  std::set<int64_t> going;
  for (const ModelVersion& v : plan->versions) going.insert(v.id);
  EXPECT_EQ(going, (std::set<int64_t>{v1.id, v4.id, v7.id}));
  std::set<std::string> files;
  for (const auto& b : plan->blobs) files.insert(b.sha256);
  // v7's bytes are the champion's: its version is garbage, the file is not.
  EXPECT_EQ(files, (std::set<std::string>{v1.artifact_sha256, v4.artifact_sha256}));
  EXPECT_EQ(plan->bytes, 3u + 4u);
  ASSERT_EQ(plan->models.size(), 2u);
  EXPECT_EQ(plan->models[0].model, "m");
  EXPECT_EQ(plan->models[0].versions, 7);
  EXPECT_EQ(plan->models[0].bytes, 3u + 3u + 5u + 4u + 4u + 3u);  // distinct files of m
  EXPECT_EQ(plan->models[0].collectable_versions, 2);
  EXPECT_EQ(plan->models[0].collectable_bytes, 7u);
  EXPECT_EQ(plan->models[1].bytes, 5u);
  EXPECT_EQ(r->ListVersions()->size(), 8u);  // planning changed nothing

  auto done = r->CollectGarbage("root", 900);
  ASSERT_TRUE(done.ok()) << done.status().ToString();
  EXPECT_EQ(done->blobs.size(), 2u);
  auto gone = r->LoadArtifact(*r->GetVersionById(v1.id));
  EXPECT_EQ(gone.status().code(), StatusCode::kNotFound);
  EXPECT_NE(gone.status().message().find("removed by `mlloop gc` at"), std::string::npos);
  for (const ModelVersion& v : {v2, v3, v5, v6, other}) {
    EXPECT_TRUE(r->LoadArtifact(*r->GetVersionById(v.id)).ok()) << v.model << " v" << v.version;
  }
  EXPECT_EQ(r->Audit(1)->front().action, "gc");
  EXPECT_EQ(r->Audit(1)->front().actor, "root");
  EXPECT_TRUE(r->PlanGarbageCollection()->versions.empty());
  EXPECT_TRUE(r->PlanGarbageCollection()->blobs.empty());

  // Bytes that were collected can be registered again.
  ModelVersion again = MustRegister(*r, "m", "one");
  EXPECT_EQ(*r->LoadArtifact(again), "one");
}

// A version trained on live traffic stores its training rows' snapshot; it is what
// `mlloop reproduce` trains from, so it stays when the version's artifact is collected.
TEST(GarbageTest, ADataSnapshotStoredWithAVersionOutlivesItsArtifact) {
  auto r = InMemory();
  Lineage lineage = SampleLineage();
  const std::string snapshot = "the canonical bytes of some live rows";
  lineage.data_hash = core::Sha256Hex(snapshot);
  auto wrong = r->Register("m", "artifact", lineage, std::nullopt, "pipeline", 100, "other rows");
  ASSERT_FALSE(wrong.ok());
  EXPECT_EQ(wrong.status().code(), StatusCode::kInvalidArgument);
  EXPECT_NE(wrong.status().message().find("the data snapshot hashes to " +
                                          core::Sha256Hex("other rows") + ", but the lineage names " +
                                          lineage.data_hash),
            std::string::npos)
      << wrong.status().message();
  EXPECT_TRUE(r->ListVersions()->empty()) << "nothing registered";

  auto v = r->Register("m", "artifact", lineage, std::nullopt, "pipeline", 100, snapshot);
  ASSERT_TRUE(v.ok()) << v.status().ToString();
  EXPECT_TRUE(r->HasDataSnapshot(*v));
  EXPECT_EQ(*r->LoadDataSnapshot(*v), snapshot);
  MustMove(*r, v->id, {S::kRejected});
  ModelVersion plain = MustRegister(*r, "m", "plain");  // trained from a file: no snapshot

  auto plan = r->PlanGarbageCollection();
  ASSERT_TRUE(plan.ok()) << plan.status().ToString();
  ASSERT_EQ(plan->blobs.size(), 1u);
  EXPECT_EQ(plan->blobs[0].sha256, v->artifact_sha256);
  ASSERT_EQ(plan->models.size(), 1u);
  EXPECT_EQ(plan->models[0].snapshot_bytes, snapshot.size());
  EXPECT_EQ(plan->models[0].bytes, std::string("artifact").size() + std::string("plain").size());
  ASSERT_TRUE(r->CollectGarbage("root", 900).ok());
  EXPECT_EQ(r->LoadArtifact(*r->GetVersionById(v->id)).status().code(), StatusCode::kNotFound);
  EXPECT_EQ(*r->LoadDataSnapshot(*r->GetVersionById(v->id)), snapshot);
  EXPECT_TRUE(r->PlanGarbageCollection()->blobs.empty());

  EXPECT_FALSE(r->HasDataSnapshot(plain));
  auto none = r->LoadDataSnapshot(plain);
  EXPECT_EQ(none.status().code(), StatusCode::kNotFound);
  EXPECT_NE(none.status().message().find("loading the data snapshot of m v2: none is stored under its data hash"),
            std::string::npos)
      << none.status().message();
}

// ------------------------------------------------------------------------- signatures

TEST(SigningTest, SignaturesVerifyOnlyTheirOwnMessageAndKey) {
  SigningKey key = SigningKey::Generate();
  SigningKey other = SigningKey::Generate();
  const std::string message = ArtifactMessage("m", 3, std::string(64, 'a'));
  const std::string sig = key.Sign(message);
  EXPECT_EQ(sig.size(), 128u);
  EXPECT_EQ(key.PublicKeyHex().size(), 64u);
  EXPECT_TRUE(VerifySignature(key.PublicKeyHex(), message, sig));
  EXPECT_FALSE(VerifySignature(other.PublicKeyHex(), message, sig));
  EXPECT_FALSE(VerifySignature(key.PublicKeyHex(), ArtifactMessage("m", 4, std::string(64, 'a')),
                               sig));
  EXPECT_FALSE(VerifySignature(key.PublicKeyHex(), message, "zz"));
  EXPECT_FALSE(VerifySignature("", message, sig));
}

TEST_F(FileRegistryTest, TheStoreHasAKeyFileOnlyItsUserMayRead) {
  const std::string key_file = dir_.File("reg") + "/signing.key";
  ASSERT_TRUE(std::filesystem::exists(key_file));
  EXPECT_EQ(std::filesystem::status(key_file).permissions() & std::filesystem::perms::all,
            std::filesystem::perms::owner_read | std::filesystem::perms::owner_write);
  auto public_key = registry_->PublicKey();
  ASSERT_TRUE(public_key.ok());
  EXPECT_EQ(*public_key, SigningKey::Load(key_file)->PublicKeyHex());
  // The key is in the audit log from the start.
  auto first = registry_->Audit()->front();
  EXPECT_EQ(first.action, "signing_key_create");
  EXPECT_NE(first.details_json.find(*public_key), std::string::npos);
  // Reopening uses the same key.
  ModelVersion v = MustRegister(*registry_, "m", "bytes");
  Reopen();
  EXPECT_EQ(*registry_->PublicKey(), *public_key);
  EXPECT_EQ(*registry_->LoadArtifact(v), "bytes");
}

TEST_F(FileRegistryTest, LoadingRefusesAnArtifactSwappedForAnotherSignedOne) {
  ModelVersion v1 = MakeChampion(*registry_, "m", "good model");
  ModelVersion v2 = MustRegister(*registry_, "m", "bad model");
  RawDb raw(DbPath());
  // v1's row is pointed at v2's artifact: a valid file, hashed right, but not v1's.
  ASSERT_EQ(raw.Exec("UPDATE model_versions SET artifact_sha256 = '" + v2.artifact_sha256 +
                     "' WHERE id = " + std::to_string(v1.id)),
            "");
  auto swapped = registry_->LoadArtifact(*registry_->GetVersionById(v1.id));
  ASSERT_FALSE(swapped.ok());
  EXPECT_EQ(swapped.status().code(), StatusCode::kDataLoss);
  EXPECT_NE(swapped.status().message().find(
                "m v1: the artifact's signature does not verify with the store's key"),
            std::string::npos)
      << swapped.status().message();
  // Borrowing v2's signature along with its hash does not help: the signature names v2.
  ASSERT_EQ(raw.Exec("UPDATE model_versions SET artifact_signature = '" + v2.artifact_signature +
                     "' WHERE id = " + std::to_string(v1.id)),
            "");
  EXPECT_EQ(registry_->LoadArtifact(*registry_->GetVersionById(v1.id)).status().code(),
            StatusCode::kDataLoss);
  // An unsigned row is refused too.
  ASSERT_EQ(raw.Exec("UPDATE model_versions SET artifact_signature = '' WHERE id = " +
                     std::to_string(v2.id)),
            "");
  EXPECT_NE(registry_->LoadArtifact(*registry_->GetVersionById(v2.id))
                .status()
                .message()
                .find("is not signed"),
            std::string::npos);
}

TEST_F(FileRegistryTest, WithoutItsKeyTheStoreReadsButChangesNothing) {
  ModelVersion v = MakeChampion(*registry_, "m", "one");
  const std::string key_file = dir_.File("reg") + "/signing.key";
  const std::string saved = testutil::ReadFile(key_file);
  std::filesystem::remove(key_file);
  Reopen();
  EXPECT_EQ(*registry_->LoadArtifact(v), "one");  // verified with the recorded public key
  EXPECT_TRUE(registry_->VerifyAuditChain().ok());
  auto refused = registry_->Register("m", "two", SampleLineage(), std::nullopt, "p", 5);
  EXPECT_EQ(refused.status().code(), StatusCode::kFailedPrecondition);
  EXPECT_NE(refused.status().message().find("signing key " + key_file + " is missing"),
            std::string::npos)
      << refused.status().message();
  EXPECT_EQ(registry_->Transition(v.id, S::kRetired, "a", "b", 6).code(),
            StatusCode::kFailedPrecondition);

  // A key file others may read is not used either.
  testutil::WriteFile(key_file, saved);
  std::filesystem::permissions(key_file, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_write |
                                             std::filesystem::perms::others_read);
  Reopen();
  EXPECT_NE(registry_->signing_status().message().find("may be read by other users (mode 0604)"),
            std::string::npos)
      << registry_->signing_status().message();
  std::filesystem::permissions(key_file, std::filesystem::perms::owner_read |
                                             std::filesystem::perms::owner_write);
  Reopen();
  EXPECT_TRUE(registry_->signing_status().ok());

  // Another store's key is refused, and then nothing can be trusted.
  std::filesystem::remove(key_file);
  ASSERT_TRUE(SigningKey::Generate().Save(key_file).ok());
  Reopen();
  EXPECT_NE(registry_->signing_status().message().find("is not this store's signing key"),
            std::string::npos);
  EXPECT_EQ(registry_->LoadArtifact(v).status().code(), StatusCode::kDataLoss);
}

TEST_F(FileRegistryTest, AHeadRewrittenToHideTruncationDoesNotVerify) {
  MakeChampion(*registry_, "m", "one");
  MakeChampion(*registry_, "m", "two");
  RawDb raw(DbPath());
  ASSERT_EQ(raw.Exec("DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE id > 5;"
                     "UPDATE audit_head SET entries = 5, last_id = 5, last_hash = "
                     "(SELECT hash FROM audit_log WHERE id = 5)"),
            "");
  Status s = registry_->VerifyAuditChain();
  EXPECT_EQ(s.code(), StatusCode::kDataLoss);
  EXPECT_NE(s.message().find("is not signed by the store's key"), std::string::npos)
      << s.message();
  EXPECT_EQ(*registry_->FirstBrokenAuditEntry(), 5);
}

TEST(SigningStoreTest, AStoreFromBeforeSignaturesIsSignedWhenItGetsItsKey) {
  testutil::TempDir dir;
  const std::string reg_dir = dir.File("reg");
  ModelVersion v;
  {
    // What an older mlloop left: a version and its artifact, no key, nothing signed.
    std::filesystem::create_directories(reg_dir);
    auto store = store::SqliteRegistryStore::Open(reg_dir + "/registry.db");
    ASSERT_TRUE(store.ok());
    auto artifacts = store::FileArtifactStore::Open(reg_dir + "/artifacts");
    ASSERT_TRUE(artifacts.ok());
    v.model = "m";
    v.version = *(*store)->ReserveVersionNumber("m", 1);
    v.state = S::kChampion;
    v.artifact_sha256 = *(*artifacts)->Put("one");
    v.lineage = SampleLineage();
    ASSERT_TRUE((*store)->InsertVersion(v).ok());
  }
  auto r = Registry::Open(reg_dir);
  ASSERT_TRUE(r.ok()) << r.status().ToString();
  ASSERT_TRUE((*r)->signing_status().ok()) << (*r)->signing_status().ToString();
  auto loaded = (*r)->LoadArtifact(*(*r)->GetVersion("m", 1));
  ASSERT_TRUE(loaded.ok()) << loaded.status().ToString();
  EXPECT_EQ(*loaded, "one");
  EXPECT_TRUE((*r)->VerifyAuditChain().ok());
  auto last = (*r)->Audit(1)->front();
  EXPECT_EQ(last.action, "signing_key_create");
  EXPECT_NE(last.details_json.find(R"("versions_signed":1)"), std::string::npos);
}

TEST_F(FileRegistryTest, AStoreMadeToLookUnsignedIsNotSignedAgain) {
  ModelVersion v = MakeChampion(*registry_, "m", "one");
  registry_.reset();
  {
    // Someone who can write the database but not read the key points v1 at other bytes,
    // strips every signature and the key, and deletes the key file, hoping the next open
    // takes the store for one from before signatures and signs the edit.
    store::FileArtifactStore::Open(dir_.File("reg") + "/artifacts").value()->Put("evil").value();
    RawDb raw(DbPath());
    ASSERT_EQ(raw.Exec("UPDATE model_versions SET artifact_signature = '', artifact_sha256 = '" +
                       core::Sha256Hex("evil") + "'; DELETE FROM signing_key;"),
              "");
  }
  std::filesystem::remove(dir_.File("reg") + "/signing.key");
  Reopen();
  EXPECT_NE(registry_->signing_status().message().find("the store was signed before"),
            std::string::npos)
      << registry_->signing_status().message();
  EXPECT_FALSE(registry_->LoadArtifact(*registry_->GetVersionById(v.id)).ok());
  EXPECT_FALSE(std::filesystem::exists(dir_.File("reg") + "/signing.key"));

  // A key file beside a database that records none is not adopted either.
  ASSERT_TRUE(SigningKey::Generate().Save(dir_.File("reg") + "/signing.key").ok());
  Reopen();
  EXPECT_NE(registry_->signing_status().message().find("exists but the database records no"),
            std::string::npos)
      << registry_->signing_status().message();
}

TEST_F(FileRegistryTest, AuditFiltersByModelActorActionAndTime) {
  MustRegister(*registry_, "m_1", "a", 100);
  MustRegister(*registry_, "mx1", "b", 200);  // '_' must not act as a wildcard
  MustRegister(*registry_, "m_1", "c", 300);
  ASSERT_TRUE(registry_->Approve(3, "alice", "ok", 400).code() == StatusCode::kFailedPrecondition);
  MustMove(*registry_, 3, {S::kValidated}, 400);
  ASSERT_TRUE(registry_->Approve(3, "alice", "ok", 500).ok());

  store::AuditFilter by_model;
  by_model.model = "m_1";
  auto m = *registry_->FindAudit(by_model);
  ASSERT_EQ(m.size(), 4u);
  for (const auto& e : m) EXPECT_EQ(e.subject.rfind("m_1 v", 0), 0u) << e.subject;

  store::AuditFilter by_version;  // one version's entries only (`mlloop rollout status`)
  by_version.model = "m_1 v2";
  auto v2 = *registry_->FindAudit(by_version);
  ASSERT_FALSE(v2.empty());
  for (const auto& e : v2) EXPECT_EQ(e.subject, "m_1 v2");
  EXPECT_LT(v2.size(), m.size());

  store::AuditFilter approvals;
  approvals.action = "approve";
  approvals.actor = "alice";
  auto a = *registry_->FindAudit(approvals);
  ASSERT_EQ(a.size(), 1u);
  EXPECT_EQ(a[0].subject, "m_1 v2");

  store::AuditFilter recent;
  recent.since = 300;
  EXPECT_EQ(registry_->FindAudit(recent)->size(), 4u);  // and the key, made at today's date
  EXPECT_EQ(registry_->FindAudit(recent, 1)->front().time, 500);
}

TEST_F(FileRegistryTest, OpeningADatabaseFromANewerMlloopFails) {
  registry_.reset();
  {
    RawDb raw(DbPath());
    ASSERT_EQ(raw.Exec("INSERT INTO schema_migrations VALUES (1000, 'future', 0)"), "");
  }
  auto r = Registry::Open(dir_.File("reg"));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(r.status().code(), StatusCode::kFailedPrecondition);
}

// ---------------------------------------------------------------- nothing half-written

class FailingArtifactStore final : public store::ArtifactStore {
 public:
  Result<std::string> Put(std::string_view) override { return Status::Unavailable("disk full"); }
  Result<std::string> Get(const std::string&) override { return Status::NotFound("nothing"); }
  bool Contains(const std::string&) override { return false; }
  Result<std::vector<store::BlobInfo>> List() override {
    return std::vector<store::BlobInfo>();
  }
  Status Remove(const std::string&) override { return Status::Ok(); }
  Result<uint64_t> RemoveStaleTemporaries(int64_t) override { return uint64_t{0}; }
};

// Forwards to a real store, failing the call named `fail_at` once `countdown` reaches 0.
class FaultyStore final : public store::RegistryStore {
 public:
  explicit FaultyStore(std::unique_ptr<store::RegistryStore> inner) : inner_(std::move(inner)) {}
  void FailAt(std::string call, int after = 0) {
    fail_at_ = std::move(call);
    countdown_ = after;
  }

  Status Begin() override { return inner_->Begin(); }
  Status Commit() override { return inner_->Commit(); }
  Status Rollback() override { return inner_->Rollback(); }
  int TransactionDepth() const override { return inner_->TransactionDepth(); }
  Result<int64_t> ReserveVersionNumber(const std::string& m, int64_t t) override {
    MLLOOP_RETURN_IF_ERROR(Fault("ReserveVersionNumber"));
    return inner_->ReserveVersionNumber(m, t);
  }
  Result<std::vector<std::string>> ListModels() override { return inner_->ListModels(); }
  Result<int64_t> InsertVersion(const ModelVersion& v) override {
    MLLOOP_RETURN_IF_ERROR(Fault("InsertVersion"));
    return inner_->InsertVersion(v);
  }
  Result<std::optional<ModelVersion>> FindVersionById(int64_t id) override {
    return inner_->FindVersionById(id);
  }
  Result<std::optional<ModelVersion>> FindVersion(const std::string& m, int64_t v) override {
    return inner_->FindVersion(m, v);
  }
  Result<std::vector<ModelVersion>> ListVersions(const std::string& m) override {
    return inner_->ListVersions(m);
  }
  Result<std::optional<ModelVersion>> FindChampion(const std::string& m) override {
    return inner_->FindChampion(m);
  }
  Status UpdateVersionState(int64_t id, VersionState s, std::optional<int64_t> target,
                            int64_t t) override {
    MLLOOP_RETURN_IF_ERROR(Fault("UpdateVersionState"));
    return inner_->UpdateVersionState(id, s, target, t);
  }
  Result<int64_t> InsertDecision(const Decision& d) override { return inner_->InsertDecision(d); }
  Status SetDecisionVersion(int64_t d, int64_t v) override {
    MLLOOP_RETURN_IF_ERROR(Fault("SetDecisionVersion"));
    return inner_->SetDecisionVersion(d, v);
  }
  Status SetDecisionOutcome(int64_t d, const std::string& outcome) override {
    MLLOOP_RETURN_IF_ERROR(Fault("SetDecisionOutcome"));
    return inner_->SetDecisionOutcome(d, outcome);
  }
  Result<std::optional<Decision>> FindDecision(int64_t id) override {
    return inner_->FindDecision(id);
  }
  Result<std::vector<Decision>> ListDecisions(const std::string& m, size_t l,
                                              const std::string& p) override {
    return inner_->ListDecisions(m, l, p);
  }
  Result<int64_t> InsertEvaluation(const Evaluation& e) override {
    return inner_->InsertEvaluation(e);
  }
  Result<std::vector<Evaluation>> ListEvaluations(int64_t v) override {
    return inner_->ListEvaluations(v);
  }
  Status InsertAuditEntry(const AuditEntry& e) override {
    MLLOOP_RETURN_IF_ERROR(Fault("InsertAuditEntry"));
    return inner_->InsertAuditEntry(e);
  }
  Result<std::optional<AuditEntry>> LastAuditEntry() override { return inner_->LastAuditEntry(); }
  Result<std::vector<AuditEntry>> ListAuditEntries(int64_t a, size_t l) override {
    return inner_->ListAuditEntries(a, l);
  }
  Result<std::vector<AuditEntry>> RecentAuditEntries(size_t l) override {
    return inner_->RecentAuditEntries(l);
  }
  Result<std::vector<AuditEntry>> ListAuditEntriesFor(const std::string& s) override {
    return inner_->ListAuditEntriesFor(s);
  }
  Result<std::vector<AuditEntry>> FindAuditEntries(const store::AuditFilter& f,
                                                   size_t l) override {
    return inner_->FindAuditEntries(f, l);
  }
  Result<store::AuditHead> GetAuditHead() override { return inner_->GetAuditHead(); }
  Status SetAuditHead(const store::AuditHead& h) override {
    MLLOOP_RETURN_IF_ERROR(Fault("SetAuditHead"));
    return inner_->SetAuditHead(h);
  }
  Status SetArtifactSignature(int64_t id, const std::string& sig) override {
    return inner_->SetArtifactSignature(id, sig);
  }
  Status SetArtifactCollected(int64_t id, int64_t t) override {
    return inner_->SetArtifactCollected(id, t);
  }
  Result<std::optional<std::string>> GetPublicKey() override { return inner_->GetPublicKey(); }
  Status SetPublicKey(const std::string& key, int64_t t) override {
    return inner_->SetPublicKey(key, t);
  }
  Result<int64_t> InsertToken(const store::Token& t) override { return inner_->InsertToken(t); }
  Result<std::optional<store::Token>> FindTokenByHash(const std::string& h) override {
    return inner_->FindTokenByHash(h);
  }
  Result<std::vector<store::Token>> ListTokens() override { return inner_->ListTokens(); }
  Status RevokeToken(int64_t id, int64_t t, const std::string& by) override {
    return inner_->RevokeToken(id, t, by);
  }

 private:
  Status Fault(const std::string& call) {
    if (call != fail_at_) return Status::Ok();
    if (countdown_-- > 0) return Status::Ok();
    fail_at_.clear();
    return Status::Unavailable("injected failure in " + call);
  }

  std::unique_ptr<store::RegistryStore> inner_;
  std::string fail_at_;
  int countdown_ = 0;
};

struct Faulty {
  FaultyStore* store;
  std::unique_ptr<Registry> registry;
};

Faulty MakeFaulty() {
  auto inner = store::SqliteRegistryStore::Open(":memory:");
  EXPECT_TRUE(inner.ok());
  auto faulty = std::make_unique<FaultyStore>(std::move(inner).value());
  FaultyStore* raw = faulty.get();
  return {raw, Registry::Create(std::move(faulty), std::make_unique<store::MemoryArtifactStore>())};
}

TEST(RegistryFailureTest, FailingArtifactStoreLeavesNothingBehind) {
  auto inner = store::SqliteRegistryStore::Open(":memory:");
  ASSERT_TRUE(inner.ok());
  auto r = Registry::Create(std::move(inner).value(), std::make_unique<FailingArtifactStore>());
  auto v = r->Register("m", "bytes", SampleLineage(), std::nullopt, "pipeline", 1);
  ASSERT_FALSE(v.ok());
  EXPECT_EQ(v.status().code(), StatusCode::kUnavailable);
  EXPECT_NE(v.status().message().find("disk full"), std::string::npos);
  EXPECT_TRUE(r->ListVersions()->empty());
  EXPECT_TRUE(r->ListModels()->empty());
  EXPECT_EQ(r->Audit()->size(), 1u);  // the store's signing key
}

TEST(RegistryFailureTest, FailureMidRegisterLeavesNothingBehind) {
  for (const char* call :
       {"ReserveVersionNumber", "InsertVersion", "SetDecisionVersion", "InsertAuditEntry"}) {
    SCOPED_TRACE(call);
    Faulty f = MakeFaulty();
    MustRegister(*f.registry, "m", "first");
    int64_t decision = *f.registry->RecordDecision(SampleDecision("m", 2, "retrain"));
    auto audit_before = *f.registry->Audit();
    f.store->FailAt(call);
    auto v = f.registry->Register("m", "second", SampleLineage(), decision, "pipeline", 3);
    ASSERT_FALSE(v.ok());
    EXPECT_NE(v.status().message().find("injected failure"), std::string::npos);
    EXPECT_EQ(f.registry->ListVersions()->size(), 1u);
    EXPECT_EQ(*f.registry->Audit(), audit_before);
    EXPECT_EQ((*f.registry->GetDecision(decision))->version_id, std::nullopt);
    // The number was not consumed by the failed attempt: nothing ever saw it.
    EXPECT_EQ(MustRegister(*f.registry, "m", "second").version, 2);
    EXPECT_TRUE(f.registry->VerifyAuditChain().ok());
  }
}

TEST(RegistryFailureTest, FailureMidPromotionKeepsTheChampion) {
  // Promotion updates the old champion, then the new one, each with an audit entry.
  std::vector<std::pair<std::string, int>> faults = {{"UpdateVersionState", 0},
                                                     {"InsertAuditEntry", 0},
                                                     {"UpdateVersionState", 1},
                                                     {"InsertAuditEntry", 1}};
  for (const auto& [call, after] : faults) {
    SCOPED_TRACE(call + " after " + std::to_string(after));
    Faulty f = MakeFaulty();
    ModelVersion v1 = MakeChampion(*f.registry, "m", "one");
    ModelVersion v2 = MustRegister(*f.registry, "m", "two");
    MustMove(*f.registry, v2.id, {S::kValidated, S::kApproved});
    auto versions_before = *f.registry->ListVersions();
    auto audit_before = *f.registry->Audit();
    f.store->FailAt(call, after);
    Status s = f.registry->Transition(v2.id, S::kChampion, "alice", "better", 9);
    ASSERT_FALSE(s.ok());
    EXPECT_EQ((*f.registry->Champion("m"))->id, v1.id);
    EXPECT_EQ(*f.registry->ListVersions(), versions_before);
    EXPECT_EQ(*f.registry->Audit(), audit_before);
  }
}

TEST(RegistryFailureTest, FailedCallInsideABatchKeepsTheBatchsEarlierWork) {
  Faulty f = MakeFaulty();
  ASSERT_TRUE(f.registry->Begin().ok());
  ASSERT_TRUE(f.registry->RecordDecision(SampleDecision("m", 1)).ok());
  MustRegister(*f.registry, "m", "one");
  f.store->FailAt("InsertAuditEntry");
  EXPECT_FALSE(f.registry->Register("m", "two", SampleLineage(), std::nullopt, "p", 2).ok());
  ASSERT_TRUE(f.registry->Commit().ok());
  EXPECT_EQ(f.registry->ListDecisions("m")->size(), 1u);
  EXPECT_EQ(f.registry->ListVersions()->size(), 1u);
  EXPECT_TRUE(f.registry->VerifyAuditChain().ok());
}

// ------------------------------------------------------------------------------ batches

TEST(RegistryBatchTest, RollbackUndoesTheBatch) {
  auto r = InMemory();
  ASSERT_TRUE(r->Begin().ok());
  ASSERT_TRUE(r->RecordDecision(SampleDecision("m", 1)).ok());
  MustRegister(*r, "m", "x");
  ASSERT_TRUE(r->Rollback().ok());
  EXPECT_TRUE(r->ListDecisions("")->empty());
  EXPECT_TRUE(r->ListVersions()->empty());
  EXPECT_TRUE(r->Audit()->empty());
  EXPECT_EQ(r->Commit().code(), StatusCode::kFailedPrecondition);
}

TEST(RegistryBatchTest, TenThousandDecisionsInOneBatchAreFast) {
  testutil::TempDir dir;
  auto opened = Registry::Open(dir.File("reg"));
  ASSERT_TRUE(opened.ok());
  Registry& r = **opened;
  double start = core::MonotonicSeconds();
  ASSERT_TRUE(r.Begin().ok());
  for (int i = 0; i < 10000; ++i) {
    auto id = r.RecordDecision(SampleDecision("m", i));
    ASSERT_TRUE(id.ok()) << id.status().ToString();
  }
  ASSERT_TRUE(r.Commit().ok());
  double seconds = core::MonotonicSeconds() - start;
  std::printf("10000 decisions in one batch (file, WAL): %.3f s\n", seconds);
  // Release build: ~0.1 s; Debug with ASan: ~1.2 s. The bound only catches a gross regression
  // (e.g. one transaction per decision).
  EXPECT_LT(seconds, 5.0);
  EXPECT_EQ(r.ListDecisions("m")->size(), 10000u);
}

}  // namespace
}  // namespace mlloop::registry
