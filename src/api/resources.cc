#include "api/resources.h"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <tuple>

namespace skiff::api {
namespace {

const std::vector<std::string> kAllVerbs = {"create", "delete", "deletecollection", "get",
                                            "list",   "patch",  "update",           "watch"};
const std::vector<std::string> kStatusVerbs = {"get", "patch", "update"};

SubresourceInfo Status(const std::string& group, const std::string& version, const std::string& kind) {
  return {"status", {group, version, kind}, kStatusVerbs};
}
SubresourceInfo Scale() { return {"scale", {"autoscaling", "v1", "Scale"}, kStatusVerbs}; }

struct Builder {
  std::vector<ResourceInfo> out;
  std::string group, version;

  ResourceInfo& Add(std::string kind, std::string plural, std::string singular, bool namespaced,
                    std::vector<std::string> short_names = {}, std::vector<std::string> categories = {}) {
    ResourceInfo r;
    r.group = group;
    r.version = version;
    r.kind = std::move(kind);
    r.plural = std::move(plural);
    r.singular = std::move(singular);
    r.namespaced = namespaced;
    r.short_names = std::move(short_names);
    r.categories = std::move(categories);
    r.verbs = kAllVerbs;
    out.push_back(std::move(r));
    return out.back();
  }
  ResourceInfo& WithStatus(ResourceInfo& r) {
    r.has_status = true;
    r.subresources.push_back(Status(r.group, r.version, r.kind));
    return r;
  }
};

// returns_deleted_object is set exactly for the kinds whose Kubernetes 1.32 registry store sets
// ReturnDeletedObject (pkg/registry/.../storage): namespaces, persistentvolumeclaims,
// persistentvolumes, pods, podtemplates, resourcequotas, serviceaccounts, services, storageclasses.
std::vector<ResourceInfo> Build() {
  Builder b;
  b.group = "";
  b.version = "v1";
  b.Add("Binding", "bindings", "binding", true).verbs = {"create"};
  b.Add("ConfigMap", "configmaps", "configmap", true, {"cm"});
  b.Add("Endpoints", "endpoints", "endpoints", true, {"ep"});
  b.Add("Event", "events", "event", true, {"ev"});
  b.Add("LimitRange", "limitranges", "limitrange", true, {"limits"});
  {
    auto& ns = b.WithStatus(b.Add("Namespace", "namespaces", "namespace", false, {"ns"}));
    ns.returns_deleted_object = true;
    ns.verbs = {"create", "delete", "get", "list", "patch", "update", "watch"};
    ns.subresources.push_back({"finalize", {"", "v1", "Namespace"}, {"update"}});
  }
  b.WithStatus(b.Add("Node", "nodes", "node", false, {"no"}));
  b.WithStatus(b.Add("PersistentVolumeClaim", "persistentvolumeclaims", "persistentvolumeclaim", true, {"pvc"}))
      .returns_deleted_object = true;
  b.WithStatus(b.Add("PersistentVolume", "persistentvolumes", "persistentvolume", false, {"pv"}))
      .returns_deleted_object = true;
  {
    auto& pods = b.WithStatus(b.Add("Pod", "pods", "pod", true, {"po"}, {"all"}));
    pods.returns_deleted_object = true;
    pods.subresources.insert(pods.subresources.begin(),
                             {{"attach", {"", "v1", "PodAttachOptions"}, {"create", "get"}},
                              {"binding", {"", "v1", "Binding"}, {"create"}},
                              {"eviction", {"policy", "v1", "Eviction"}, {"create"}},
                              {"exec", {"", "v1", "PodExecOptions"}, {"create", "get"}},
                              {"log", {"", "v1", "Pod"}, {"get"}},
                              {"portforward", {"", "v1", "PodPortForwardOptions"}, {"create", "get"}}});
  }
  b.Add("PodTemplate", "podtemplates", "podtemplate", true).returns_deleted_object = true;
  {
    auto& rc = b.WithStatus(
        b.Add("ReplicationController", "replicationcontrollers", "replicationcontroller", true, {"rc"}, {"all"}));
    rc.subresources.push_back(Scale());
  }
  b.WithStatus(b.Add("ResourceQuota", "resourcequotas", "resourcequota", true, {"quota"})).returns_deleted_object = true;
  b.Add("Secret", "secrets", "secret", true);
  {
    auto& sa = b.Add("ServiceAccount", "serviceaccounts", "serviceaccount", true, {"sa"});
    sa.returns_deleted_object = true;
    sa.subresources.push_back({"token", {"authentication.k8s.io", "v1", "TokenRequest"}, {"create"}});
  }
  {
    auto& svc = b.WithStatus(b.Add("Service", "services", "service", true, {"svc"}, {"all"}));
    svc.verbs = {"create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"};
    svc.returns_deleted_object = true;
  }

  b.group = "admissionregistration.k8s.io";
  b.version = "v1";
  b.Add("MutatingWebhookConfiguration", "mutatingwebhookconfigurations", "mutatingwebhookconfiguration", false, {},
        {"api-extensions"});
  b.Add("ValidatingWebhookConfiguration", "validatingwebhookconfigurations", "validatingwebhookconfiguration", false,
        {}, {"api-extensions"});
  b.WithStatus(b.Add("ValidatingAdmissionPolicy", "validatingadmissionpolicies", "validatingadmissionpolicy", false, {},
                     {"api-extensions"}));
  b.Add("ValidatingAdmissionPolicyBinding", "validatingadmissionpolicybindings", "validatingadmissionpolicybinding",
        false, {}, {"api-extensions"});

  b.group = "apiregistration.k8s.io";
  b.version = "v1";
  b.WithStatus(b.Add("APIService", "apiservices", "apiservice", false, {}, {"api-extensions"}));

  b.group = "apiextensions.k8s.io";
  b.version = "v1";
  b.WithStatus(b.Add("CustomResourceDefinition", "customresourcedefinitions", "customresourcedefinition", false,
                     {"crd", "crds"}, {"api-extensions"}));

  b.group = "apps";
  b.version = "v1";
  b.Add("ControllerRevision", "controllerrevisions", "controllerrevision", true);
  b.WithStatus(b.Add("DaemonSet", "daemonsets", "daemonset", true, {"ds"}, {"all"}));
  b.WithStatus(b.Add("Deployment", "deployments", "deployment", true, {"deploy"}, {"all"})).subresources.push_back(Scale());
  b.WithStatus(b.Add("ReplicaSet", "replicasets", "replicaset", true, {"rs"}, {"all"})).subresources.push_back(Scale());
  b.WithStatus(b.Add("StatefulSet", "statefulsets", "statefulset", true, {"sts"}, {"all"})).subresources.push_back(Scale());

  b.group = "authentication.k8s.io";
  b.Add("SelfSubjectReview", "selfsubjectreviews", "selfsubjectreview", false).verbs = {"create"};
  b.out.back().stored = false;
  b.Add("TokenReview", "tokenreviews", "tokenreview", false).verbs = {"create"};
  b.out.back().stored = false;

  b.group = "authorization.k8s.io";
  b.Add("LocalSubjectAccessReview", "localsubjectaccessreviews", "localsubjectaccessreview", true).verbs = {"create"};
  b.out.back().stored = false;
  b.Add("SelfSubjectAccessReview", "selfsubjectaccessreviews", "selfsubjectaccessreview", false).verbs = {"create"};
  b.out.back().stored = false;
  b.Add("SelfSubjectRulesReview", "selfsubjectrulesreviews", "selfsubjectrulesreview", false).verbs = {"create"};
  b.out.back().stored = false;
  b.Add("SubjectAccessReview", "subjectaccessreviews", "subjectaccessreview", false).verbs = {"create"};
  b.out.back().stored = false;

  b.group = "autoscaling";
  b.version = "v2";
  b.WithStatus(b.Add("HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", true, {"hpa"}, {"all"}));
  b.version = "v1";
  b.WithStatus(b.Add("HorizontalPodAutoscaler", "horizontalpodautoscalers", "horizontalpodautoscaler", true, {"hpa"}, {"all"}));

  b.group = "batch";
  b.version = "v1";
  b.WithStatus(b.Add("CronJob", "cronjobs", "cronjob", true, {"cj"}, {"all"}));
  b.WithStatus(b.Add("Job", "jobs", "job", true, {}, {"all"}));

  b.group = "certificates.k8s.io";
  {
    auto& csr = b.WithStatus(b.Add("CertificateSigningRequest", "certificatesigningrequests",
                                   "certificatesigningrequest", false, {"csr"}));
    csr.subresources.push_back({"approval", {csr.group, csr.version, csr.kind}, kStatusVerbs});
  }

  b.group = "coordination.k8s.io";
  b.Add("Lease", "leases", "lease", true);

  b.group = "discovery.k8s.io";
  b.Add("EndpointSlice", "endpointslices", "endpointslice", true);

  b.group = "events.k8s.io";
  b.Add("Event", "events", "event", true, {"ev"});

  b.group = "networking.k8s.io";
  b.WithStatus(b.Add("Ingress", "ingresses", "ingress", true, {"ing"}));
  b.Add("IngressClass", "ingressclasses", "ingressclass", false);
  b.Add("NetworkPolicy", "networkpolicies", "networkpolicy", true, {"netpol"});

  b.group = "policy";
  b.WithStatus(b.Add("PodDisruptionBudget", "poddisruptionbudgets", "poddisruptionbudget", true, {"pdb"}));

  b.group = "rbac.authorization.k8s.io";
  b.Add("ClusterRoleBinding", "clusterrolebindings", "clusterrolebinding", false);
  b.Add("ClusterRole", "clusterroles", "clusterrole", false);
  b.Add("RoleBinding", "rolebindings", "rolebinding", true);
  b.Add("Role", "roles", "role", true);

  b.group = "scheduling.k8s.io";
  b.Add("PriorityClass", "priorityclasses", "priorityclass", false, {"pc"});

  b.group = "storage.k8s.io";
  b.Add("StorageClass", "storageclasses", "storageclass", false, {"sc"}).returns_deleted_object = true;

  return std::move(b.out);
}

std::vector<GroupVersions> BuildGroups(const std::vector<ResourceInfo>& all) {
  std::vector<GroupVersions> groups;
  for (const auto& r : all) {
    auto it = std::find_if(groups.begin(), groups.end(), [&](const GroupVersions& g) { return g.group == r.group; });
    if (it == groups.end()) {
      groups.push_back({r.group, {r.version}});
    } else if (std::find(it->versions.begin(), it->versions.end(), r.version) == it->versions.end()) {
      it->versions.push_back(r.version);
    }
  }
  return groups;
}

}  // namespace

const SubresourceInfo* ResourceInfo::FindSubresource(std::string_view name) const {
  for (const auto& s : subresources) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

bool ResourceInfo::HasVerb(std::string_view verb) const {
  return std::find(verbs.begin(), verbs.end(), verb) != verbs.end();
}

namespace {

struct Catalogue {
  std::vector<ResourceInfo> all;
  std::vector<GroupVersions> groups;
  uint64_t generation = 0;
};

std::atomic<const Catalogue*>& Current() {
  static std::atomic<const Catalogue*> current{[] {
    auto* c = new Catalogue;
    c->all = Build();
    c->groups = BuildGroups(c->all);
    return c;
  }()};
  return current;
}

const Catalogue& Snapshot() { return *Current().load(std::memory_order_acquire); }

bool SameCustom(const ResourceInfo& a, const ResourceInfo& b) {
  auto key = [](const ResourceInfo& r) {
    return std::tie(r.group, r.version, r.kind, r.plural, r.singular, r.namespaced, r.short_names, r.categories,
                    r.verbs, r.has_status);
  };
  if (key(a) != key(b) || a.subresources.size() != b.subresources.size()) return false;
  const CustomResourceInfo* x = a.custom.get();
  const CustomResourceInfo* y = b.custom.get();
  if (!x || !y) return x == y;
  auto columns = [](const PrinterColumn& c) {
    return std::tie(c.name, c.type, c.format, c.description, c.priority, c.json_path);
  };
  if (x->printer_columns.size() != y->printer_columns.size()) return false;
  for (size_t i = 0; i < x->printer_columns.size(); ++i) {
    if (columns(x->printer_columns[i]) != columns(y->printer_columns[i])) return false;
  }
  auto fields = [](const CustomResourceInfo& c) {
    return std::tie(c.crd_name, c.storage_version, c.list_kind, c.terminating, c.spec_replicas_path,
                    c.status_replicas_path, c.label_selector_path, c.conversion, c.schema);
  };
  return fields(*x) == fields(*y);
}

}  // namespace

const std::vector<ResourceInfo>& AllResources() { return Snapshot().all; }

const std::vector<GroupVersions>& AllGroups() { return Snapshot().groups; }

uint64_t ResourcesGeneration() { return Snapshot().generation; }

void SetCustomResources(std::vector<ResourceInfo> custom) {
  static std::mutex writers;
  std::lock_guard<std::mutex> lock(writers);
  const Catalogue& old = Snapshot();
  std::vector<ResourceInfo> builtins;
  std::vector<const ResourceInfo*> old_custom;
  for (const auto& r : old.all) {
    if (r.custom) {
      old_custom.push_back(&r);
    } else {
      builtins.push_back(r);
    }
  }
  if (old_custom.size() == custom.size() &&
      std::equal(custom.begin(), custom.end(), old_custom.begin(),
                 [](const ResourceInfo& a, const ResourceInfo* b) { return SameCustom(a, *b); })) {
    return;
  }
  auto* next = new Catalogue;  // never freed: readers may hold references into every snapshot
  next->all = std::move(builtins);
  for (auto& r : custom) next->all.push_back(std::move(r));
  next->groups = BuildGroups(next->all);
  next->generation = old.generation + 1;
  Current().store(next, std::memory_order_release);
}

const ResourceInfo* FindResource(std::string_view group, std::string_view version, std::string_view plural) {
  for (const auto& r : AllResources()) {
    if (r.group == group && r.version == version && r.plural == plural) return &r;
  }
  return nullptr;
}

const ResourceInfo* FindResourceByKind(std::string_view group, std::string_view version, std::string_view kind) {
  for (const auto& r : AllResources()) {
    if (r.group == group && r.version == version && r.kind == kind) return &r;
  }
  return nullptr;
}

const ResourceInfo* FindResourceByApiVersionKind(std::string_view api_version, std::string_view kind) {
  auto slash = api_version.find('/');
  if (slash == std::string_view::npos) return FindResourceByKind("", api_version, kind);
  return FindResourceByKind(api_version.substr(0, slash), api_version.substr(slash + 1), kind);
}

}  // namespace skiff::api
