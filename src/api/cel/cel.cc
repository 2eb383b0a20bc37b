// Compile and Program (cel.h): parse, check, then evaluate with the interpreter.
//
// What is supported (the subset Kubernetes CRD rules use): all CEL operators and macros (has,
// all, exists, exists_one, map with 2 or 3 arguments, filter), optionals (`?.`, `[?]`,
// optional.of/none/ofNonZeroValue, hasValue, value, orValue, or), the standard functions and
// conversions, timestamps and durations with their getters, regular expressions (RE2), and
// Kubernetes' strings (with format), lists, sets, regex, quantity, url, ip and cidr libraries.
// Kubernetes' authorizer library (functions_authz.cc) works when the caller binds an Authorizer.
// Not supported: protobuf message construction and two-variable comprehensions. Static checking
// covers kinds (int, string, list, ...) but not element types of
// lists and maps built in the expression: what it cannot tell is checked at evaluation
// ("no such overload: ...").
#include "api/cel/cel.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/cel/ast.h"
#include "api/cel/checker.h"
#include "api/cel/interpreter.h"
#include "api/cel/parser.h"
#include "base/strings.h"

namespace skiff::api::cel {
namespace {

// cel-go's error layout: "ERROR: <input>:LINE:COL: message" then the source line and a caret.
std::string FormatIssue(std::string_view expression, const Issue& issue) {
  int line = 1;
  size_t line_start = 0;
  size_t pos = std::min<size_t>(std::max(issue.position, 0), expression.size());
  for (size_t i = 0; i < pos; ++i) {
    if (expression[i] == '\n') {
      ++line;
      line_start = i + 1;
    }
  }
  int column = 0;  // code points before the position on its line
  for (size_t i = line_start; i < pos; ++i) column += (static_cast<unsigned char>(expression[i]) & 0xC0) != 0x80;
  size_t line_end = expression.find('\n', line_start);
  std::string_view text = expression.substr(line_start, line_end == std::string_view::npos ? std::string_view::npos : line_end - line_start);
  return absl::StrCat("ERROR: <input>:", line, ":", column + 1, ": ", issue.message, "\n | ", base::Av(text), "\n | ",
                      std::string(column, '.'), "^");
}

absl::Status CompileError(std::string_view expression, const Issue& issue) {
  return absl::InvalidArgumentError(absl::StrCat("compilation failed: ", FormatIssue(expression, issue)));
}

}  // namespace

Program::Program(std::string expression, std::shared_ptr<const Expr> root, std::vector<Variable> variables,
                 std::vector<std::string> referenced, int64_t estimated_cost, StaticKind result_kind)
    : expression_(std::move(expression)),
      root_(std::move(root)),
      variables_(std::move(variables)),
      referenced_(std::move(referenced)),
      estimated_cost_(estimated_cost),
      result_kind_(result_kind) {}

bool Program::References(std::string_view variable) const {
  return std::find(referenced_.begin(), referenced_.end(), variable) != referenced_.end();
}

namespace {

void CollectSelected(const Expr& e, std::string_view variable, std::vector<std::string>* fields, bool* whole) {
  bool selects_variable = (e.kind == Expr::Kind::kSelect || e.kind == Expr::Kind::kHas) && e.target &&
                          e.target->kind == Expr::Kind::kIdent && e.target->name == variable;
  if (selects_variable) {
    if (std::find(fields->begin(), fields->end(), e.name) == fields->end()) fields->push_back(e.name);
    return;
  }
  if (e.kind == Expr::Kind::kIdent && e.name == variable) *whole = true;
  if (e.target) CollectSelected(*e.target, variable, fields, whole);
  for (const auto& arg : e.args) {
    if (arg) CollectSelected(*arg, variable, fields, whole);
  }
}

}  // namespace

std::vector<std::string> Program::SelectedFields(std::string_view variable, bool* whole) const {
  std::vector<std::string> fields;
  *whole = false;
  CollectSelected(*root_, variable, &fields, whole);
  return fields;
}

absl::StatusOr<Value> Program::Evaluate(const Bindings& bindings, int64_t cost_budget, int64_t* cost_used) const {
  Activation activation;
  activation.json = bindings;
  return Evaluate(activation, cost_budget, cost_used);
}

absl::StatusOr<Value> Program::Evaluate(const Activation& activation, int64_t cost_budget, int64_t* cost_used) const {
  Interpreter interpreter(cost_budget, activation.authorizer);
  for (const Variable& var : variables_) {
    if (!References(var.name)) continue;  // converting an unused variable would be wasted work
    const Value* bound = nullptr;
    for (const auto& [name, value] : activation.values) {
      if (name == var.name) bound = &value;
    }
    if (bound != nullptr) {
      interpreter.Bind(var.name, var.optional ? Value::OptionalOf(*bound) : *bound);
      continue;
    }
    const boost::json::value* json = nullptr;
    for (const auto& [name, value] : activation.json) {
      if (name == var.name) json = value;
    }
    if (json == nullptr) {
      if (var.optional) interpreter.Bind(var.name, Value::OptionalNone());
      continue;
    }
    absl::StatusOr<Value> value = ValueFromJson(*json, var.hint.get());
    if (!value.ok()) return value.status();
    interpreter.Bind(var.name, var.optional ? Value::OptionalOf(std::move(*value)) : std::move(*value));
  }
  absl::StatusOr<Value> result = interpreter.Eval(*root_);
  if (cost_used != nullptr) *cost_used = interpreter.cost_used();
  return result;
}

absl::StatusOr<bool> Program::EvaluateBool(const Bindings& bindings, int64_t cost_budget, int64_t* cost_used) const {
  absl::StatusOr<Value> v = Evaluate(bindings, cost_budget, cost_used);
  if (!v.ok()) return v.status();
  if (!v->is(Value::Kind::kBool)) {
    return absl::InvalidArgumentError(absl::StrCat("rule did not evaluate to a bool: got ", v->TypeNameOf()));
  }
  return v->bool_value();
}

absl::StatusOr<std::string> Program::EvaluateString(const Bindings& bindings, int64_t cost_budget,
                                                    int64_t* cost_used) const {
  absl::StatusOr<Value> v = Evaluate(bindings, cost_budget, cost_used);
  if (!v.ok()) return v.status();
  if (!v->is(Value::Kind::kString)) {
    return absl::InvalidArgumentError(absl::StrCat("messageExpression must evaluate to a string: got ", v->TypeNameOf()));
  }
  return v->string_value();
}

absl::StatusOr<std::shared_ptr<const Program>> Compile(std::string_view expression,
                                                       const std::vector<Variable>& variables) {
  std::variant<std::unique_ptr<Expr>, Issue> parsed = Parse(expression);
  if (auto* issue = std::get_if<Issue>(&parsed)) return CompileError(expression, *issue);
  std::unique_ptr<Expr> root = std::move(std::get<std::unique_ptr<Expr>>(parsed));
  std::variant<CheckResult, Issue> checked = Check(*root, variables);
  if (auto* issue = std::get_if<Issue>(&checked)) return CompileError(expression, *issue);
  CheckResult& result = std::get<CheckResult>(checked);
  return std::make_shared<const Program>(std::string(expression), std::shared_ptr<const Expr>(std::move(root)),
                                         variables, std::move(result.referenced), result.estimated_cost,
                                         result.result_kind);
}

}  // namespace skiff::api::cel
