// Helpers shared by the Pod Security checks (checks_*.cc only): null-tolerant field access on
// pod JSON, the container walk and Kubernetes' message pieces (joinQuote, pluralize).
// Thread-safety: pure functions. Never fails: missing, null or mistyped fields read as unset.
#ifndef SKIFF_APISERVER_PODSECURITY_CHECK_UTIL_H_
#define SKIFF_APISERVER_PODSECURITY_CHECK_UTIL_H_

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "boost/json/value.hpp"

namespace skiff::apiserver::podsecurity {

// The field `key` of object `v`; null when `v` is not an object or the field is absent or null.
const boost::json::value* Field(const boost::json::value* v, std::string_view key);
// The field as a bool / string / integer, nullopt when absent or of another type.
std::optional<bool> BoolField(const boost::json::value* v, std::string_view key);
std::optional<std::string> StringField(const boost::json::value* v, std::string_view key);
std::optional<int64_t> IntField(const boost::json::value* v, std::string_view key);
// The strings of a string array field (others skipped).
std::vector<std::string> StringsField(const boost::json::value* v, std::string_view key);

// Calls `visit` for the init containers, containers and ephemeral containers of `spec`, in that
// order (the order of Kubernetes' visitContainers).
void VisitContainers(const boost::json::value& spec,
                     const std::function<void(const boost::json::value&)>& visit);
std::string ContainerName(const boost::json::value& container);
// spec.os.name == "windows"
bool IsWindowsPod(const boost::json::value& spec);

// `"a", "b"` ("" for none).
std::string JoinQuote(const std::vector<std::string>& items);
const char* Pluralize(const char* singular, const char* plural, size_t count);
// `containers "a", "b"` / `container "a"`.
std::string ContainersPhrase(const std::vector<std::string>& names);

}  // namespace skiff::apiserver::podsecurity

#endif  // SKIFF_APISERVER_PODSECURITY_CHECK_UTIL_H_
