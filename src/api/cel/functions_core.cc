// CEL's standard functions: size, string tests and regular expressions (RE2 syntax), type
// conversions, type() and dyn(), and optionals.
#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>

#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "api/cel/functions.h"
#include "api/cel/time_util.h"
#include "api/go_format.h"
#include "base/strings.h"
#include "re2/re2.h"

namespace skiff::api::cel {
namespace {

using K = Value::Kind;
using Args = std::vector<Value>;

absl::StatusOr<Value> Size(const Args& a, CallContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case K::kString: return Value::Int(static_cast<int64_t>(CodePoints(v.string_value()).size()));
    case K::kBytes: return Value::Int(static_cast<int64_t>(v.bytes_value().size()));
    case K::kList: return Value::Int(static_cast<int64_t>(v.list_value().size()));
    case K::kMap: return Value::Int(static_cast<int64_t>(v.map_value().size()));
    default: return NoSuchOverload("size", a);
  }
}

template <bool (*Test)(std::string_view, std::string_view)>
absl::StatusOr<Value> StringTest(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString) || !a[1].is(K::kString)) return NoSuchOverload(ctx.call->name, a);
  if (absl::Status s = ctx.cost->Charge(TraversalCost(a[0].string_value().size())); !s.ok()) return s;
  return Value::Bool(Test(a[0].string_value(), a[1].string_value()));
}
bool Contains(std::string_view s, std::string_view x) { return absl::StrContains(base::Av(s), base::Av(x)); }
bool StartsWith(std::string_view s, std::string_view x) { return absl::StartsWith(base::Av(s), base::Av(x)); }
bool EndsWith(std::string_view s, std::string_view x) { return absl::EndsWith(base::Av(s), base::Av(x)); }

// The compiled pattern: precompiled by the checker when it is a literal, else compiled now.
absl::StatusOr<std::shared_ptr<const re2::RE2>> Regex(const Value& pattern, CallContext& ctx) {
  if (ctx.call->regex) return ctx.call->regex;
  RE2::Options options;
  options.set_log_errors(false);
  auto re = std::make_shared<const re2::RE2>(pattern.string_value(), options);
  if (!re->ok()) return EvalError(absl::StrCat("invalid regular expression: ", re->error()));
  if (absl::Status s = ctx.cost->Charge(TraversalCost(pattern.string_value().size())); !s.ok()) return s;
  return re;
}

absl::StatusOr<Value> Matches(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString) || !a[1].is(K::kString)) return NoSuchOverload("matches", a);
  auto re = Regex(a[1], ctx);
  if (!re.ok()) return re.status();
  if (absl::Status s = ctx.cost->Charge(TraversalCost(a[0].string_value().size())); !s.ok()) return s;
  return Value::Bool(RE2::PartialMatch(a[0].string_value(), **re));
}

// Kubernetes' regex library: s.find(re) -> first match or "", s.findAll(re[, n]) -> matches.
absl::StatusOr<Value> Find(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString) || !a[1].is(K::kString)) return NoSuchOverload("find", a);
  auto re = Regex(a[1], ctx);
  if (!re.ok()) return re.status();
  if (absl::Status s = ctx.cost->Charge(TraversalCost(a[0].string_value().size())); !s.ok()) return s;
  re2::StringPiece match;
  if ((*re)->Match(a[0].string_value(), 0, a[0].string_value().size(), RE2::UNANCHORED, &match, 1)) {
    return Value::String(std::string(match));
  }
  return Value::String("");
}

absl::StatusOr<Value> FindAll(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString) || !a[1].is(K::kString) || (a.size() == 3 && !a[2].is(K::kInt))) {
    return NoSuchOverload("findAll", a);
  }
  auto re = Regex(a[1], ctx);
  if (!re.ok()) return re.status();
  const std::string& s = a[0].string_value();
  if (absl::Status st = ctx.cost->Charge(TraversalCost(s.size())); !st.ok()) return st;
  int64_t limit = a.size() == 3 ? a[2].int_value() : -1;
  List out;
  size_t pos = 0;
  re2::StringPiece match;
  while (pos <= s.size() && (limit < 0 || static_cast<int64_t>(out.size()) < limit) &&
         (*re)->Match(s, pos, s.size(), RE2::UNANCHORED, &match, 1)) {
    out.push_back(Value::String(std::string(match)));
    size_t end = match.data() - s.data() + match.size();
    pos = match.empty() ? end + 1 : end;
  }
  return Value::ListOf(std::move(out));
}

absl::StatusOr<Value> ToInt(const Args& a, CallContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case K::kInt: return v;
    case K::kUint:
      if (v.uint_value() > static_cast<uint64_t>(std::numeric_limits<int64_t>::max())) return EvalError("integer overflow");
      return Value::Int(static_cast<int64_t>(v.uint_value()));
    case K::kDouble: {
      double d = v.double_value();
      if (!(d > -9223372036854775809.0 && d < 9223372036854775808.0)) return EvalError("integer overflow");
      return Value::Int(static_cast<int64_t>(d));
    }
    case K::kString: {
      std::optional<int64_t> i = ParseGoInt64(v.string_value());
      if (!i) return EvalError(absl::StrCat("cannot convert ", GoQuote(v.string_value()), " to int"));
      return Value::Int(*i);
    }
    case K::kTimestamp: return Value::Int(absl::ToUnixSeconds(v.timestamp_value()));
    case K::kDuration: return Value::Int(absl::ToInt64Nanoseconds(v.duration_value()));
    default: return NoSuchOverload("int", a);
  }
}

absl::StatusOr<Value> ToUint(const Args& a, CallContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case K::kUint: return v;
    case K::kInt:
      if (v.int_value() < 0) return EvalError("unsigned integer overflow");
      return Value::Uint(static_cast<uint64_t>(v.int_value()));
    case K::kDouble: {
      double d = v.double_value();
      if (!(d > -1.0 && d < 18446744073709551616.0)) return EvalError("unsigned integer overflow");
      return Value::Uint(static_cast<uint64_t>(d));
    }
    case K::kString: {
      uint64_t u = 0;
      const std::string& s = v.string_value();
      if (s.empty() || s[0] == '+' || s[0] == '-' || !absl::SimpleAtoi(s, &u)) {
        return EvalError(absl::StrCat("cannot convert ", GoQuote(s), " to uint"));
      }
      return Value::Uint(u);
    }
    default: return NoSuchOverload("uint", a);
  }
}

absl::StatusOr<Value> ToDouble(const Args& a, CallContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case K::kDouble: return v;
    case K::kInt: return Value::Double(static_cast<double>(v.int_value()));
    case K::kUint: return Value::Double(static_cast<double>(v.uint_value()));
    case K::kString: {
      double d = 0;
      if (!absl::SimpleAtod(v.string_value(), &d)) {
        return EvalError(absl::StrCat("cannot convert ", GoQuote(v.string_value()), " to double"));
      }
      return Value::Double(d);
    }
    default: return NoSuchOverload("double", a);
  }
}

absl::StatusOr<Value> ToString(const Args& a, CallContext&) {
  const Value& v = a[0];
  switch (v.kind()) {
    case K::kString: return v;
    case K::kInt: return Value::String(absl::StrCat(v.int_value()));
    case K::kUint: return Value::String(absl::StrCat(v.uint_value()));
    case K::kDouble: return Value::String(FormatDouble(v.double_value()));
    case K::kBool: return Value::String(v.bool_value() ? "true" : "false");
    case K::kBytes:
      if (!IsValidUtf8(v.bytes_value())) return EvalError("invalid UTF-8 in bytes, cannot convert to string");
      return Value::String(v.bytes_value());
    case K::kTimestamp: return Value::String(FormatCelTimestamp(v.timestamp_value()));
    case K::kDuration: return Value::String(FormatCelDuration(v.duration_value()));
    case K::kQuantity: return Value::String(v.quantity_value().String());
    default: return NoSuchOverload("string", a);
  }
}

absl::StatusOr<Value> ToBytes(const Args& a, CallContext&) {
  if (a[0].is(K::kBytes)) return a[0];
  if (a[0].is(K::kString)) return Value::BytesOf(a[0].string_value());
  return NoSuchOverload("bytes", a);
}

absl::StatusOr<Value> ToBool(const Args& a, CallContext&) {
  if (a[0].is(K::kBool)) return a[0];
  if (!a[0].is(K::kString)) return NoSuchOverload("bool", a);
  const std::string& s = a[0].string_value();  // Go's strconv.ParseBool
  if (s == "1" || s == "t" || s == "T" || s == "true" || s == "TRUE" || s == "True") return Value::Bool(true);
  if (s == "0" || s == "f" || s == "F" || s == "false" || s == "FALSE" || s == "False") return Value::Bool(false);
  return EvalError(absl::StrCat("cannot convert ", GoQuote(s), " to bool"));
}

absl::StatusOr<Value> Dyn(const Args& a, CallContext&) { return a[0]; }
absl::StatusOr<Value> TypeOf(const Args& a, CallContext&) { return Value::Type(a[0].TypeNameOf()); }

absl::StatusOr<Value> OptionalOfFn(const Args& a, CallContext&) { return Value::OptionalOf(a[0]); }
absl::StatusOr<Value> OptionalNoneFn(const Args&, CallContext&) { return Value::OptionalNone(); }

bool IsZeroValue(const Value& v) {
  switch (v.kind()) {
    case K::kNull: return true;
    case K::kBool: return !v.bool_value();
    case K::kInt: return v.int_value() == 0;
    case K::kUint: return v.uint_value() == 0;
    case K::kDouble: return v.double_value() == 0;
    case K::kString: return v.string_value().empty();
    case K::kBytes: return v.bytes_value().empty();
    case K::kList: return v.list_value().empty();
    case K::kMap: return v.map_value().size() == 0;
    case K::kDuration: return v.duration_value() == absl::ZeroDuration();
    case K::kTimestamp: return v.timestamp_value() == absl::UnixEpoch();
    case K::kOptional: return v.optional_value() == nullptr;
    case K::kQuantity: return v.quantity_value().IsZero();
    default: return false;
  }
}

absl::StatusOr<Value> OptionalOfNonZero(const Args& a, CallContext&) {
  return IsZeroValue(a[0]) ? Value::OptionalNone() : Value::OptionalOf(a[0]);
}

absl::StatusOr<Value> HasValue(const Args& a, CallContext&) {
  if (!a[0].is(K::kOptional)) return NoSuchOverload("hasValue", a);
  return Value::Bool(a[0].optional_value() != nullptr);
}

absl::StatusOr<Value> OptionalValue(const Args& a, CallContext&) {
  if (!a[0].is(K::kOptional)) return NoSuchOverload("value", a);
  if (a[0].optional_value() == nullptr) return EvalError("optional.none() dereference");
  return *a[0].optional_value();
}

absl::StatusOr<Value> OrValue(const Args& a, CallContext&) {
  if (!a[0].is(K::kOptional)) return NoSuchOverload("orValue", a);
  return a[0].optional_value() ? *a[0].optional_value() : a[1];
}

absl::StatusOr<Value> OptionalOr(const Args& a, CallContext&) {
  if (!a[0].is(K::kOptional) || !a[1].is(K::kOptional)) return NoSuchOverload("or", a);
  return a[0].optional_value() ? a[0] : a[1];
}

}  // namespace

void RegisterCoreFunctions(FunctionRegistry& r) {
  r.Add({"size", false, 1, 1, Size});
  r.Add({"size", true, 0, 0, Size});
  r.Add({"contains", true, 1, 1, StringTest<Contains>});
  r.Add({"startsWith", true, 1, 1, StringTest<StartsWith>});
  r.Add({"endsWith", true, 1, 1, StringTest<EndsWith>});
  r.Add({"matches", false, 2, 2, Matches});
  r.Add({"matches", true, 1, 1, Matches});
  r.Add({"find", true, 1, 1, Find});
  r.Add({"findAll", true, 1, 2, FindAll});
  r.Add({"int", false, 1, 1, ToInt});
  r.Add({"uint", false, 1, 1, ToUint});
  r.Add({"double", false, 1, 1, ToDouble});
  r.Add({"string", false, 1, 1, ToString});
  r.Add({"bytes", false, 1, 1, ToBytes});
  r.Add({"bool", false, 1, 1, ToBool});
  r.Add({"dyn", false, 1, 1, Dyn});
  r.Add({"type", false, 1, 1, TypeOf});
  r.Add({"optional.of", false, 1, 1, OptionalOfFn});
  r.Add({"optional.none", false, 0, 0, OptionalNoneFn});
  r.Add({"optional.ofNonZeroValue", false, 1, 1, OptionalOfNonZero});
  r.Add({"hasValue", true, 0, 0, HasValue});
  r.Add({"value", true, 0, 0, OptionalValue});
  r.Add({"orValue", true, 1, 1, OrValue});
  r.Add({"or", true, 1, 1, OptionalOr});
}

}  // namespace skiff::api::cel
