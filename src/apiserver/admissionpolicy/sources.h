// Sources: what the ValidatingAdmissionPolicy plug-in reads of the cluster — the stored policies
// and bindings (with the revisions that tell when they changed), Namespaces (for
// namespaceSelector and namespaceObject) and parameter objects. The API server serves it from its
// watch cache (apiserver/policy_sources.h).
// Thread-safety: implementations must allow concurrent calls. Ownership: results by value.
// Failure: Namespace and Param answer NotFound for an unknown object.
#ifndef SKIFF_APISERVER_ADMISSIONPOLICY_SOURCES_H_
#define SKIFF_APISERVER_ADMISSIONPOLICY_SOURCES_H_

#include <cstdint>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/label_selector.h"
#include "api/resources.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::admissionpolicy {

class Sources {
 public:
  virtual ~Sources() = default;
  // The newest revision of the policies (`bindings` false) or of the bindings: when neither
  // moved, what was compiled before is still current.
  virtual int64_t Revision(bool bindings) const = 0;
  // Every stored policy (`bindings` false) or binding.
  virtual std::vector<boost::json::value> Objects(bool bindings) const = 0;
  virtual absl::StatusOr<boost::json::value> Namespace(std::string_view name) const = 0;
  // One object of `resource` (ns "" for cluster-scoped resources).
  virtual absl::StatusOr<boost::json::value> Param(const api::ResourceInfo& resource, std::string_view ns,
                                                   std::string_view name) const = 0;
  // The objects of `resource` in `ns` ("" = every namespace, or cluster-scoped) that `selector` matches.
  virtual std::vector<boost::json::value> Params(const api::ResourceInfo& resource, std::string_view ns,
                                                 const api::LabelSelector& selector) const = 0;
};

}  // namespace skiff::apiserver::admissionpolicy

#endif  // SKIFF_APISERVER_ADMISSIONPOLICY_SOURCES_H_
