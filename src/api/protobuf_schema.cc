// Maps (apiVersion, kind) of a protobuf body to its top-level message description.
#include "api/protobuf_schema.h"

namespace skiff::api {
namespace {

struct KindEntry {
  std::string_view api_version;
  std::string_view kind;
  const ProtoMessage* message;
};

constinit const KindEntry kKinds[] = {
    {"v1", "Pod", &kProtoPod},
    {"v1", "Namespace", &kProtoNamespace},
    {"v1", "ConfigMap", &kProtoConfigMap},
    {"v1", "Secret", &kProtoSecret},
    {"v1", "Service", &kProtoService},
    {"v1", "ServiceAccount", &kProtoServiceAccount},
    {"v1", "ResourceQuota", &kProtoResourceQuota},
    {"apps/v1", "Deployment", &kProtoDeployment},
    {"apps/v1", "ReplicaSet", &kProtoReplicaSet},
    {"apps/v1", "DaemonSet", &kProtoDaemonSet},
    {"batch/v1", "Job", &kProtoJob},
    {"batch/v1", "CronJob", &kProtoCronJob},
    {"rbac.authorization.k8s.io/v1", "Role", &kProtoRole},
    {"rbac.authorization.k8s.io/v1", "ClusterRole", &kProtoClusterRole},
    {"rbac.authorization.k8s.io/v1", "RoleBinding", &kProtoRoleBinding},
    {"rbac.authorization.k8s.io/v1", "ClusterRoleBinding", &kProtoClusterRoleBinding},
    {"scheduling.k8s.io/v1", "PriorityClass", &kProtoPriorityClass},
    {"policy/v1", "PodDisruptionBudget", &kProtoPodDisruptionBudget},
    {"policy/v1", "Eviction", &kProtoEviction},
    {"networking.k8s.io/v1", "Ingress", &kProtoIngress},
    {"networking.k8s.io/v1", "IngressClass", &kProtoIngressClass},
    {"networking.k8s.io/v1", "NetworkPolicy", &kProtoNetworkPolicy},
    {"autoscaling/v1", "Scale", &kProtoScale},
    {"autoscaling/v1", "HorizontalPodAutoscaler", &kProtoHorizontalPodAutoscalerV1},
    {"authorization.k8s.io/v1", "SelfSubjectAccessReview", &kProtoSelfSubjectAccessReview},
    {"authorization.k8s.io/v1", "SelfSubjectRulesReview", &kProtoSelfSubjectRulesReview},
    {"authentication.k8s.io/v1", "SelfSubjectReview", &kProtoSelfSubjectReview},
    {"authentication.k8s.io/v1", "TokenRequest", &kProtoTokenRequest},
    {"certificates.k8s.io/v1", "CertificateSigningRequest", &kProtoCertificateSigningRequest},
};

}  // namespace

const ProtoMessage* FindProtoMessageForKind(std::string_view api_version, std::string_view kind) {
  // client-go stamps DeleteOptions with the group version of the resource being deleted.
  if (kind == "DeleteOptions") return &kProtoDeleteOptions;
  for (const KindEntry& entry : kKinds) {
    if (entry.api_version == api_version && entry.kind == kind) return entry.message;
  }
  return nullptr;
}

}  // namespace skiff::api
