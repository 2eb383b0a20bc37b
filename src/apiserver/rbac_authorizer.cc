#include "apiserver/rbac_authorizer.h"

#include <algorithm>
#include <atomic>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/rbac/escalation.h"
#include "apiserver/rbac/impersonation.h"
#include "apiserver/rbac/policy_rule.h"
#include "base/json.h"
#include "base/revision_waiter.h"
#include "boost/json.hpp"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

constexpr char kRbacGroup[] = "rbac.authorization.k8s.io";
constexpr char kMasters[] = "system:masters";

struct Watched {
  const char* plural;
  rbac::Kind kind;
};
constexpr Watched kWatched[] = {{"roles", rbac::Kind::kRole},
                                {"clusterroles", rbac::Kind::kClusterRole},
                                {"rolebindings", rbac::Kind::kRoleBinding},
                                {"clusterrolebindings", rbac::Kind::kClusterRoleBinding}};

bool IsMaster(const User& user) {
  return std::find(user.groups.begin(), user.groups.end(), kMasters) != user.groups.end();
}

json::array StringArray(const std::vector<std::string>& values) {
  json::array out;
  for (const auto& v : values) out.emplace_back(v);
  return out;
}

}  // namespace

// Feeds one resource's events into the index and records how far it got.
class RbacAuthorizer::Listener : public WatchListener {
 public:
  Listener(rbac::RbacIndex* index, rbac::Kind kind, std::string prefix)
      : index_(index), kind_(kind), prefix_(std::move(prefix)) {}

  bool OnEvent(EventType type, const ObjectPtr& object) override {
    if (type == EventType::kDeleted) {
      index_->Remove(kind_, object->namespace_name, object->name);
    } else if (type == EventType::kAdded || type == EventType::kModified) {
      index_->Upsert(kind_, object->Parse());
    }
    return true;
  }
  void OnProgress(int64_t revision) override { seen_.Advance(revision); }
  // Waits until this listener has seen `revision`; false on timeout.
  bool WaitFor(int64_t revision, absl::Time deadline) { return seen_.WaitFor(revision, deadline); }
  const std::string& prefix() const { return prefix_; }

 private:
  rbac::RbacIndex* index_;
  rbac::Kind kind_;
  std::string prefix_;
  base::RevisionWaiter seen_;
};

RbacAuthorizer::RbacAuthorizer(WatchCache* cache) : cache_(cache) {}

RbacAuthorizer::~RbacAuthorizer() { Stop(); }

absl::Status RbacAuthorizer::Start() {
  for (const auto& w : kWatched) {
    std::string prefix = ResourcePrefix(kRbacGroup, w.plural);
    auto listener = std::make_shared<Listener>(&index_, w.kind, prefix);
    auto id = cache_->StartWatch(prefix, prefix, 0, nullptr, listener);
    if (!id.ok()) return id.status();
    watches_.emplace_back(std::move(listener), *id);
  }
  return absl::OkStatus();
}

void RbacAuthorizer::Stop() {
  for (const auto& [listener, id] : watches_) cache_->StopWatch(listener->prefix(), id);
  watches_.clear();
}

void RbacAuthorizer::WaitForSync(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  for (const auto& [listener, id] : watches_) {
    (void)id;
    listener->WaitFor(cache_->ResourceRevision(listener->prefix()), deadline);
  }
}

absl::Status RbacAuthorizer::Authorize(const User& user, const RequestInfo& request, std::string* reason) const {
  if (IsMaster(user)) return absl::OkStatus();
  rbac::Attributes attributes = AttributesOf(request);
  rbac::Subject subject{user.name, user.groups};
  if (index_.Allows(subject, attributes, reason)) return absl::OkStatus();
  // The index follows the cache asynchronously: a binding written a moment ago may not be in yet.
  WaitForSync();
  if (index_.Allows(subject, attributes, reason)) return absl::OkStatus();
  return ForbiddenStatus(user, request);
}

json::object RbacAuthorizer::RulesReview(const User& user, const std::string& namespace_name) const {
  json::array resource_rules;
  json::array non_resource_rules;
  if (IsMaster(user)) {
    resource_rules.push_back(
        json::object{{"verbs", json::array{"*"}}, {"apiGroups", json::array{"*"}}, {"resources", json::array{"*"}}});
    non_resource_rules.push_back(json::object{{"verbs", json::array{"*"}}, {"nonResourceURLs", json::array{"*"}}});
  }
  for (const auto& rule : index_.RulesFor(rbac::Subject{user.name, user.groups}, namespace_name)) {
    if (!rule.non_resource_urls.empty()) {
      non_resource_rules.push_back(
          json::object{{"verbs", StringArray(rule.verbs)}, {"nonResourceURLs", StringArray(rule.non_resource_urls)}});
      continue;
    }
    json::object r{{"verbs", StringArray(rule.verbs)}};
    if (!rule.api_groups.empty()) r["apiGroups"] = StringArray(rule.api_groups);
    if (!rule.resources.empty()) r["resources"] = StringArray(rule.resources);
    if (!rule.resource_names.empty()) r["resourceNames"] = StringArray(rule.resource_names);
    resource_rules.push_back(std::move(r));
  }
  return json::object{{"resourceRules", std::move(resource_rules)},
                      {"nonResourceRules", std::move(non_resource_rules)},
                      {"incomplete", false}};
}

namespace {

// Whether an update changes only what the garbage collector writes (ownerReferences, finalizers),
// which Kubernetes lets through without an escalation check.
bool OnlyGarbageCollectionFields(const json::value& obj, const json::value& old) {
  auto strip = [](json::value v) {
    if (auto* meta = v.is_object() ? v.as_object().if_contains("metadata") : nullptr; meta && meta->is_object()) {
      for (const char* field : {"ownerReferences", "finalizers", "resourceVersion", "managedFields", "generation"}) {
        meta->as_object().erase(field);
      }
    }
    return v;
  };
  return strip(obj) == strip(old);
}

}  // namespace

absl::Status RbacEscalationCheck::Validate(const AdmissionRequest& request, const json::value* new_obj,
                                           const json::value* old) {
  const api::ResourceInfo& resource = *request.resource;
  if (resource.group != kRbacGroup || !new_obj || !request.user || IsMaster(*request.user)) return absl::OkStatus();
  const User& user = *request.user;
  const json::value& obj = *new_obj;
  if (old && OnlyGarbageCollectionFields(obj, *old)) return absl::OkStatus();
  std::string ns = base::GetString(obj, {"metadata", "namespace"});
  std::string name = base::GetString(obj, {"metadata", "name"});
  rbac::Subject subject{user.name, user.groups};
  bool is_role = resource.plural == "roles" || resource.plural == "clusterroles";
  authorizer_->WaitForSync();
  if (is_role) {
    RequestInfo escalate{.is_resource = true, .group = kRbacGroup, .namespace_name = ns, .resource = resource.plural,
                         .name = name, .verb = "escalate"};
    if (authorizer_->Authorize(user, escalate).ok()) return absl::OkStatus();
    auto owner = authorizer_->index().RulesFor(subject, ns);
    auto missing = rbac::MissingRules(owner, rbac::ParseRules(base::FindPath(obj, {"rules"})));
    if (!missing.empty()) {
      return ResourceForbidden(resource.plural, kRbacGroup, name,
                               rbac::EscalationMessage(user.name, user.groups, missing));
    }
    // An aggregationRule can gather anything: it takes every permission.
    const json::value* aggregation = base::FindPath(obj, {"aggregationRule"});
    const json::value* old_aggregation = old ? base::FindPath(*old, {"aggregationRule"}) : nullptr;
    bool aggregation_set = aggregation && !aggregation->is_null();
    bool aggregation_changed = !old || !old_aggregation || !aggregation || *aggregation != *old_aggregation;
    if (aggregation_set && aggregation_changed) {
      rbac::PolicyRule all_resources{.verbs = {"*"}, .api_groups = {"*"}, .resources = {"*"}};
      rbac::PolicyRule all_urls{.verbs = {"*"}, .non_resource_urls = {"*"}};
      if (!rbac::MissingRules(owner, {all_resources, all_urls}).empty()) {
        return ResourceForbidden(resource.plural, kRbacGroup, name,
                                 "must have cluster-admin privileges to use the aggregationRule");
      }
    }
    return absl::OkStatus();
  }
  // Bindings: `bind` on the role, or hold everything it grants.
  bool to_cluster_role = base::GetString(obj, {"roleRef", "kind"}) == "ClusterRole";
  std::string role = base::GetString(obj, {"roleRef", "name"});
  RequestInfo bind{.is_resource = true, .group = kRbacGroup, .namespace_name = ns,
                   .resource = to_cluster_role ? "clusterroles" : "roles", .name = role, .verb = "bind"};
  if (authorizer_->Authorize(user, bind).ok()) return absl::OkStatus();
  std::vector<rbac::PolicyRule> granted;
  if (!authorizer_->index().RoleRules(to_cluster_role, ns, role, &granted)) {
    return api::NotFoundError(kRbacGroup, to_cluster_role ? "clusterroles" : "roles", role);
  }
  auto missing = rbac::MissingRules(authorizer_->index().RulesFor(subject, ns), granted);
  if (!missing.empty()) {
    return ResourceForbidden(resource.plural, kRbacGroup, name,
                             rbac::EscalationMessage(user.name, user.groups, missing));
  }
  return absl::OkStatus();
}

absl::StatusOr<User> Impersonate(const Authorizer& authorizer, const User& requester,
                                 const http::HttpRequest& request) {
  auto parsed = rbac::ParseImpersonation(request.headers);
  if (!parsed.ok()) return parsed.status();
  if (!parsed->has_value()) return requester;
  for (const auto& check : rbac::ImpersonationChecks(**parsed)) {
    RequestInfo info{.is_resource = true, .group = check.api_group, .namespace_name = check.namespace_name,
                     .resource = check.resource, .name = check.name, .subresource = check.subresource,
                     .verb = check.verb};
    if (auto s = authorizer.Authorize(requester, info); !s.ok()) return s;
  }
  rbac::Identity identity = rbac::ImpersonatedIdentity(**parsed);
  return User{identity.name, identity.uid, identity.groups, identity.extra};
}

}  // namespace skiff::apiserver
