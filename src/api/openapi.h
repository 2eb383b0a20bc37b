// OpenAPI v3 documents generated from the schemas, as served at /openapi/v3 (root) and
// /openapi/v3/api/v1, /openapi/v3/apis/<group>/<version> (one document per group version).
// kubectl reads them to learn that the server validates fields (a `fieldValidation` parameter on
// each kind's PATCH operation), to compute client-side-apply strategic merge patches
// (components.schemas with x-kubernetes-patch-* extensions) and for `kubectl explain`.
// The shapes follow the real API server: `$ref`s to other schemas are wrapped in `allOf`, top-level
// kinds and their generated List types carry `x-kubernetes-group-version-kind` arrays.
// Thread-safety: pure functions over immutable schemas. Ownership: results returned by value.
// Failure: none; a resource whose kind has no schema gets paths and a free-form object schema.
#ifndef SKIFF_API_OPENAPI_H_
#define SKIFF_API_OPENAPI_H_

#include <string>
#include <string_view>
#include <vector>

#include "api/schema.h"
#include "boost/json/value.hpp"

namespace skiff::api {

struct SubresourceSpec {
  std::string name;  // "status", "scale", "log", "eviction", ...
  // Kind exchanged by the subresource (group/version may differ, e.g. autoscaling/v1 Scale).
  std::string group, version, kind;
  std::vector<std::string> verbs;  // "get", "update", "patch", "create"
};

// One served resource of a group version, as the API server registers it.
struct PathSpec {
  std::string plural;  // "deployments"
  std::string kind;    // "Deployment"
  bool namespaced = true;
  // Kubernetes verbs: get, list, watch, create, update, patch, delete, deletecollection.
  std::vector<std::string> verbs;
  std::vector<SubresourceSpec> subresources;
};

// "api/v1" for the core group, "apis/<group>/<version>" otherwise.
std::string GroupVersionPath(std::string_view group, std::string_view version);

// The OpenAPI 3.0 document of one group version (JSON text).
std::string OpenApiV3Document(const SchemaRegistry& registry, std::string_view group,
                              std::string_view version, const std::vector<PathSpec>& paths);
// Same, with BuiltinSchemas().
std::string OpenApiV3Document(std::string_view group, std::string_view version,
                              const std::vector<PathSpec>& paths);
// The document as a JSON value (for tests and for callers that post-process).
boost::json::value OpenApiV3DocumentValue(const SchemaRegistry& registry, std::string_view group,
                                          std::string_view version, const std::vector<PathSpec>& paths);

struct OpenApiGroupVersion {
  std::string path;      // GroupVersionPath(), e.g. "apis/apps/v1"
  std::string document;  // the text served at /openapi/v3/<path>
};

// Root document: {"paths":{"<path>":{"serverRelativeURL":"/openapi/v3/<path>?hash=<H>"}}} where
// H = ContentHash(document), so clients re-fetch exactly when a document changes.
std::string OpenApiV3Root(const std::vector<OpenApiGroupVersion>& group_versions);

// A stable (process-independent) hex digest of `content`, usable as hash parameter and ETag.
std::string ContentHash(std::string_view content);

}  // namespace skiff::api

#endif  // SKIFF_API_OPENAPI_H_
