// Helpers shared by the commands that read or change the model registry (models, approve,
// reject, rollback, tokens, audit, reproduce, gc): opening a store, naming a model and a
// version the way users type them, and the JSON views of registry records.
#pragma once

#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "core/status.h"
#include "registry/registry.h"

namespace mlloop::cli {

// Opens the registry in `dir`. NotFound when there is none: commands that only read or
// change an existing registry never create an empty one by accident.
Result<std::unique_ptr<registry::Registry>> OpenExistingRegistry(const std::string& dir);

// `model` when given; otherwise the registry's only model. InvalidArgument when it holds
// several (naming them), NotFound when it holds none.
Result<std::string> ResolveModel(registry::Registry& reg, const std::string& model,
                                 const std::string& store);

// A version as users name it: "3", "v3" or "champion". InvalidArgument for anything else,
// NotFound when there is no such version.
Result<registry::ModelVersion> ResolveVersion(registry::Registry& reg, const std::string& model,
                                              const std::string& text);

// The caller's credentials: `token_flag` or else $MLLOOP_TOKEN, the name given with --as,
// and $USER as the local user of a store that has no tokens yet.
registry::Credentials CliCredentials(const std::string& token_flag, const std::string& as);

// The one access check (Registry::Authorize) for a command of this CLI, at the real clock.
Result<registry::Principal> Authorize(registry::Registry& reg, const std::string& token_flag,
                                      const std::string& as, registry::Permission permission,
                                      const std::string& what);

// The first steps of a command by which someone acts on a registry: opens the one in
// `store`, checks `permission` for `what` (Authorize) before anything is looked up — so a
// refusal reveals nothing, and is audited even for a model that does not exist — then names
// the model (ResolveModel of `model`).
struct Acting {
  std::unique_ptr<registry::Registry> reg;
  registry::Principal who;
  std::string model;
};
Result<Acting> OpenActing(const std::string& store, const std::string& token_flag,
                          const std::string& as, const std::string& model,
                          registry::Permission permission, const std::string& what);

// For commands that write versions into `store` (simulate --store): OK when the store does
// not exist yet (its creator administers it) or the caller may train; the refusal otherwise.
Status CheckMayTrain(const std::string& store, const std::string& token_flag,
                     const std::string& what);

// JSON views; times as ISO 8601.
nlohmann::json LineageJson(const registry::Lineage& l);
nlohmann::json VersionJson(const registry::ModelVersion& v);
nlohmann::json DecisionJson(const registry::Decision& d);
nlohmann::json EvaluationJson(const registry::Evaluation& e);
// null for nullopt.
nlohmann::json OptionalJson(const std::optional<int64_t>& v);

}  // namespace mlloop::cli
