#include "base/json.h"

#include "absl/strings/str_cat.h"
#include "boost/json/stream_parser.hpp"
#include "boost/json/serialize.hpp"

namespace skiff::base {

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
  return p.release();
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
