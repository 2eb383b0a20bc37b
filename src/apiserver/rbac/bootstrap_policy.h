// The bootstrap RBAC policy of Kubernetes 1.32 (kube-apiserver's bootstrappolicy), as data:
// the default ClusterRoles (cluster-admin, admin/edit/view with their aggregation labels, the
// system:* roles of the control-plane components and the system:controller:* roles of the
// controllers skiff runs) and their default ClusterRoleBindings; and the reconciliation rule the
// API server applies to them at start (rbac.authorization.kubernetes.io/autoupdate: objects not
// marked "false" get missing rules, labels, aggregation selectors and subjects added, never removed).
// Thread-safety: pure functions over immutable data. Failure: none.
#ifndef SKIFF_APISERVER_RBAC_BOOTSTRAP_POLICY_H_
#define SKIFF_APISERVER_RBAC_BOOTSTRAP_POLICY_H_

#include <optional>
#include <vector>

#include "boost/json/value.hpp"

namespace skiff::apiserver::rbac {

// rbac.authorization.k8s.io/v1 ClusterRole objects.
std::vector<boost::json::value> BootstrapClusterRoles();
// rbac.authorization.k8s.io/v1 ClusterRoleBinding objects.
std::vector<boost::json::value> BootstrapClusterRoleBindings();

// The object to store for a bootstrap object `expected` given what is stored (`existing`, null
// when absent): `expected` itself when absent, nullopt when nothing needs to change (up to date,
// or autoupdate is "false"), else `existing` with what is missing added.
std::optional<boost::json::value> ReconcileClusterRole(const boost::json::value& expected,
                                                       const boost::json::value* existing);
std::optional<boost::json::value> ReconcileClusterRoleBinding(const boost::json::value& expected,
                                                              const boost::json::value* existing);

}  // namespace skiff::apiserver::rbac

#endif  // SKIFF_APISERVER_RBAC_BOOTSTRAP_POLICY_H_
