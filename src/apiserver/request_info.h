// RequestInfo: what an HTTP request addresses in the Kubernetes URL space
// (/api/v1/namespaces/ns/pods/name/status, /apis/apps/v1/deployments, /version, ...).
// Thread-safety: a value type. Failure: Parse never fails; unknown shapes are non-resource paths.
#ifndef SKIFF_APISERVER_REQUEST_INFO_H_
#define SKIFF_APISERVER_REQUEST_INFO_H_

#include <string>

namespace skiff::apiserver {

struct RequestInfo {
  bool is_resource = false;
  std::string group;
  std::string version;
  std::string namespace_name;  // from the URL ("" when cluster-wide)
  std::string resource;        // plural
  std::string name;
  std::string subresource;
  // "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection".
  std::string verb;
};

// `method` is the HTTP method; `watch` tells whether the query asked for a watch.
RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch);

// Kubernetes query booleans: "true", "True", "1" (case-insensitive).
bool ParseBool(const std::string& value);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_REQUEST_INFO_H_
