// Protobuf tables for the core/v1 kinds other than Pod: Namespace, ConfigMap, Secret,
// ServiceAccount, Service, ResourceQuota, and the shared ObjectReference types.
#include "api/protobuf_schema.h"

namespace skiff::api {
namespace {
using namespace proto_table;  // NOLINT(build/namespaces): terse table syntax

constinit const ProtoField kObjectReferenceFields[] = {
    Str(1, "kind"),       Str(2, "namespace"),       Str(3, "name"),      Str(4, "uid"),
    Str(5, "apiVersion"), Str(6, "resourceVersion"), Str(7, "fieldPath"),
};

constinit const ProtoField kTypedLocalObjectReferenceFields[] = {
    Str(1, "apiGroup", kKeep), Str(2, "kind", kKeep), Str(3, "name", kKeep)};

constinit const ProtoField kLocalObjectReferenceFields[] = {Str(1, "name")};
constinit const ProtoMessage kLocalObjectReference =
    Message("LocalObjectReference", kLocalObjectReferenceFields);

// --- Namespace ------------------------------------------------------------------------------

constinit const ProtoField kNamespaceSpecFields[] = {Str(1, "finalizers", kRep)};
constinit const ProtoMessage kNamespaceSpec = Message("NamespaceSpec", kNamespaceSpecFields);

constinit const ProtoField kNamespaceConditionFields[] = {
    Str(1, "type", kKeep), Str(2, "status", kKeep), Time(4, "lastTransitionTime"),
    Str(5, "reason"),      Str(6, "message"),
};
constinit const ProtoMessage kNamespaceCondition = Message("NamespaceCondition", kNamespaceConditionFields);

constinit const ProtoField kNamespaceStatusFields[] = {Str(1, "phase"),
                                                       Msg(2, "conditions", kNamespaceCondition, kRep)};
constinit const ProtoMessage kNamespaceStatus = Message("NamespaceStatus", kNamespaceStatusFields);

constinit const ProtoField kNamespaceFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kNamespaceSpec),
    Msg(3, "status", kNamespaceStatus),
};

// --- ConfigMap, Secret, ServiceAccount ------------------------------------------------------

constinit const ProtoField kConfigMapFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Bool(4, "immutable", kKeep),
    StrMap(2, "data"),
    BytesMap(3, "binaryData"),
};

constinit const ProtoField kSecretFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Bool(5, "immutable", kKeep),
    BytesMap(2, "data"),
    StrMap(4, "stringData"),
    Str(3, "type"),
};

constinit const ProtoField kServiceAccountFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "secrets", kProtoObjectReference, kRep),
    Msg(3, "imagePullSecrets", kLocalObjectReference, kRep),
    Bool(4, "automountServiceAccountToken", kKeep),
};

// --- Service --------------------------------------------------------------------------------

constinit const ProtoField kServicePortFields[] = {
    Str(1, "name"),          Str(2, "protocol"),      Str(6, "appProtocol", kKeep),
    Int32(3, "port", kKeep), IntStr(4, "targetPort"), Int32(5, "nodePort"),
};
constinit const ProtoMessage kServicePort = Message("ServicePort", kServicePortFields);

constinit const ProtoField kClientIPConfigFields[] = {Int32(1, "timeoutSeconds", kKeep)};
constinit const ProtoMessage kClientIPConfig = Message("ClientIPConfig", kClientIPConfigFields);

constinit const ProtoField kSessionAffinityConfigFields[] = {Msg(1, "clientIP", kClientIPConfig)};
constinit const ProtoMessage kSessionAffinityConfig =
    Message("SessionAffinityConfig", kSessionAffinityConfigFields);

constinit const ProtoField kServiceSpecFields[] = {
    Msg(1, "ports", kServicePort, kRep),
    StrMap(2, "selector"),
    Str(3, "clusterIP"),
    Str(18, "clusterIPs", kRep),
    Str(4, "type"),
    Str(5, "externalIPs", kRep),
    Str(7, "sessionAffinity"),
    Str(8, "loadBalancerIP"),
    Str(9, "loadBalancerSourceRanges", kRep),
    Str(10, "externalName"),
    Str(11, "externalTrafficPolicy"),
    Int32(12, "healthCheckNodePort"),
    Bool(13, "publishNotReadyAddresses"),
    Msg(14, "sessionAffinityConfig", kSessionAffinityConfig),
    Str(19, "ipFamilies", kRep),
    Str(17, "ipFamilyPolicy", kKeep),
    Bool(20, "allocateLoadBalancerNodePorts", kKeep),
    Str(21, "loadBalancerClass", kKeep),
    Str(22, "internalTrafficPolicy", kKeep),
    Str(23, "trafficDistribution", kKeep),
};
constinit const ProtoMessage kServiceSpec = Message("ServiceSpec", kServiceSpecFields);

constinit const ProtoField kPortStatusFields[] = {Int32(1, "port", kKeep), Str(2, "protocol", kKeep),
                                                  Str(3, "error", kKeep)};
constinit const ProtoMessage kPortStatus = Message("PortStatus", kPortStatusFields);

constinit const ProtoField kLoadBalancerIngressFields[] = {
    Str(1, "ip"), Str(2, "hostname"), Str(3, "ipMode", kKeep), Msg(4, "ports", kPortStatus, kRep)};
constinit const ProtoMessage kLoadBalancerIngress =
    Message("LoadBalancerIngress", kLoadBalancerIngressFields);

constinit const ProtoField kLoadBalancerStatusFields[] = {Msg(1, "ingress", kLoadBalancerIngress, kRep)};
constinit const ProtoMessage kLoadBalancerStatus = Message("LoadBalancerStatus", kLoadBalancerStatusFields);

constinit const ProtoField kServiceStatusFields[] = {
    Msg(1, "loadBalancer", kLoadBalancerStatus),
    Msg(2, "conditions", kProtoMetaCondition, kRep),
};
constinit const ProtoMessage kServiceStatus = Message("ServiceStatus", kServiceStatusFields);

constinit const ProtoField kServiceFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kServiceSpec),
    Msg(3, "status", kServiceStatus),
};

// --- ResourceQuota --------------------------------------------------------------------------

constinit const ProtoField kScopedResourceSelectorRequirementFields[] = {
    Str(1, "scopeName", kKeep), Str(2, "operator", kKeep), Str(3, "values", kRep)};
constinit const ProtoMessage kScopedResourceSelectorRequirement =
    Message("ScopedResourceSelectorRequirement", kScopedResourceSelectorRequirementFields);

constinit const ProtoField kScopeSelectorFields[] = {
    Msg(1, "matchExpressions", kScopedResourceSelectorRequirement, kRep)};
constinit const ProtoMessage kScopeSelector = Message("ScopeSelector", kScopeSelectorFields);

constinit const ProtoField kResourceQuotaSpecFields[] = {QtyMap(1, "hard"), Str(2, "scopes", kRep),
                                                         Msg(3, "scopeSelector", kScopeSelector)};
constinit const ProtoMessage kResourceQuotaSpec = Message("ResourceQuotaSpec", kResourceQuotaSpecFields);

constinit const ProtoField kResourceQuotaStatusFields[] = {QtyMap(1, "hard"), QtyMap(2, "used")};
constinit const ProtoMessage kResourceQuotaStatus =
    Message("ResourceQuotaStatus", kResourceQuotaStatusFields);

constinit const ProtoField kResourceQuotaFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kResourceQuotaSpec),
    Msg(3, "status", kResourceQuotaStatus),
};

}  // namespace

constinit const ProtoMessage kProtoObjectReference = Message("ObjectReference", kObjectReferenceFields);
constinit const ProtoMessage kProtoTypedLocalObjectReference =
    Message("TypedLocalObjectReference", kTypedLocalObjectReferenceFields);
constinit const ProtoMessage kProtoNamespace = Message("Namespace", kNamespaceFields);
constinit const ProtoMessage kProtoConfigMap = Message("ConfigMap", kConfigMapFields);
constinit const ProtoMessage kProtoSecret = Message("Secret", kSecretFields);
constinit const ProtoMessage kProtoServiceAccount = Message("ServiceAccount", kServiceAccountFields);
constinit const ProtoMessage kProtoService = Message("Service", kServiceFields);
constinit const ProtoMessage kProtoResourceQuota = Message("ResourceQuota", kResourceQuotaFields);

}  // namespace skiff::api
