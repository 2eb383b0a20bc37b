// Validation of networking.k8s.io/v1 Ingress and IngressClass that the field schema cannot
// express, as Kubernetes 1.32's pkg/apis/networking/validation, with its field paths and wording:
//   * Ingress: rules or a default backend; each backend a Service (DNS-1035 name, port by name xor
//     number) xor a resource; paths absolute for Exact/Prefix without //, /./, /../, %2f or a
//     trailing /. or /..; pathType required; hosts DNS-1123 subdomains (a leading "*." allowed),
//     not IPs; TLS hosts and Secret names; ingressClassName a subdomain and, on create, equal to
//     the kubernetes.io/ingress.class annotation when both are set; status addresses (IPs, DNS
//     names). Updates keep accepting an invalid TLS Secret name or wildcard-host rule the stored
//     object already had (kube's ratcheting).
//   * IngressClass: controller required, a domain-prefixed path of at most 250 bytes (its
//     immutability comes from the schema); parameters kind and name path segments, apiGroup a
//     subdomain, scope Cluster (no namespace) or Namespace (namespace required, a DNS label).
// Enums, required fields and JSON types are also checked by the schema (api/validation.h); where
// both report a field, the API server keeps these rules' wording (SchemaAdmission).
// Thread-safety: pure functions. Never fails: returns the violations (empty when valid).
#ifndef SKIFF_API_INGRESS_RULES_H_
#define SKIFF_API_INGRESS_RULES_H_

#include <vector>

#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::api {

// `old_obj` is null on create.
std::vector<FieldError> ValidateIngressRules(const boost::json::value& ingress,
                                             const boost::json::value* old_obj);
std::vector<FieldError> ValidateIngressClassRules(const boost::json::value& ingress_class);

}  // namespace skiff::api

#endif  // SKIFF_API_INGRESS_RULES_H_
