// Kubernetes' CEL string library (cel-go ext strings as kube enables it): charAt, indexOf,
// lastIndexOf, lowerAscii, upperAscii, replace, split, substring, trim, join, reverse,
// strings.quote. Indexes count code points, as CEL's size(string) does.
#include <algorithm>
#include <cstdint>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/cel/functions.h"
#include "api/go_format.h"

namespace skiff::api::cel {
namespace {

using K = Value::Kind;
using Args = std::vector<Value>;

absl::Status IndexOutOfRange(int64_t index) { return EvalError(absl::StrCat("index out of range: ", index)); }

// Position of `needle` in `hay` (code points) at or after `from`, or -1.
int64_t FindFrom(const std::vector<uint32_t>& hay, const std::vector<uint32_t>& needle, int64_t from) {
  for (int64_t i = from; i + static_cast<int64_t>(needle.size()) <= static_cast<int64_t>(hay.size()); ++i) {
    if (std::equal(needle.begin(), needle.end(), hay.begin() + i)) return i;
  }
  return -1;
}

absl::StatusOr<Value> CharAt(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString) || !a[1].is(K::kInt)) return NoSuchOverload("charAt", a);
  if (absl::Status s = ctx.cost->Charge(TraversalCost(a[0].string_value().size())); !s.ok()) return s;
  std::vector<uint32_t> cps = CodePoints(a[0].string_value());
  int64_t i = a[1].int_value();
  if (i < 0 || i > static_cast<int64_t>(cps.size())) return IndexOutOfRange(i);
  return Value::String(FromCodePoints(cps, i, i + 1));
}

absl::StatusOr<Value> IndexOf(const Args& a, CallContext& ctx) {
  if (a[0].is(K::kList)) return ListIndexOf(a, ctx, false);
  if (!a[0].is(K::kString) || !a[1].is(K::kString) || (a.size() == 3 && !a[2].is(K::kInt))) {
    return NoSuchOverload("indexOf", a);
  }
  if (absl::Status s = ctx.cost->Charge(TraversalCost(a[0].string_value().size())); !s.ok()) return s;
  std::vector<uint32_t> hay = CodePoints(a[0].string_value());
  std::vector<uint32_t> needle = CodePoints(a[1].string_value());
  int64_t from = a.size() == 3 ? a[2].int_value() : 0;
  if (from < 0 || from > static_cast<int64_t>(hay.size())) return IndexOutOfRange(from);
  return Value::Int(FindFrom(hay, needle, from));
}

absl::StatusOr<Value> LastIndexOf(const Args& a, CallContext& ctx) {
  if (a[0].is(K::kList)) return ListIndexOf(a, ctx, true);
  if (!a[0].is(K::kString) || !a[1].is(K::kString) || (a.size() == 3 && !a[2].is(K::kInt))) {
    return NoSuchOverload("lastIndexOf", a);
  }
  if (absl::Status s = ctx.cost->Charge(TraversalCost(a[0].string_value().size())); !s.ok()) return s;
  std::vector<uint32_t> hay = CodePoints(a[0].string_value());
  std::vector<uint32_t> needle = CodePoints(a[1].string_value());
  int64_t last = a.size() == 3 ? a[2].int_value() : static_cast<int64_t>(hay.size()) - 1;
  if (a.size() == 3 && (last < 0 || last >= static_cast<int64_t>(hay.size()))) return IndexOutOfRange(last);
  if (needle.empty()) return Value::Int(std::max<int64_t>(std::min<int64_t>(last, hay.size()), 0));
  for (int64_t i = std::min<int64_t>(last, hay.size() - needle.size()); i >= 0; --i) {
    if (std::equal(needle.begin(), needle.end(), hay.begin() + i)) return Value::Int(i);
  }
  return Value::Int(-1);
}

template <bool kUpper>
absl::StatusOr<Value> ChangeCase(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString)) return NoSuchOverload(kUpper ? "upperAscii" : "lowerAscii", a);
  if (absl::Status s = ctx.cost->Charge(TraversalCost(a[0].string_value().size())); !s.ok()) return s;
  return Value::String(kUpper ? absl::AsciiStrToUpper(a[0].string_value()) : absl::AsciiStrToLower(a[0].string_value()));
}

absl::StatusOr<Value> Replace(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString) || !a[1].is(K::kString) || !a[2].is(K::kString) || (a.size() == 4 && !a[3].is(K::kInt))) {
    return NoSuchOverload("replace", a);
  }
  const std::string& s = a[0].string_value();
  const std::string& from = a[1].string_value();
  const std::string& to = a[2].string_value();
  int64_t limit = a.size() == 4 ? a[3].int_value() : -1;
  if (absl::Status st = ctx.cost->Charge(TraversalCost(s.size()) + TraversalCost(to.size())); !st.ok()) return st;
  std::string out;
  size_t pos = 0;
  int64_t done = 0;
  // An empty `from` matches before every code point and at the end, as Go's strings.Replace.
  while (limit < 0 || done < limit) {
    size_t hit = s.find(from, pos);
    if (hit == std::string::npos || hit > s.size()) break;
    out.append(s, pos, hit - pos);
    out.append(to);
    ++done;
    if (from.empty()) {
      if (hit >= s.size()) {
        pos = s.size() + 1;
        break;
      }
      size_t len = 1;
      unsigned char c = s[hit];
      if (c >= 0xF0) len = 4; else if (c >= 0xE0) len = 3; else if (c >= 0xC0) len = 2;
      out.append(s, hit, len);
      pos = hit + len;
    } else {
      pos = hit + from.size();
    }
    if (absl::Status st = ctx.cost->Charge(TraversalCost(to.size())); !st.ok()) return st;
  }
  if (pos <= s.size()) out.append(s, pos, std::string::npos);
  return Value::String(std::move(out));
}

absl::StatusOr<Value> Split(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString) || !a[1].is(K::kString) || (a.size() == 3 && !a[2].is(K::kInt))) {
    return NoSuchOverload("split", a);
  }
  const std::string& s = a[0].string_value();
  const std::string& sep = a[1].string_value();
  int64_t limit = a.size() == 3 ? a[2].int_value() : -1;
  if (absl::Status st = ctx.cost->Charge(TraversalCost(s.size())); !st.ok()) return st;
  List out;
  if (limit == 0) return Value::ListOf(std::move(out));
  if (sep.empty()) {  // one element per code point (Go's strings.SplitN with an empty separator)
    std::vector<uint32_t> cps = CodePoints(s);
    for (size_t i = 0; i < cps.size(); ++i) {
      if (limit > 0 && static_cast<int64_t>(out.size()) == limit - 1) {
        out.push_back(Value::String(FromCodePoints(cps, i, cps.size())));
        break;
      }
      out.push_back(Value::String(FromCodePoints(cps, i, i + 1)));
    }
    return Value::ListOf(std::move(out));
  }
  size_t pos = 0;
  while (limit < 0 || static_cast<int64_t>(out.size()) < limit - 1) {
    size_t hit = s.find(sep, pos);
    if (hit == std::string::npos) break;
    out.push_back(Value::String(s.substr(pos, hit - pos)));
    pos = hit + sep.size();
  }
  out.push_back(Value::String(s.substr(pos)));
  return Value::ListOf(std::move(out));
}

absl::StatusOr<Value> Substring(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString) || !a[1].is(K::kInt) || (a.size() == 3 && !a[2].is(K::kInt))) {
    return NoSuchOverload("substring", a);
  }
  if (absl::Status s = ctx.cost->Charge(TraversalCost(a[0].string_value().size())); !s.ok()) return s;
  std::vector<uint32_t> cps = CodePoints(a[0].string_value());
  int64_t n = static_cast<int64_t>(cps.size());
  int64_t begin = a[1].int_value();
  int64_t end = a.size() == 3 ? a[2].int_value() : n;
  if (begin < 0 || begin > n) return IndexOutOfRange(begin);
  if (end < 0 || end > n) return IndexOutOfRange(end);
  if (begin > end) return EvalError(absl::StrCat("invalid substring range. start: ", begin, ", end: ", end));
  return Value::String(FromCodePoints(cps, begin, end));
}

bool IsUnicodeSpace(uint32_t c) {
  return c == ' ' || (c >= '\t' && c <= '\r') || c == 0x85 || c == 0xA0 || c == 0x1680 ||
         (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F || c == 0x205F || c == 0x3000;
}

absl::StatusOr<Value> Trim(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString)) return NoSuchOverload("trim", a);
  if (absl::Status s = ctx.cost->Charge(TraversalCost(a[0].string_value().size())); !s.ok()) return s;
  std::vector<uint32_t> cps = CodePoints(a[0].string_value());
  size_t begin = 0, end = cps.size();
  while (begin < end && IsUnicodeSpace(cps[begin])) ++begin;
  while (end > begin && IsUnicodeSpace(cps[end - 1])) --end;
  return Value::String(FromCodePoints(cps, begin, end));
}

absl::StatusOr<Value> Join(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kList) || (a.size() == 2 && !a[1].is(K::kString))) return NoSuchOverload("join", a);
  std::string sep = a.size() == 2 ? a[1].string_value() : "";
  std::string out;
  bool first = true;
  for (const Value& v : a[0].list_value()) {
    if (!v.is(K::kString)) return NoSuchOverload("join", a);
    if (!first) out += sep;
    out += v.string_value();
    first = false;
  }
  if (absl::Status s = ctx.cost->Charge(TraversalCost(out.size())); !s.ok()) return s;
  return Value::String(std::move(out));
}

absl::StatusOr<Value> Reverse(const Args& a, CallContext& ctx) {
  if (!a[0].is(K::kString)) return NoSuchOverload("reverse", a);
  if (absl::Status s = ctx.cost->Charge(TraversalCost(a[0].string_value().size())); !s.ok()) return s;
  std::vector<uint32_t> cps = CodePoints(a[0].string_value());
  std::reverse(cps.begin(), cps.end());
  return Value::String(FromCodePoints(cps, 0, cps.size()));
}

absl::StatusOr<Value> Quote(const Args& a, CallContext&) {
  if (!a[0].is(K::kString)) return NoSuchOverload("strings.quote", a);
  return Value::String(GoQuote(a[0].string_value()));
}

}  // namespace

void RegisterStringFunctions(FunctionRegistry& r) {
  r.Add({"charAt", true, 1, 1, CharAt});
  r.Add({"indexOf", true, 1, 2, IndexOf});
  r.Add({"lastIndexOf", true, 1, 2, LastIndexOf});
  r.Add({"lowerAscii", true, 0, 0, ChangeCase<false>});
  r.Add({"upperAscii", true, 0, 0, ChangeCase<true>});
  r.Add({"replace", true, 2, 3, Replace});
  r.Add({"split", true, 1, 2, Split});
  r.Add({"substring", true, 1, 2, Substring});
  r.Add({"trim", true, 0, 0, Trim});
  r.Add({"join", true, 0, 1, Join});
  r.Add({"reverse", true, 0, 0, Reverse});
  r.Add({"strings.quote", false, 1, 1, Quote});
}

}  // namespace skiff::api::cel
