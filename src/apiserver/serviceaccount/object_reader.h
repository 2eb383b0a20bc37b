// ObjectReader: how ServiceAccount token code reads the objects a token names (serviceaccounts,
// pods, secrets, nodes). The API server implements it over its watch cache, so verifying a token
// never costs a storage round trip; tests implement it over a map.
// Thread-safety: implementations must allow concurrent Get calls. Ownership: callers borrow the
// reader, which outlives them. Failure: Get returns the Kubernetes NotFound error (api/errors.h)
// for a missing object.
#ifndef SKIFF_APISERVER_SERVICEACCOUNT_OBJECT_READER_H_
#define SKIFF_APISERVER_SERVICEACCOUNT_OBJECT_READER_H_

#include <string>
#include "absl/strings/string_view.h"

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::serviceaccount {

class ObjectReader {
 public:
  virtual ~ObjectReader() = default;
  // The current object of core/v1 `resource` ("serviceaccounts", "pods", "secrets", "nodes");
  // `ns` is empty for nodes.
  virtual absl::StatusOr<boost::json::value> Get(absl::string_view resource, const std::string& ns,
                                                 const std::string& name) const = 0;
};

}  // namespace skiff::apiserver::serviceaccount

#endif  // SKIFF_APISERVER_SERVICEACCOUNT_OBJECT_READER_H_
