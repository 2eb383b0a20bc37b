#include "apiserver/node_authorizer/node_authorizer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "api/field_selector.h"
#include "apiserver/authorization_attributes.h"
#include "apiserver/node_authorizer/node_identity.h"
#include "apiserver/rbac/bootstrap_policy.h"
#include "base/json.h"
#include "base/revision_waiter.h"
#include "boost/json.hpp"

namespace skiff::apiserver::node_authorizer {
namespace {

constexpr char kNodeLeaseNamespace[] = "kube-node-lease";
constexpr absl::Duration kSyncWait = absl::Seconds(1);

std::vector<rbac::PolicyRule> NodeRoleRules() {
  for (const auto& role : rbac::BootstrapClusterRoles()) {
    if (base::GetString(role, {"metadata", "name"}) == "system:node") {
      return rbac::ParseRules(base::FindPath(role, {"rules"}));
    }
  }
  return {};
}

// The value an `=`/`==` term of the request's field selector requires of `field`, or "".
std::string SelectedValue(const RequestInfo& request, std::string_view field) {
  if (request.field_selector.empty()) return "";
  auto selector = api::FieldSelector::Parse(request.field_selector);
  if (!selector.ok()) return "";
  return selector->RequiresExactMatch(field).value_or("");
}

// The object a request names: its URL's name, or for list/watch a `metadata.name=` field
// selector's (as Kubernetes' request info takes it).
std::string RequestedName(const RequestInfo& request) {
  if (!request.name.empty()) return request.name;
  if (request.verb == "list" || request.verb == "watch") return SelectedValue(request, "metadata.name");
  return "";
}

NodeDecision Allow() { return {.allowed = true, .reason = ""}; }
NodeDecision NoOpinion(std::string reason = "") { return {.allowed = false, .reason = std::move(reason)}; }

}  // namespace

// Feeds pod or PersistentVolume events into the graph and records how far it got.
class NodeAuthorizer::Listener : public Watcher {
 public:
  Listener(std::shared_ptr<NodeGraph> graph, bool pods) : graph_(std::move(graph)), pods_(pods) {}

  void Upsert(const boost::json::value& object) override {
    if (pods_) {
      graph_->UpsertPod(object);
    } else {
      graph_->UpsertVolume(object);
    }
  }
  void Remove(std::string_view ns, std::string_view name) override {
    if (pods_) {
      graph_->RemovePod(ns, name);
    } else {
      graph_->RemoveVolume(name);
    }
  }
  void Progress(int64_t revision) override { seen_.Advance(revision); }
  bool WaitFor(int64_t revision, absl::Time deadline) { return seen_.WaitFor(revision, deadline); }

 private:
  std::shared_ptr<NodeGraph> graph_;
  bool pods_;
  base::RevisionWaiter seen_;
};

NodeAuthorizer::NodeAuthorizer(Sources* sources) : sources_(sources), node_rules_(NodeRoleRules()) {}

NodeAuthorizer::~NodeAuthorizer() { Stop(); }

absl::Status NodeAuthorizer::Start() {
  if (!sources_) return absl::OkStatus();
  for (bool pods : {true, false}) {
    auto listener = std::make_shared<Listener>(graph_, pods);
    auto subscription = sources_->Watch("", pods ? "pods" : "persistentvolumes", listener);
    if (!subscription.ok()) return subscription.status();
    watches_.emplace_back(std::move(listener), std::move(*subscription));
  }
  return absl::OkStatus();
}

void NodeAuthorizer::Stop() { watches_.clear(); }

void NodeAuthorizer::WaitForSync(absl::Duration timeout) const {
  absl::Time deadline = absl::Now() + timeout;
  for (const auto& [listener, subscription] : watches_) {
    listener->WaitFor(subscription->Revision(), deadline);
  }
}

NodeDecision NodeAuthorizer::Decide(const User& user, const RequestInfo& request) const {
  std::optional<std::string> node = NodeNameOf(user);
  if (!node) return NoOpinion();
  if (node->empty()) return NoOpinion(absl::StrCat("unknown node for user \"", user.name, "\""));
  return DecideForNode(*node, request);
}

NodeDecision NodeAuthorizer::Reach(const std::string& node, ObjectType type, const RequestInfo& request,
                                   const std::string& name) const {
  if (name.empty()) return NoOpinion("No Object name found");
  std::string ns = type == ObjectType::kVolume ? "" : request.namespace_name;
  if (graph_->Reaches(node, type, ns, name)) return Allow();
  // The graph follows the cache asynchronously: a pod bound a moment ago may not be in yet.
  WaitForSync(kSyncWait);
  if (graph_->Reaches(node, type, ns, name)) return Allow();
  return NoOpinion(absl::StrCat("no relationship found between node '", node, "' and this object"));
}

NodeDecision NodeAuthorizer::DecideForNode(const std::string& node, const RequestInfo& request) const {
  const std::string& verb = request.verb;
  const std::string& sub = request.subresource;
  const std::string& resource = request.resource;
  std::string name = RequestedName(request);
  if (request.is_resource && request.group.empty()) {
    if (resource == "secrets" || resource == "configmaps") {
      if (verb != "get" && verb != "list" && verb != "watch")
        return NoOpinion("can only read resources of this type");
      if (!sub.empty()) return NoOpinion("cannot read subresource");
      if (request.namespace_name.empty()) return NoOpinion("can only read namespaced object of this type");
      return Reach(node, resource == "secrets" ? ObjectType::kSecret : ObjectType::kConfigMap, request, name);
    }
    if (resource == "persistentvolumeclaims" || resource == "persistentvolumes") {
      ObjectType type = resource == "persistentvolumes" ? ObjectType::kVolume : ObjectType::kClaim;
      if (type == ObjectType::kClaim && sub == "status") {
        if (verb != "update" && verb != "patch") return NoOpinion("can only get/update/patch this type");
        return Reach(node, type, request, name);
      }
      if (verb != "get") return NoOpinion("can only get individual resources of this type");
      if (!sub.empty()) return NoOpinion("cannot get subresource");
      return Reach(node, type, request, name);
    }
    if (resource == "serviceaccounts") {
      if (verb != "create" || name.empty())
        return NoOpinion("can only create tokens for individual service accounts");
      if (sub != "token") return NoOpinion("can only create token subresource of serviceaccount");
      return Reach(node, ObjectType::kServiceAccount, request, name);
    }
    if (resource == "nodes") {
      if (sub.empty() && (verb == "create" || verb == "update" || verb == "patch")) return Allow();
      if (sub.empty() && (verb == "get" || verb == "list" || verb == "watch")) {
        if (name == node) return Allow();
        if (name.empty())
          return NoOpinion(absl::StrCat("node '", node, "' cannot read all nodes, only its own Node object"));
        return NoOpinion(
            absl::StrCat("node '", node, "' cannot read '", name, "', only its own Node object"));
      }
      if (sub == "status" && (verb == "update" || verb == "patch")) return Allow();
      return NoOpinion();
    }
    if (resource == "pods") {
      if (sub.empty() && verb == "get") return Reach(node, ObjectType::kPod, request, name);
      if (sub.empty() && (verb == "list" || verb == "watch")) {
        if (SelectedValue(request, "spec.nodeName") == node) return Allow();
        if (!name.empty()) return Reach(node, ObjectType::kPod, request, name);
        return NoOpinion("can only list/watch pods with spec.nodeName field selector");
      }
      // Mirror pods, pod status and evictions: NodeRestriction admission narrows them to its own pods.
      if (sub.empty() && (verb == "create" || verb == "delete")) return Allow();
      if (sub == "status" && (verb == "update" || verb == "patch")) return Allow();
      if (sub == "eviction" && verb == "create") return Allow();
      return NoOpinion();
    }
  }
  if (request.is_resource && request.group == "coordination.k8s.io" && resource == "leases") {
    if (verb != "get" && verb != "create" && verb != "update" && verb != "patch" && verb != "delete") {
      return NoOpinion("can only get, create, update, patch, or delete a node lease");
    }
    if (request.namespace_name != kNodeLeaseNamespace) {
      return NoOpinion(
          absl::StrCat("can only access leases in the \"", kNodeLeaseNamespace, "\" system namespace"));
    }
    // The name of a created lease is not in the URL: NodeRestriction checks it.
    if (verb != "create" && name != node) {
      return NoOpinion("can only access node lease with the same name as the requesting node");
    }
    return Allow();
  }
  if (request.is_resource && request.group == "storage.k8s.io" && resource == "csinodes") {
    if (verb != "get" && verb != "create" && verb != "update" && verb != "patch" && verb != "delete") {
      return NoOpinion("can only get, create, update, patch, or delete a CSINode");
    }
    if (!sub.empty()) return NoOpinion("cannot authorize CSINode subresources");
    if (verb != "create" && name != node) {
      return NoOpinion("can only access CSINode with the same name as the requesting node");
    }
    return Allow();
  }
  // Resources the graph does not subdivide: the system:node role's rules.
  rbac::Attributes attributes = AttributesOf(request);
  for (const auto& rule : node_rules_) {
    if (rbac::RuleAllows(rule, attributes)) return Allow();
  }
  return NoOpinion();
}

absl::Status NodeAndRbacAuthorizer::Authorize(const User& user, const RequestInfo& request,
                                              std::string* reason) const {
  NodeDecision node = node_->Decide(user, request);
  if (node.allowed) {
    if (reason) *reason = "";
    return absl::OkStatus();
  }
  absl::Status next = next_->Authorize(user, request, reason);
  if (next.ok() || node.reason.empty() || !absl::IsPermissionDenied(next)) return next;
  return ForbiddenStatus(user, request, node.reason);
}

boost::json::object NodeAndRbacAuthorizer::RulesReview(const User& user,
                                                       const std::string& namespace_name) const {
  return next_->RulesReview(user, namespace_name);
}

}  // namespace skiff::apiserver::node_authorizer
