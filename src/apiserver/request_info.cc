#include "apiserver/request_info.h"

#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_split.h"

namespace skiff::apiserver {

bool ParseBool(const std::string& value) {
  std::string v = absl::AsciiStrToLower(value);
  return v == "true" || v == "1";
}

RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch) {
  RequestInfo info;
  std::vector<std::string> parts = absl::StrSplit(path, '/', absl::SkipEmpty());
  size_t i = 0;
  if (parts.size() >= 2 && parts[0] == "api") {
    info.version = parts[1];
    i = 2;
  } else if (parts.size() >= 3 && parts[0] == "apis") {
    info.group = parts[1];
    info.version = parts[2];
    i = 3;
  } else {
    return info;
  }
  // The legacy /watch/ prefix.
  if (i < parts.size() && parts[i] == "watch") {
    watch = true;
    ++i;
  }
  if (i >= parts.size()) return info;  // group-version discovery
  bool namespace_subresource =
      parts[i] == "namespaces" && parts.size() == i + 3 && (parts[i + 2] == "status" || parts[i + 2] == "finalize");
  if (parts[i] == "namespaces" && i + 2 < parts.size() && !namespace_subresource) {
    info.namespace_name = parts[i + 1];
    i += 2;
  }
  info.is_resource = true;
  info.resource = parts[i++];
  if (i < parts.size()) info.name = parts[i++];
  if (i < parts.size()) info.subresource = parts[i++];
  if (i < parts.size()) info.is_resource = false;  // too deep
  // A namespace object itself: /api/v1/namespaces/<name>[/status]
  bool collection = info.name.empty();
  if (method == "GET" || method == "HEAD") {
    info.verb = collection ? (watch ? "watch" : "list") : (watch ? "watch" : "get");
  } else if (method == "POST") {
    info.verb = "create";
  } else if (method == "PUT") {
    info.verb = "update";
  } else if (method == "PATCH") {
    info.verb = "patch";
  } else if (method == "DELETE") {
    info.verb = collection ? "deletecollection" : "delete";
  } else {
    info.verb = absl::AsciiStrToLower(method);
  }
  return info;
}

}  // namespace skiff::apiserver
