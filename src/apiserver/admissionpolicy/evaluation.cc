#include "apiserver/admissionpolicy/evaluation.h"

#include <algorithm>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"

namespace skiff::apiserver::admissionpolicy {
namespace {

namespace cel = api::cel;

// The policy's variables for one evaluation, computed on first use.
class Evaluator {
 public:
  Evaluator(const Policy& policy, const cel::Activation& activation)
      : policy_(policy), activation_(activation), variables_(policy.variables.size()) {}

  absl::StatusOr<cel::Value> Eval(const Expression& e) { return Eval(e, policy_.variables.size()); }
  bool out_of_budget() const { return budget_ <= 0; }

 private:
  // Evaluates `e` seeing the variables before index `visible`.
  absl::StatusOr<cel::Value> Eval(const Expression& e, size_t visible) {
    if (!e.program) return e.error;
    bool whole = false;
    std::vector<std::string> names = e.program->SelectedFields("variables", &whole);
    cel::Map map;
    for (size_t i = 0; i < visible; ++i) {
      const std::string& name = policy_.variables[i].first;
      if (!whole && std::find(names.begin(), names.end(), name) == names.end()) continue;
      const absl::StatusOr<cel::Value>& v = Variable(i);
      if (!v.ok()) {
        if (absl::IsResourceExhausted(v.status())) return v.status();
        return absl::InvalidArgumentError(
            absl::StrCat("composited variable \"", name, "\" fails to evaluate: ", v.status().message()));
      }
      map.Insert(cel::Value::String(name), *v);
    }
    cel::Activation activation = activation_;
    activation.values.emplace_back("variables", cel::Value::MapOf(std::move(map)));
    int64_t used = 0;
    absl::StatusOr<cel::Value> result =
        e.program->Evaluate(activation, std::min(cel::kPerCallCostLimit, std::max<int64_t>(budget_, 0)), &used);
    budget_ -= used;
    return result;
  }

  const absl::StatusOr<cel::Value>& Variable(size_t i) {
    if (!variables_[i]) variables_[i] = Eval(policy_.variables[i].second, i);
    return *variables_[i];
  }

  const Policy& policy_;
  const cel::Activation& activation_;
  std::vector<std::optional<absl::StatusOr<cel::Value>>> variables_;
  int64_t budget_ = kPolicyCostBudget;
};

std::string ErrorMessage(const Expression& e, const absl::Status& error, bool out_of_budget) {
  if (absl::IsResourceExhausted(error) && out_of_budget) {
    return "validation failed due to running out of cost budget, no further validation rules will be run";
  }
  if (!e.program) return absl::StrCat("compilation error: ", error.message());
  return absl::StrCat("expression '", e.text, "' resulted in error: ", error.message());
}

}  // namespace

Outcome EvaluatePolicy(const Policy& policy, const cel::Activation& activation) {
  Outcome out;
  admissioncel::MatchResult match = policy.match_conditions.Evaluate(activation);
  if (!match.error.ok()) {
    if (!policy.fail_open) out.failures.push_back({std::string(match.error.message()), "", -1});
    out.matched = !policy.fail_open;
    return out;
  }
  if (!match.matches) {
    out.matched = false;
    return out;
  }
  Evaluator evaluator(policy, activation);
  for (size_t i = 0; i < policy.validations.size(); ++i) {
    const Validation& v = policy.validations[i];
    absl::StatusOr<cel::Value> result = evaluator.Eval(v.expression);
    if (result.ok() && !result->is(cel::Value::Kind::kBool)) {
      result = absl::InvalidArgumentError(absl::StrCat("validation expression must evaluate to a bool: got ",
                                                       result->TypeNameOf()));
    }
    if (!result.ok()) {
      if (!policy.fail_open) {
        out.failures.push_back({ErrorMessage(v.expression, result.status(), evaluator.out_of_budget()), "",
                                static_cast<int>(i)});
      }
      if (evaluator.out_of_budget()) return out;
      continue;
    }
    if (result->bool_value()) continue;
    std::string message = v.message.empty() ? absl::StrCat("failed expression: ", v.expression.text) : v.message;
    if (v.message_expression) {
      absl::StatusOr<cel::Value> m = evaluator.Eval(*v.message_expression);
      if (m.ok() && m->is(cel::Value::Kind::kString)) {
        std::string text(absl::StripAsciiWhitespace(m->string_value()));
        if (!text.empty() && text.find('\n') == std::string::npos) message = std::move(text);
      }
    }
    out.failures.push_back({std::move(message), v.reason, static_cast<int>(i)});
  }
  for (const auto& [key, expression] : policy.audit_annotations) {
    absl::StatusOr<cel::Value> value = evaluator.Eval(expression);
    if (value.ok() && value->is(cel::Value::Kind::kString)) {
      out.audit_annotations.emplace_back(key, value->string_value());
    } else if (value.ok() && !value->is(cel::Value::Kind::kNull)) {
      if (!policy.fail_open) {
        out.failures.push_back({absl::StrCat("valueExpression '", expression.text,
                                             "' resulted in a value that is neither a string nor null: ",
                                             value->TypeNameOf()),
                                "", -1});
      }
    } else if (!value.ok() && !policy.fail_open) {
      out.failures.push_back({ErrorMessage(expression, value.status(), evaluator.out_of_budget()), "", -1});
    }
  }
  return out;
}

}  // namespace skiff::apiserver::admissionpolicy
