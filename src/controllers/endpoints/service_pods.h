// Service/pod helpers shared by the Endpoints and EndpointSlice controllers: which Services get
// controller-managed endpoints, which pods back them, how a ServicePort's targetPort resolves on a
// pod (podutil.FindPort), and the pod -> Services mapping that informer handlers use.
// Thread-safety: pure functions, except the informer lookups, which are as safe as Informer.
// Ownership: inputs borrowed, results by value. Never fails: malformed fields read as absent (an
// unresolvable named port yields nullopt). Pod readiness is api::IsPodReady (api/pod_util.h).
#ifndef SKIFF_CONTROLLERS_ENDPOINTS_SERVICE_PODS_H_
#define SKIFF_CONTROLLERS_ENDPOINTS_SERVICE_PODS_H_

#include <optional>
#include <string>
#include <vector>

#include "boost/json/value.hpp"
#include "client/informer.h"

namespace skiff::controllers::endpoints {

// Index of the pod and service informers by metadata.namespace (registered by AddNamespaceIndex).
inline constexpr char kNamespaceIndex[] = "svc-namespace";
inline constexpr char kHeadlessLabel[] = "service.kubernetes.io/headless";

void AddNamespaceIndex(client::Informer& informer);

// A non-empty spec.selector and a type other than ExternalName: endpoints come from pods.
bool HasPodSelector(const boost::json::value& service);
// spec.clusterIP is "None".
bool IsHeadless(const boost::json::value& service);
// Every key of the service's spec.selector equals the pod's label (false without a selector).
bool SelectorMatches(const boost::json::value& service, const boost::json::value& pod);

// podIP set, phase not Succeeded/Failed, and (unless include_terminating) not being deleted
// (k8s endpointsliceutil.ShouldPodBeInEndpoints).
bool ShouldPodBeInEndpoints(const boost::json::value& pod, bool include_terminating);

// One ServicePort as the endpoints of a pod expose it.
struct ResolvedPort {
  std::string name;
  int64_t port = 0;
  std::string protocol;      // TCP when the service leaves it unset
  std::string app_protocol;  // "" when unset
  bool operator==(const ResolvedPort&) const = default;
  auto operator<=>(const ResolvedPort&) const = default;
};

// The pod port a ServicePort targets: an integer targetPort, a named port looked up in the pod's
// containers (and sidecar init containers) with the same protocol, or spec port when unset.
std::optional<ResolvedPort> ResolvePort(const boost::json::value& pod,
                                        const boost::json::value& service_port);
// spec.ports of the service resolved for the pod, in service order; unresolvable ones left out.
std::vector<ResolvedPort> ResolvePorts(const boost::json::value& service, const boost::json::value& pod);

// pod.spec.hostname when pod.spec.subdomain names the service (same namespace), else "".
std::string PodHostname(const boost::json::value& service, const boost::json::value& pod);

// Pods of the service's namespace that its selector matches (from the namespace index).
std::vector<client::Object> SelectedPods(const client::Informer& pods, const boost::json::value& service);
// Keys of the services in the pod's namespace whose selector matches it.
std::vector<std::string> ServicesForPod(const client::Informer& services, const boost::json::value& pod);
// Services for a pod change: those of the old and the new version (labels may have changed).
std::vector<std::string> ServicesForPodUpdate(const client::Informer& services,
                                              const boost::json::value& old_pod,
                                              const boost::json::value& new_pod);

}  // namespace skiff::controllers::endpoints

#endif  // SKIFF_CONTROLLERS_ENDPOINTS_SERVICE_PODS_H_
