// GatewayStatusController: writes the status of skiff's Gateway API objects (status.h): our
// GatewayClasses, their Gateways (addresses = the Ready nodes' InternalIPs, listener conditions,
// attachedRoutes) and the HTTPRoutes that name them (per-parent Accepted / ResolvedRefs). It
// runs in the controller manager (leader only). The Gateway API kinds come from CRDs the user
// installs: until all of GatewayClass, Gateway, HTTPRoute (v1) and ReferenceGrant (v1beta1) are
// served, the controller checks every probe_period and otherwise does nothing. Any change of those
// objects, Services, Nodes or Namespaces recomputes every status (a debounced full pass: the sets
// are small); only statuses that differ are written, through the status subresource.
// It also keeps, per namespace, the Role skiff:gateway-tls (get on exactly the Secrets the
// namespace's Gateways name in HTTPS listeners' certificateRefs) bound to group system:nodes, and
// removes it when none is left, so the agents can serve those certificates and read no other Secret.
// The GatewayClass itself is the user's to create (spec.controllerName
// skiff.dev/gateway-controller); skiff does not create one.
// Thread-safety: Start/Stop from one thread; one worker thread does the rest. Ownership: borrows
// the context's client and informers. Failure: API errors are logged and the pass is retried.
#ifndef SKIFF_CONTROLLERS_GATEWAY_GATEWAY_STATUS_CONTROLLER_H_
#define SKIFF_CONTROLLERS_GATEWAY_GATEWAY_STATUS_CONTROLLER_H_

#include <condition_variable>
#include <memory>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/controller_context.h"
#include "client/informer.h"
#include "client/runnable.h"

namespace skiff::controllers::gateway {

class GatewayStatusController : public client::Runnable {
 public:
  explicit GatewayStatusController(const client::ControllerContext& context,
                                   absl::Duration probe_period = absl::Seconds(2));
  ~GatewayStatusController() override;

  void Start() override;
  void Stop() override;

 private:
  void Loop();
  bool StartGatewayInformers();
  void MarkDirty();
  absl::Status Pass();

  client::ControllerContext context_;
  const absl::Duration probe_period_;
  client::Informer* services_;
  client::Informer* nodes_;
  client::Informer* namespaces_;
  // GatewayClasses, Gateways, HTTPRoutes, ReferenceGrants (worker thread; empty until served).
  std::vector<client::Informer*> gateway_informers_;
  std::vector<std::pair<client::Informer*, client::Informer::HandlerId>> handlers_;
  std::thread thread_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  bool dirty_ = true;
};

std::unique_ptr<client::Runnable> NewGatewayStatusController(const client::ControllerContext& context);

}  // namespace skiff::controllers::gateway

#endif  // SKIFF_CONTROLLERS_GATEWAY_GATEWAY_STATUS_CONTROLLER_H_
