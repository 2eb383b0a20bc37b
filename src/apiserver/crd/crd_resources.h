// The resources a CustomResourceDefinition serves: one api::ResourceInfo per served version, built
// from the CRD's accepted names (listKind included), scope, subresources, printer columns, schema,
// conversion and deletion state, ordered as
// kube-apiserver orders versions in discovery (preferred first).
// Thread-safety: pure functions. Ownership: values. Failure: none — a malformed CRD (which
// validation keeps out of storage) yields no resources.
#ifndef SKIFF_APISERVER_CRD_CRD_RESOURCES_H_
#define SKIFF_APISERVER_CRD_CRD_RESOURCES_H_

#include <string_view>
#include <vector>

#include "api/resources.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::crd {

// Kubernetes' version priority (CompareKubeAwareVersionStrings): GA before beta before alpha,
// higher numbers first within each, then other names alphabetically. True when `a` sorts first.
bool VersionBefore(std::string_view a, std::string_view b);

// The served versions of `crd` as resources, preferred version first; uses status.acceptedNames
// (the names the CRD is served under), spec names where none are accepted yet.
std::vector<api::ResourceInfo> ServedResources(const boost::json::value& crd);

}  // namespace skiff::apiserver::crd

#endif  // SKIFF_APISERVER_CRD_CRD_RESOURCES_H_
