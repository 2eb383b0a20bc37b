// The strings extension's format(): "%s of %d".format([a, b]) with the verbs %s, %d, %f, %e, %x,
// %X, %o, %b and %% and an optional precision ("%.2f"), as cel-go's ext.Strings defines them.
#include <cmath>
#include <cstdint>
#include <string>

#include "absl/strings/ascii.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "api/cel/functions.h"
#include "api/cel/time_util.h"
#include "base/strings.h"

namespace skiff::api::cel {
namespace {

using K = Value::Kind;
using Args = std::vector<Value>;

absl::Status FormatError(std::string_view what) { return EvalError(absl::StrCat("error during formatting: ", base::Av(what))); }

// %s: strings as they are; nested values in CEL literal form.
std::string AsString(const Value& v, bool nested) {
  switch (v.kind()) {
    case K::kString: return nested ? v.DebugString() : v.string_value();
    case K::kBytes: return nested ? v.DebugString() : v.bytes_value();
    case K::kDouble: return FormatDouble(v.double_value());
    case K::kTimestamp: return FormatCelTimestamp(v.timestamp_value());
    case K::kDuration: return FormatCelDuration(v.duration_value());
    case K::kQuantity: return v.quantity_value().String();
    case K::kList:
      return absl::StrCat("[", absl::StrJoin(v.list_value(), ", ", [](std::string* out, const Value& e) {
                            out->append(AsString(e, true));
                          }), "]");
    case K::kMap:
      return absl::StrCat("{", absl::StrJoin(v.map_value().entries(), ", ", [](std::string* out, const auto& e) {
                            absl::StrAppend(out, AsString(e.first, true), ": ", AsString(e.second, true));
                          }), "}");
    default: return v.DebugString();
  }
}

std::string InBase(uint64_t u, int base, bool upper) {
  if (u == 0) return "0";
  const char* digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  std::string out;
  while (u > 0) {
    out.insert(out.begin(), digits[u % base]);
    u /= base;
  }
  return out;
}

absl::StatusOr<std::string> Integer(const Value& v, int base, bool upper) {
  if (v.is(K::kInt)) {
    int64_t i = v.int_value();
    uint64_t magnitude = i < 0 ? 0 - static_cast<uint64_t>(i) : static_cast<uint64_t>(i);
    return (i < 0 ? "-" : "") + InBase(magnitude, base, upper);
  }
  if (v.is(K::kUint)) return InBase(v.uint_value(), base, upper);
  if (base == 2 && v.is(K::kBool)) return std::string(v.bool_value() ? "1" : "0");
  if (base == 16 && (v.is(K::kString) || v.is(K::kBytes))) {
    std::string hex = absl::BytesToHexString(v.is(K::kString) ? v.string_value() : v.bytes_value());
    return upper ? absl::AsciiStrToUpper(hex) : hex;
  }
  return FormatError(absl::StrCat("integer or string expected for this verb, got ", v.TypeNameOf()));
}

absl::StatusOr<std::string> Floating(const Value& v, char verb, int precision) {
  double d = 0;
  if (v.is(K::kDouble)) {
    d = v.double_value();
  } else if (v.is(K::kInt)) {
    d = static_cast<double>(v.int_value());
  } else if (v.is(K::kUint)) {
    d = static_cast<double>(v.uint_value());
  } else {
    return FormatError(absl::StrCat("number expected for this verb, got ", v.TypeNameOf()));
  }
  if (std::isnan(d)) return std::string("NaN");
  if (std::isinf(d)) return std::string(d > 0 ? "Infinity" : "-Infinity");
  return verb == 'f' ? absl::StrFormat("%.*f", precision, d) : absl::StrFormat("%.*e", precision, d);
}

absl::StatusOr<Value> Format(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString) || !a[1].is(K::kList)) return NoSuchOverload("format", a);
  const std::string& pattern = a[0].string_value();
  const List& args = a[1].list_value();
  std::string out;
  size_t next = 0;
  for (size_t i = 0; i < pattern.size(); ++i) {
    if (pattern[i] != '%') {
      out.push_back(pattern[i]);
      continue;
    }
    if (++i >= pattern.size()) return FormatError("unfinished format verb at the end of the string");
    if (pattern[i] == '%') {
      out.push_back('%');
      continue;
    }
    int precision = 6;
    if (pattern[i] == '.') {
      precision = 0;
      while (++i < pattern.size() && pattern[i] >= '0' && pattern[i] <= '9' && precision < 1000) {
        precision = precision * 10 + (pattern[i] - '0');
      }
      if (i >= pattern.size()) return FormatError("unfinished format verb at the end of the string");
    }
    if (next >= args.size()) return FormatError(absl::StrCat("index ", next, " out of range"));
    const Value& arg = args[next++];
    absl::StatusOr<std::string> text;
    switch (pattern[i]) {
      case 's': text = AsString(arg, false); break;
      case 'd':
        text = arg.is(K::kDouble) ? absl::StatusOr<std::string>(FormatError("integer expected for %d, got double"))
                                  : Integer(arg, 10, false);
        break;
      case 'f':
      case 'e': text = Floating(arg, pattern[i], precision); break;
      case 'x': text = Integer(arg, 16, false); break;
      case 'X': text = Integer(arg, 16, true); break;
      case 'o': text = Integer(arg, 8, false); break;
      case 'b': text = Integer(arg, 2, false); break;
      default: return FormatError(absl::StrCat("unrecognized formatting clause \"", std::string(1, pattern[i]), "\""));
    }
    if (!text.ok()) return text.status();
    out += *text;
  }
  if (absl::Status s = ctx.cost->Charge(TraversalCost(out.size())); !s.ok()) return s;
  return Value::String(std::move(out));
}

}  // namespace

void RegisterFormatFunctions(FunctionRegistry& r) { r.Add({"format", true, 1, 1, Format, Value::Kind::kString}); }

}  // namespace skiff::api::cel
