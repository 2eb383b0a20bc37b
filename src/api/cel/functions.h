// The function library of the interpreter: CEL's standard functions (size, contains, matches,
// conversions, timestamps and durations, optionals) and Kubernetes' libraries (strings, lists,
// sets, regex, quantity, url, ip, cidr, format). Each function is declared once with its name, call style (global
// `f(x)` or member `x.f()`), argument count and, for member functions that share a name (indexOf on
// strings and lists), the receiver kind; the checker uses the same table to reject unknown names.
// Thread-safety: the registry is built once (function-local static) and read-only afterwards.
// Failure: implementations return InvalidArgument with CEL's evaluation messages, and
// ResourceExhausted from CostMeter when the cost budget runs out.
#ifndef SKIFF_API_CEL_FUNCTIONS_H_
#define SKIFF_API_CEL_FUNCTIONS_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/cel/ast.h"
#include "api/cel/authorizer.h"
#include "api/cel/value.h"

namespace skiff::api::cel {

// Counts evaluation cost against a budget.
class CostMeter {
 public:
  explicit CostMeter(int64_t budget) : budget_(budget) {}
  absl::Status Charge(int64_t units) {
    used_ += units;
    if (used_ > budget_) return absl::ResourceExhaustedError("operation cancelled: actual cost limit exceeded");
    return absl::OkStatus();
  }
  int64_t used() const { return used_; }

 private:
  int64_t budget_;
  int64_t used_ = 0;
};

struct CallContext {
  CostMeter* cost;
  const Expr* call;  // the call node (its precompiled regex, if any)
  const Authorizer* authorizer = nullptr;  // for the authorizer library; null when none is bound
};

// For member calls args[0] is the receiver.
using FunctionImpl = absl::StatusOr<Value> (*)(const std::vector<Value>& args, CallContext& ctx);

struct FunctionDecl {
  std::string name;
  bool member = false;
  int min_args = 0;  // excluding the receiver
  int max_args = 0;
  FunctionImpl impl = nullptr;
  std::optional<Value::Kind> receiver;  // member functions sharing a name dispatch on this
};

class FunctionRegistry {
 public:
  static const FunctionRegistry& Get();
  void Add(FunctionDecl decl);
  // The declaration that applies to a call, or null. `receiver` is the receiver value of a
  // member call (null for global calls or at compile time, which then matches any receiver kind).
  const FunctionDecl* Find(std::string_view name, bool member, int arg_count, const Value* receiver) const;
  // Whether any declaration has this name and call style, whatever the argument count.
  bool Known(std::string_view name, bool member) const;

 private:
  absl::flat_hash_map<std::string, std::vector<FunctionDecl>> by_name_;
};

// Errors shared by the implementations.
absl::Status EvalError(std::string_view message);
absl::Status NoSuchOverload(std::string_view function, const std::vector<Value>& args);
// Code-point helpers for strings (CEL indexes strings by code point).
std::vector<uint32_t> CodePoints(std::string_view s);
std::string FromCodePoints(const std::vector<uint32_t>& cps, size_t begin, size_t end);
// Cost of traversing a string or bytes value (kube's 0.1 per byte, at least 1).
int64_t TraversalCost(size_t bytes);

// list.indexOf(x) / list.lastIndexOf(x), shared with the string functions of the same name.
absl::StatusOr<Value> ListIndexOf(const std::vector<Value>& args, CallContext& ctx, bool last);

// Registration of each library (one per functions_*.cc).
void RegisterCoreFunctions(FunctionRegistry& r);
void RegisterTimeFunctions(FunctionRegistry& r);
void RegisterStringFunctions(FunctionRegistry& r);
void RegisterListFunctions(FunctionRegistry& r);
void RegisterQuantityFunctions(FunctionRegistry& r);
void RegisterFormatFunctions(FunctionRegistry& r);
void RegisterNetFunctions(FunctionRegistry& r);
void RegisterAuthzFunctions(FunctionRegistry& r);

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_FUNCTIONS_H_
