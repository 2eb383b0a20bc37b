// CEL's operators on values: arithmetic with overflow checks (int, uint, double, string, bytes,
// list concatenation, timestamp/duration arithmetic), relations (heterogeneous numeric equality and
// ordering), `in`, indexing and field selection (plain and optional).
// Thread-safety: pure functions (cost is charged to the caller's CostMeter).
// Failure: InvalidArgument with CEL's messages ("integer overflow", "division by zero",
// "no such key: x", "index out of range: 3", "no such overload: _+_(int, string)").
#ifndef SKIFF_API_CEL_OPERATORS_H_
#define SKIFF_API_CEL_OPERATORS_H_

#include <string_view>

#include "absl/status/statusor.h"
#include "api/cel/functions.h"
#include "api/cel/value.h"

namespace skiff::api::cel {

// op is "_+_", "_-_", "_*_", "_/_" or "_%_".
absl::StatusOr<Value> Arithmetic(std::string_view op, const Value& a, const Value& b, CostMeter& cost);
absl::StatusOr<Value> Negate(const Value& a);
// op is "_==_", "_!=_", "_<_", "_<=_", "_>_" or "_>=_".
absl::StatusOr<Value> Relation(std::string_view op, const Value& a, const Value& b);
absl::StatusOr<Value> In(const Value& element, const Value& container, CostMeter& cost);
// target[index]; optional (target[?index]) yields optional.none() for a missing key or index.
absl::StatusOr<Value> Index(const Value& target, const Value& index, bool optional);
// target.field; optional (target.?field) yields optional.none() for a missing field.
absl::StatusOr<Value> Select(const Value& target, std::string_view field, bool optional);
// has(target.field).
absl::StatusOr<Value> HasField(const Value& target, std::string_view field);

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_OPERATORS_H_
