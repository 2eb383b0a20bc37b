// Validation of core/v1 Services that the field schema cannot express, with Kubernetes' wording:
// ports required (except ExternalName and headless), port names (required when there are several,
// DNS labels, unique), unique port/protocol pairs, targetPort numbers 1-65535 or IANA service
// names, externalName for ExternalName services, sessionAffinityConfig only with ClientIP. Rules
// that depend on allocation or on the type an update leaves (nodePort, clusterIP changes) are
// checked by the API server's ServiceAllocations.
// Thread-safety: pure function. Never fails: returns the violations (empty when valid).
#ifndef SKIFF_API_SERVICE_RULES_H_
#define SKIFF_API_SERVICE_RULES_H_

#include <vector>

#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::api {

std::vector<FieldError> ValidateServiceRules(const boost::json::value& svc);

// IANA_SVC_NAME: 1-15 characters of [a-z0-9-], at least one letter, no leading, trailing or
// doubled '-' (named container and target ports). Returns the violated rules.
std::vector<std::string> IsIanaServiceName(std::string_view name);

}  // namespace skiff::api

#endif  // SKIFF_API_SERVICE_RULES_H_
