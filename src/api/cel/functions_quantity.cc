// Kubernetes' CEL quantity library: quantity("1.5Gi"), isQuantity(s), and the methods sign,
// isInteger, asInteger, asApproximateFloat, add, sub, compareTo, isGreaterThan, isLessThan.
#include <cstdint>

#include "api/cel/functions.h"
#include "api/quantity.h"
#include "base/strings.h"

namespace skiff::api::cel {
namespace {

using K = Value::Kind;
using Args = std::vector<Value>;

absl::StatusOr<Value> ToQuantity(const Args& a, CallContext&) {
  if (a[0].is(K::kQuantity)) return a[0];
  if (!a[0].is(K::kString)) return NoSuchOverload("quantity", a);
  absl::StatusOr<Quantity> q = Quantity::Parse(a[0].string_value());
  if (!q.ok()) return EvalError(std::string(q.status().message()));
  return Value::QuantityOf(*q);
}

absl::StatusOr<Value> IsQuantity(const Args& a, CallContext&) {
  if (!a[0].is(K::kString)) return NoSuchOverload("isQuantity", a);
  return Value::Bool(Quantity::Parse(a[0].string_value()).ok());
}

std::optional<int64_t> AsInt64(const Quantity& q) {
  int64_t v = q.Value();
  if (Quantity::FromInt64(v) != q) return std::nullopt;
  return v;
}

absl::StatusOr<Value> Sign(const Args& a, CallContext&) {
  if (!a[0].is(K::kQuantity)) return NoSuchOverload("sign", a);
  return Value::Int(a[0].quantity_value().Sign());
}

absl::StatusOr<Value> IsInteger(const Args& a, CallContext&) {
  if (!a[0].is(K::kQuantity)) return NoSuchOverload("isInteger", a);
  return Value::Bool(AsInt64(a[0].quantity_value()).has_value());
}

absl::StatusOr<Value> AsInteger(const Args& a, CallContext&) {
  if (!a[0].is(K::kQuantity)) return NoSuchOverload("asInteger", a);
  std::optional<int64_t> v = AsInt64(a[0].quantity_value());
  if (!v) return EvalError("cannot convert value to integer");
  return Value::Int(*v);
}

absl::StatusOr<Value> AsApproximateFloat(const Args& a, CallContext&) {
  if (!a[0].is(K::kQuantity)) return NoSuchOverload("asApproximateFloat", a);
  return Value::Double(a[0].quantity_value().AsApproximateDouble());
}

// The right operand of add/sub/compare: a quantity, or an int for add and sub.
std::optional<Quantity> Operand(const Value& v, bool allow_int) {
  if (v.is(K::kQuantity)) return v.quantity_value();
  if (allow_int && v.is(K::kInt)) return Quantity::FromInt64(v.int_value());
  return std::nullopt;
}

template <bool kAdd>
absl::StatusOr<Value> AddSub(const Args& a, CallContext&) {
  std::optional<Quantity> rhs = Operand(a[1], true);
  if (!a[0].is(K::kQuantity) || !rhs) return NoSuchOverload(kAdd ? "add" : "sub", a);
  Quantity out = a[0].quantity_value();
  absl::Status s = kAdd ? out.Add(*rhs) : out.Sub(*rhs);
  if (!s.ok()) return EvalError("quantity overflow");
  return Value::QuantityOf(out);
}

absl::StatusOr<Value> CompareTo(const Args& a, CallContext&) {
  std::optional<Quantity> rhs = Operand(a[1], false);
  if (!a[0].is(K::kQuantity) || !rhs) return NoSuchOverload("compareTo", a);
  return Value::Int(a[0].quantity_value().Compare(*rhs));
}

template <int kWant>
absl::StatusOr<Value> CompareIs(const Args& a, CallContext&) {
  std::optional<Quantity> rhs = Operand(a[1], false);
  if (!a[0].is(K::kQuantity) || !rhs) return NoSuchOverload(kWant > 0 ? "isGreaterThan" : "isLessThan", a);
  return Value::Bool(a[0].quantity_value().Compare(*rhs) == kWant);
}

}  // namespace

void RegisterQuantityFunctions(FunctionRegistry& r) {
  r.Add({"quantity", false, 1, 1, ToQuantity});
  r.Add({"isQuantity", false, 1, 1, IsQuantity});
  r.Add({"sign", true, 0, 0, Sign});
  r.Add({"isInteger", true, 0, 0, IsInteger});
  r.Add({"asInteger", true, 0, 0, AsInteger});
  r.Add({"asApproximateFloat", true, 0, 0, AsApproximateFloat});
  r.Add({"add", true, 1, 1, AddSub<true>});
  r.Add({"sub", true, 1, 1, AddSub<false>});
  r.Add({"compareTo", true, 1, 1, CompareTo});
  r.Add({"isGreaterThan", true, 1, 1, CompareIs<1>});
  r.Add({"isLessThan", true, 1, 1, CompareIs<-1>});
}

}  // namespace skiff::api::cel
