// quota::Sources: what the LimitRanger and ResourceQuota plug-ins read of the cluster, so that
// this library needs only the admission chain's headers (the API server serves it from its watch
// cache: apiserver/quota_sources.h).
// Thread-safety: implementations must allow concurrent calls. Ownership: the plug-ins borrow it.
// Failure: never fails; a namespace with nothing stored lists nothing.
#ifndef SKIFF_APISERVER_QUOTA_SOURCES_INTERFACE_H_
#define SKIFF_APISERVER_QUOTA_SOURCES_INTERFACE_H_

#include <cstdint>
#include <string_view>

#include "absl/functional/function_ref.h"

namespace skiff::apiserver::quota {

class Sources {
 public:
  // One stored object: its name, the revision it was stored at, and its JSON (valid during the call).
  using Visitor = absl::FunctionRef<void(std::string_view name, int64_t revision, std::string_view json)>;

  virtual ~Sources() = default;
  // Visits every stored object of `plural` in API group `group` in namespace `ns`, in name order,
  // and returns the store revision the listing reflects.
  virtual int64_t List(std::string_view group, std::string_view plural, std::string_view ns,
                       Visitor visit) const = 0;
};

}  // namespace skiff::apiserver::quota

#endif  // SKIFF_APISERVER_QUOTA_SOURCES_INTERFACE_H_
