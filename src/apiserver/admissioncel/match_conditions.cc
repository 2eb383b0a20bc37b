#include "apiserver/admissioncel/match_conditions.h"

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::admissioncel {

MatchConditions MatchConditions::Compile(const boost::json::value* conditions, Environment environment) {
  MatchConditions out;
  if (!conditions || !conditions->is_array()) return out;
  for (const auto& c : conditions->get_array()) {
    Condition condition;
    condition.name = base::GetString(c, {"name"});
    auto program = CompileExpression(base::GetString(c, {"expression"}), environment);
    if (program.ok()) {
      condition.program = *program;
    } else {
      condition.compile_error = program.status();
    }
    out.conditions_.push_back(std::move(condition));
  }
  return out;
}

std::vector<api::FieldError> MatchConditions::Check(const boost::json::value* conditions, const std::string& path,
                                                   Environment environment) {
  std::vector<api::FieldError> errors;
  if (!conditions || !conditions->is_array()) return errors;
  for (size_t i = 0; i < conditions->get_array().size(); ++i) {
    const auto* expression = base::Find(conditions->get_array()[i], "expression");
    if (!expression || !expression->is_string() || expression->get_string().empty()) continue;
    auto program = CompileExpression(expression->get_string(), environment);
    if (!program.ok()) {
      errors.push_back({std::string(api::kFieldValueInvalid), absl::StrCat(path, "[", i, "].expression"), *expression,
                        std::string(program.status().message())});
    }
  }
  return errors;
}

MatchResult MatchConditions::Evaluate(const api::cel::Activation& activation) const {
  MatchResult result;
  std::vector<std::string> errors;
  for (const Condition& c : conditions_) {
    absl::Status error = c.compile_error;
    if (c.program) {
      absl::StatusOr<api::cel::Value> v = c.program->Evaluate(activation);
      if (!v.ok()) {
        error = v.status();
      } else if (!v->is(api::cel::Value::Kind::kBool)) {
        error = absl::InvalidArgumentError(absl::StrCat("matchCondition result is not a bool: got ", v->TypeNameOf()));
      } else if (!v->bool_value()) {
        result.matches = false;
        result.failed_condition = c.name;
        return result;
      }
    }
    if (!error.ok()) errors.push_back(absl::StrCat("matchCondition '", c.name, "' failed: ", error.message()));
  }
  if (!errors.empty()) {
    result.matches = false;
    std::string joined = errors.size() == 1 ? errors[0] : absl::StrCat("[", absl::StrJoin(errors, ", "), "]");
    result.error = absl::InvalidArgumentError(joined);
  }
  return result;
}

}  // namespace skiff::apiserver::admissioncel
