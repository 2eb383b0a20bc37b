// Interpreter: evaluates a checked CEL syntax tree against variable values, with CEL's error
// semantics (errors are values that && / || / all / exists absorb when the other side decides
// the result), macros as comprehensions, and a cost meter that stops runaway expressions.
// Thread-safety: one Interpreter per evaluation (it holds the comprehension scope and the cost
// meter); the tree it walks is shared read-only. Recursion is bounded by the tree depth, which
// the parser limits.
// Failure: InvalidArgument for CEL evaluation errors; ResourceExhausted when the budget runs out
// (never absorbed by && or ||).
#ifndef SKIFF_API_CEL_INTERPRETER_H_
#define SKIFF_API_CEL_INTERPRETER_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "api/cel/ast.h"
#include "api/cel/functions.h"
#include "api/cel/value.h"

namespace skiff::api::cel {

class Interpreter {
 public:
  // `authorizer` (may be null) answers the authorizer library's checks.
  explicit Interpreter(int64_t cost_budget, const Authorizer* authorizer = nullptr)
      : cost_(cost_budget), authorizer_(authorizer) {}
  // A variable's value; a declared variable that is never bound is absent.
  void Bind(std::string name, Value value) { globals_[std::move(name)] = std::move(value); }
  absl::StatusOr<Value> Eval(const Expr& e);
  int64_t cost_used() const { return cost_.used(); }

 private:
  absl::StatusOr<Value> Ident(const Expr& e);
  absl::StatusOr<Value> Call(const Expr& e);
  absl::StatusOr<Value> Logical(const Expr& e, bool is_and);
  absl::StatusOr<Value> Conditional(const Expr& e);
  absl::StatusOr<Value> ListLiteral(const Expr& e);
  absl::StatusOr<Value> MapLiteral(const Expr& e);
  absl::StatusOr<Value> Comprehension(const Expr& e);

  CostMeter cost_;
  const Authorizer* authorizer_;
  absl::flat_hash_map<std::string, Value> globals_;
  std::vector<std::pair<std::string_view, Value>> locals_;  // comprehension variables, innermost last
};

// The identifiers that name types (`int`, `string`, `list`, ...), usable as values: type(x) == int.
bool IsTypeIdentifier(std::string_view name);

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_INTERPRETER_H_
