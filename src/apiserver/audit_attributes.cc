#include "apiserver/audit_attributes.h"

#include "absl/strings/ascii.h"
#include "apiserver/request_info.h"

namespace skiff::apiserver {

audit::UserInfo AuditUser(const User& user) {
  audit::UserInfo out;
  out.username = user.name;
  out.uid = user.uid;
  out.groups = user.groups;
  out.extra = user.extra;
  return out;
}

audit::Attributes AuditAttributes(const http::HttpRequest& req, const User* user) {
  RequestInfo info = ParseRequestInfo(req.method, req.path, ParseBool(req.Query("watch")));
  // Non-resource requests have the lower-cased HTTP method as their verb, as in Kubernetes.
  if (!info.is_resource) info.verb = absl::AsciiStrToLower(req.method);
  info.path = req.path;
  return AuditAttributes(info, user);
}

audit::Attributes AuditAttributes(const RequestInfo& info, const User* user) {
  audit::Attributes a;
  if (user) a.user = AuditUser(*user);
  a.is_resource = info.is_resource;
  a.verb = info.verb;
  a.api_group = info.group;
  a.api_version = info.version;
  a.namespace_name = info.namespace_name;
  a.resource = info.resource;
  a.subresource = info.subresource;
  a.name = info.name;
  // A namespace is in itself, as Kubernetes' RequestInfo has it.
  if (a.is_resource && a.api_group.empty() && a.resource == "namespaces" && a.namespace_name.empty())
    a.namespace_name = a.name;
  a.path = info.path;
  return a;
}

}  // namespace skiff::apiserver
