// The OpenAPI v2 (Swagger 2.0) document served at /openapi/v2, encoded as the binary protobuf of
// gnostic's `openapi.v2.Document` (github.com/google/gnostic, openapiv2/OpenAPIv2.proto), the only
// v2 encoding kubectl asks for. kubectl falls back to it for client-side validation of `kind: List`
// manifests: every item is checked against the definition tagged with its
// `x-kubernetes-group-version-kind` (unknown fields and wrong types are errors).
// The document carries swagger/info, empty paths and one definition per schema type (plus the
// generated <Kind>List types), shaped like the real API server's: `$ref: #/definitions/<name>` with
// sibling descriptions, IntOrString and Quantity as `type: string` (which kubectl's validator
// accepts for numbers too), vendor extensions as YAML text in `Any.yaml`.
// The definitions come from the same walk as OpenAPI v3 (openapi_schemas.h), so both agree.
// Thread-safety: pure functions over immutable schemas; the Builtin* accessors compute once on
// first use (thread-safe static initialisation) and return references to immutable data.
// Ownership: results are returned by value or refer to static storage. Never fails.
#ifndef SKIFF_API_OPENAPI_V2_H_
#define SKIFF_API_OPENAPI_V2_H_

#include <string>
#include <string_view>

#include "api/schema.h"
#include "boost/json/object.hpp"

namespace skiff::api {

// kubectl asks with `Accept: application/com.github.proto-openapi.spec.v2@v1.0+protobuf`, but '@'
// is not a token character, so the answer must carry this form instead (as kube-openapi does):
// client-go parses the response Content-Type and fails on the '@' form.
inline constexpr std::string_view kOpenApiV2ProtobufContentType =
    "application/com.github.proto-openapi.spec.v2.v1.0+protobuf";

// The serialized `openapi.v2.Document` for every type and kind in `registry`.
std::string OpenApiV2Protobuf(const SchemaRegistry& registry);
// Same, with BuiltinSchemas().
std::string OpenApiV2Protobuf();
// The built-in document plus `extra` definitions (name -> OpenAPI v2 schema, `$ref`s to
// "#/definitions/..."), as the API server serves custom resources' published schemas.
std::string OpenApiV2Protobuf(const boost::json::object& extra);

// OpenApiV2Protobuf() computed once, and its quoted ETag ("\"<ContentHash>\"").
const std::string& BuiltinOpenApiV2Protobuf();
const std::string& BuiltinOpenApiV2ETag();

}  // namespace skiff::api

#endif  // SKIFF_API_OPENAPI_V2_H_
