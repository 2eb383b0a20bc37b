// TypeHintFromSchema: the TypeHint of an OpenAPI v3 (structural) schema node as JSON, the way
// Kubernetes types `self` for a CRD's x-kubernetes-validations: type integer/number/boolean/
// string/array/object, format byte/date/date-time/duration, x-kubernetes-int-or-string,
// x-kubernetes-preserve-unknown-fields, x-kubernetes-embedded-resource (apiVersion, kind and
// metadata.name/generateName are declared), additionalProperties maps, and the size bounds
// maxLength/maxItems/maxProperties (an enum bounds a string by its longest value).
// Thread-safety: pure function. Ownership: the result shares nothing with the input.
// Failure: never fails; anything it does not recognize is dyn. Recursion follows the schema's
// own nesting, which the caller's JSON parser has already bounded.
#ifndef SKIFF_API_CEL_SCHEMA_HINT_H_
#define SKIFF_API_CEL_SCHEMA_HINT_H_

#include <memory>

#include "api/cel/type_hint.h"
#include "boost/json/value.hpp"

namespace skiff::api::cel {

std::shared_ptr<const TypeHint> TypeHintFromSchema(const boost::json::value& schema);

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_SCHEMA_HINT_H_
