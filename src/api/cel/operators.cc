#include "api/cel/operators.h"

#include <cmath>
#include <cstdint>
#include <limits>

#include "absl/strings/str_cat.h"
#include "api/cel/time_util.h"
#include "base/strings.h"

namespace skiff::api::cel {
namespace {

using K = Value::Kind;

absl::Status Overload(std::string_view op, const Value& a, const Value& b) { return NoSuchOverload(op, {a, b}); }

absl::StatusOr<Value> IntOp(std::string_view op, int64_t x, int64_t y) {
  int64_t out = 0;
  bool overflow = false;
  switch (op[1]) {
    case '+': overflow = __builtin_add_overflow(x, y, &out); break;
    case '-': overflow = __builtin_sub_overflow(x, y, &out); break;
    case '*': overflow = __builtin_mul_overflow(x, y, &out); break;
    case '/':
      if (y == 0) return EvalError("division by zero");
      if (x == std::numeric_limits<int64_t>::min() && y == -1) return EvalError("integer overflow");
      out = x / y;
      break;
    case '%':
      if (y == 0) return EvalError("modulus by zero");
      if (x == std::numeric_limits<int64_t>::min() && y == -1) return EvalError("integer overflow");
      out = x % y;
      break;
  }
  if (overflow) return EvalError("integer overflow");
  return Value::Int(out);
}

absl::StatusOr<Value> UintOp(std::string_view op, uint64_t x, uint64_t y) {
  uint64_t out = 0;
  bool overflow = false;
  switch (op[1]) {
    case '+': overflow = __builtin_add_overflow(x, y, &out); break;
    case '-': overflow = __builtin_sub_overflow(x, y, &out); break;
    case '*': overflow = __builtin_mul_overflow(x, y, &out); break;
    case '/':
      if (y == 0) return EvalError("division by zero");
      out = x / y;
      break;
    case '%':
      if (y == 0) return EvalError("modulus by zero");
      out = x % y;
      break;
  }
  if (overflow) return EvalError("unsigned integer overflow");
  return Value::Uint(out);
}

absl::StatusOr<Value> DoubleOp(std::string_view op, double x, double y) {
  switch (op[1]) {
    case '+': return Value::Double(x + y);
    case '-': return Value::Double(x - y);
    case '*': return Value::Double(x * y);
    case '/': return Value::Double(x / y);
  }
  return Overload(op, Value::Double(x), Value::Double(y));
}

absl::StatusOr<Value> CheckedTimestamp(absl::Time t) {
  if (!CheckTimestampRange(t).ok()) return EvalError("timestamp overflow");
  return Value::Timestamp(t);
}

absl::StatusOr<Value> CheckedDuration(absl::Duration d) {
  if (!CheckDurationRange(d).ok()) return EvalError("duration overflow");
  return Value::Duration(d);
}

absl::StatusOr<Value> TimeOp(std::string_view op, const Value& a, const Value& b) {
  if (op == "_+_") {
    if (a.is(K::kTimestamp) && b.is(K::kDuration)) return CheckedTimestamp(a.timestamp_value() + b.duration_value());
    if (a.is(K::kDuration) && b.is(K::kTimestamp)) return CheckedTimestamp(b.timestamp_value() + a.duration_value());
    if (a.is(K::kDuration) && b.is(K::kDuration)) return CheckedDuration(a.duration_value() + b.duration_value());
  } else if (op == "_-_") {
    if (a.is(K::kTimestamp) && b.is(K::kTimestamp)) return CheckedDuration(a.timestamp_value() - b.timestamp_value());
    if (a.is(K::kTimestamp) && b.is(K::kDuration)) return CheckedTimestamp(a.timestamp_value() - b.duration_value());
    if (a.is(K::kDuration) && b.is(K::kDuration)) return CheckedDuration(a.duration_value() - b.duration_value());
  }
  return Overload(op, a, b);
}

}  // namespace

absl::StatusOr<Value> Arithmetic(std::string_view op, const Value& a, const Value& b, CostMeter& cost) {
  if (a.kind() == b.kind()) {
    switch (a.kind()) {
      case K::kInt: return IntOp(op, a.int_value(), b.int_value());
      case K::kUint: return UintOp(op, a.uint_value(), b.uint_value());
      case K::kDouble: return DoubleOp(op, a.double_value(), b.double_value());
      case K::kString:
        if (op != "_+_") break;
        if (absl::Status s = cost.Charge(TraversalCost(a.string_value().size() + b.string_value().size())); !s.ok()) return s;
        return Value::String(a.string_value() + b.string_value());
      case K::kBytes:
        if (op != "_+_") break;
        if (absl::Status s = cost.Charge(TraversalCost(a.bytes_value().size() + b.bytes_value().size())); !s.ok()) return s;
        return Value::BytesOf(a.bytes_value() + b.bytes_value());
      case K::kList: {
        if (op != "_+_") break;
        const List& x = a.list_value();
        const List& y = b.list_value();
        if (absl::Status s = cost.Charge(1 + static_cast<int64_t>((x.size() + y.size()) / 10)); !s.ok()) return s;
        List out;
        out.reserve(x.size() + y.size());
        out.insert(out.end(), x.begin(), x.end());
        out.insert(out.end(), y.begin(), y.end());
        return Value::ListOf(std::move(out));
      }
      default: break;
    }
  }
  if ((a.is(K::kTimestamp) || a.is(K::kDuration)) && (b.is(K::kTimestamp) || b.is(K::kDuration))) {
    return TimeOp(op, a, b);
  }
  return Overload(op, a, b);
}

absl::StatusOr<Value> Negate(const Value& a) {
  switch (a.kind()) {
    case K::kInt:
      if (a.int_value() == std::numeric_limits<int64_t>::min()) return EvalError("integer overflow");
      return Value::Int(-a.int_value());
    case K::kDouble: return Value::Double(-a.double_value());
    case K::kDuration: return CheckedDuration(-a.duration_value());
    default: return NoSuchOverload("-_", {a});
  }
}

absl::StatusOr<Value> Relation(std::string_view op, const Value& a, const Value& b) {
  if (op == "_==_") return Value::Bool(Equal(a, b));
  if (op == "_!=_") return Value::Bool(!Equal(a, b));
  std::optional<int> c = Compare(a, b);
  if (!c) {
    // NaN orders with nothing: every comparison is false.
    if (a.is_number() && b.is_number()) return Value::Bool(false);
    return Overload(op, a, b);
  }
  if (op == "_<_") return Value::Bool(*c < 0);
  if (op == "_<=_") return Value::Bool(*c <= 0);
  if (op == "_>_") return Value::Bool(*c > 0);
  return Value::Bool(*c >= 0);
}

absl::StatusOr<Value> In(const Value& element, const Value& container, CostMeter& cost) {
  if (container.is(K::kList)) {
    const List& l = container.list_value();
    if (absl::Status s = cost.Charge(1 + static_cast<int64_t>(l.size())); !s.ok()) return s;
    for (const Value& v : l) {
      if (Equal(v, element)) return Value::Bool(true);
    }
    return Value::Bool(false);
  }
  if (container.is(K::kMap)) {
    if (element.is(K::kDouble)) {
      // A double finds an int or uint key of the same value.
      double d = element.double_value();
      if (std::trunc(d) != d) return Value::Bool(false);
      if (d >= -9223372036854775808.0 && d < 9223372036854775808.0 &&
          container.map_value().Find(Value::Int(static_cast<int64_t>(d)))) {
        return Value::Bool(true);
      }
      return Value::Bool(d >= 0 && d < 18446744073709551616.0 &&
                         container.map_value().Find(Value::Uint(static_cast<uint64_t>(d))) != nullptr);
    }
    return Value::Bool(container.map_value().Find(element) != nullptr);
  }
  return Overload("@in", element, container);
}

absl::StatusOr<Value> Index(const Value& target, const Value& index, bool optional) {
  if (target.is(K::kOptional)) {
    if (target.optional_value() == nullptr) return target;
    return Index(*target.optional_value(), index, true);
  }
  if (target.is(K::kList)) {
    const List& l = target.list_value();
    int64_t i = 0;
    if (index.is(K::kInt)) {
      i = index.int_value();
    } else if (index.is(K::kUint)) {
      i = index.uint_value() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? -1
                                                                                         : static_cast<int64_t>(index.uint_value());
    } else if (index.is(K::kDouble) && std::trunc(index.double_value()) == index.double_value() &&
               std::abs(index.double_value()) < 9.2e18) {
      i = static_cast<int64_t>(index.double_value());
    } else {
      return NoSuchOverload("_[_]", {target, index});
    }
    if (i < 0 || i >= static_cast<int64_t>(l.size())) {
      if (optional) return Value::OptionalNone();
      return EvalError(absl::StrCat("index out of range: ", i));
    }
    return optional ? Value::OptionalOf(l[i]) : l[i];
  }
  if (target.is(K::kMap)) {
    if (!Map::IsValidKey(index) && !index.is(K::kDouble)) return NoSuchOverload("_[_]", {target, index});
    const Value* v = target.map_value().Find(index);
    if (v == nullptr && index.is(K::kDouble) && std::trunc(index.double_value()) == index.double_value() &&
        std::abs(index.double_value()) < 9.2e18) {
      v = target.map_value().Find(Value::Int(static_cast<int64_t>(index.double_value())));
    }
    if (v == nullptr) {
      if (optional) return Value::OptionalNone();
      return EvalError(absl::StrCat("no such key: ", index.is(K::kString) ? index.string_value() : index.DebugString()));
    }
    return optional ? Value::OptionalOf(*v) : *v;
  }
  return NoSuchOverload("_[_]", {target, index});
}

absl::StatusOr<Value> Select(const Value& target, std::string_view field, bool optional) {
  if (target.is(K::kOptional)) {
    if (target.optional_value() == nullptr) return target;
    return Select(*target.optional_value(), field, true);
  }
  if (!target.is(K::kMap)) {
    return EvalError(absl::StrCat("no such overload: field selection '", base::Av(field), "' on ", target.TypeNameOf()));
  }
  const Value* v = target.map_value().FindString(field);
  if (v == nullptr) {
    if (optional) return Value::OptionalNone();
    return EvalError(absl::StrCat("no such key: ", base::Av(field)));
  }
  return optional ? Value::OptionalOf(*v) : *v;
}

absl::StatusOr<Value> HasField(const Value& target, std::string_view field) {
  if (target.is(K::kOptional)) {
    if (target.optional_value() == nullptr) return Value::Bool(false);
    return HasField(*target.optional_value(), field);
  }
  if (!target.is(K::kMap)) {
    return EvalError(absl::StrCat("invalid type for field selection: has(", base::Av(field), ") on ", target.TypeNameOf()));
  }
  return Value::Bool(target.map_value().FindString(field) != nullptr);
}

}  // namespace skiff::api::cel
