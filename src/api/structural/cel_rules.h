// x-kubernetes-validations (CEL rules) as kube-apiserver runs them: compiled once by Compile()
// against the schema's types (self, and oldSelf for transition rules), with kube's checks and
// messages (rule/message/messageExpression/reason/fieldPath, oldSelf only where old values
// correlate, the static cost limits), then evaluated per node by Validate(): transition rules only
// when an old value exists (or with optionalOldSelf), kube's runtime cost budget, ratcheting of
// unchanged values, and kube's error wording (`spec: Invalid value: "object": failed rule: ...`).
// Thread-safety: pure functions over an immutable compiled schema. Ownership: borrows arguments;
// CompileRules stores the programs in the node it is given. Never fails: problems are appended
// as field errors.
#ifndef SKIFF_API_STRUCTURAL_CEL_RULES_H_
#define SKIFF_API_STRUCTURAL_CEL_RULES_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "api/cel/type_hint.h"
#include "api/structural/internal.h"
#include "api/structural/structural.h"

namespace skiff::api::structural::internal {

struct RuleContext {
  // oldSelf cannot be used below a list that is not a map list (kube's "uncorrelatable portion
  // of the schema"); the path names where that starts.
  bool forbid_old_self = false;
  std::string uncorrelatable_path;
  // The node is a resource root (the schema root or an embedded resource): self also has
  // apiVersion, kind and metadata.name/generateName.
  bool resource_root = false;
  // How many times a rule at this node may run per object (-1: unbounded), for the cost limit.
  int64_t cardinality = 1;
  // Sum of the estimated costs of all rules so far (kube's limit for a whole schema), and the up
  // to 4 most expensive rules (path, cost) that contribute at least 1% of that limit.
  int64_t total_cost = 0;
  std::vector<std::pair<std::string, int64_t>> most_expensive;
  std::unordered_map<const Schema*, std::shared_ptr<const cel::TypeHint>> hints;
};

// Checks and compiles the rules of `s` (path: its x-kubernetes-validations), filling
// s->compiled_rules when all of them compile.
void CompileRules(Schema* s, const PathNode& path, RuleContext* context, std::vector<FieldError>* errors);

// kube's limit on the estimated cost of all rules of one schema (StaticEstimatedCRDCostLimit).
inline constexpr int64_t kStaticEstimatedCrdCostLimit = 100000000;

// Adds the errors for a schema whose rules together cost more than kStaticEstimatedCrdCostLimit.
void CheckTotalCost(const RuleContext& context, const PathNode& root, std::vector<FieldError>* errors);

// kube's message for a cost over its limit: "<what> exceeds budget by factor of 1.5x (try ...)".
std::string CostErrorMessage(std::string_view what, int64_t cost, int64_t limit);

// Evaluates the rules of `s` and below on `value` (`old`: the correlated stored value or null).
void EvaluateRules(const Schema& s, const boost::json::value& value, const boost::json::value* old,
                   const PathNode& path, std::vector<FieldError>* errors);

}  // namespace skiff::api::structural::internal

#endif  // SKIFF_API_STRUCTURAL_CEL_RULES_H_
