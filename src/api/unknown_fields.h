// Unknown-field detection and pruning against a schema, for the `fieldValidation` query
// parameter: Strict rejects (400) with the messages of FindUnknownFields, Warn returns them as
// Warning headers, Ignore silently drops them (PruneUnknownFields).
// Messages use Kubernetes' strict-decoding wording: `unknown field "spec.foo"`,
// `unknown field "spec.template.spec.containers[0].imagePullPolicyy"`. Keys starting with '$'
// (patch directives) are not reported. Struct types without fields and `any` fields are open.
// Thread-safety: pure functions. Ownership: PruneUnknownFields edits the caller's value in place.
// Never fails.
#ifndef SKIFF_API_UNKNOWN_FIELDS_H_
#define SKIFF_API_UNKNOWN_FIELDS_H_

#include <string>
#include <vector>

#include "api/schema.h"
#include "boost/json/value.hpp"

namespace skiff::api {

std::vector<std::string> FindUnknownFields(const TypeSchema& type, const boost::json::value& obj);

// Removes unknown fields; returns the same messages FindUnknownFields would have.
std::vector<std::string> PruneUnknownFields(const TypeSchema& type, boost::json::value& obj);

}  // namespace skiff::api

#endif  // SKIFF_API_UNKNOWN_FIELDS_H_
