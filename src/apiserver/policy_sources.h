// The ValidatingAdmissionPolicy plug-in's view of the cluster (admissionpolicy::Sources) served
// from the watch cache: policies and bindings (with the revisions that tell when they changed),
// Namespaces and parameter objects of any served resource (custom resources included).
// Thread-safety: safe to call concurrently (the WatchCache is). Ownership: borrows the cache,
// which must outlive it. Failure: Namespace and Param answer NotFound for an unknown object.
#ifndef SKIFF_APISERVER_POLICY_SOURCES_H_
#define SKIFF_APISERVER_POLICY_SOURCES_H_

#include "apiserver/admissionpolicy/sources.h"
#include "apiserver/watch_cache.h"

namespace skiff::apiserver {

class PolicySources : public admissionpolicy::Sources {
 public:
  explicit PolicySources(const WatchCache* cache) : cache_(cache) {}
  int64_t Revision(bool bindings) const override;
  std::vector<boost::json::value> Objects(bool bindings) const override;
  absl::StatusOr<boost::json::value> Namespace(std::string_view name) const override;
  absl::StatusOr<boost::json::value> Param(const api::ResourceInfo& resource, std::string_view ns,
                                           std::string_view name) const override;
  std::vector<boost::json::value> Params(const api::ResourceInfo& resource, std::string_view ns,
                                         const api::LabelSelector& selector) const override;

 private:
  const WatchCache* cache_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_POLICY_SOURCES_H_
