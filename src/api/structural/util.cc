#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstdlib>

#include "api/go_format.h"
#include "api/schema_strings.h"
#include "api/structural/internal.h"
#include "boost/json/serialize.hpp"
#include "re2/re2.h"

namespace skiff::api::structural::internal {

using schema_internal::Cat;

std::string PathNode::String() const {
  // Collect the chain root-first.
  std::vector<const PathNode*> chain;
  for (const PathNode* n = this; n != nullptr; n = n->parent) chain.push_back(n);
  std::string out;
  for (auto it = chain.rbegin(); it != chain.rend(); ++it) {
    const PathNode& n = **it;
    switch (n.kind) {
      case Kind::kRoot:
        out.append(n.name);
        break;
      case Kind::kChild:
        if (!out.empty()) out.push_back('.');
        out.append(n.name);
        break;
      case Kind::kKey:
        out.push_back('[');
        out.append(n.name);
        out.push_back(']');
        break;
      case Kind::kIndex:
        out += Cat("[", n.index, "]");
        break;
    }
  }
  return out;
}

namespace {

// Shortest round-trip digits and decimal exponent of d (d finite, non-zero): d = 0.D * 10^(exp+1).
void ShortestDigits(double d, std::string* digits, int* exp10) {
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string_view s(buf, ec == std::errc() ? end - buf : 0);
  size_t e = s.find('e');
  digits->clear();
  for (char c : s.substr(0, e)) {
    if (c >= '0' && c <= '9') digits->push_back(c);
  }
  *exp10 = std::atoi(std::string(s.substr(e + 1)).c_str());
}

// Go's strconv formatting of the shortest digits: %e form when exp < low or exp >= high.
std::string FormatFloat(double d, int low, int high, bool min_two_exp_digits) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  if (d == 0) return std::signbit(d) ? "-0" : "0";
  std::string digits;
  int exp = 0;
  ShortestDigits(std::fabs(d), &digits, &exp);
  std::string out = d < 0 ? "-" : "";
  if (exp < low || exp >= high) {
    out += digits.substr(0, 1);
    if (digits.size() > 1) out += Cat(".", digits.substr(1));
    out += exp < 0 ? "e-" : "e+";
    int a = std::abs(exp);
    if (a < 10 && min_two_exp_digits) out += "0";
    out += std::to_string(a);
    return out;
  }
  if (exp < 0) {
    out += "0." + std::string(static_cast<size_t>(-exp - 1), '0') + digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out += digits + std::string(static_cast<size_t>(exp) + 1 - digits.size(), '0');
  } else {
    out += digits.substr(0, static_cast<size_t>(exp) + 1) + "." + digits.substr(static_cast<size_t>(exp) + 1);
  }
  return out;
}

}  // namespace

std::string GoFloat(double d) { return FormatFloat(d, -4, 21, true); }

bool IsGoInt(const boost::json::value& v) {
  return v.is_int64() || (v.is_uint64() && v.get_uint64() <= static_cast<uint64_t>(INT64_MAX));
}

double AsDouble(const boost::json::value& v) {
  if (v.is_int64()) return static_cast<double>(v.get_int64());
  if (v.is_uint64()) return static_cast<double>(v.get_uint64());
  if (v.is_double()) return v.get_double();
  return 0;
}

namespace {

void AppendGoJson(const boost::json::value& v, std::string* out) {
  switch (v.kind()) {
    case boost::json::kind::int64:
      *out += std::to_string(v.get_int64());
      return;
    case boost::json::kind::uint64:
      if (IsGoInt(v)) {
        *out += std::to_string(v.get_uint64());
      } else {
        *out += FormatFloat(AsDouble(v), -6, 21, false);
      }
      return;
    case boost::json::kind::double_:
      *out += FormatFloat(v.get_double(), -6, 21, false);
      return;
    case boost::json::kind::object: {
      // Go marshals maps with sorted keys.
      std::vector<const boost::json::key_value_pair*> kvs;
      for (const auto& kv : v.get_object()) kvs.push_back(&kv);
      std::sort(kvs.begin(), kvs.end(), [](auto* a, auto* b) { return a->key() < b->key(); });
      out->push_back('{');
      for (size_t i = 0; i < kvs.size(); ++i) {
        if (i) out->push_back(',');
        *out += boost::json::serialize(boost::json::value(kvs[i]->key()));
        out->push_back(':');
        AppendGoJson(kvs[i]->value(), out);
      }
      out->push_back('}');
      return;
    }
    case boost::json::kind::array: {
      out->push_back('[');
      const auto& a = v.get_array();
      for (size_t i = 0; i < a.size(); ++i) {
        if (i) out->push_back(',');
        AppendGoJson(a[i], out);
      }
      out->push_back(']');
      return;
    }
    default:
      *out += boost::json::serialize(v);
  }
}

}  // namespace

std::string GoJson(const boost::json::value& v) {
  std::string out;
  AppendGoJson(v, &out);
  return out;
}

std::string GoValue(const boost::json::value& v) {
  if (v.is_string()) return std::string(v.get_string());
  if (v.is_double() || (v.is_uint64() && !IsGoInt(v))) return GoFloat(AsDouble(v));
  if (v.is_null()) return "<nil>";
  return GoJson(v);
}

bool JsonEqual(const boost::json::value& a, const boost::json::value& b) {
  if (a.is_number() && b.is_number()) {
    if (IsGoInt(a) && IsGoInt(b)) return a.to_number<int64_t>() == b.to_number<int64_t>();
    return AsDouble(a) == AsDouble(b);
  }
  if (a.kind() != b.kind()) return false;
  if (a.is_object()) {
    const auto& x = a.get_object();
    const auto& y = b.get_object();
    if (x.size() != y.size()) return false;
    for (const auto& kv : x) {
      const boost::json::value* other = y.if_contains(kv.key());
      if (other == nullptr || !JsonEqual(kv.value(), *other)) return false;
    }
    return true;
  }
  if (a.is_array()) {
    const auto& x = a.get_array();
    const auto& y = b.get_array();
    if (x.size() != y.size()) return false;
    for (size_t i = 0; i < x.size(); ++i) {
      if (!JsonEqual(x[i], y[i])) return false;
    }
    return true;
  }
  return a == b;
}

FieldError MakeError(std::string_view type, std::string field, boost::json::value bad, std::string detail) {
  FieldError e;
  e.type = std::string(type);
  e.field = std::move(field);
  e.bad_value = std::move(bad);
  e.detail = std::move(detail);
  return e;
}

FieldError NotSupported(std::string field, boost::json::value bad, const std::vector<std::string>& valid) {
  std::string detail;
  if (!valid.empty()) {
    detail = "supported values: ";
    for (size_t i = 0; i < valid.size(); ++i) {
      if (i) detail += ", ";
      detail += GoQuote(valid[i]);
    }
  }
  return MakeError(kFieldValueNotSupported, std::move(field), std::move(bad), std::move(detail));
}

std::string RegexpError(const re2::RE2& re) {
  std::string_view what;
  switch (re.error_code()) {
    case re2::RE2::ErrorBadEscape:
      what = "invalid escape sequence";
      break;
    case re2::RE2::ErrorBadCharClass:
      what = "invalid character class";
      break;
    case re2::RE2::ErrorBadCharRange:
      what = "invalid character class range";
      break;
    case re2::RE2::ErrorMissingBracket:
      what = "missing closing ]";
      break;
    case re2::RE2::ErrorMissingParen:
      what = "missing closing )";
      break;
    case re2::RE2::ErrorUnexpectedParen:
      what = "unexpected )";
      break;
    case re2::RE2::ErrorTrailingBackslash:
      what = "trailing backslash at end of expression";
      break;
    case re2::RE2::ErrorRepeatArgument:
      what = "missing argument to repetition operator";
      break;
    case re2::RE2::ErrorRepeatSize:
      what = "invalid repeat count";
      break;
    case re2::RE2::ErrorRepeatOp:
      what = "invalid nested repetition operator";
      break;
    case re2::RE2::ErrorBadPerlOp:
      what = "invalid or unsupported Perl syntax";
      break;
    case re2::RE2::ErrorBadUTF8:
      what = "invalid UTF-8";
      break;
    case re2::RE2::ErrorBadNamedCapture:
      what = "invalid named capture";
      break;
    case re2::RE2::ErrorPatternTooLarge:
      what = "expression too large";
      break;
    default:
      return Cat("error parsing regexp: ", re.error());
  }
  return Cat("error parsing regexp: ", what, ": `", re.error_arg(), "`");
}

}  // namespace skiff::api::structural::internal
