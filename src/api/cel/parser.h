// Parser: a recursive-descent parser for CEL's grammar (cel-spec langdef), with the optional
// syntax (`a.?b`, `a[?k]`, `[?x]`, `{?k: v}`), macro expansion (has, all, exists, exists_one,
// map with 2 or 3 arguments, filter) and namespaced calls (optional.of(x), sets.contains(a, b)).
// Hostile input cannot exhaust the stack: the syntax tree depth is limited (kMaxDepth), chains of
// && and || are balanced like cel-go's, and the input length is limited (kMaxCodePoints).
// Thread-safety: Parse is a pure function. Ownership: the caller owns the returned tree.
// Failure: returns the first syntax error as an Issue (position and message), never throws.
#ifndef SKIFF_API_CEL_PARSER_H_
#define SKIFF_API_CEL_PARSER_H_

#include <memory>
#include <string_view>
#include <variant>

#include "api/cel/ast.h"

namespace skiff::api::cel {

inline constexpr int kMaxDepth = 250;
inline constexpr int kMaxCodePoints = 100000;

std::variant<std::unique_ptr<Expr>, Issue> Parse(std::string_view expression);

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_PARSER_H_
