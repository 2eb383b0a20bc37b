// Node identities, as Kubernetes' NodeIdentifier recognises them: a user named
// "system:node:NAME" in the group "system:nodes" is the node NAME.
// Thread-safety: a pure function. Failure: none (not a node: nullopt).
#ifndef SKIFF_APISERVER_NODE_AUTHORIZER_NODE_IDENTITY_H_
#define SKIFF_APISERVER_NODE_AUTHORIZER_NODE_IDENTITY_H_

#include <optional>
#include <string>

#include "apiserver/auth.h"

namespace skiff::apiserver::node_authorizer {

// The node `user` is, or nullopt when it is no node. A user in system:nodes with a name lacking
// the prefix is a node with an empty name (Kubernetes refuses such requests; so do callers).
std::optional<std::string> NodeNameOf(const User& user);

}  // namespace skiff::apiserver::node_authorizer

#endif  // SKIFF_APISERVER_NODE_AUTHORIZER_NODE_IDENTITY_H_
