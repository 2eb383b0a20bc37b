// CEL (Common Expression Language) for CustomResourceDefinition validation rules
// (x-kubernetes-validations): compile an expression once against declared variables (usually
// `self` and `oldSelf`, with type hints from the schema), then evaluate it many times on JSON values.
//
//   auto program = cel::Compile("self.minReplicas <= self.maxReplicas",
//                               {{.name = "self", .hint = hint_from_schema}});
//   absl::StatusOr<bool> ok = (*program)->EvaluateBool({{"self", &object_json}});
//
// The language is the subset that rules in public CRDs use: see README-level notes in cel.cc.
// Compile rejects syntax errors, undeclared variables and functions, wrong argument counts, fields
// the schema does not declare and operands of the wrong known type, with
// kube-apiserver's wording: "compilation failed: ERROR: <input>:1:6: undeclared reference to 'foo'
// (in container '')\n | self.foo\n | .....^". It also returns the worst-case cost estimate (kube's
// StaticEstimatedCostLimit is the caller's to apply).
// Evaluate fails with CEL's evaluation errors ("no such key: foo", "division by zero", "integer
// overflow", "no such overload: ...") as InvalidArgument, and with ResourceExhausted "operation
// cancelled: actual cost limit exceeded" when the cost budget runs out (kube's per-call limit is
// kPerCallCostLimit).
// Thread-safety: a Program is immutable; Evaluate may run concurrently from any number of threads.
// Ownership: Compile returns a shared Program; Evaluate only reads the bindings during the call.
#ifndef SKIFF_API_CEL_CEL_H_
#define SKIFF_API_CEL_CEL_H_

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "api/cel/authorizer.h"
#include "api/cel/type_hint.h"
#include "api/cel/value.h"
#include "boost/json/value.hpp"

namespace skiff::api::cel {

struct Expr;

// Kubernetes' runtime cost limit for one evaluation (apiextensions PerCallLimit).
inline constexpr int64_t kPerCallCostLimit = 1000000;
// Kubernetes' limit on the static cost estimate of one rule (StaticEstimatedCostLimit).
inline constexpr int64_t kStaticEstimatedCostLimit = 10000000;

// What compilation knows of a result's type; kDyn when only evaluation can tell.
enum class StaticKind {
  kDyn, kNull, kBool, kInt, kUint, kDouble, kString, kBytes, kList, kMap, kObject,
  kTimestamp, kDuration, kType, kOptional, kQuantity,
};
// CEL's name of the kind: "int", "google.protobuf.Duration", "dyn"...
std::string_view KindName(StaticKind kind);

struct Variable {
  std::string name;
  std::shared_ptr<const TypeHint> hint;  // null: dyn
  // When true the variable is optional-typed (kube's optionalOldSelf): an absent binding is
  // optional.none() and a present one optional.of(value).
  bool optional = false;
};

// name -> JSON value; a declared variable missing here (or bound to nullptr) is absent: using it
// is an evaluation error unless it is optional.
using Bindings = std::vector<std::pair<std::string, const boost::json::value*>>;

// Everything one evaluation sees: JSON variables, variables that are already CEL values (the
// admission environments' `variables` map and `authorizer`), and the authorizer that answers the
// authorizer library. A value binding wins over a JSON binding of the same name.
struct Activation {
  Bindings json;
  std::vector<std::pair<std::string, Value>> values;
  const Authorizer* authorizer = nullptr;
};

// The value to bind as `authorizer` (kube's admission environments declare it).
Value AuthorizerValue();

class Program {
 public:
  absl::StatusOr<Value> Evaluate(const Activation& activation, int64_t cost_budget = kPerCallCostLimit,
                                 int64_t* cost_used = nullptr) const;
  // Evaluates with the given cost budget; *cost_used (if set) receives the cost spent.
  absl::StatusOr<Value> Evaluate(const Bindings& bindings, int64_t cost_budget = kPerCallCostLimit,
                                 int64_t* cost_used = nullptr) const;
  // As Evaluate, but the result must be a bool ("rule did not evaluate to a bool" otherwise).
  absl::StatusOr<bool> EvaluateBool(const Bindings& bindings, int64_t cost_budget = kPerCallCostLimit,
                                    int64_t* cost_used = nullptr) const;
  // As Evaluate, but the result must be a string (for messageExpression).
  absl::StatusOr<std::string> EvaluateString(const Bindings& bindings, int64_t cost_budget = kPerCallCostLimit,
                                             int64_t* cost_used = nullptr) const;

  // Whether the expression uses the variable (a rule that uses oldSelf is a transition rule).
  bool References(std::string_view variable) const;
  // The fields the expression selects of a variable (`variables.a`, `has(variables.b)`), so that
  // lazily computed variables are computed only when used. *whole is set when the expression also
  // uses the variable otherwise (indexing, passing it whole): then every field may be needed.
  std::vector<std::string> SelectedFields(std::string_view variable, bool* whole) const;
  // Worst-case cost from the type hints' size bounds (unbounded lists count as very large).
  int64_t estimated_cost() const { return estimated_cost_; }
  // The result's kind as far as compilation can tell: a rule whose result is known not to be a
  // bool (or dyn) can be rejected up front, as kube-apiserver does.
  StaticKind result_kind() const { return result_kind_; }
  const std::string& expression() const { return expression_; }

  Program(std::string expression, std::shared_ptr<const Expr> root, std::vector<Variable> variables,
          std::vector<std::string> referenced, int64_t estimated_cost, StaticKind result_kind);

 private:
  std::string expression_;
  std::shared_ptr<const Expr> root_;
  std::vector<Variable> variables_;
  std::vector<std::string> referenced_;
  int64_t estimated_cost_;
  StaticKind result_kind_;
};

absl::StatusOr<std::shared_ptr<const Program>> Compile(std::string_view expression,
                                                       const std::vector<Variable>& variables);

// JSON -> CEL value as Kubernetes converts an object for its rules: numbers, strings and objects
// typed by the hint (declared object properties are reachable by their escaped names).
absl::StatusOr<Value> ValueFromJson(const boost::json::value& json, const TypeHint* hint);
// Kubernetes' escaping of a property name into a CEL identifier ("x-y" -> "x__dash__y",
// "a.b" -> "a__dot__b", "namespace" -> "__namespace__"); empty when the name cannot be escaped.
std::string EscapePropertyName(std::string_view name);

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_CEL_H_
