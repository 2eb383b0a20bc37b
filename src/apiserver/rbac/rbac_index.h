// RbacIndex: every Role, ClusterRole, RoleBinding and ClusterRoleBinding, held parsed and indexed
// by subject, so that an authorization decision is a handful of hash lookups and rule matches —
// no storage read, no JSON parse. Bindings are indexed under (namespace, subject) with namespace ""
// for ClusterRoleBindings; a ServiceAccount subject is indexed as its user name
// system:serviceaccount:<ns>:<name> (its namespace defaults to the binding's, as Kubernetes does).
// Roles are looked up by name at decision time, so a binding may precede its role.
// Thread-safety: all methods may be called concurrently (readers share a lock; updates take it
// alone). Ownership: holds copies of everything it is fed. Failure: malformed objects index as
// having no rules or subjects; never throws.
#ifndef SKIFF_APISERVER_RBAC_RBAC_INDEX_H_
#define SKIFF_APISERVER_RBAC_RBAC_INDEX_H_

#include <memory>
#include <shared_mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "apiserver/rbac/policy_rule.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::rbac {

enum class Kind { kRole, kClusterRole, kRoleBinding, kClusterRoleBinding };

// Who asks: the authenticated (or impersonated) user.
struct Subject {
  const std::string& name;
  const std::vector<std::string>& groups;
};

class RbacIndex {
 public:
  RbacIndex();
  ~RbacIndex();

  // Adds or replaces the object (a Role/ClusterRole/RoleBinding/ClusterRoleBinding as JSON).
  void Upsert(Kind kind, const boost::json::value& object);
  void Remove(Kind kind, const std::string& namespace_name, const std::string& name);

  // Whether some rule bound to `subject` allows `request`: rules of ClusterRoleBindings always,
  // rules of RoleBindings in request.namespace_name for namespaced requests. On allow, `reason`
  // (if set) gets Kubernetes' "RBAC: allowed by ..." text.
  bool Allows(const Subject& subject, const Attributes& request, std::string* reason = nullptr) const;
  // Every rule that applies to `subject` in `namespace_name` ("" = cluster bindings only), as
  // SelfSubjectRulesReview and escalation checks need them.
  std::vector<PolicyRule> RulesFor(const Subject& subject, const std::string& namespace_name) const;
  // The rules of a role reference; false when the role does not exist.
  bool RoleRules(bool cluster_role, const std::string& namespace_name, const std::string& name,
                 std::vector<PolicyRule>* rules) const;

  size_t RoleCount() const;
  size_t BindingCount() const;

 private:
  struct Binding;
  struct SubjectEntry;
  using Rules = std::shared_ptr<const std::vector<PolicyRule>>;
  // Calls visit(entry, rules) for each binding of `subject` in `namespace_name` whose role exists,
  // until it returns false. Caller holds mu_.
  template <typename Visit>
  void VisitLocked(const Subject& subject, const std::string& namespace_name, Visit&& visit) const;
  void RemoveBindingLocked(const std::string& key);

  mutable std::shared_mutex mu_;
  std::unordered_map<std::string, Rules> cluster_roles_;  // by name
  std::unordered_map<std::string, Rules> roles_;          // by "ns/name"
  std::unordered_map<std::string, std::shared_ptr<const Binding>> bindings_;  // by "ns/name" ("/name": cluster)
  // "ns\0u:name" / "ns\0g:name" -> bindings naming that subject (ns "" for ClusterRoleBindings).
  std::unordered_map<std::string, std::vector<SubjectEntry>> by_subject_;
};

}  // namespace skiff::apiserver::rbac

#endif  // SKIFF_APISERVER_RBAC_RBAC_INDEX_H_
