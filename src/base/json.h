// JSON helpers over Boost.JSON, the object representation used throughout skiff.
// Thread-safety: pure functions. Ownership: values are returned by value.
// Failure: parse errors are InvalidArgument with the line and column of the fault.
#ifndef SKIFF_BASE_JSON_H_
#define SKIFF_BASE_JSON_H_

#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::base {

// Parses one JSON document; trailing garbage is an error. The message names the position,
// e.g. "invalid JSON at line 3, column 7: syntax error". Numbers too large for a double (1e400)
// are an error, as in Go; nesting deeper than 256 levels too.
absl::StatusOr<boost::json::value> ParseJson(std::string_view text);

// Compact serialization.
std::string ToJson(const boost::json::value& v);

// Field access that tolerates missing keys and wrong types (returns nullptr / defaults).
const boost::json::value* Find(const boost::json::value& v, std::string_view key);
const boost::json::value* FindPath(const boost::json::value& v, std::initializer_list<std::string_view> path);
std::string GetString(const boost::json::value& v, std::initializer_list<std::string_view> path,
                      std::string_view fallback = "");
int64_t GetInt(const boost::json::value& v, std::initializer_list<std::string_view> path, int64_t fallback = 0);
bool GetBool(const boost::json::value& v, std::initializer_list<std::string_view> path, bool fallback = false);

// Returns the object at `path`, creating empty objects along the way (replacing non-objects).
boost::json::object& EnsureObject(boost::json::value& v, std::initializer_list<std::string_view> path);

}  // namespace skiff::base

#endif  // SKIFF_BASE_JSON_H_
