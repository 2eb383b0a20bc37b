#include "base/json.h"

#include <cmath>

#include "absl/strings/str_cat.h"
#include "boost/json/stream_parser.hpp"
#include "boost/json/serialize.hpp"

namespace skiff::base {
namespace {

// Boost.JSON 1.81 turns a number whose exponent has three or more digits into a non-finite
// double: 1e400 -> inf, 0e400 -> NaN (0 times an infinite power of ten). Only such texts need
// FixNonFinite.
bool HasLongExponent(std::string_view text) {
  for (size_t i = text.find_first_of("eE"); i != std::string_view::npos; i = text.find_first_of("eE", i + 1)) {
    size_t j = i + 1;
    if (j < text.size() && (text[j] == '+' || text[j] == '-')) ++j;
    size_t digits = 0;
    while (j + digits < text.size() && text[j + digits] >= '0' && text[j + digits] <= '9') ++digits;
    if (digits >= 3 && i > 0 && ((text[i - 1] >= '0' && text[i - 1] <= '9') || text[i - 1] == '.')) return true;
  }
  return false;
}

// NaN can only be the zero Boost misread, so it becomes 0; infinities are numbers too large for a
// double, which Go's encoding/json (and so Kubernetes) rejects. Depth is bounded by the parser.
absl::Status FixNonFinite(boost::json::value& v) {
  if (v.is_double()) {
    double d = v.get_double();
    if (std::isnan(d)) v = 0.0;
    if (std::isinf(d)) return absl::InvalidArgumentError("invalid JSON: a number is too large for a 64-bit float");
  } else if (v.is_array()) {
    for (auto& e : v.get_array()) {
      if (auto s = FixNonFinite(e); !s.ok()) return s;
    }
  } else if (v.is_object()) {
    for (auto& kv : v.get_object()) {
      if (auto s = FixNonFinite(kv.value()); !s.ok()) return s;
    }
  }
  return absl::OkStatus();
}

}  // namespace

absl::StatusOr<boost::json::value> ParseJson(std::string_view text) {
  boost::json::parse_options opts;
  opts.max_depth = 256;
  boost::json::stream_parser p({}, opts);
  boost::system::error_code ec;
  size_t n = p.write(text.data(), text.size(), ec);
  if (!ec) {
    p.finish(ec);
    if (ec) n = text.size();
  }
  if (ec) {
    size_t line = 1, col = 1;
    for (size_t i = 0; i < n && i < text.size(); ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    return absl::InvalidArgumentError(
        absl::StrCat("invalid JSON at line ", line, ", column ", col, ": ", ec.message()));
  }
  boost::json::value v = p.release();
  if (HasLongExponent(text)) {
    if (auto s = FixNonFinite(v); !s.ok()) return s;
  }
  return v;
}

std::string ToJson(const boost::json::value& v) { return boost::json::serialize(v); }

const boost::json::value* Find(const boost::json::value& v, std::string_view key) {
  const auto* obj = v.if_object();
  if (!obj) return nullptr;
  return obj->if_contains(key);
}

const boost::json::value* FindPath(const boost::json::value& v, std::initializer_list<std::string_view> path) {
  const boost::json::value* cur = &v;
  for (auto key : path) {
    cur = Find(*cur, key);
    if (!cur) return nullptr;
  }
  return cur;
}

std::string GetString(const boost::json::value& v, std::initializer_list<std::string_view> path,
                      std::string_view fallback) {
  const auto* f = FindPath(v, path);
  if (f && f->is_string()) return std::string(f->get_string());
  return std::string(fallback);
}

int64_t GetInt(const boost::json::value& v, std::initializer_list<std::string_view> path, int64_t fallback) {
  const auto* f = FindPath(v, path);
  if (!f) return fallback;
  if (f->is_int64()) return f->get_int64();
  if (f->is_uint64()) return static_cast<int64_t>(f->get_uint64());
  if (f->is_double()) return static_cast<int64_t>(f->get_double());
  return fallback;
}

bool GetBool(const boost::json::value& v, std::initializer_list<std::string_view> path, bool fallback) {
  const auto* f = FindPath(v, path);
  if (f && f->is_bool()) return f->get_bool();
  return fallback;
}

boost::json::object& EnsureObject(boost::json::value& v, std::initializer_list<std::string_view> path) {
  if (!v.is_object()) v = boost::json::object();
  boost::json::value* cur = &v;
  for (auto key : path) {
    auto& obj = cur->as_object();
    auto& next = obj[key];
    if (!next.is_object()) next = boost::json::object();
    cur = &next;
  }
  return cur->as_object();
}

}  // namespace skiff::base
