// The CEL abstract syntax tree that the parser builds and the checker and interpreter walk.
// Operators are calls with CEL's internal names ("_+_", "_&&_", "!_", "_[_]", "_?_:_", "@in"),
// so messages name them as cel-go does; macros (has, all, exists, exists_one, map, filter) are
// expanded into kHas / kComprehension nodes at parse time.
// Thread-safety: immutable once built; a compiled Program shares it between threads.
// Ownership: each node owns its children (unique_ptr). Never fails.
#ifndef SKIFF_API_CEL_AST_H_
#define SKIFF_API_CEL_AST_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "api/cel/value.h"

namespace re2 {
class RE2;
}

namespace skiff::api::cel {

struct Expr {
  enum class Kind {
    kLiteral,        // literal
    kIdent,          // name
    kSelect,         // target.name (optional: target.?name)
    kHas,            // has(target.name)
    kIndex,          // target[args[0]] (optional: target[?args[0]])
    kCall,           // name(args...) or target.name(args...) when target is set
    kList,           // [args...]; optional_entries marks `?elem`
    kMap,            // {args[0]: args[1], ...}; optional_entries marks `?key: value`
    kComprehension,  // target.macro(iter_var, args...)
  };
  enum class Macro { kAll, kExists, kExistsOne, kMap, kFilter };

  Kind kind = Kind::kLiteral;
  int position = 0;  // byte offset of the node in the expression, for messages
  Value literal;
  std::string name;
  std::unique_ptr<Expr> target;
  std::vector<std::unique_ptr<Expr>> args;
  bool optional = false;
  std::vector<bool> optional_entries;
  Macro macro = Macro::kAll;
  std::string iter_var;
  // Set by the checker: a matches() pattern known at compile time, compiled once.
  std::shared_ptr<const re2::RE2> regex;
};

// A compile-time problem at a byte offset of the expression.
struct Issue {
  int position = 0;
  std::string message;
};

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_AST_H_
