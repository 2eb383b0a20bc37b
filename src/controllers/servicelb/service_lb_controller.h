// ServiceLbController: skiff's built-in load balancer for Services of type LoadBalancer without
// spec.loadBalancerClass (like k3s's servicelb, but without helper pods: the node proxy accepts
// the traffic on node addresses). It keeps status.loadBalancer.ingress = [{ip, ipMode: VIP}] for
// every Node that is Ready and schedulable, using the node's ExternalIP addresses if it has any,
// else its InternalIP ones (only families listed in spec.ipFamilies, when set), sorted and
// de-duplicated; when a Service stops being a LoadBalancer its status.loadBalancer is cleared to
// {}. Writes go through the status subresource and only when the status differs. Node changes
// that alter the address set re-reconcile every LoadBalancer Service. Keys are Service keys.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers. Failure: API errors fail the reconcile,
// which the work queue retries with backoff.
#ifndef SKIFF_CONTROLLERS_SERVICELB_SERVICE_LB_CONTROLLER_H_
#define SKIFF_CONTROLLERS_SERVICELB_SERVICE_LB_CONTROLLER_H_

#include <memory>
#include <string>
#include <vector>

#include "boost/json/value.hpp"
#include "client/controller.h"
#include "client/controller_context.h"
#include "controllers/endpoints/write_tracker.h"

namespace skiff::controllers::servicelb {

// The load balancer addresses a node contributes (empty when not Ready or unschedulable).
std::vector<std::string> NodeIngressAddresses(const boost::json::value& node);

class ServiceLbController : public client::Runnable, public client::Reconciler {
 public:
  explicit ServiceLbController(const client::ControllerContext& context, int workers = 2);
  ~ServiceLbController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  void EnqueueLoadBalancers();

  client::ControllerContext context_;
  int workers_;
  client::Informer* services_;
  client::Informer* nodes_;
  endpoints::WriteTracker tracker_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewServiceLbController(const client::ControllerContext& context);

}  // namespace skiff::controllers::servicelb

#endif  // SKIFF_CONTROLLERS_SERVICELB_SERVICE_LB_CONTROLLER_H_
