// Creates and reconciles the bootstrap RBAC policy (rbac/bootstrap_policy.h) at server start, as
// kube-apiserver's rbac/bootstrap-roles post-start hook does: missing ClusterRoles and
// ClusterRoleBindings are created; existing ones not annotated autoupdate=false get what they lack.
// Thread-safety: call once, before serving. Ownership: borrows the storage.
// Failure: the first storage error that is not a lost race (409) is returned.
#ifndef SKIFF_APISERVER_RBAC_BOOTSTRAP_H_
#define SKIFF_APISERVER_RBAC_BOOTSTRAP_H_

#include "absl/status/status.h"
#include "apiserver/resource_storage.h"

namespace skiff::apiserver {

absl::Status EnsureBootstrapPolicy(ResourceStorage* storage);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_RBAC_BOOTSTRAP_H_
