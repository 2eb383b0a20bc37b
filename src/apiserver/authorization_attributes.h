// What authorizers read of a request and how they word a refusal: the rbac::Attributes a request
// is matched on, and the 403 kube-apiserver answers when a user may not make it. Header-only, so
// authorizers in libraries the API server links (node_authorizer) share the wording without
// linking the API server back.
// Thread-safety: pure functions. Ownership: values. Never fails (the Statuses are the answers).
#ifndef SKIFF_APISERVER_AUTHORIZATION_ATTRIBUTES_H_
#define SKIFF_APISERVER_AUTHORIZATION_ATTRIBUTES_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/auth.h"
#include "apiserver/rbac/policy_rule.h"
#include "apiserver/request_info.h"

namespace skiff::apiserver {

// What RBAC matches a request on (a namespace object's namespace is its own name, as Kubernetes'
// request info has it).
inline rbac::Attributes AttributesOf(const RequestInfo& request) {
  rbac::Attributes a;
  a.verb = request.verb;
  a.is_resource = request.is_resource;
  a.api_group = request.group;
  a.resource = request.resource;
  a.subresource = request.subresource;
  a.namespace_name = request.namespace_name;
  a.name = request.name;
  a.path = request.path;
  if (a.is_resource && a.api_group.empty() && a.resource == "namespaces" && a.namespace_name.empty()) {
    a.namespace_name = a.name;
  }
  return a;
}

// 403 Forbidden: `<resource>[.<group>] ["<name>"] is forbidden: <why>`, or `forbidden: <why>`
// without a resource (non-resource paths).
inline absl::Status ResourceForbidden(const std::string& resource, const std::string& group,
                                      const std::string& name, const std::string& why) {
  std::string message;
  std::string qualified = group.empty() ? resource : absl::StrCat(resource, ".", group);
  if (resource.empty()) {
    message = absl::StrCat("forbidden: ", why);
  } else if (name.empty()) {
    message = absl::StrCat(qualified, " is forbidden: ", why);
  } else {
    message = absl::StrCat(qualified, " \"", name, "\" is forbidden: ", why);
  }
  return api::ToStatus({.code = 403,
                        .reason = "Forbidden",
                        .message = message,
                        .name = name,
                        .group = group,
                        .kind = resource});
}

// The 403 kube-apiserver answers when `user` may not make `request`:
// `pods is forbidden: User "x" cannot list resource "pods" in API group "" in the namespace "y"`,
// followed by ": <why_not>" when an authorizer gave a reason.
inline absl::Status ForbiddenStatus(const User& user, const RequestInfo& request,
                                    std::string_view why_not = "") {
  rbac::Attributes a = AttributesOf(request);
  if (!a.is_resource) {
    return ResourceForbidden(
        "", "", "", absl::StrCat("User \"", user.name, "\" cannot ", a.verb, " path \"", a.path, "\""));
  }
  std::string resource = a.subresource.empty() ? a.resource : absl::StrCat(a.resource, "/", a.subresource);
  std::string why = absl::StrCat("User \"", user.name, "\" cannot ", a.verb, " resource \"", resource,
                                 "\" in API group \"", a.api_group, "\"");
  if (!a.namespace_name.empty()) {
    absl::StrAppend(&why, " in the namespace \"", a.namespace_name, "\"");
  } else {
    absl::StrAppend(&why, " at the cluster scope");
  }
  if (!why_not.empty()) absl::StrAppend(&why, ": ", std::string(why_not));
  return ResourceForbidden(a.resource, a.api_group, a.name, why);
}

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_AUTHORIZATION_ATTRIBUTES_H_
