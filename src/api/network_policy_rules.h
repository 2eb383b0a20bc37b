// Validation of networking.k8s.io/v1 NetworkPolicy that the field schema cannot express, as
// Kubernetes 1.32's pkg/apis/networking/validation, with its field paths and wording: ports
// (1-65535; named ports IANA service names; endPort only after a numeric port and not below it),
// peers (at least one of podSelector, namespaceSelector, ipBlock; an ipBlock alone), ipBlock
// CIDRs with every except entry strictly inside cidr, policyTypes Ingress or Egress, at most two.
// Label selectors, the protocol enum and JSON types are the schema's (api/validation.h).
// Thread-safety: pure function. Never fails: returns the violations (empty when valid).
#ifndef SKIFF_API_NETWORK_POLICY_RULES_H_
#define SKIFF_API_NETWORK_POLICY_RULES_H_

#include <vector>

#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::api {

std::vector<FieldError> ValidateNetworkPolicyRules(const boost::json::value& policy);

}  // namespace skiff::api

#endif  // SKIFF_API_NETWORK_POLICY_RULES_H_
