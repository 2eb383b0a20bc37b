// Removing one finalizer from an object, shared by the volume controllers.
// Thread-safety: stateless. Ownership: borrows the client. Failure: the Update's error (409 when
// the object changed since `obj` was read; the caller retries from a fresh read).
#ifndef SKIFF_CONTROLLERS_VOLUME_FINALIZERS_H_
#define SKIFF_CONTROLLERS_VOLUME_FINALIZERS_H_

#include <string>

#include "client/client.h"

namespace skiff::controllers::volume {

// Writes `obj` without `finalizer` (with obj's resourceVersion as precondition); OK at once when
// it does not carry it.
absl::Status RemoveFinalizer(client::Client* client, const api::ResourceInfo& resource, const boost::json::value& obj,
                             const std::string& finalizer, const std::string& field_manager);

}  // namespace skiff::controllers::volume

#endif  // SKIFF_CONTROLLERS_VOLUME_FINALIZERS_H_
