// What kube-apiserver sets up for the aggregation layer when it starts:
//   - a Local APIService for every group version this server serves (the autoregister
//     controller; v1beta1.metrics.k8s.io too, since skiff serves metrics itself), with Kubernetes'
//     discovery priorities and the label kube-aggregator.kubernetes.io/automanaged=onstart;
//   - the kube-system/extension-apiserver-authentication ConfigMap that extension API servers read
//     to authenticate clients: client-ca-file and the requestheader-* keys (the front-proxy CA, the
//     allowed client name and the X-Remote-* header names);
//   - the Role kube-system/extension-apiserver-authentication-reader that lets them read it.
// Thread-safety: call from one thread at startup. Ownership: borrows the storage.
// Failure: storage errors are returned (an object created meanwhile by another server is fine).
#ifndef SKIFF_APISERVER_AGGREGATOR_BOOTSTRAP_H_
#define SKIFF_APISERVER_AGGREGATOR_BOOTSTRAP_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "apiserver/resource_storage.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver {

// Kubernetes' groupPriorityMinimum / versionPriority for a built-in group version (kube-apiserver's
// table; groups it does not list get 1000 / 15, below every built-in group).
struct ApiServicePriority {
  int64_t group = 1000;
  int64_t version = 15;
};
ApiServicePriority BuiltinPriority(const std::string& group, const std::string& version);

// The Local APIServices for the catalogue's group versions and metrics.k8s.io, in catalogue order.
std::vector<boost::json::value> LocalApiServices();
// Creates the missing ones, restores the spec of those still labelled automanaged=onstart, and
// deletes those so labelled that no served group version wants any more (as autoregister does).
absl::Status EnsureLocalApiServices(ResourceStorage* storage);

struct ExtensionAuthentication {
  std::string client_ca_pem;       // the cluster CA (client certificates)
  std::string front_proxy_ca_pem;  // the requestheader client CA
};
absl::Status PublishExtensionAuthentication(ResourceStorage* storage, const ExtensionAuthentication& auth);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_AGGREGATOR_BOOTSTRAP_H_
