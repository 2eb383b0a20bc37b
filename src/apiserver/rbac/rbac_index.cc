#include "apiserver/rbac/rbac_index.h"

#include <algorithm>
#include <mutex>

#include "absl/strings/str_cat.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::rbac {
namespace {

namespace json = boost::json;

std::string ObjectKeyOf(const std::string& ns, const std::string& name) { return absl::StrCat(ns, "/", name); }

std::string SubjectKey(std::string_view ns, char type, std::string_view name) {
  std::string key;
  key.reserve(ns.size() + name.size() + 3);
  key.append(ns);
  key += '\0';
  key += type;
  key += ':';
  key.append(name);
  return key;
}

}  // namespace

struct RbacIndex::Binding {
  std::string namespace_name;  // "" for a ClusterRoleBinding
  std::string name;
  bool to_cluster_role = true;
  std::string role_name;
  std::vector<std::string> subject_keys;
};

struct RbacIndex::SubjectEntry {
  std::shared_ptr<const Binding> binding;
  std::string description;  // `User "alice"`, for the allow reason
};

RbacIndex::RbacIndex() = default;
RbacIndex::~RbacIndex() = default;

void RbacIndex::Upsert(Kind kind, const json::value& object) {
  std::string ns = base::GetString(object, {"metadata", "namespace"});
  std::string name = base::GetString(object, {"metadata", "name"});
  if (kind == Kind::kRole || kind == Kind::kClusterRole) {
    auto rules = std::make_shared<const std::vector<PolicyRule>>(ParseRules(base::FindPath(object, {"rules"})));
    std::unique_lock lock(mu_);
    if (kind == Kind::kClusterRole) {
      cluster_roles_[name] = std::move(rules);
    } else {
      roles_[ObjectKeyOf(ns, name)] = std::move(rules);
    }
    return;
  }
  if (kind == Kind::kClusterRoleBinding) ns.clear();
  auto binding = std::make_shared<Binding>();
  binding->namespace_name = ns;
  binding->name = name;
  binding->to_cluster_role = base::GetString(object, {"roleRef", "kind"}) != "Role";
  binding->role_name = base::GetString(object, {"roleRef", "name"});
  std::vector<std::pair<std::string, std::string>> keyed;  // subject key, description; each key once
  auto add = [&](std::string key, std::string description) {
    for (const auto& [k, d] : keyed) {
      if (k == key) return;
    }
    binding->subject_keys.push_back(key);
    keyed.emplace_back(std::move(key), std::move(description));
  };
  if (const auto* subjects = base::FindPath(object, {"subjects"}); subjects && subjects->is_array()) {
    for (const auto& s : subjects->get_array()) {
      std::string subject_kind = base::GetString(s, {"kind"});
      std::string subject_name = base::GetString(s, {"name"});
      if (subject_name.empty()) continue;
      if (subject_kind == "User") {
        add(SubjectKey(ns, 'u', subject_name), absl::StrCat("User \"", subject_name, "\""));
      } else if (subject_kind == "Group") {
        add(SubjectKey(ns, 'g', subject_name), absl::StrCat("Group \"", subject_name, "\""));
      } else if (subject_kind == "ServiceAccount") {
        std::string sa_ns = base::GetString(s, {"namespace"});
        if (sa_ns.empty()) sa_ns = ns;
        if (sa_ns.empty()) continue;
        add(SubjectKey(ns, 'u', absl::StrCat("system:serviceaccount:", sa_ns, ":", subject_name)),
            absl::StrCat("ServiceAccount \"", subject_name, "/", sa_ns, "\""));
      }
    }
  }
  std::shared_ptr<const Binding> shared = std::move(binding);
  std::string key = ObjectKeyOf(ns, name);
  std::unique_lock lock(mu_);
  RemoveBindingLocked(key);
  bindings_[key] = shared;
  for (auto& [subject_key, description] : keyed) by_subject_[subject_key].push_back({shared, std::move(description)});
}

void RbacIndex::Remove(Kind kind, const std::string& namespace_name, const std::string& name) {
  std::unique_lock lock(mu_);
  switch (kind) {
    case Kind::kClusterRole:
      cluster_roles_.erase(name);
      return;
    case Kind::kRole:
      roles_.erase(ObjectKeyOf(namespace_name, name));
      return;
    case Kind::kClusterRoleBinding:
      RemoveBindingLocked(ObjectKeyOf("", name));
      return;
    case Kind::kRoleBinding:
      RemoveBindingLocked(ObjectKeyOf(namespace_name, name));
      return;
  }
}

void RbacIndex::RemoveBindingLocked(const std::string& key) {
  auto it = bindings_.find(key);
  if (it == bindings_.end()) return;
  const Binding* old = it->second.get();
  for (const auto& subject_key : old->subject_keys) {
    auto entries = by_subject_.find(subject_key);
    if (entries == by_subject_.end()) continue;
    auto& v = entries->second;
    v.erase(std::remove_if(v.begin(), v.end(), [old](const SubjectEntry& e) { return e.binding.get() == old; }),
            v.end());
    if (v.empty()) by_subject_.erase(entries);
  }
  bindings_.erase(it);
}

template <typename Visit>
void RbacIndex::VisitLocked(const Subject& subject, const std::string& namespace_name, Visit&& visit) const {
  auto visit_key = [&](const std::string& key) {
    auto it = by_subject_.find(key);
    if (it == by_subject_.end()) return true;
    for (const auto& entry : it->second) {
      const Binding& b = *entry.binding;
      const Rules* rules = nullptr;
      if (b.to_cluster_role) {
        auto role = cluster_roles_.find(b.role_name);
        if (role != cluster_roles_.end()) rules = &role->second;
      } else {
        auto role = roles_.find(ObjectKeyOf(b.namespace_name, b.role_name));
        if (role != roles_.end()) rules = &role->second;
      }
      if (rules && !visit(entry, **rules)) return false;
    }
    return true;
  };
  // Cluster-wide bindings first, then the namespace's.
  for (int scope = 0; scope < (namespace_name.empty() ? 1 : 2); ++scope) {
    std::string_view ns = scope == 0 ? std::string_view() : std::string_view(namespace_name);
    if (!visit_key(SubjectKey(ns, 'u', subject.name))) return;
    for (const auto& g : subject.groups) {
      if (!visit_key(SubjectKey(ns, 'g', g))) return;
    }
  }
}

bool RbacIndex::Allows(const Subject& subject, const Attributes& request, std::string* reason) const {
  std::shared_lock lock(mu_);
  bool allowed = false;
  // Non-resource URLs are cluster-scoped: only ClusterRoleBindings grant them.
  const std::string& ns = request.is_resource ? request.namespace_name : std::string();
  VisitLocked(subject, ns, [&](const SubjectEntry& entry, const std::vector<PolicyRule>& rules) {
    for (const auto& rule : rules) {
      if (!RuleAllows(rule, request)) continue;
      allowed = true;
      if (reason) {
        const Binding& b = *entry.binding;
        if (b.namespace_name.empty()) {
          *reason = absl::StrCat("RBAC: allowed by ClusterRoleBinding \"", b.name, "\" of ClusterRole \"",
                                 b.role_name, "\" to ", entry.description);
        } else {
          *reason = absl::StrCat("RBAC: allowed by RoleBinding \"", b.name, "/", b.namespace_name, "\" of ",
                                 b.to_cluster_role ? "ClusterRole" : "Role", " \"", b.role_name, "\" to ",
                                 entry.description);
        }
      }
      return false;
    }
    return true;
  });
  return allowed;
}

std::vector<PolicyRule> RbacIndex::RulesFor(const Subject& subject, const std::string& namespace_name) const {
  std::vector<PolicyRule> out;
  std::shared_lock lock(mu_);
  VisitLocked(subject, namespace_name, [&](const SubjectEntry&, const std::vector<PolicyRule>& rules) {
    out.insert(out.end(), rules.begin(), rules.end());
    return true;
  });
  return out;
}

bool RbacIndex::RoleRules(bool cluster_role, const std::string& namespace_name, const std::string& name,
                          std::vector<PolicyRule>* rules) const {
  std::shared_lock lock(mu_);
  const auto& map = cluster_role ? cluster_roles_ : roles_;
  auto it = map.find(cluster_role ? name : ObjectKeyOf(namespace_name, name));
  if (it == map.end()) return false;
  *rules = *it->second;
  return true;
}

size_t RbacIndex::RoleCount() const {
  std::shared_lock lock(mu_);
  return roles_.size() + cluster_roles_.size();
}

size_t RbacIndex::BindingCount() const {
  std::shared_lock lock(mu_);
  return bindings_.size();
}

}  // namespace skiff::apiserver::rbac
