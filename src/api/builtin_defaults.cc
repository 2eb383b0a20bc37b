// Kubernetes' SetDefaults_* functions for the built-in kinds, keyed by schema type. Every rule
// only fills what is unset, so rules that the schema files also state as `default=` are harmless
// duplicates (kept here so defaulting does not depend on each schema file being complete).
#include <map>
#include <string>

#include "api/defaults.h"

namespace skiff::api {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;

bool Unset(const object& o, std::string_view key) {
  const value* v = o.if_contains(key);
  return v == nullptr || v->is_null() || (v->is_string() && v->get_string().empty());
}

void SetIfUnset(object& o, std::string_view key, value v) {
  if (Unset(o, key)) o[key] = std::move(v);
}

// Returns o[key] as an object, creating it if unset (never replaces a non-object value).
object* Child(object& o, std::string_view key, bool create = true) {
  value* v = o.if_contains(key);
  if (v == nullptr || v->is_null()) {
    if (!create) return nullptr;
    o[key] = object();
    v = o.if_contains(key);
  }
  return v->is_object() ? &v->get_object() : nullptr;
}

std::string_view Str(const object& o, std::string_view key) {
  const value* v = o.if_contains(key);
  return v && v->is_string() ? std::string_view(v->get_string()) : std::string_view();
}

template <typename Fn>
void ForEachObject(object& o, std::string_view key, Fn fn) {
  value* v = o.if_contains(key);
  if (v == nullptr || !v->is_array()) return;
  for (value& e : v->get_array()) {
    if (e.is_object()) fn(e.get_object());
  }
}

// --- core/v1 ---

void Container(object& c) {
  if (Unset(c, "imagePullPolicy")) c["imagePullPolicy"] = DefaultImagePullPolicy(Str(c, "image"));
  SetIfUnset(c, "terminationMessagePath", "/dev/termination-log");
  SetIfUnset(c, "terminationMessagePolicy", "File");
  Child(c, "resources");
}

void ContainerPort(object& p) { SetIfUnset(p, "protocol", "TCP"); }

void PodSpec(object& s) {
  SetIfUnset(s, "dnsPolicy", "ClusterFirst");
  SetIfUnset(s, "restartPolicy", "Always");
  SetIfUnset(s, "terminationGracePeriodSeconds", 30);
  SetIfUnset(s, "schedulerName", "default-scheduler");
  Child(s, "securityContext");
  if (const value* hn = s.if_contains("hostNetwork"); hn && hn->is_bool() && hn->get_bool()) {
    // With host networking, container ports are host ports.
    auto host_ports = [](object& c) {
      ForEachObject(c, "ports", [](object& p) {
        if (Unset(p, "hostPort") && p.contains("containerPort")) p["hostPort"] = p["containerPort"];
      });
    };
    ForEachObject(s, "containers", host_ports);
    ForEachObject(s, "initContainers", host_ports);
  }
}

void Pod(object& pod) {
  object* spec = Child(pod, "spec");
  if (spec == nullptr) return;
  SetIfUnset(*spec, "enableServiceLinks", true);
  // Set by the Priority admission plugin for pods without a priority class.
  if (Unset(*spec, "priorityClassName")) SetIfUnset(*spec, "priority", 0);
  SetIfUnset(*spec, "preemptionPolicy", "PreemptLowerPriority");
  // Requests default to limits for every resource with a limit and no request.
  auto requests_from_limits = [](object& c) {
    object* res = Child(c, "resources", false);
    if (res == nullptr) return;
    object* limits = Child(*res, "limits", false);
    if (limits == nullptr || limits->empty()) return;
    object* requests = Child(*res, "requests");
    if (requests == nullptr) return;
    for (auto& kv : *limits) {
      if (!requests->contains(kv.key())) (*requests)[kv.key()] = kv.value();
    }
  };
  ForEachObject(*spec, "containers", requests_from_limits);
  ForEachObject(*spec, "initContainers", requests_from_limits);
}

void Probe(object& p) {
  SetIfUnset(p, "timeoutSeconds", 1);
  SetIfUnset(p, "periodSeconds", 10);
  SetIfUnset(p, "successThreshold", 1);
  SetIfUnset(p, "failureThreshold", 3);
}

void HttpGetAction(object& a) {
  SetIfUnset(a, "path", "/");
  SetIfUnset(a, "scheme", "HTTP");
}

void Volume(object& v) {
  for (const auto& kv : v) {
    if (kv.key() != "name" && !kv.value().is_null()) return;  // has a source
  }
  v["emptyDir"] = object();
}

void DefaultMode420(object& o) { SetIfUnset(o, "defaultMode", 420); }

void ObjectFieldSelector(object& o) { SetIfUnset(o, "apiVersion", "v1"); }

void ServicePort(object& p) {
  SetIfUnset(p, "protocol", "TCP");
  const value* target = p.if_contains("targetPort");
  bool unset = target == nullptr || target->is_null() ||
               (target->is_string() && target->get_string().empty()) ||
               (target->is_int64() && target->get_int64() == 0);
  if (unset && p.contains("port")) p["targetPort"] = p["port"];
}

void Service(object& svc) {
  object* spec = Child(svc, "spec");
  if (spec == nullptr) return;
  SetIfUnset(*spec, "type", "ClusterIP");
  SetIfUnset(*spec, "sessionAffinity", "None");
  std::string type(Str(*spec, "type"));
  if (Str(*spec, "sessionAffinity") == "ClientIP") {
    if (object* cfg = Child(*spec, "sessionAffinityConfig")) {
      if (object* ip = Child(*cfg, "clientIP")) SetIfUnset(*ip, "timeoutSeconds", 10800);
    }
  }
  if (type == "NodePort" || type == "LoadBalancer") {
    SetIfUnset(*spec, "externalTrafficPolicy", "Cluster");
  }
  if (type == "LoadBalancer") SetIfUnset(*spec, "allocateLoadBalancerNodePorts", true);
  if (type != "ExternalName") {
    SetIfUnset(*spec, "internalTrafficPolicy", "Cluster");
    SetIfUnset(*spec, "ipFamilyPolicy", "SingleStack");
    const value* fams = spec->if_contains("ipFamilies");
    if (fams == nullptr || fams->is_null() || (fams->is_array() && fams->get_array().empty())) {
      (*spec)["ipFamilies"] = array{"IPv4"};
    }
  }
}

void Secret(object& s) { SetIfUnset(s, "type", "Opaque"); }

void Namespace(object& ns) {
  if (object* spec = Child(ns, "spec")) {
    const value* f = spec->if_contains("finalizers");
    if (f == nullptr || f->is_null()) (*spec)["finalizers"] = array{"kubernetes"};
  }
  if (object* status = Child(ns, "status")) SetIfUnset(*status, "phase", "Active");
}

void PersistentVolumeClaim(object& pvc) {
  if (object* spec = Child(pvc, "spec")) SetIfUnset(*spec, "volumeMode", "Filesystem");
  if (object* status = Child(pvc, "status")) SetIfUnset(*status, "phase", "Pending");
}

void PersistentVolume(object& pv) {
  if (object* spec = Child(pv, "spec")) {
    SetIfUnset(*spec, "persistentVolumeReclaimPolicy", "Retain");
    SetIfUnset(*spec, "volumeMode", "Filesystem");
  }
  if (object* status = Child(pv, "status")) SetIfUnset(*status, "phase", "Pending");
}

void NodeStatus(object& status) {
  const value* alloc = status.if_contains("allocatable");
  const value* cap = status.if_contains("capacity");
  if ((alloc == nullptr || alloc->is_null()) && cap != nullptr && cap->is_object()) {
    status["allocatable"] = *cap;
  }
}

void ProtocolTcp(object& p) { SetIfUnset(p, "protocol", "TCP"); }

// Copies template labels to an unset selector / object labels (ReplicationController only).
void ReplicationController(object& rc) {
  object* spec = Child(rc, "spec");
  if (spec == nullptr) return;
  SetIfUnset(*spec, "replicas", 1);
  object* tmpl = Child(*spec, "template", false);
  object* tmeta = tmpl ? Child(*tmpl, "metadata", false) : nullptr;
  const value* labels = tmeta ? tmeta->if_contains("labels") : nullptr;
  if (labels == nullptr || !labels->is_object() || labels->get_object().empty()) return;
  const value* sel = spec->if_contains("selector");
  if (sel == nullptr || sel->is_null() || (sel->is_object() && sel->get_object().empty())) {
    (*spec)["selector"] = *labels;
  }
  if (object* meta = Child(rc, "metadata")) {
    const value* own = meta->if_contains("labels");
    if (own == nullptr || own->is_null() || (own->is_object() && own->get_object().empty())) {
      (*meta)["labels"] = *labels;
    }
  }
}

// --- apps/v1 ---

void Deployment(object& d) {
  object* spec = Child(d, "spec");
  if (spec == nullptr) return;
  SetIfUnset(*spec, "replicas", 1);
  SetIfUnset(*spec, "revisionHistoryLimit", 10);
  SetIfUnset(*spec, "progressDeadlineSeconds", 600);
  object* strategy = Child(*spec, "strategy");
  if (strategy == nullptr) return;
  SetIfUnset(*strategy, "type", "RollingUpdate");
  if (Str(*strategy, "type") == "RollingUpdate") {
    if (object* ru = Child(*strategy, "rollingUpdate")) {
      SetIfUnset(*ru, "maxUnavailable", "25%");
      SetIfUnset(*ru, "maxSurge", "25%");
    }
  }
}

void ReplicaSet(object& rs) {
  if (object* spec = Child(rs, "spec")) SetIfUnset(*spec, "replicas", 1);
}

void StatefulSet(object& ss) {
  object* spec = Child(ss, "spec");
  if (spec == nullptr) return;
  SetIfUnset(*spec, "replicas", 1);
  SetIfUnset(*spec, "podManagementPolicy", "OrderedReady");
  SetIfUnset(*spec, "revisionHistoryLimit", 10);
  if (object* strategy = Child(*spec, "updateStrategy")) {
    SetIfUnset(*strategy, "type", "RollingUpdate");
    if (Str(*strategy, "type") == "RollingUpdate") {
      if (object* ru = Child(*strategy, "rollingUpdate")) SetIfUnset(*ru, "partition", 0);
    }
  }
  if (object* policy = Child(*spec, "persistentVolumeClaimRetentionPolicy")) {
    SetIfUnset(*policy, "whenDeleted", "Retain");
    SetIfUnset(*policy, "whenScaled", "Retain");
  }
}

void DaemonSet(object& ds) {
  object* spec = Child(ds, "spec");
  if (spec == nullptr) return;
  SetIfUnset(*spec, "revisionHistoryLimit", 10);
  if (object* strategy = Child(*spec, "updateStrategy")) {
    SetIfUnset(*strategy, "type", "RollingUpdate");
    if (Str(*strategy, "type") == "RollingUpdate") {
      if (object* ru = Child(*strategy, "rollingUpdate")) {
        SetIfUnset(*ru, "maxUnavailable", 1);
        SetIfUnset(*ru, "maxSurge", 0);
      }
    }
  }
}

// --- batch/v1 ---

void Job(object& job) {
  object* spec = Child(job, "spec");
  if (spec == nullptr) return;
  if (Unset(*spec, "completions") && Unset(*spec, "parallelism")) {
    (*spec)["completions"] = 1;
    (*spec)["parallelism"] = 1;
  }
  SetIfUnset(*spec, "parallelism", 1);
  if (Unset(*spec, "backoffLimit")) {
    (*spec)["backoffLimit"] = Unset(*spec, "backoffLimitPerIndex") ? 6 : 2147483647;
  }
  SetIfUnset(*spec, "completionMode", "NonIndexed");
  SetIfUnset(*spec, "suspend", false);
  SetIfUnset(*spec, "podReplacementPolicy",
             Unset(*spec, "podFailurePolicy") ? "TerminatingOrFailed" : "Failed");
}

void CronJob(object& cj) {
  object* spec = Child(cj, "spec");
  if (spec == nullptr) return;
  SetIfUnset(*spec, "concurrencyPolicy", "Allow");
  SetIfUnset(*spec, "suspend", false);
  SetIfUnset(*spec, "successfulJobsHistoryLimit", 3);
  SetIfUnset(*spec, "failedJobsHistoryLimit", 1);
}

// --- other groups ---

void HorizontalPodAutoscalerV2(object& hpa) {
  object* spec = Child(hpa, "spec");
  if (spec == nullptr) return;
  SetIfUnset(*spec, "minReplicas", 1);
  const value* metrics = spec->if_contains("metrics");
  if (metrics == nullptr || metrics->is_null() || (metrics->is_array() && metrics->get_array().empty())) {
    object target{{"type", "Utilization"}, {"averageUtilization", 80}};
    object resource{{"name", "cpu"}, {"target", target}};
    (*spec)["metrics"] = array{object{{"type", "Resource"}, {"resource", resource}}};
  }
  // A behavior given fills the rules left out (scale down keeps an unset window: the controller's
  // 300 s applies).
  if (object* behavior = Child(*spec, "behavior", /*create=*/false)) {
    auto rules = [&](const char* name, array policies, bool window) {
      object* rules_object = Child(*behavior, name);
      if (rules_object == nullptr) return;  // not an object: validation answers it
      object& o = *rules_object;
      const value* p = o.if_contains("policies");
      if (p == nullptr || p->is_null()) o["policies"] = std::move(policies);
      SetIfUnset(o, "selectPolicy", "Max");
      if (window) SetIfUnset(o, "stabilizationWindowSeconds", 0);
    };
    rules("scaleUp",
          array{object{{"type", "Pods"}, {"value", 4}, {"periodSeconds", 15}},
                object{{"type", "Percent"}, {"value", 100}, {"periodSeconds", 15}}},
          true);
    rules("scaleDown", array{object{{"type", "Percent"}, {"value", 100}, {"periodSeconds", 15}}}, false);
  }
}

void HorizontalPodAutoscalerV1(object& hpa) {
  if (object* spec = Child(hpa, "spec")) SetIfUnset(*spec, "minReplicas", 1);
}

void StorageClass(object& sc) {
  SetIfUnset(sc, "reclaimPolicy", "Delete");
  SetIfUnset(sc, "volumeBindingMode", "Immediate");
}

void RbacSubject(object& s) {
  std::string_view kind = Str(s, "kind");
  if (kind == "User" || kind == "Group") SetIfUnset(s, "apiGroup", "rbac.authorization.k8s.io");
}

// A Container item's default limit falls back to its max, its default request to the default
// limit and then to its min (SetDefaults_LimitRangeItem).
void LimitRangeItem(object& item) {
  if (Str(item, "type") != "Container") return;
  // Both keys exist before taking pointers: inserting into the object may move its entries.
  if (Child(item, "default") == nullptr || Child(item, "defaultRequest") == nullptr) return;
  object* defaults = Child(item, "default", false);
  object* default_requests = Child(item, "defaultRequest", false);
  auto fill = [&item](object& into, std::string_view from) {
    const value* source = item.if_contains(from);
    if (source == nullptr || !source->is_object()) return;
    for (const auto& kv : source->get_object()) {
      if (!into.contains(kv.key())) into[kv.key()] = kv.value();
    }
  };
  fill(*defaults, "max");
  fill(*default_requests, "default");
  fill(*default_requests, "min");
  for (std::string_view key : {"default", "defaultRequest"}) {  // omitempty, as Kubernetes prints them
    if (item.at(key).get_object().empty()) item.erase(key);
  }
}
void PriorityClass(object& pc) { SetIfUnset(pc, "preemptionPolicy", "PreemptLowerPriority"); }

// --- networking.k8s.io/v1 ---

// Every policy isolates ingress; one with egress rules also isolates egress. The pod selector is
// a Go value field: an absent one is the empty selector (all pods), and is written out.
void NetworkPolicy(object& np) {
  object* spec = Child(np, "spec");
  if (spec == nullptr) return;
  Child(*spec, "podSelector");
  const value* types = spec->if_contains("policyTypes");
  if (types != nullptr && !types->is_null() && !(types->is_array() && types->get_array().empty())) return;
  array defaulted{"Ingress"};
  const value* egress = spec->if_contains("egress");
  if (egress != nullptr && egress->is_array() && !egress->get_array().empty()) defaulted.push_back("Egress");
  (*spec)["policyTypes"] = std::move(defaulted);
}

// Scope is a Go pointer: only an absent (or null) scope is defaulted; "" is left for validation.
void IngressClassParameters(object& p) {
  const value* scope = p.if_contains("scope");
  if (scope == nullptr || scope->is_null()) p["scope"] = "Cluster";
}

const std::map<std::string, ConditionalDefaulter, std::less<>>& Table() {
  static const auto* table = new std::map<std::string, ConditionalDefaulter, std::less<>>{
      {"io.k8s.api.core.v1.Container", &Container},
      {"io.k8s.api.core.v1.EphemeralContainer", &Container},
      {"io.k8s.api.core.v1.ContainerPort", &ContainerPort},
      {"io.k8s.api.core.v1.PodSpec", &PodSpec},
      {"io.k8s.api.core.v1.Pod", &Pod},
      {"io.k8s.api.core.v1.Probe", &Probe},
      {"io.k8s.api.core.v1.HTTPGetAction", &HttpGetAction},
      {"io.k8s.api.core.v1.Volume", &Volume},
      {"io.k8s.api.core.v1.ConfigMapVolumeSource", &DefaultMode420},
      {"io.k8s.api.core.v1.SecretVolumeSource", &DefaultMode420},
      {"io.k8s.api.core.v1.ProjectedVolumeSource", &DefaultMode420},
      {"io.k8s.api.core.v1.DownwardAPIVolumeSource", &DefaultMode420},
      {"io.k8s.api.core.v1.ObjectFieldSelector", &ObjectFieldSelector},
      {"io.k8s.api.core.v1.ServicePort", &ServicePort},
      {"io.k8s.api.core.v1.Service", &Service},
      {"io.k8s.api.core.v1.Secret", &Secret},
      {"io.k8s.api.core.v1.Namespace", &Namespace},
      {"io.k8s.api.core.v1.PersistentVolumeClaim", &PersistentVolumeClaim},
      {"io.k8s.api.core.v1.PersistentVolume", &PersistentVolume},
      {"io.k8s.api.core.v1.NodeStatus", &NodeStatus},
      {"io.k8s.api.core.v1.EndpointPort", &ProtocolTcp},
      {"io.k8s.api.core.v1.ReplicationController", &ReplicationController},
      {"io.k8s.api.core.v1.LimitRangeItem", &LimitRangeItem},
      {"io.k8s.api.apps.v1.Deployment", &Deployment},
      {"io.k8s.api.apps.v1.ReplicaSet", &ReplicaSet},
      {"io.k8s.api.apps.v1.StatefulSet", &StatefulSet},
      {"io.k8s.api.apps.v1.DaemonSet", &DaemonSet},
      {"io.k8s.api.batch.v1.Job", &Job},
      {"io.k8s.api.batch.v1.CronJob", &CronJob},
      {"io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler", &HorizontalPodAutoscalerV2},
      {"io.k8s.api.autoscaling.v1.HorizontalPodAutoscaler", &HorizontalPodAutoscalerV1},
      {"io.k8s.api.storage.v1.StorageClass", &StorageClass},
      {"io.k8s.api.rbac.v1.Subject", &RbacSubject},
      {"io.k8s.api.scheduling.v1.PriorityClass", &PriorityClass},
      {"io.k8s.api.discovery.v1.EndpointPort", &ProtocolTcp},
      {"io.k8s.api.networking.v1.NetworkPolicy", &NetworkPolicy},
      {"io.k8s.api.networking.v1.NetworkPolicyPort", &ProtocolTcp},
      {"io.k8s.api.networking.v1.IngressClassParametersReference", &IngressClassParameters},
  };
  return *table;
}

}  // namespace

ConditionalDefaulter ConditionalDefaulterFor(std::string_view type_full_name) {
  const auto& table = Table();
  auto it = table.find(type_full_name);
  return it == table.end() ? nullptr : it->second;
}

}  // namespace skiff::api
