// Names shared by the CustomResourceDefinition code: the CRD resource, its cleanup finalizer and
// condition types, and the JSON paths of a scale subresource.
// Thread-safety: constants and pure functions. Failure: none.
#ifndef SKIFF_APISERVER_CRD_CRD_NAMES_H_
#define SKIFF_APISERVER_CRD_CRD_NAMES_H_

#include <string>
#include <string_view>
#include <vector>

#include "api/resources.h"

namespace skiff::apiserver::crd {

inline constexpr char kGroup[] = "apiextensions.k8s.io";
inline constexpr char kPlural[] = "customresourcedefinitions";
// kube-apiserver's finalizer: a CRD's objects are deleted before the CRD itself.
inline constexpr char kCleanupFinalizer[] = "customresourcecleanup.apiextensions.k8s.io";

// True for the CustomResourceDefinition resource itself.
inline bool IsCrdResource(const api::ResourceInfo& r) { return r.group == kGroup && r.plural == kPlural; }

// ".spec.replicas" -> {"spec", "replicas"}; empty for a path that is not a simple field path.
std::vector<std::string> SplitFieldPath(std::string_view json_path);

}  // namespace skiff::apiserver::crd

#endif  // SKIFF_APISERVER_CRD_CRD_NAMES_H_
