// Checker: the compile step after parsing. Resolves every identifier (comprehension variables,
// declared variables, type names) and every function name and argument count against the function
// registry; infers static kinds from literals, operators, function results and the type hints, and
// rejects what can never work (`'a' + 1`, a field the schema does not declare, `x.contains(1)` on
// an int); precompiles literal regular expressions, records which declared variables the
// expression uses, and estimates the worst-case cost from the type hints' size bounds (unbounded
// lists and strings are sized from Kubernetes' 3 MiB request limit, as kube does). Anything of
// unknown kind (dyn) is left to the interpreter.
// Thread-safety: runs once per Compile on a tree that is not yet shared.
// Failure: the first problem as an Issue with cel-go's wording ("undeclared reference to 'foo'
// (in container '')", "found no matching overload for 'startsWith' applied to 'string.(int, int)'").
#ifndef SKIFF_API_CEL_CHECKER_H_
#define SKIFF_API_CEL_CHECKER_H_

#include <cstdint>
#include <string>
#include <variant>
#include <vector>

#include "api/cel/ast.h"
#include "api/cel/cel.h"

namespace skiff::api::cel {

struct CheckResult {
  std::vector<std::string> referenced;  // declared variables the expression uses
  int64_t estimated_cost = 0;
  StaticKind result_kind = StaticKind::kDyn;
};

std::variant<CheckResult, Issue> Check(Expr& root, const std::vector<Variable>& variables);

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_CHECKER_H_
