#include "apiserver/rbac/bootstrap_policy.h"

#include <string>
#include <utility>

#include "apiserver/rbac/escalation.h"
#include "apiserver/rbac/policy_rule.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::rbac {
namespace {

namespace json = boost::json;
using Strings = std::vector<std::string>;

const Strings kRead = {"get", "list", "watch"};
const Strings kWrite = {"create", "update", "patch", "delete", "deletecollection"};
const Strings kReadWrite = {"get", "list", "watch", "create", "update", "patch", "delete", "deletecollection"};
const Strings kEventVerbs = {"create", "update", "patch"};

constexpr char kAutoupdate[] = "rbac.authorization.kubernetes.io/autoupdate";
constexpr char kAggregateToAdmin[] = "rbac.authorization.k8s.io/aggregate-to-admin";
constexpr char kAggregateToEdit[] = "rbac.authorization.k8s.io/aggregate-to-edit";
constexpr char kAggregateToView[] = "rbac.authorization.k8s.io/aggregate-to-view";

PolicyRule R(Strings verbs, Strings groups, Strings resources, Strings names = {}) {
  return {.verbs = std::move(verbs), .api_groups = std::move(groups), .resources = std::move(resources),
          .resource_names = std::move(names)};
}
PolicyRule Urls(Strings verbs, Strings urls) { return {.verbs = std::move(verbs), .non_resource_urls = std::move(urls)}; }
PolicyRule Events() { return R(kEventVerbs, {"", "events.k8s.io"}, {"events"}); }

struct RoleSpec {
  std::string name;
  std::vector<PolicyRule> rules;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string aggregate_from;  // label selected by the aggregationRule ("" = none)
};

struct SubjectSpec {
  std::string kind;  // User, Group, ServiceAccount
  std::string name;
  std::string namespace_name;
};

struct BindingSpec {
  std::string name;
  std::string role;
  std::vector<SubjectSpec> subjects;
};

// The controllers skiff runs, by their Kubernetes controller role names (without the
// system:controller: prefix), and what each needs.
std::vector<RoleSpec> ControllerRoles() {
  const Strings apps = {"apps", "extensions"};
  return {
      {"certificate-controller",
       {R({"get", "list", "watch", "delete"}, {"certificates.k8s.io"}, {"certificatesigningrequests"}),
        R({"update"}, {"certificates.k8s.io"},
          {"certificatesigningrequests/status", "certificatesigningrequests/approval"}),
        R({"approve"}, {"certificates.k8s.io"}, {"signers"},
          {"kubernetes.io/kube-apiserver-client-kubelet"}),
        R({"sign"}, {"certificates.k8s.io"}, {"signers"},
          {"kubernetes.io/kube-apiserver-client", "kubernetes.io/kube-apiserver-client-kubelet",
           "kubernetes.io/kubelet-serving"}),
        R({"create"}, {"authorization.k8s.io"}, {"subjectaccessreviews"}), Events()}},
      {"clusterrole-aggregation-controller",
       {R({"escalate", "get", "list", "watch", "update", "patch"}, {"rbac.authorization.k8s.io"}, {"clusterroles"})}},
      {"cronjob-controller",
       {R({"get", "list", "watch", "update"}, {"batch"}, {"cronjobs"}),
        R({"get", "list", "watch", "create", "update", "delete", "patch"}, {"batch"}, {"jobs"}),
        R({"update"}, {"batch"}, {"cronjobs/status"}), R({"update"}, {"batch"}, {"cronjobs/finalizers"}),
        R({"list", "delete"}, {""}, {"pods"}), Events()}},
      {"daemon-set-controller",
       {R({"get", "list", "watch"}, apps, {"daemonsets"}), R({"update"}, apps, {"daemonsets/status"}),
        R({"update"}, apps, {"daemonsets/finalizers"}), R({"list", "watch"}, {""}, {"nodes"}),
        R({"list", "watch", "create", "delete", "patch"}, {""}, {"pods"}), R({"create"}, {""}, {"pods/binding"}),
        R({"get", "list", "watch", "create", "delete", "update", "patch"}, {"apps"}, {"controllerrevisions"}),
        Events()}},
      // skiff's deployment controller merge-patches the revision annotation (Kubernetes' updates
      // the Deployment): it also gets patch.
      {"deployment-controller",
       {R({"get", "list", "watch", "update", "patch"}, apps, {"deployments"}), R({"update"}, apps, {"deployments/status"}),
        R({"update"}, apps, {"deployments/finalizers"}),
        R({"get", "list", "watch", "create", "update", "patch", "delete"}, apps, {"replicasets"}),
        R({"get", "list", "update", "watch"}, {""}, {"pods"}), Events()}},
      {"disruption-controller",
       {R({"get", "list", "watch"}, apps, {"deployments"}), R({"get", "list", "watch"}, apps, {"replicasets"}),
        R({"get", "list", "watch"}, {""}, {"replicationcontrollers"}),
        R({"get", "list", "watch"}, {"policy"}, {"poddisruptionbudgets"}),
        R({"get", "list", "watch"}, {"apps"}, {"statefulsets"}),
        R({"update"}, {"policy"}, {"poddisruptionbudgets/status"}), R({"get"}, {"*"}, {"*/scale"}),
        R({"patch", "update"}, {""}, {"pods/status"}), Events()}},
      {"endpoint-controller",
       {R({"get", "list", "watch"}, {""}, {"services", "pods"}),
        R({"get", "list", "create", "update", "delete"}, {""}, {"endpoints"}),
        R({"create"}, {""}, {"endpoints/restricted"}), Events()}},
      {"endpointslice-controller",
       {R({"get", "list", "watch"}, {""}, {"services", "pods", "nodes"}),
        R({"update"}, {""}, {"services/finalizers"}),
        R({"get", "list", "create", "update", "delete"}, {"discovery.k8s.io"}, {"endpointslices"}), Events()}},
      {"generic-garbage-collector", {R({"get", "list", "watch", "patch", "update", "delete"}, {"*"}, {"*"})}},
      {"horizontal-pod-autoscaler",
       {R({"get", "list", "watch"}, {"autoscaling"}, {"horizontalpodautoscalers"}),
        R({"update"}, {"autoscaling"}, {"horizontalpodautoscalers/status"}),
        R({"get", "update"}, {"*"}, {"*/scale"}), R({"list"}, {""}, {"pods"}),
        R({"list"}, {"metrics.k8s.io"}, {"pods"}), R({"get", "list"}, {"custom.metrics.k8s.io"}, {"*"}),
        R({"get", "list"}, {"external.metrics.k8s.io"}, {"*"}), Events()}},
      {"job-controller",
       {R({"get", "list", "watch", "update", "patch"}, {"batch"}, {"jobs"}),
        R({"update", "patch"}, {"batch"}, {"jobs/status"}), R({"update"}, {"batch"}, {"jobs/finalizers"}),
        R({"list", "watch", "create", "delete", "patch"}, {""}, {"pods"}), Events()}},
      // skiff's namespace controller patches the status conditions (Kubernetes' updates them).
      {"namespace-controller",
       {R({"get", "list", "watch", "delete"}, {""}, {"namespaces"}),
        R({"update"}, {""}, {"namespaces/finalize", "namespaces/status"}),
        R({"patch"}, {""}, {"namespaces/status"}),
        R({"get", "list", "delete", "deletecollection"}, {"*"}, {"*"})}},
      {"node-controller",
       {R({"get", "list", "update", "delete", "patch"}, {""}, {"nodes"}),
        R({"patch", "update"}, {""}, {"nodes/status"}), R({"patch", "update"}, {""}, {"pods/status"}),
        R({"list", "delete"}, {""}, {"pods"}), Events()}},
      {"replicaset-controller",
       {R({"get", "list", "watch", "update"}, apps, {"replicasets"}), R({"update"}, apps, {"replicasets/status"}),
        R({"update"}, apps, {"replicasets/finalizers"}),
        R({"list", "watch", "patch", "create", "delete"}, {""}, {"pods"}), Events()}},
      {"replication-controller",
       {R({"get", "list", "watch", "update"}, {""}, {"replicationcontrollers"}),
        R({"update"}, {""}, {"replicationcontrollers/status"}),
        R({"update"}, {""}, {"replicationcontrollers/finalizers"}),
        R({"list", "watch", "patch", "create", "delete"}, {""}, {"pods"}), Events()}},
      {"persistent-volume-binder",
       {R({"get", "list", "watch", "update", "create", "delete"}, {""}, {"persistentvolumes"}),
        R({"update", "patch"}, {""}, {"persistentvolumes/status"}),
        R({"get", "list", "watch", "update"}, {""}, {"persistentvolumeclaims"}),
        R({"update", "patch"}, {""}, {"persistentvolumeclaims/status"}),
        R({"get", "list", "watch"}, {""}, {"nodes", "pods"}),
        R({"get", "list", "watch"}, {"storage.k8s.io"}, {"storageclasses"}), Events()}},
      {"pv-protection-controller", {R({"get", "list", "watch", "update"}, {""}, {"persistentvolumes"}), Events()}},
      {"pvc-protection-controller",
       {R({"get", "list", "watch", "update"}, {""}, {"persistentvolumeclaims"}),
        R({"get", "list", "watch"}, {""}, {"pods"}), Events()}},
      // skiff's built-in local-path provisioner (as rancher's local-path-provisioner's role) and
      // resizer (as external-resizer's: claim status for the Resizing condition and capacity).
      {"local-path-provisioner",
       {R({"get", "list", "watch", "create", "update", "delete"}, {""}, {"persistentvolumes"}),
        R({"get", "list", "watch"}, {""}, {"persistentvolumeclaims", "nodes"}),
        R({"update", "patch"}, {""}, {"persistentvolumeclaims/status"}),
        R({"get", "list", "watch"}, {"storage.k8s.io"}, {"storageclasses"}), Events()}},
      {"resourcequota-controller",
       {R({"list", "watch"}, {"*"}, {"*"}), R({"update"}, {""}, {"resourcequotas/status"}), Events()}},
      {"root-ca-cert-publisher", {R({"create", "update"}, {""}, {"configmaps"}), Events()}},
      {"service-account-controller", {R({"create"}, {""}, {"serviceaccounts"}), Events()}},
      // skiff's own (k3s-style) service load balancer: writes Service status from Node addresses.
      // It also keeps the per-namespace Role skiff:ingress-tls (get on the Secrets Ingresses name,
      // bound to system:nodes): granting get on Secrets needs that permission itself.
      {"ingress-status-controller",
       {R({"get", "list", "watch"}, {"networking.k8s.io"}, {"ingresses", "ingressclasses"}),
        R({"list", "watch"}, {""}, {"nodes"}), R({"update", "patch"}, {"networking.k8s.io"}, {"ingresses/status"}),
        R({"get", "create", "update", "delete"}, {"rbac.authorization.k8s.io"}, {"roles", "rolebindings"}),
        R({"get"}, {""}, {"secrets"}), Events()}},
      // skiff's Gateway API status (GatewayClasses of controller skiff.dev/gateway-controller).
      {"gateway-status-controller",
       {R({"get", "list", "watch"}, {"gateway.networking.k8s.io"},
          {"gatewayclasses", "gateways", "httproutes", "referencegrants"}),
        R({"update", "patch"}, {"gateway.networking.k8s.io"},
          {"gatewayclasses/status", "gateways/status", "httproutes/status"}),
        R({"list", "watch"}, {""}, {"services", "nodes", "namespaces"}),
        // The per-namespace Role skiff:gateway-tls (get on the listeners' certificate Secrets,
        // bound to system:nodes): granting get on Secrets needs that permission itself.
        R({"get", "list", "create", "update", "delete"}, {"rbac.authorization.k8s.io"}, {"roles", "rolebindings"}),
        R({"get"}, {""}, {"secrets"}), Events()}},
      {"service-lb-controller",
       {R({"get", "list", "watch"}, {""}, {"services", "nodes"}),
        R({"update", "patch"}, {""}, {"services/status"}), Events()}},
      // skiff's statefulset controller merge-patches status and claim ownerReferences.
      {"statefulset-controller",
       {R({"get", "list", "watch"}, apps, {"statefulsets"}), R({"update", "patch"}, apps, {"statefulsets/status"}),
        R({"update"}, apps, {"statefulsets/finalizers"}),
        R({"get", "list", "watch", "create", "delete", "update", "patch"}, {""}, {"pods"}),
        R({"get", "list", "watch", "create", "delete", "update", "patch"}, apps, {"controllerrevisions"}),
        R({"get", "list", "watch", "create", "update", "patch"}, {""}, {"persistentvolumeclaims"}), Events()}},
  };
}

std::vector<RoleSpec> ClusterRoleSpecs() {
  std::vector<RoleSpec> roles = {
      {"cluster-admin", {R({"*"}, {"*"}, {"*"}), Urls({"*"}, {"*"})}},
      {"system:discovery",
       {Urls({"get"}, {"/livez", "/readyz", "/healthz", "/version", "/version/", "/api", "/api/*", "/apis", "/apis/*",
                       "/openapi", "/openapi/*"})}},
      {"system:monitoring",
       {Urls({"get"}, {"/metrics", "/metrics/slis", "/livez", "/readyz", "/healthz", "/livez/*", "/readyz/*",
                       "/healthz/*"})}},
      {"system:basic-user",
       {R({"create"}, {"authorization.k8s.io"}, {"selfsubjectaccessreviews", "selfsubjectrulesreviews"}),
        R({"create"}, {"authentication.k8s.io"}, {"selfsubjectreviews"})}},
      {"system:public-info-viewer", {Urls({"get"}, {"/livez", "/readyz", "/healthz", "/version", "/version/"})}},
      {"admin", {}, {}, kAggregateToAdmin},
      {"edit", {}, {{kAggregateToAdmin, "true"}}, kAggregateToEdit},
      {"view", {}, {{kAggregateToEdit, "true"}}, kAggregateToView},
      {"system:aggregate-to-admin",
       {R({"create"}, {"authorization.k8s.io"}, {"localsubjectaccessreviews"}),
        R(kReadWrite, {"rbac.authorization.k8s.io"}, {"roles", "rolebindings"})},
       {{kAggregateToAdmin, "true"}}},
      {"system:aggregate-to-edit",
       {R(kRead, {""}, {"pods/attach", "pods/proxy", "pods/exec", "pods/portforward", "secrets", "services/proxy"}),
        R({"impersonate"}, {""}, {"serviceaccounts"}),
        R(kWrite, {""}, {"pods", "pods/attach", "pods/proxy", "pods/exec", "pods/portforward"}),
        R({"create"}, {""}, {"pods/eviction"}),
        R(kWrite, {""},
          {"replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services", "services/proxy",
           "persistentvolumeclaims", "configmaps", "secrets", "events"}),
        R({"create"}, {""}, {"serviceaccounts/token"}),
        R(kWrite, {"apps"},
          {"statefulsets", "statefulsets/scale", "daemonsets", "deployments", "deployments/scale",
           "deployments/rollback", "replicasets", "replicasets/scale"}),
        R(kWrite, {"autoscaling"}, {"horizontalpodautoscalers"}), R(kWrite, {"batch"}, {"jobs", "cronjobs"}),
        R(kWrite, {"extensions"},
          {"daemonsets", "deployments", "deployments/scale", "deployments/rollback", "ingresses", "replicasets",
           "replicasets/scale", "replicationcontrollers/scale", "networkpolicies"}),
        R(kWrite, {"policy"}, {"poddisruptionbudgets"}),
        R(kWrite, {"networking.k8s.io"}, {"networkpolicies", "ingresses"})},
       {{kAggregateToEdit, "true"}}},
      {"system:aggregate-to-view",
       {R(kRead, {""},
          {"pods", "replicationcontrollers", "replicationcontrollers/scale", "serviceaccounts", "services",
           "services/status", "endpoints", "persistentvolumeclaims", "persistentvolumeclaims/status", "configmaps"}),
        R(kRead, {""},
          {"limitranges", "resourcequotas", "bindings", "events", "pods/status", "resourcequotas/status",
           "namespaces/status", "replicationcontrollers/status", "pods/log"}),
        R(kRead, {""}, {"namespaces"}), R(kRead, {"discovery.k8s.io"}, {"endpointslices"}),
        R(kRead, {"apps"},
          {"controllerrevisions", "statefulsets", "statefulsets/status", "statefulsets/scale", "daemonsets",
           "daemonsets/status", "deployments", "deployments/status", "deployments/scale", "replicasets",
           "replicasets/status", "replicasets/scale"}),
        R(kRead, {"autoscaling"}, {"horizontalpodautoscalers", "horizontalpodautoscalers/status"}),
        R(kRead, {"batch"}, {"jobs", "cronjobs", "cronjobs/status", "jobs/status"}),
        R(kRead, {"extensions"},
          {"daemonsets", "daemonsets/status", "deployments", "deployments/scale", "deployments/status", "ingresses",
           "ingresses/status", "replicasets", "replicasets/scale", "replicasets/status",
           "replicationcontrollers/scale", "networkpolicies"}),
        R(kRead, {"policy"}, {"poddisruptionbudgets", "poddisruptionbudgets/status"}),
        R(kRead, {"networking.k8s.io"}, {"networkpolicies", "ingresses", "ingresses/status"})},
       {{kAggregateToView, "true"}}},
      {"system:node",
       {R({"create"}, {"authentication.k8s.io"}, {"tokenreviews"}),
        R({"create"}, {"authorization.k8s.io"}, {"subjectaccessreviews", "localsubjectaccessreviews"}),
        R(kRead, {""}, {"services"}), R({"create", "get", "list", "watch"}, {""}, {"nodes"}),
        R({"update", "patch"}, {""}, {"nodes/status"}), R({"update", "patch"}, {""}, {"nodes"}), Events(),
        R(kRead, {""}, {"pods"}), R({"create", "delete"}, {""}, {"pods"}),
        R({"update", "patch"}, {""}, {"pods/status"}), R({"create"}, {""}, {"pods/eviction"}),
        R({"get"}, {""}, {"secrets", "configmaps"}), R({"get"}, {""}, {"persistentvolumeclaims", "persistentvolumes"}),
        R({"get"}, {""}, {"endpoints"}),
        R({"create", "get", "list", "watch"}, {"certificates.k8s.io"}, {"certificatesigningrequests"}),
        R({"get", "create", "update", "patch", "delete"}, {"coordination.k8s.io"}, {"leases"}),
        R({"get"}, {"storage.k8s.io"}, {"volumeattachments"}), R({"create"}, {""}, {"serviceaccounts/token"}),
        R({"get", "update", "patch"}, {""}, {"persistentvolumeclaims/status"}),
        R(kRead, {"storage.k8s.io"}, {"csidrivers"}),
        R({"get", "create", "update", "patch", "delete"}, {"storage.k8s.io"}, {"csinodes"}),
        R(kRead, {"node.k8s.io"}, {"runtimeclasses"})}},
      {"system:volume-scheduler",
       {R({"get", "list", "watch", "patch", "update"}, {""}, {"persistentvolumes", "persistentvolumeclaims"}),
        R(kRead, {"storage.k8s.io"}, {"storageclasses"})}},
      // skiff agents remove the directories of their local-path PVs, then the PV's cleanup
      // finalizer (NodeRestriction admits no other PV write from a node).
      {"skiff:local-path-node", {R({"get", "list", "watch", "update"}, {""}, {"persistentvolumes"})}},
      // Every skiff agent runs the ingress controller (IngressClass skiff): it lists and watches
      // Ingresses and IngressClasses. The TLS Secrets they name it reads by name through the Role
      // skiff:ingress-tls that the ingressstatus controller keeps in each namespace (get on
      // exactly those Secrets), not through this role.
      // It also serves Gateway API HTTPRoutes (when those CRDs are installed), reading the Gateway
      // objects, ReferenceGrants and Namespaces (for allowedRoutes namespace selectors).
      {"skiff:ingress-node",
       {R({"get", "list", "watch"}, {"networking.k8s.io"}, {"ingresses", "ingressclasses"}),
        R({"get", "list", "watch"}, {"gateway.networking.k8s.io"},
          {"gatewayclasses", "gateways", "httproutes", "referencegrants"}),
        R({"list", "watch"}, {""}, {"namespaces"})}},
      // skiff agents' activator (scale to zero): reads the HPAs that mark Services, and scales their
      // targets from 0 to 1 through the scale subresource when the first connection arrives.
      {"skiff:node-activator",
       {R(kRead, {"autoscaling"}, {"horizontalpodautoscalers"}),
        R({"get"}, {"apps"}, {"deployments", "statefulsets", "replicasets"}),
        R({"get", "update"}, {"apps"}, {"deployments/scale", "statefulsets/scale", "replicasets/scale"})}},
      {"system:node-proxier",
       {R({"list", "watch"}, {""}, {"services", "endpoints"}), R(kRead, {""}, {"nodes"}), Events(),
        R({"list", "watch"}, {"discovery.k8s.io"}, {"endpointslices"})}},
      // What a NetworkPolicy enforcer reads (kube-router's ClusterRole): every pod is a possible
      // peer, namespaces are selected by their labels.
      {"skiff:network-policy-node",
       {R({"list", "watch"}, {""}, {"pods", "namespaces"}),
        R({"list", "watch"}, {"networking.k8s.io"}, {"networkpolicies"})}},
      {"system:node-bootstrapper",
       {R({"create", "get", "list", "watch"}, {"certificates.k8s.io"}, {"certificatesigningrequests"})}},
      {"system:certificates.k8s.io:certificatesigningrequests:nodeclient",
       {R({"create"}, {"certificates.k8s.io"}, {"certificatesigningrequests/nodeclient"})}},
      {"system:certificates.k8s.io:certificatesigningrequests:selfnodeclient",
       {R({"create"}, {"certificates.k8s.io"}, {"certificatesigningrequests/selfnodeclient"})}},
      {"system:auth-delegator",
       {R({"create"}, {"authentication.k8s.io"}, {"tokenreviews"}),
        R({"create"}, {"authorization.k8s.io"}, {"subjectaccessreviews"})}},
      {"system:kubelet-api-admin",
       {R({"get", "list", "watch", "proxy"}, {""}, {"nodes"}),
        R({"*"}, {""}, {"nodes/proxy", "nodes/metrics", "nodes/spec", "nodes/stats", "nodes/log"})}},
      {"system:kube-dns", {R({"list", "watch"}, {""}, {"endpoints", "services"})}},
      {"system:service-account-issuer-discovery",
       {Urls({"get"}, {"/.well-known/openid-configuration", "/.well-known/openid-configuration/", "/openid/v1/jwks",
                       "/openid/v1/jwks/"})}},
      {"system:kube-controller-manager",
       {Events(), R({"create"}, {"coordination.k8s.io"}, {"leases"}),
        R({"get", "update"}, {"coordination.k8s.io"}, {"leases"}, {"kube-controller-manager"}),
        R({"create"}, {""}, {"secrets", "serviceaccounts"}), R({"delete"}, {""}, {"secrets"}),
        R({"get"}, {""}, {"namespaces", "secrets", "serviceaccounts"}),
        R({"update"}, {""}, {"secrets", "serviceaccounts"}),
        R({"create"}, {"authentication.k8s.io"}, {"tokenreviews"}),
        R({"create"}, {"authorization.k8s.io"}, {"subjectaccessreviews"}), R({"list", "watch"}, {"*"}, {"*"}),
        R({"create"}, {""}, {"serviceaccounts/token"})}},
      {"system:kube-scheduler",
       {Events(), R({"create"}, {"coordination.k8s.io"}, {"leases"}),
        R({"get", "update"}, {"coordination.k8s.io"}, {"leases"}, {"kube-scheduler"}), R(kRead, {""}, {"nodes"}),
        R({"get", "list", "watch", "delete"}, {""}, {"pods"}), R({"create"}, {""}, {"bindings", "pods/binding"}),
        R({"patch", "update"}, {""}, {"pods/status"}), R(kRead, {""}, {"replicationcontrollers", "services"}),
        R(kRead, {"apps", "extensions"}, {"replicasets"}), R(kRead, {"apps"}, {"statefulsets"}),
        R(kRead, {"policy"}, {"poddisruptionbudgets"}),
        R(kRead, {""}, {"persistentvolumeclaims", "persistentvolumes"}),
        R({"create"}, {"authentication.k8s.io"}, {"tokenreviews"}),
        R({"create"}, {"authorization.k8s.io"}, {"subjectaccessreviews"}), R(kRead, {"storage.k8s.io"}, {"csinodes"}),
        R(kRead, {""}, {"namespaces"}), R(kRead, {"storage.k8s.io"}, {"csidrivers"}),
        R(kRead, {"storage.k8s.io"}, {"csistoragecapacities", "storageclasses"})}},
  };
  for (auto& c : ControllerRoles()) {
    c.name = "system:controller:" + c.name;
    roles.push_back(std::move(c));
  }
  return roles;
}

std::vector<BindingSpec> BindingSpecs() {
  std::vector<BindingSpec> bindings = {
      {"cluster-admin", "cluster-admin", {{"Group", "system:masters"}}},
      {"system:monitoring", "system:monitoring", {{"Group", "system:monitoring"}}},
      {"system:discovery", "system:discovery", {{"Group", "system:authenticated"}}},
      {"system:basic-user", "system:basic-user", {{"Group", "system:authenticated"}}},
      {"system:public-info-viewer", "system:public-info-viewer",
       {{"Group", "system:authenticated"}, {"Group", "system:unauthenticated"}}},
      {"system:node-proxier", "system:node-proxier", {{"User", "system:kube-proxy"}}},
      {"system:kube-controller-manager", "system:kube-controller-manager", {{"User", "system:kube-controller-manager"}}},
      {"system:kube-dns", "system:kube-dns", {{"ServiceAccount", "kube-dns", "kube-system"}}},
      {"system:kube-scheduler", "system:kube-scheduler", {{"User", "system:kube-scheduler"}}},
      {"system:volume-scheduler", "system:volume-scheduler", {{"User", "system:kube-scheduler"}}},
      {"system:service-account-issuer-discovery", "system:service-account-issuer-discovery",
       {{"Group", "system:serviceaccounts"}}},
      // Kubernetes binds system:node to no one: the Node authorizer grants each node what its own
      // pods use. Every skiff agent also runs the service proxy and cluster DNS, so the group
      // system:nodes keeps what those read (k3s binds the same roles to its agent's user).
      {"system:node", "system:node", {}},
      {"skiff:node-proxier", "system:node-proxier", {{"Group", "system:nodes"}}},
      {"skiff:node-dns", "system:kube-dns", {{"Group", "system:nodes"}}},
      {"skiff:local-path-node", "skiff:local-path-node", {{"Group", "system:nodes"}}},
      {"skiff:network-policy-node", "skiff:network-policy-node", {{"Group", "system:nodes"}}},
      {"skiff:ingress-node", "skiff:ingress-node", {{"Group", "system:nodes"}}},
      {"skiff:node-activator", "skiff:node-activator", {{"Group", "system:nodes"}}},
      // Node identities (as kubeadm binds them): the join token (group system:bootstrappers) may
      // ask for a node client certificate, which csrapproving approves; nodes renew their own.
      {"skiff:node-bootstrapper", "system:node-bootstrapper", {{"Group", "system:bootstrappers"}}},
      {"skiff:node-autoapprove-bootstrap", "system:certificates.k8s.io:certificatesigningrequests:nodeclient",
       {{"Group", "system:bootstrappers"}}},
      {"skiff:node-autoapprove-certificate-rotation",
       "system:certificates.k8s.io:certificatesigningrequests:selfnodeclient", {{"Group", "system:nodes"}}},
  };
  for (const auto& c : ControllerRoles()) {
    std::string name = "system:controller:" + c.name;
    bindings.push_back({name, name, {{"ServiceAccount", c.name, "kube-system"}}});
  }
  return bindings;
}

json::object BootstrapMetadata(const std::string& name, const std::vector<std::pair<std::string, std::string>>& labels) {
  json::object label_map{{"kubernetes.io/bootstrapping", "rbac-defaults"}};
  for (const auto& [k, v] : labels) label_map[k] = v;
  return json::object{{"name", name},
                      {"labels", std::move(label_map)},
                      {"annotations", json::object{{kAutoupdate, "true"}}}};
}

// Subjects earlier skiff versions bound that reconciliation takes away again (binding, kind, name):
// before the Node authorizer, every node held system:node cluster-wide.
struct RetiredSubject {
  const char* binding;
  const char* kind;
  const char* name;
};
constexpr RetiredSubject kRetiredSubjects[] = {{"system:node", "Group", "system:nodes"}};

// Removes the retired subjects of binding `name` from `subjects`; true when it changed.
bool DropRetiredSubjects(const std::string& name, json::array& subjects) {
  bool changed = false;
  for (const auto& retired : kRetiredSubjects) {
    if (name != retired.binding) continue;
    for (auto it = subjects.begin(); it != subjects.end();) {
      if (base::GetString(*it, {"kind"}) == retired.kind && base::GetString(*it, {"name"}) == retired.name) {
        it = subjects.erase(it);
        changed = true;
      } else {
        ++it;
      }
    }
  }
  return changed;
}

bool AutoupdateDisabled(const json::value& existing) {
  return base::GetString(existing, {"metadata", "annotations", kAutoupdate}) == "false";
}

// Adds the labels and annotations of `expected` that `existing` lacks; true when it changed.
bool MergeMetadata(const json::value& expected, json::value& existing) {
  bool changed = false;
  json::value& meta_value = existing.as_object()["metadata"];
  if (!meta_value.is_object()) meta_value.emplace_object();
  json::object& meta = meta_value.as_object();
  for (const char* field : {"labels", "annotations"}) {
    const json::value* want = base::FindPath(expected, {"metadata", field});
    if (!want || !want->is_object()) continue;
    json::value& have = meta[field];
    if (!have.is_object()) have.emplace_object();
    for (const auto& [k, v] : want->get_object()) {
      if (!have.get_object().contains(k)) {
        have.get_object()[k] = v;
        changed = true;
      }
    }
  }
  return changed;
}

}  // namespace

std::vector<json::value> BootstrapClusterRoles() {
  std::vector<json::value> out;
  for (const auto& spec : ClusterRoleSpecs()) {
    json::array rules;
    for (const auto& r : spec.rules) rules.push_back(r.ToJson());
    json::object role{{"apiVersion", "rbac.authorization.k8s.io/v1"},
                      {"kind", "ClusterRole"},
                      {"metadata", BootstrapMetadata(spec.name, spec.labels)},
                      {"rules", std::move(rules)}};
    if (!spec.aggregate_from.empty()) {
      role["aggregationRule"] = json::object{
          {"clusterRoleSelectors",
           json::array{json::object{{"matchLabels", json::object{{spec.aggregate_from, "true"}}}}}}};
    }
    out.emplace_back(std::move(role));
  }
  return out;
}

std::vector<json::value> BootstrapClusterRoleBindings() {
  std::vector<json::value> out;
  for (const auto& spec : BindingSpecs()) {
    json::array subjects;
    for (const auto& s : spec.subjects) {
      json::object subject{{"kind", s.kind}, {"name", s.name}};
      if (s.kind == "ServiceAccount") {
        subject["namespace"] = s.namespace_name;
      } else {
        subject["apiGroup"] = "rbac.authorization.k8s.io";
      }
      subjects.push_back(std::move(subject));
    }
    out.emplace_back(json::object{
        {"apiVersion", "rbac.authorization.k8s.io/v1"},
        {"kind", "ClusterRoleBinding"},
        {"metadata", BootstrapMetadata(spec.name, {})},
        {"roleRef",
         json::object{{"apiGroup", "rbac.authorization.k8s.io"}, {"kind", "ClusterRole"}, {"name", spec.role}}},
        {"subjects", std::move(subjects)}});
  }
  return out;
}

std::optional<json::value> ReconcileClusterRole(const json::value& expected, const json::value* existing) {
  if (!existing) return expected;
  if (AutoupdateDisabled(*existing) || !existing->is_object()) return std::nullopt;
  json::value out = *existing;
  bool changed = MergeMetadata(expected, out);
  // Missing permissions are added as whole rules; extra ones stay.
  std::vector<PolicyRule> have = ParseRules(base::FindPath(out, {"rules"}));
  json::value& rules = out.as_object()["rules"];
  if (!rules.is_array()) rules.emplace_array();
  for (const auto& want : ParseRules(base::FindPath(expected, {"rules"}))) {
    if (!MissingRules(have, {want}).empty()) {
      rules.as_array().push_back(want.ToJson());
      have.push_back(want);
      changed = true;
    }
  }
  // Aggregation selectors: add the missing ones.
  if (const auto* want = base::FindPath(expected, {"aggregationRule", "clusterRoleSelectors"});
      want && want->is_array()) {
    json::value& agg = out.as_object()["aggregationRule"];
    if (!agg.is_object()) agg.emplace_object();
    json::value& selectors = agg.as_object()["clusterRoleSelectors"];
    if (!selectors.is_array()) selectors.emplace_array();
    for (const auto& s : want->get_array()) {
      bool found = false;
      for (const auto& h : selectors.get_array()) found = found || h == s;
      if (!found) {
        selectors.as_array().push_back(s);
        changed = true;
      }
    }
  }
  if (!changed) return std::nullopt;
  return out;
}

std::optional<json::value> ReconcileClusterRoleBinding(const json::value& expected, const json::value* existing) {
  if (!existing) return expected;
  if (AutoupdateDisabled(*existing) || !existing->is_object()) return std::nullopt;
  json::value out = *existing;
  bool changed = MergeMetadata(expected, out);
  // A different roleRef cannot be updated in place: the caller replaces the binding.
  if (base::GetString(out, {"roleRef", "name"}) != base::GetString(expected, {"roleRef", "name"}) ||
      base::GetString(out, {"roleRef", "kind"}) != base::GetString(expected, {"roleRef", "kind"})) {
    return expected;
  }
  json::value& subjects = out.as_object()["subjects"];
  if (!subjects.is_array()) subjects.emplace_array();
  changed |= DropRetiredSubjects(base::GetString(out, {"metadata", "name"}), subjects.as_array());
  if (const auto* want = base::FindPath(expected, {"subjects"}); want && want->is_array()) {
    for (const auto& s : want->get_array()) {
      bool found = false;
      for (const auto& h : subjects.get_array()) {
        found = found || (base::GetString(h, {"kind"}) == base::GetString(s, {"kind"}) &&
                          base::GetString(h, {"name"}) == base::GetString(s, {"name"}) &&
                          base::GetString(h, {"namespace"}) == base::GetString(s, {"namespace"}));
      }
      if (!found) {
        subjects.as_array().push_back(s);
        changed = true;
      }
    }
  }
  if (!changed) return std::nullopt;
  return out;
}

}  // namespace skiff::apiserver::rbac
