#include "apiserver/admissionwebhook/matcher.h"

#include <algorithm>

namespace skiff::apiserver::admissionwebhook {
namespace {

bool ListMatches(const std::vector<std::string>& list, const std::string& value) {
  return std::any_of(list.begin(), list.end(), [&](const std::string& v) { return v == "*" || v == value; });
}

bool ResourceMatches(const std::vector<std::string>& resources, const std::string& resource,
                     const std::string& subresource) {
  for (const auto& entry : resources) {
    size_t slash = entry.find('/');
    std::string res = entry.substr(0, slash);
    std::string sub = slash == std::string::npos ? "" : entry.substr(slash + 1);
    if ((res == "*" || res == resource) && (sub == "*" || sub == subresource)) return true;
  }
  return false;
}

bool ScopeMatches(const std::string& scope, const api::ResourceInfo& resource, const RequestAttributes& request) {
  bool is_namespace = resource.group.empty() && resource.plural == "namespaces";
  if (scope == "Cluster") return is_namespace || request.ns.empty();
  if (scope == "Namespaced") return !is_namespace && !request.ns.empty();
  return true;
}

}  // namespace

bool RuleMatches(const Rule& rule, const api::ResourceInfo& resource, const RequestAttributes& request) {
  return ListMatches(rule.operations, request.operation) && ListMatches(rule.api_groups, resource.group) &&
         ListMatches(rule.api_versions, resource.version) &&
         ResourceMatches(rule.resources, resource.plural, request.subresource) &&
         ScopeMatches(rule.scope, resource, request);
}

const api::ResourceInfo* MatchingResource(const Webhook& webhook, const api::ResourceInfo& resource,
                                          const RequestAttributes& request) {
  auto any_rule = [&](const api::ResourceInfo& r) {
    return std::any_of(webhook.rules.begin(), webhook.rules.end(),
                       [&](const Rule& rule) { return RuleMatches(rule, r, request); });
  };
  if (any_rule(resource)) return &resource;
  if (webhook.match_exact) return nullptr;
  for (const auto& other : api::AllResources()) {
    if (other.group == resource.group && other.plural == resource.plural && other.version != resource.version &&
        any_rule(other)) {
      return &other;
    }
  }
  return nullptr;
}

}  // namespace skiff::apiserver::admissionwebhook
