// Defaulting of API objects: every `default=` of the schema, recursively (into nested structs,
// list elements and map values), plus the conditional defaults Kubernetes codes in its
// SetDefaults_* functions (image pull policy from the image tag, Service port targetPort = port,
// Deployment rolling-update parameters, ...), applied per schema type wherever it occurs.
//
// Order per object, as Kubernetes' generated defaulters do it: the object's own schema defaults,
// then its type's conditional defaults, then its fields recursively. A string field holding ""
// counts as unset (Go cannot tell the two apart); other fields are unset only when absent or null.
// Thread-safety: pure function over immutable schemas. Ownership: edits the caller's value in
// place. Never fails: values of the wrong JSON type are left alone (validation reports them).
#ifndef SKIFF_API_DEFAULTS_H_
#define SKIFF_API_DEFAULTS_H_

#include <string_view>

#include "api/schema.h"
#include "boost/json/value.hpp"

namespace skiff::api {

void ApplyDefaults(const TypeSchema& type, boost::json::value& obj);

// The conditional defaulting function for a schema type (by full name), or nullptr.
using ConditionalDefaulter = void (*)(boost::json::object& obj);
ConditionalDefaulter ConditionalDefaulterFor(std::string_view type_full_name);

// Kubernetes' rule for an unset imagePullPolicy: Always for the tag `latest` or no tag (and no
// digest), IfNotPresent otherwise.
std::string_view DefaultImagePullPolicy(std::string_view image);

}  // namespace skiff::api

#endif  // SKIFF_API_DEFAULTS_H_
