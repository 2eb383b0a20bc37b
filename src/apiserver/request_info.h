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
  // "get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"; for a
  // non-resource request the lower-cased method ("get", "post", ...).
  std::string verb;
  std::string path;  // the request path (what non-resource authorization matches)
  // list/watch: the ?fieldSelector= text (the Node authorizer allows selectors scoped to the node).
  std::string field_selector;
};

// `method` is the HTTP method; `watch` tells whether the query asked for a watch.
RequestInfo ParseRequestInfo(const std::string& method, const std::string& path, bool watch);

// Kubernetes query booleans: "true", "True", "1" (case-insensitive).
bool ParseBool(const std::string& value);

// The field manager a write without ?fieldManager= is recorded under, derived from its User-Agent
// as kube-apiserver does: the part before the first '/', without non-printable characters, cut
// to at most 128 bytes ("kubectl/v1.32.4 (linux/amd64) kubernetes/4cb5f07" -> "kubectl",
// "OpenAPI-Generator/22.6.0/python" -> "OpenAPI-Generator"). Empty for an empty User-Agent.
std::string FieldManagerFromUserAgent(const std::string& user_agent);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_REQUEST_INFO_H_
