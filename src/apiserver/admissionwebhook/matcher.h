// Which webhooks a request goes to, by their rules (kube-apiserver's admission rules matcher):
// operation (or *), API group, version (or *), resource with subresource ("pods", "pods/status",
// "pods/*", "*/status", "*" = every resource without subresource, "*/*" = everything) and scope
// (Cluster: cluster-scoped objects and Namespaces themselves; Namespaced: everything else).
// With matchPolicy Equivalent a webhook also gets requests for its resource in another served
// version of the same group, converted to the version its rule names.
// Thread-safety: pure functions. Failure: none; no match is nullptr.
#ifndef SKIFF_APISERVER_ADMISSIONWEBHOOK_MATCHER_H_
#define SKIFF_APISERVER_ADMISSIONWEBHOOK_MATCHER_H_

#include <string>

#include "api/resources.h"
#include "apiserver/admissionwebhook/webhook.h"

namespace skiff::apiserver::admissionwebhook {

struct RequestAttributes {
  std::string operation;  // CREATE, UPDATE, DELETE, CONNECT
  std::string subresource;
  std::string ns;  // "" for cluster-scoped objects
};

bool RuleMatches(const Rule& rule, const api::ResourceInfo& resource, const RequestAttributes& request);

// The resource (version) the webhook is to be called with: `resource` itself when a rule matches
// it, else (matchPolicy Equivalent) the first served version of the same group and resource that a
// rule matches; nullptr when the webhook does not match.
const api::ResourceInfo* MatchingResource(const Webhook& webhook, const api::ResourceInfo& resource,
                                          const RequestAttributes& request);

}  // namespace skiff::apiserver::admissionwebhook

#endif  // SKIFF_APISERVER_ADMISSIONWEBHOOK_MATCHER_H_
