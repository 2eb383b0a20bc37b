// Protobuf tables for networking.k8s.io/v1: Ingress (what `kubectl create ingress` sends),
// IngressClass and NetworkPolicy. Field numbers follow k8s.io/api networking/v1 generated.proto
// (v0.32); fields that are Go pointers keep their zero values (kKeep).
#include "api/protobuf_schema.h"

namespace skiff::api {
namespace {
using namespace proto_table;  // NOLINT(build/namespaces): terse table syntax

constinit const ProtoField kServiceBackendPortFields[] = {Str(1, "name"), Int32(2, "number")};
constinit const ProtoMessage kServiceBackendPort = Message("ServiceBackendPort", kServiceBackendPortFields);

constinit const ProtoField kIngressServiceBackendFields[] = {Str(1, "name", kKeep),
                                                             Msg(2, "port", kServiceBackendPort)};
constinit const ProtoMessage kIngressServiceBackend =
    Message("IngressServiceBackend", kIngressServiceBackendFields);

constinit const ProtoField kIngressBackendFields[] = {
    Msg(4, "service", kIngressServiceBackend),
    Msg(3, "resource", kProtoTypedLocalObjectReference),
};
constinit const ProtoMessage kIngressBackend = Message("IngressBackend", kIngressBackendFields);

constinit const ProtoField kHTTPIngressPathFields[] = {Str(1, "path"), Str(3, "pathType", kKeep),
                                                       Msg(2, "backend", kIngressBackend)};
constinit const ProtoMessage kHTTPIngressPath = Message("HTTPIngressPath", kHTTPIngressPathFields);

constinit const ProtoField kHTTPIngressRuleValueFields[] = {Msg(1, "paths", kHTTPIngressPath, kRep)};
constinit const ProtoMessage kHTTPIngressRuleValue =
    Message("HTTPIngressRuleValue", kHTTPIngressRuleValueFields);

constinit const ProtoField kIngressRuleValueFields[] = {Msg(1, "http", kHTTPIngressRuleValue)};
constinit const ProtoMessage kIngressRuleValue = Message("IngressRuleValue", kIngressRuleValueFields);

constinit const ProtoField kIngressRuleFields[] = {Str(1, "host"), Inline(2, kIngressRuleValue)};
constinit const ProtoMessage kIngressRule = Message("IngressRule", kIngressRuleFields);

constinit const ProtoField kIngressTLSFields[] = {Str(1, "hosts", kRep), Str(2, "secretName")};
constinit const ProtoMessage kIngressTLS = Message("IngressTLS", kIngressTLSFields);

constinit const ProtoField kIngressSpecFields[] = {
    Str(4, "ingressClassName", kKeep),
    Msg(1, "defaultBackend", kIngressBackend),
    Msg(2, "tls", kIngressTLS, kRep),
    Msg(3, "rules", kIngressRule, kRep),
};
constinit const ProtoMessage kIngressSpec = Message("IngressSpec", kIngressSpecFields);

constinit const ProtoField kIngressPortStatusFields[] = {Int32(1, "port", kKeep), Str(2, "protocol", kKeep),
                                                         Str(3, "error", kKeep)};
constinit const ProtoMessage kIngressPortStatus = Message("IngressPortStatus", kIngressPortStatusFields);

constinit const ProtoField kIngressLBIngressFields[] = {Str(1, "ip"), Str(2, "hostname"),
                                                        Msg(4, "ports", kIngressPortStatus, kRep)};
constinit const ProtoMessage kIngressLBIngress =
    Message("IngressLoadBalancerIngress", kIngressLBIngressFields);

constinit const ProtoField kIngressLBStatusFields[] = {Msg(1, "ingress", kIngressLBIngress, kRep)};
constinit const ProtoMessage kIngressLBStatus = Message("IngressLoadBalancerStatus", kIngressLBStatusFields);

constinit const ProtoField kIngressStatusFields[] = {Msg(1, "loadBalancer", kIngressLBStatus)};
constinit const ProtoMessage kIngressStatus = Message("IngressStatus", kIngressStatusFields);

constinit const ProtoField kIngressFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kIngressSpec),
    Msg(3, "status", kIngressStatus),
};

constinit const ProtoField kIngressClassParametersFields[] = {
    Str(1, "apiGroup", kKeep), Str(2, "kind", kKeep),      Str(3, "name", kKeep),
    Str(4, "scope", kKeep),    Str(5, "namespace", kKeep),
};
constinit const ProtoMessage kIngressClassParameters =
    Message("IngressClassParametersReference", kIngressClassParametersFields);

constinit const ProtoField kIngressClassSpecFields[] = {Str(1, "controller"),
                                                        Msg(2, "parameters", kIngressClassParameters)};
constinit const ProtoMessage kIngressClassSpec = Message("IngressClassSpec", kIngressClassSpecFields);

constinit const ProtoField kIngressClassFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kIngressClassSpec),
};

constinit const ProtoField kNetworkPolicyPortFields[] = {Str(1, "protocol", kKeep), IntStr(2, "port", kKeep),
                                                         Int32(3, "endPort", kKeep)};
constinit const ProtoMessage kNetworkPolicyPort = Message("NetworkPolicyPort", kNetworkPolicyPortFields);

constinit const ProtoField kIPBlockFields[] = {Str(1, "cidr", kKeep), Str(2, "except", kRep)};
constinit const ProtoMessage kIPBlock = Message("IPBlock", kIPBlockFields);

constinit const ProtoField kNetworkPolicyPeerFields[] = {
    Msg(1, "podSelector", kProtoLabelSelector),
    Msg(2, "namespaceSelector", kProtoLabelSelector),
    Msg(3, "ipBlock", kIPBlock),
};
constinit const ProtoMessage kNetworkPolicyPeer = Message("NetworkPolicyPeer", kNetworkPolicyPeerFields);

constinit const ProtoField kNetworkPolicyIngressRuleFields[] = {Msg(1, "ports", kNetworkPolicyPort, kRep),
                                                                Msg(2, "from", kNetworkPolicyPeer, kRep)};
constinit const ProtoMessage kNetworkPolicyIngressRule =
    Message("NetworkPolicyIngressRule", kNetworkPolicyIngressRuleFields);

constinit const ProtoField kNetworkPolicyEgressRuleFields[] = {Msg(1, "ports", kNetworkPolicyPort, kRep),
                                                               Msg(2, "to", kNetworkPolicyPeer, kRep)};
constinit const ProtoMessage kNetworkPolicyEgressRule =
    Message("NetworkPolicyEgressRule", kNetworkPolicyEgressRuleFields);

constinit const ProtoField kNetworkPolicySpecFields[] = {
    Msg(1, "podSelector", kProtoLabelSelector),
    Msg(2, "ingress", kNetworkPolicyIngressRule, kRep),
    Msg(3, "egress", kNetworkPolicyEgressRule, kRep),
    Str(4, "policyTypes", kRep),
};
constinit const ProtoMessage kNetworkPolicySpec = Message("NetworkPolicySpec", kNetworkPolicySpecFields);

constinit const ProtoField kNetworkPolicyFields[] = {
    Msg(1, "metadata", kProtoObjectMeta),
    Msg(2, "spec", kNetworkPolicySpec),
};

}  // namespace

constinit const ProtoMessage kProtoIngress = Message("Ingress", kIngressFields);
constinit const ProtoMessage kProtoIngressClass = Message("IngressClass", kIngressClassFields);
constinit const ProtoMessage kProtoNetworkPolicy = Message("NetworkPolicy", kNetworkPolicyFields);

}  // namespace skiff::api
