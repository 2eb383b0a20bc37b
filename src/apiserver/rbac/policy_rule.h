// PolicyRule: one rule of a Role or ClusterRole (rbac.authorization.k8s.io/v1), parsed once, and
// the request attributes RBAC decides on. Matching follows Kubernetes' rbac/v1 evaluation exactly:
// "*" verbs/apiGroups/resources, "pods/log" subresources, "*/scale", resourceNames (a rule with
// names never matches an unnamed request such as list), and nonResourceURLs with a trailing "*".
// Thread-safety: value types and pure functions. Failure: ParseRules skips malformed entries
// (admission validated stored roles already); never throws.
#ifndef SKIFF_APISERVER_RBAC_POLICY_RULE_H_
#define SKIFF_APISERVER_RBAC_POLICY_RULE_H_

#include <string>
#include <string_view>
#include <vector>

#include "boost/json/value.hpp"

namespace skiff::apiserver::rbac {

struct PolicyRule {
  std::vector<std::string> verbs;
  std::vector<std::string> api_groups;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
  std::vector<std::string> non_resource_urls;

  bool operator==(const PolicyRule&) const = default;
  // Kubernetes' PolicyRule.CompactString: {APIGroups:["apps"], Resources:["deployments"], Verbs:["get"]}.
  std::string CompactString() const;
  boost::json::object ToJson() const;
};

// What a request asks for (authorizer.Attributes without the user).
struct Attributes {
  std::string verb;
  bool is_resource = true;
  std::string api_group;
  std::string resource;
  std::string subresource;
  std::string namespace_name;  // "" = cluster scope
  std::string name;
  std::string path;  // non-resource requests
};

// The `rules` array of a Role/ClusterRole (null or absent: no rules).
std::vector<PolicyRule> ParseRules(const boost::json::value* rules);
PolicyRule ParseRule(const boost::json::value& rule);

bool VerbMatches(const PolicyRule& rule, std::string_view verb);
bool ApiGroupMatches(const PolicyRule& rule, std::string_view group);
// `combined` is "resource" or "resource/subresource".
bool ResourceMatches(const PolicyRule& rule, std::string_view combined, std::string_view subresource);
bool ResourceNameMatches(const PolicyRule& rule, std::string_view name);
bool NonResourceUrlMatches(const PolicyRule& rule, std::string_view path);
// Whether `rule` allows the request.
bool RuleAllows(const PolicyRule& rule, const Attributes& request);

// Go's %q of a []string: ["a" "b"] (used in Kubernetes' messages).
std::string GoQuoteList(const std::vector<std::string>& values);

}  // namespace skiff::apiserver::rbac

#endif  // SKIFF_APISERVER_RBAC_POLICY_RULE_H_
