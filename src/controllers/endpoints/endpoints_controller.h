// EndpointsController: keeps the core/v1 Endpoints named like each Service (Kubernetes'
// endpoint-controller) for Services with a non-empty selector that are not ExternalName. The
// addresses are the selected pods of the Service's namespace that have an IP and are not finished
// (nor, without publishNotReadyAddresses, being deleted): ready pods under `addresses`, the rest
// under `notReadyAddresses`, grouped into subsets by the set of ports they resolve (named
// targetPorts may resolve differently per pod). Endpoints it writes carry the label
// endpoints.kubernetes.io/managed-by=endpoint-controller; it deletes only such Endpoints when their
// Service goes away or loses its selector, never user-managed ones of selector-less Services, and
// takes over an unlabelled Endpoints of a Service that has a selector. It writes only on change.
// Keys are Service keys (namespace/name).
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers. Failure: API errors fail the reconcile,
// which the work queue retries with backoff (a 409 from a stale cache included).
#ifndef SKIFF_CONTROLLERS_ENDPOINTS_ENDPOINTS_CONTROLLER_H_
#define SKIFF_CONTROLLERS_ENDPOINTS_ENDPOINTS_CONTROLLER_H_

#include <memory>
#include <string>
#include <vector>

#include "boost/json/array.hpp"
#include "client/controller.h"
#include "client/controller_context.h"
#include "controllers/endpoints/write_tracker.h"

namespace skiff::controllers::endpoints {

inline constexpr char kManagedByLabel[] = "endpoints.kubernetes.io/managed-by";
inline constexpr char kManagedByValue[] = "endpoint-controller";

// The subsets of the Endpoints for `service` given its selected `pods`, sorted deterministically
// (subsets by port set, addresses by IP then pod uid).
boost::json::array DesiredSubsets(const boost::json::value& service, const std::vector<client::Object>& pods);

class EndpointsController : public client::Runnable, public client::Reconciler {
 public:
  explicit EndpointsController(const client::ControllerContext& context, int workers = 5);
  ~EndpointsController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  client::ReconcileResult DeleteIfOurs(const std::string& key, const client::Object& existing);

  client::ControllerContext context_;
  int workers_;
  client::Informer* services_;
  client::Informer* pods_;
  client::Informer* endpoints_;
  WriteTracker tracker_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewEndpointsController(const client::ControllerContext& context);

}  // namespace skiff::controllers::endpoints

#endif  // SKIFF_CONTROLLERS_ENDPOINTS_ENDPOINTS_CONTROLLER_H_
