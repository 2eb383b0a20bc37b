// x-kubernetes-validations (CEL rules): compile-time checks at Compile() and per-node evaluation
// at Validate(). Until skiff has a CEL interpreter, CheckRules rejects every rule with a clear
// field error, so a schema's rules are never accepted and then silently ignored.
// Thread-safety: pure functions. Ownership: borrows its arguments. Never fails: problems are
// appended as field errors.
#ifndef SKIFF_API_STRUCTURAL_CEL_RULES_H_
#define SKIFF_API_STRUCTURAL_CEL_RULES_H_

#include <string>
#include <vector>

#include "api/structural/internal.h"
#include "api/structural/structural.h"

namespace skiff::api::structural::internal {

struct RuleContext {
  // oldSelf cannot be used below a list that is not a map list or an atomic map (kube's
  // "uncorrelatable portion of the schema"); the path names where that starts.
  bool forbid_old_self = false;
  std::string uncorrelatable_path;
};

// Checks the rules of `s` (path: its x-kubernetes-validations).
void CheckRules(const Schema& s, const PathNode& path, const RuleContext& context, std::vector<FieldError>* errors);

}  // namespace skiff::api::structural::internal

#endif  // SKIFF_API_STRUCTURAL_CEL_RULES_H_
