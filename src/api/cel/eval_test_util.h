// Test helpers for the CEL tests: compile and evaluate an expression with `self` bound to JSON,
// and render the outcome as one comparable string ("true", "[1, 2]", "error: no such key: x",
// "compile: ...", "cost: ..."). Thread-safety: pure functions. Failure: rendered into the string.
#ifndef SKIFF_API_CEL_EVAL_TEST_UTIL_H_
#define SKIFF_API_CEL_EVAL_TEST_UTIL_H_

#include <memory>
#include <string>
#include <string_view>

#include "api/cel/cel.h"
#include "boost/json/parse.hpp"

namespace skiff::api::cel::test_util {

// Evaluates `expression` with self = `self_json` (and oldSelf = `old_self_json` when not empty).
inline std::string EvalText(std::string_view expression, std::string_view self_json = "null",
                       std::shared_ptr<const TypeHint> hint = nullptr, std::string_view old_self_json = "",
                       int64_t budget = kPerCallCostLimit) {
  auto program = Compile(expression, {{"self", hint}, {"oldSelf", hint}});
  if (!program.ok()) return "compile: " + std::string(program.status().message());
  boost::json::value self = boost::json::parse(self_json);
  boost::json::value old_self = old_self_json.empty() ? boost::json::value() : boost::json::parse(old_self_json);
  Bindings bindings = {{"self", &self}};
  if (!old_self_json.empty()) bindings.push_back({"oldSelf", &old_self});
  absl::StatusOr<Value> v = (*program)->Evaluate(bindings, budget);
  if (!v.ok()) {
    if (v.status().code() == absl::StatusCode::kResourceExhausted) return "cost: " + std::string(v.status().message());
    return "error: " + std::string(v.status().message());
  }
  return v->DebugString();
}

}  // namespace skiff::api::cel::test_util

#endif  // SKIFF_API_CEL_EVAL_TEST_UTIL_H_
