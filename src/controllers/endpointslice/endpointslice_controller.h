// EndpointSliceController: keeps the discovery.k8s.io/v1 EndpointSlices of Services with a
// non-empty selector that are not ExternalName (Kubernetes' endpointslice-controller). Slices are
// labelled kubernetes.io/service-name=<svc> and endpointslice.kubernetes.io/managed-by=
// endpointslice-controller.k8s.io (plus the Service's labels and service.kubernetes.io/headless for
// headless Services), owned by the Service, addressType IPv4, and group endpoints by the ports
// they resolve (named targetPorts may differ per pod). Every selected pod with an IPv4 podIP that
// has not finished is an endpoint, terminating ones included (terminating=true, ready=false), with
// ready/serving/terminating conditions, nodeName, zone (the node's topology.kubernetes.io/zone),
// targetRef and hostname. SlicePlanner keeps churn small; nothing is written when nothing changed.
// Slices of other managers are ignored; this controller's slices are deleted when their Service
// goes away or stops qualifying. Keys are Service keys (namespace/name).
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers. Failure: API errors fail the reconcile,
// which the work queue retries with backoff; writes already made are tracked so the retry does
// not repeat them against a stale cache.
#ifndef SKIFF_CONTROLLERS_ENDPOINTSLICE_ENDPOINTSLICE_CONTROLLER_H_
#define SKIFF_CONTROLLERS_ENDPOINTSLICE_ENDPOINTSLICE_CONTROLLER_H_

#include <memory>
#include <string>
#include <vector>

#include "client/controller.h"
#include "client/controller_context.h"
#include "controllers/endpoints/write_tracker.h"
#include "controllers/endpointslice/slice_planner.h"

namespace skiff::controllers::endpointslice {

inline constexpr char kServiceNameLabel[] = "kubernetes.io/service-name";
inline constexpr char kManagedByLabel[] = "endpointslice.kubernetes.io/managed-by";
inline constexpr char kManagedByValue[] = "endpointslice-controller.k8s.io";
inline constexpr char kZoneLabel[] = "topology.kubernetes.io/zone";

class EndpointSliceController : public client::Runnable, public client::Reconciler {
 public:
  struct Options {
    int workers = 5;
    size_t max_endpoints_per_slice = 100;  // Kubernetes' --max-endpoints-per-slice
  };

  explicit EndpointSliceController(const client::ControllerContext& context, Options options);
  explicit EndpointSliceController(const client::ControllerContext& context)
      : EndpointSliceController(context, Options{}) {}
  ~EndpointSliceController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  DesiredState Desired(const boost::json::value& service) const;
  void EnqueueServicesOfNode(const std::string& node_name);

  client::ControllerContext context_;
  Options options_;
  client::Informer* services_;
  client::Informer* pods_;
  client::Informer* nodes_;
  client::Informer* slices_;
  endpoints::WriteTracker tracker_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewEndpointSliceController(const client::ControllerContext& context);

}  // namespace skiff::controllers::endpointslice

#endif  // SKIFF_CONTROLLERS_ENDPOINTSLICE_ENDPOINTSLICE_CONTROLLER_H_
