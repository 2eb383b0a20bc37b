// The OpenAPI v3 document of a custom resource group version, as kube-apiserver publishes it: the
// generic paths of each resource (api/openapi.h) with the patch types custom resources accept
// (no strategic merge patch, so kubectl sends merge patches), plus one component schema per kind —
// the CRD's openAPIV3Schema with apiVersion, kind and metadata, tagged with
// x-kubernetes-group-version-kind — which `kubectl explain` reads.
// Thread-safety: pure function. Ownership: values. Failure: none.
#ifndef SKIFF_APISERVER_CRD_CRD_OPENAPI_H_
#define SKIFF_APISERVER_CRD_CRD_OPENAPI_H_

#include <string>
#include <vector>

#include "api/resources.h"
#include "boost/json/object.hpp"

namespace skiff::apiserver::crd {

// `resources`: the custom resources of one group version.
std::string CustomResourceOpenApiV3(const std::string& group, const std::string& version,
                                    const std::vector<const api::ResourceInfo*>& resources);

// The OpenAPI v2 definitions of custom resources for /openapi/v2, as kube-apiserver publishes them:
// per kind (with a structural schema) its PublishedV2 schema and a <Kind>List, named like the v3
// components ("com.example.stable.v1.CronTab", "com.example.stable.v1.CronTabList").
boost::json::object CustomResourceDefinitionsV2(const std::vector<const api::ResourceInfo*>& resources);

}  // namespace skiff::apiserver::crd

#endif  // SKIFF_APISERVER_CRD_CRD_OPENAPI_H_
