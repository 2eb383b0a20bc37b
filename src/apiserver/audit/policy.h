// The audit policy: which level and stages each request is recorded at, from an audit.k8s.io/v1
// Policy document (YAML or JSON, as kube-apiserver's --audit-policy-file). Rules are tried in
// order; the first that matches decides. A request no rule matches is not recorded (level None).
// Matching follows kube-apiserver's policy checker: users, userGroups (any of the user's groups),
// verbs, and then either resources (group + resources, with "*", "*/sub" and "res/*" forms, and
// resourceNames) and namespaces ("" = cluster-scoped), or nonResourceURLs (exact or "prefix*").
// Thread-safety: immutable after Parse; Evaluate is safe from any thread. Ownership: a value.
// Failure: Parse answers InvalidArgument naming the offending field (unknown level or stage, a
// rule about both resources and non-resource URLs, a policy without rules, malformed YAML).
#ifndef SKIFF_APISERVER_AUDIT_POLICY_H_
#define SKIFF_APISERVER_AUDIT_POLICY_H_

#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "apiserver/audit/event.h"

namespace skiff::apiserver::audit {

// What a policy looks at: the authenticated user and what the request addresses.
struct Attributes {
  UserInfo user;
  std::string verb;
  bool is_resource = false;
  std::string api_group;
  std::string api_version;
  std::string namespace_name;
  std::string resource;
  std::string subresource;
  std::string name;
  std::string path;  // of non-resource requests
};

struct RuleDecision {
  Level level = Level::kNone;
  std::set<Stage> omit_stages;
  bool omit_managed_fields = false;
};

struct GroupResources {
  std::string group;
  std::vector<std::string> resources;
  std::vector<std::string> resource_names;
};

struct PolicyRule {
  Level level = Level::kNone;
  std::vector<std::string> users;
  std::vector<std::string> user_groups;
  std::vector<std::string> verbs;
  std::vector<GroupResources> resources;
  std::vector<std::string> namespaces;
  std::vector<std::string> non_resource_urls;
  std::vector<Stage> omit_stages;
  std::optional<bool> omit_managed_fields;  // unset: the policy's
};

class Policy {
 public:
  // Metadata for every request at every stage (skiff's default when no policy file is given).
  static Policy MetadataForAll();
  // An audit.k8s.io/v1 Policy document.
  static absl::StatusOr<Policy> Parse(std::string_view text);
  static absl::StatusOr<Policy> Load(const std::string& path);

  RuleDecision Evaluate(const Attributes& attributes) const;

 private:
  std::vector<PolicyRule> rules_;
  std::vector<Stage> omit_stages_;
  bool omit_managed_fields_ = false;
};

}  // namespace skiff::apiserver::audit

#endif  // SKIFF_APISERVER_AUDIT_POLICY_H_
