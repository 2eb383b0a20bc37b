#include "apiserver/node_authorizer/node_restriction.h"

#include <optional>
#include <set>
#include <string_view>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/errors.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/resources.h"
#include "apiserver/auth.h"
#include "apiserver/node_authorizer/node_identity.h"
#include "apiserver/node_authorizer/pod_references.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::node_authorizer {
namespace {

namespace json = boost::json;

constexpr char kMirrorPodAnnotation[] = "kubernetes.io/config.mirror";
constexpr char kNodeLeaseNamespace[] = "kube-node-lease";

// admission.NewForbidden: `<resource> "<name>" is forbidden: <why>`.
absl::Status Forbidden(const AdmissionRequest& request, const std::string& why) {
  const api::ResourceInfo& r = *request.resource;
  std::string name(request.name);
  return api::ToStatus({403, "Forbidden",
                        absl::StrCat(r.QualifiedPlural(), " \"", name, "\" is forbidden: ", why), name,
                        r.group, r.plural});
}

std::string Quoted(absl::string_view s) { return absl::StrCat("\"", s, "\""); }

// The label's namespace ("kubernetes.io" of "kubernetes.io/os"; "" for an unprefixed key).
std::string_view LabelNamespace(std::string_view key) {
  auto slash = key.find('/');
  return slash == std::string_view::npos ? std::string_view() : key.substr(0, slash);
}

bool InDomain(std::string_view ns, std::string_view domain) {
  return ns == domain ||
         (ns.size() > domain.size() && ns.ends_with(domain) && ns[ns.size() - domain.size() - 1] == '.');
}

// Keys added, removed or changed between `old_labels` and `labels`.
std::set<std::string> ModifiedLabels(const json::value* labels, const json::value* old_labels) {
  std::set<std::string> out;
  auto as_object = [](const json::value* v) -> const json::object* {
    return v && v->is_object() ? &v->get_object() : nullptr;
  };
  const json::object* now = as_object(labels);
  const json::object* before = as_object(old_labels);
  if (now) {
    for (const auto& [k, v] : *now) {
      const json::value* was = before ? before->if_contains(k) : nullptr;
      if (!was || *was != v) out.emplace(k);
    }
  }
  if (before) {
    for (const auto& [k, v] : *before) {
      if (!now || !now->contains(k)) out.emplace(k);
    }
  }
  return out;
}

std::vector<std::string> ForbiddenLabels(const std::set<std::string>& keys) {
  std::vector<std::string> out;
  for (const auto& k : keys) {
    if (!NodeMaySetLabel(k)) out.push_back(k);
  }
  return out;
}

const json::value& OrNull(const json::value* v) {
  static const json::value kNull;
  return v ? *v : kNull;
}

}  // namespace

bool NodeMaySetLabel(const std::string& key) {
  std::string_view ns = LabelNamespace(key);
  if (InDomain(ns, "node-restriction.kubernetes.io")) return false;
  if (!InDomain(ns, "kubernetes.io") && !InDomain(ns, "k8s.io")) return true;
  static const std::set<std::string, std::less<>> kKubeletLabels = {
      "kubernetes.io/hostname",
      "topology.kubernetes.io/zone",
      "topology.kubernetes.io/region",
      "failure-domain.beta.kubernetes.io/zone",
      "failure-domain.beta.kubernetes.io/region",
      "beta.kubernetes.io/instance-type",
      "node.kubernetes.io/instance-type",
      "kubernetes.io/os",
      "kubernetes.io/arch",
      "beta.kubernetes.io/os",
      "beta.kubernetes.io/arch"};
  if (kKubeletLabels.contains(key)) return true;
  return InDomain(ns, "kubelet.kubernetes.io") || InDomain(ns, "node.kubernetes.io");
}

absl::Status NodeRestriction::Validate(const AdmissionRequest& request, const json::value* obj,
                                       const json::value* old) {
  if (!request.user) return absl::OkStatus();
  std::optional<std::string> node = NodeNameOf(*request.user);
  if (!node) return absl::OkStatus();
  if (node->empty()) {
    return Forbidden(request,
                     absl::StrCat("could not determine node from user ", Quoted(request.user->name)));
  }
  const api::ResourceInfo& r = *request.resource;
  if (r.group.empty() && r.plural == "pods") return AdmitPod(request, *node, obj, old);
  if (r.group.empty() && r.plural == "nodes") return AdmitNode(request, *node, obj, old);
  if (r.group == "coordination.k8s.io" && r.plural == "leases") return AdmitLease(request, *node, obj);
  if (r.group.empty() && r.plural == "persistentvolumes") return AdmitVolume(request, *node, obj, old);
  if (r.group.empty() && r.plural == "serviceaccounts" && request.subresource == "token" && obj) {
    return AdmitTokenRequest(request, *node, *obj);
  }
  return absl::OkStatus();
}

absl::Status NodeRestriction::AdmitVolume(const AdmissionRequest& request, const std::string& node,
                                          const json::value* obj, const json::value* old) const {
  std::string who = absl::StrCat("node ", Quoted(node));
  if (request.operation != AdmissionOperation::kUpdate || !request.subresource.empty() || !obj || !old) {
    return Forbidden(request, absl::StrCat(who, " can only remove its ", kLocalPathCleanupFinalizer,
                                           " finalizer from persistentvolumes"));
  }
  if (base::GetString(*old, {"metadata", "annotations", kLocalPathNodeAnnotation}) != node) {
    return Forbidden(request, absl::StrCat(who, " can only update persistentvolumes of its own local-path volumes"));
  }
  // Nothing but that one finalizer may change.
  auto strip = [](json::value v) {
    json::object& meta = base::EnsureObject(v, {"metadata"});
    json::array kept;
    if (const json::value* f = meta.if_contains("finalizers"); f && f->is_array()) {
      for (const json::value& name : f->get_array()) {
        if (!(name.is_string() && name.get_string() == kLocalPathCleanupFinalizer)) kept.push_back(name);
      }
    }
    meta["finalizers"] = std::move(kept);
    meta.erase("resourceVersion");
    meta.erase("managedFields");
    meta.erase("generation");
    return v;
  };
  if (!obj->is_object() || !old->is_object() || strip(*obj) != strip(*old)) {
    return Forbidden(request, absl::StrCat(who, " can only remove its ", kLocalPathCleanupFinalizer,
                                           " finalizer from persistentvolumes"));
  }
  return absl::OkStatus();
}

absl::Status NodeRestriction::AdmitPod(const AdmissionRequest& request, const std::string& node,
                                       const json::value* obj, const json::value* old) const {
  std::string who = absl::StrCat("node ", Quoted(node));
  switch (request.operation) {
    case AdmissionOperation::kCreate: {
      if (!request.subresource.empty() || !obj) return absl::OkStatus();
      if (!base::FindPath(*obj, {"metadata", "annotations", kMirrorPodAnnotation})) {
        return Forbidden(request, absl::StrCat("pod does not have \"", kMirrorPodAnnotation,
                                               "\" annotation, ", who, " can only create mirror pods"));
      }
      if (base::GetString(*obj, {"spec", "nodeName"}) != node) {
        return Forbidden(request,
                         absl::StrCat(who, " can only create pods with spec.nodeName set to itself"));
      }
      if (const json::array* owners = api::OwnerReferences(*obj); owners && !owners->empty()) {
        const json::value& owner = owners->front();
        if (owners->size() != 1 || base::GetString(owner, {"kind"}) != "Node" ||
            base::GetString(owner, {"apiVersion"}) != "v1" || base::GetString(owner, {"name"}) != node) {
          return Forbidden(
              request,
              absl::StrCat(who, " can only create pods with a single owner reference set to itself"));
        }
      }
      PodReferences refs = ReferencesOf(*obj);
      if (!refs.service_account.empty()) {
        return Forbidden(request, absl::StrCat(who, " can not create pods that reference a service account"));
      }
      if (!refs.secrets.empty())
        return Forbidden(request, absl::StrCat(who, " can not create pods that reference secrets"));
      if (!refs.config_maps.empty()) {
        return Forbidden(request, absl::StrCat(who, " can not create pods that reference configmaps"));
      }
      if (!refs.claims.empty()) {
        return Forbidden(request,
                         absl::StrCat(who, " can not create pods that reference persistentvolumeclaims"));
      }
      return absl::OkStatus();
    }
    case AdmissionOperation::kUpdate:
      if (request.subresource == "status") {
        if (!old || api::NodeName(*old) != node) {
          return Forbidden(
              request,
              absl::StrCat(who, " can only update pod status for pods with spec.nodeName set to itself"));
        }
        return absl::OkStatus();
      }
      return Forbidden(request, absl::StrCat("unexpected operation UPDATE, ", who,
                                             " can only create and delete mirror pods"));
    case AdmissionOperation::kDelete:
      // Also evictions, which delete the pod as the evicting user.
      if (!old || api::NodeName(*old) != node) {
        return Forbidden(request,
                         absl::StrCat(who, " can only delete pods with spec.nodeName set to itself"));
      }
      return absl::OkStatus();
    case AdmissionOperation::kConnect:
      return absl::OkStatus();  // not sent to this plug-in
  }
  return absl::OkStatus();
}

absl::Status NodeRestriction::AdmitNode(const AdmissionRequest& request, const std::string& node,
                                        const json::value* obj, const json::value* old) const {
  std::string who = absl::StrCat("node ", Quoted(node));
  if (request.name != node) {
    return Forbidden(request, absl::StrCat(who, " is not allowed to modify node ", Quoted(request.name)));
  }
  if (request.operation == AdmissionOperation::kCreate && obj) {
    // Nodes are only given access to what their own Node lists, so a config source would widen it.
    if (const auto* source = base::FindPath(*obj, {"spec", "configSource"}); source && !source->is_null()) {
      return Forbidden(request,
                       absl::StrCat(who, " is not allowed to create pods with a non-nil configSource"));
    }
    auto forbidden = ForbiddenLabels(ModifiedLabels(base::FindPath(*obj, {"metadata", "labels"}), nullptr));
    if (!forbidden.empty()) {
      return Forbidden(
          request,
          absl::StrCat(who, " is not allowed to set the following labels: ", absl::StrJoin(forbidden, ", ")));
    }
  }
  if (request.operation == AdmissionOperation::kUpdate && obj && old) {
    if (OrNull(base::FindPath(*obj, {"spec", "configSource"})) !=
        OrNull(base::FindPath(*old, {"spec", "configSource"}))) {
      return Forbidden(request, absl::StrCat(who, " is not allowed to update configSource"));
    }
    // Its own taints would let a node steer workloads it may not run onto itself.
    const json::value& taints = OrNull(base::FindPath(*obj, {"spec", "taints"}));
    const json::value& old_taints = OrNull(base::FindPath(*old, {"spec", "taints"}));
    auto empty = [](const json::value& v) { return v.is_null() || (v.is_array() && v.get_array().empty()); };
    if (taints != old_taints && !(empty(taints) && empty(old_taints))) {
      return Forbidden(request, absl::StrCat(who, " is not allowed to modify taints"));
    }
    auto forbidden = ForbiddenLabels(ModifiedLabels(base::FindPath(*obj, {"metadata", "labels"}),
                                                    base::FindPath(*old, {"metadata", "labels"})));
    if (!forbidden.empty()) {
      return Forbidden(request,
                       absl::StrCat("is not allowed to modify labels: ", absl::StrJoin(forbidden, ", ")));
    }
  }
  return absl::OkStatus();
}

absl::Status NodeRestriction::AdmitLease(const AdmissionRequest& request, const std::string& node,
                                         const json::value* obj) const {
  if (request.ns != kNodeLeaseNamespace) {
    return Forbidden(request, absl::StrCat("can only access leases in the ", Quoted(kNodeLeaseNamespace),
                                           " system namespace"));
  }
  std::string name = obj ? base::GetString(*obj, {"metadata", "name"}) : std::string(request.name);
  if (name != node)
    return Forbidden(request, "can only access node lease with the same name as the requesting node");
  return absl::OkStatus();
}

absl::Status NodeRestriction::AdmitTokenRequest(const AdmissionRequest& request, const std::string& node,
                                                const json::value& token_request) const {
  const json::value* ref = base::FindPath(token_request, {"spec", "boundObjectRef"});
  if (!ref || !ref->is_object()) return Forbidden(request, "node requested token not bound to a pod");
  if (base::GetString(*ref, {"kind"}) != "Pod")
    return Forbidden(request, "node requested token bound to a non-pod object");
  std::string pod_name = base::GetString(*ref, {"name"});
  std::string uid = base::GetString(*ref, {"uid"});
  if (uid.empty()) return Forbidden(request, "node requested token with a pod binding without a uid");
  std::string_view ns(request.ns.data(), request.ns.size());
  std::optional<json::value> pod = sources_ ? sources_->Get("", "pods", ns, pod_name) : std::nullopt;
  if (!pod) return Forbidden(request, absl::StrCat("pod ", Quoted(pod_name), " not found"));
  const json::value& live = *pod;
  if (api::NodeName(live) != node) {
    return Forbidden(request, "node requested token bound to a pod scheduled on a different node");
  }
  if (api::Uid(live) != uid) {
    return Forbidden(request, absl::StrCat("the UID in the bound object reference (", uid,
                                           ") does not match the UID in record. The object might have been "
                                           "deleted and then recreated"));
  }
  return absl::OkStatus();
}

}  // namespace skiff::apiserver::node_authorizer
