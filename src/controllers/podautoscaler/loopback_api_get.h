// NewLoopbackApiGet: how `skiff server` gives the HPA controller its view of the metrics APIs.
// The API server serves metrics.k8s.io itself and proxies custom.metrics.k8s.io /
// external.metrics.k8s.io to extension API servers; neither is a stored resource the in-process
// Client reaches, so the controller asks its own API server over HTTPS (as kube-controller-manager
// does), authenticated as the horizontal-pod-autoscaler ServiceAccount (group
// system:serviceaccounts) with a client certificate issued here by the cluster CA, so RBAC's
// system:controller:horizontal-pod-autoscaler role decides what it may read.
// Thread-safety: the returned function may be called concurrently. Ownership: it owns its HTTPS
// client. Failure: an unreadable kubeconfig or CA is an error here; each call returns the API's
// error or Unavailable when the server cannot be reached.
#ifndef SKIFF_CONTROLLERS_PODAUTOSCALER_LOOPBACK_API_GET_H_
#define SKIFF_CONTROLLERS_PODAUTOSCALER_LOOPBACK_API_GET_H_

#include <string>

#include "absl/status/statusor.h"
#include "client/controller_context.h"

namespace skiff::controllers::podautoscaler {

inline constexpr char kHorizontalPodAutoscalerUser[] =
    "system:serviceaccount:kube-system:horizontal-pod-autoscaler";

// `kubeconfig` names the server and its CA (the admin kubeconfig of `skiff server`); the CA
// certificate and key (PEM files) sign the controller's client certificate.
absl::StatusOr<client::ApiGet> NewLoopbackApiGet(const std::string& kubeconfig,
                                                 const std::string& ca_cert_file,
                                                 const std::string& ca_key_file);

}  // namespace skiff::controllers::podautoscaler

#endif  // SKIFF_CONTROLLERS_PODAUTOSCALER_LOOPBACK_API_GET_H_
