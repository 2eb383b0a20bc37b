#include "api/structural/cel_rules.h"

namespace skiff::api::structural::internal {

void CheckRules(const Schema& s, const PathNode& path, const RuleContext& /*context*/,
                std::vector<FieldError>* errors) {
  if (s.validations.empty()) return;
  errors->push_back(Forbidden(path.String(), "CEL validation rules are not supported yet"));
}

}  // namespace skiff::api::structural::internal
