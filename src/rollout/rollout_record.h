// The rollout as the registry records it. RecordRolloutStep() is the one writer of a rollout
// step — a decision (policy "rollout:<strategy>", the guards as signals), an audit entry
// (rollout_start, rollout_step, rollout_promote, rollout_rollback, rollout_watch_end) and
// the version's state change, in one registry transaction — used by RolloutController
// inside `mlloop serve` and by the operator's `mlloop rollout promote|abort` from any
// machine. ReadRollout() reads it back from the registry alone (`mlloop rollout status`):
// the registry is the truth, and a running controller follows what changed at its next
// Tick().
//
// Thread-safety: free functions over a Registry, which belongs to the calling thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/status.h"
#include "registry/registry.h"
#include "rollout/rollout_controller.h"

namespace mlloop::rollout {

// "churn v3".
std::string VersionLabel(const registry::ModelVersion& v);

// One step of a rollout, as recorded.
struct RolloutStep {
  registry::ModelVersion version;  // the challenger (rolling) or the new champion (watching)
  std::string champion;            // the champion it is judged against, "churn v2" ("" none)
  std::string strategy = "canary";  // config::RolloutStrategyName
  size_t step = 0;                  // 1-based while rolling; 0 otherwise
  size_t steps = 0;
  double weight = 0;                // the challenger's share of traffic at this step
  std::string actor;
  std::string action = "none";      // the decision's: none or rollback
  std::string reason;
  std::vector<GuardReading> guards;
  std::string audit_action;         // rollout_start, rollout_step, rollout_promote, ...
  std::optional<registry::VersionState> to;  // the state change, if any
  int64_t time = 0;
};

// Records `step`'s decision and audit entry and applies its state change (Registry::
// Transition) in one transaction; returns the decision's id. On any error nothing is
// recorded: the registry's error (FailedPrecondition when the transition is not allowed).
Result<int64_t> RecordRolloutStep(registry::Registry& registry, const RolloutStep& step);

// One rollout_* audit entry read back: the entry and its details_json.
struct RolloutEntry {
  int64_t audit_id = 0;
  int64_t time = 0;
  std::string actor;
  std::string action;  // rollout_start, rollout_step, ...
  int64_t decision_id = 0;
  std::string strategy;
  size_t step = 0;
  size_t steps = 0;
  double weight = 0;
  std::string champion;
  std::string reason;
};

// The rollout of one model as the registry shows it.
struct RegistryRollout {
  std::string model;
  std::optional<registry::ModelVersion> champion;
  // Rolling: the version in canary, the newest rollout entry about it (its step, weight and
  // when that step began; nullopt when no rollout recorded it) and the newest rollout
  // decision about it (its guards in signals_json).
  std::optional<registry::ModelVersion> canary;
  // Watching: the champion whose newest rollout entry is its rollout_promote, with a watch
  // (the `rollout.watch` of the config in its lineage; unknown without one) not ended by
  // rollout_watch_end or rollout_rollback.
  std::optional<registry::ModelVersion> watched;
  std::optional<RolloutEntry> entry;        // about the canary or the watched version
  std::optional<registry::Decision> decision;  // likewise
  std::optional<int64_t> watch_seconds;     // watching: the watch's length, when known
  std::vector<registry::ModelVersion> approved;  // waiting for a rollout, oldest first
  std::vector<registry::Decision> recent;  // the newest rollout decisions, oldest first

  bool idle() const { return !canary && !watched; }
};

// What the registry says about `model`'s rollout, with the `recent` newest rollout
// decisions. NotFound for a model without versions; otherwise errors are the registry's, or
// DataLoss for a rollout audit entry that is not the JSON RecordRolloutStep writes.
Result<RegistryRollout> ReadRollout(registry::Registry& registry, const std::string& model,
                                    size_t recent = 5);

// What an operator's promote or abort did.
struct OperatorStep {
  registry::ModelVersion version;  // the promoted or rolled back version, after the change
  std::optional<registry::ModelVersion> champion;  // the champion after the change
  int64_t decision_id = 0;
  std::string reason;  // the decision's
};

// `mlloop rollout promote`: the canary becomes champion now (the rollout's decision with
// action none, rollout_promote audited as `actor`, canary -> champion), in one transaction
// that also reads the state. Reason "promoted churn v3 by alice at step 1/3: <reason>".
// FailedPrecondition when no version is in canary.
Result<OperatorStep> PromoteCanary(registry::Registry& registry, const std::string& model,
                                   const std::string& actor, const std::string& reason,
                                   int64_t now);

// `mlloop rollout abort`: the canary is rolled back (canary -> rolled_back), or the version
// being watched after its rollout's promotion is (champion -> rolled_back, and the previous
// champion serves again); decision action rollback, audited as rollout_rollback by `actor`.
// Reason "aborted by alice: <reason>". FailedPrecondition when there is nothing to abort,
// or when a watched version's previous champion is gone (nothing is changed then).
Result<OperatorStep> AbortRollout(registry::Registry& registry, const std::string& model,
                                  const std::string& actor, const std::string& reason,
                                  int64_t now);

}  // namespace mlloop::rollout
