// Kubernetes' CEL list library (isSorted, sum, min, max, indexOf, lastIndexOf) and cel-go's sets
// extension (sets.contains, sets.equivalent, sets.intersects).
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "api/cel/functions.h"
#include "api/cel/time_util.h"

namespace skiff::api::cel {
namespace {

using K = Value::Kind;
using Args = std::vector<Value>;

absl::StatusOr<Value> IsSorted(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kList)) return NoSuchOverload("isSorted", a);
  const List& l = a[0].list_value();
  if (absl::Status s = ctx.cost->Charge(1 + static_cast<int64_t>(l.size())); !s.ok()) return s;
  for (size_t i = 1; i < l.size(); ++i) {
    std::optional<int> c = Compare(l[i - 1], l[i]);
    if (!c) return NoSuchOverload("isSorted", a);
    if (*c > 0) return Value::Bool(false);
  }
  return Value::Bool(true);
}

absl::StatusOr<Value> Sum(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kList)) return NoSuchOverload("sum", a);
  const List& l = a[0].list_value();
  if (absl::Status s = ctx.cost->Charge(1 + static_cast<int64_t>(l.size())); !s.ok()) return s;
  if (l.empty()) return Value::Int(0);
  Value total = l[0];
  for (size_t i = 1; i < l.size(); ++i) {
    const Value& v = l[i];
    if (v.kind() != total.kind()) return NoSuchOverload("sum", a);
    switch (v.kind()) {
      case K::kInt: {
        int64_t out;
        if (__builtin_add_overflow(total.int_value(), v.int_value(), &out)) return EvalError("integer overflow");
        total = Value::Int(out);
        break;
      }
      case K::kUint: {
        uint64_t out;
        if (__builtin_add_overflow(total.uint_value(), v.uint_value(), &out)) return EvalError("unsigned integer overflow");
        total = Value::Uint(out);
        break;
      }
      case K::kDouble: total = Value::Double(total.double_value() + v.double_value()); break;
      case K::kDuration: {
        absl::Duration d = total.duration_value() + v.duration_value();
        if (!CheckDurationRange(d).ok()) return EvalError("duration overflow");
        total = Value::Duration(d);
        break;
      }
      default: return NoSuchOverload("sum", a);
    }
  }
  if (!total.is_number() && !total.is(K::kDuration)) return NoSuchOverload("sum", a);
  return total;
}

template <int kSign>
absl::StatusOr<Value> Extreme(const Args& a, CallContext& ctx) {
  const char* name = kSign < 0 ? "min" : "max";
  if (!a[0].is(K::kList)) return NoSuchOverload(name, a);
  const List& l = a[0].list_value();
  if (absl::Status s = ctx.cost->Charge(1 + static_cast<int64_t>(l.size())); !s.ok()) return s;
  if (l.empty()) return EvalError(absl::StrCat(name, " called on empty list"));
  const Value* best = &l[0];
  for (size_t i = 1; i < l.size(); ++i) {
    std::optional<int> c = Compare(l[i], *best);
    if (!c) return NoSuchOverload(name, a);
    if (*c * kSign > 0) best = &l[i];
  }
  if (!Compare(*best, *best)) return NoSuchOverload(name, a);
  return *best;
}

bool ListContains(const List& l, const Value& v) {
  for (const Value& x : l) {
    if (Equal(x, v)) return true;
  }
  return false;
}

absl::StatusOr<Value> SetsContains(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kList) || !a[1].is(K::kList)) return NoSuchOverload("sets.contains", a);
  const List& x = a[0].list_value();
  const List& y = a[1].list_value();
  if (absl::Status s = ctx.cost->Charge(1 + static_cast<int64_t>(x.size() * y.size())); !s.ok()) return s;
  for (const Value& v : y) {
    if (!ListContains(x, v)) return Value::Bool(false);
  }
  return Value::Bool(true);
}

absl::StatusOr<Value> SetsEquivalent(const Args& a, CallContext& ctx) {
  absl::StatusOr<Value> ab = SetsContains(a, ctx);
  if (!ab.ok() || !ab->bool_value()) return ab;
  return SetsContains({a[1], a[0]}, ctx);
}

absl::StatusOr<Value> SetsIntersects(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kList) || !a[1].is(K::kList)) return NoSuchOverload("sets.intersects", a);
  const List& x = a[0].list_value();
  const List& y = a[1].list_value();
  if (absl::Status s = ctx.cost->Charge(1 + static_cast<int64_t>(x.size() * y.size())); !s.ok()) return s;
  for (const Value& v : y) {
    if (ListContains(x, v)) return Value::Bool(true);
  }
  return Value::Bool(false);
}

}  // namespace

absl::StatusOr<Value> ListIndexOf(const std::vector<Value>& a, CallContext& ctx, bool last) {
  if (a.size() != 2) return NoSuchOverload(last ? "lastIndexOf" : "indexOf", a);
  const List& l = a[0].list_value();
  if (absl::Status s = ctx.cost->Charge(1 + static_cast<int64_t>(l.size())); !s.ok()) return s;
  for (size_t k = 0; k < l.size(); ++k) {
    size_t i = last ? l.size() - 1 - k : k;
    if (Equal(l[i], a[1])) return Value::Int(static_cast<int64_t>(i));
  }
  return Value::Int(-1);
}

void RegisterListFunctions(FunctionRegistry& r) {
  r.Add({"isSorted", true, 0, 0, IsSorted});
  r.Add({"sum", true, 0, 0, Sum});
  r.Add({"min", true, 0, 0, Extreme<-1>});
  r.Add({"max", true, 0, 0, Extreme<1>});
  r.Add({"sets.contains", false, 2, 2, SetsContains});
  r.Add({"sets.equivalent", false, 2, 2, SetsEquivalent});
  r.Add({"sets.intersects", false, 2, 2, SetsIntersects});
}

}  // namespace skiff::api::cel
