// IngressStatusController: keeps status.loadBalancer.ingress = [{ip}] of every Ingress that skiff's
// built-in ingress controller serves (spec.ingressClassName `skiff` or of an IngressClass whose
// spec.controller is skiff.dev/ingress; or no class at all) equal to the InternalIP addresses of
// the Ready nodes, sorted and de-duplicated: every agent runs the ingress proxy on its node
// addresses. Ingresses of other classes are left alone. Writes go through the status subresource
// and only when the status differs. Node changes that alter the address set, and IngressClass
// changes, re-reconcile every Ingress. Runs in the controller manager (leader only).
// It also keeps, per namespace, the Role kTlsReaderRole (get on exactly the Secrets named by the
// namespace's Ingresses of ours in spec.tls) bound to group system:nodes, removed when no such
// Secret is left: the node agents' ingress proxies may read those Secrets and no others (the
// Node authorizer grants a node only the Secrets of its own pods).
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers. Failure: API errors fail the reconcile,
// which the work queue retries with backoff.
#ifndef SKIFF_CONTROLLERS_INGRESSSTATUS_INGRESS_STATUS_CONTROLLER_H_
#define SKIFF_CONTROLLERS_INGRESSSTATUS_INGRESS_STATUS_CONTROLLER_H_

#include <memory>
#include <set>
#include <string>
#include <vector>

#include "boost/json/value.hpp"
#include "client/controller.h"
#include "client/controller_context.h"
#include "controllers/endpoints/write_tracker.h"

namespace skiff::controllers::ingressstatus {

inline constexpr char kIngressController[] = "skiff.dev/ingress";
inline constexpr char kIngressClass[] = "skiff";
// The Role (and RoleBinding to group system:nodes) in each namespace with TLS Ingresses of ours:
// get on exactly the Secrets their spec.tls entries name, so the node agents can serve them.
inline constexpr char kTlsReaderRole[] = "skiff:ingress-tls";

// The addresses a node contributes: its InternalIPs when it is Ready, else none.
std::vector<std::string> NodeIngressAddresses(const boost::json::value& node);

// Whether the built-in controller serves the Ingress, given the names of the IngressClasses whose
// controller is kIngressController.
bool IsSkiffIngress(const boost::json::value& ingress, const std::set<std::string>& classes);

// The Secret names spec.tls of the namespace's Ingresses of ours reference.
std::set<std::string> TlsSecretNames(const std::vector<client::Object>& ingresses, const std::string& ns,
                                     const std::set<std::string>& classes);

class IngressStatusController : public client::Runnable, public client::Reconciler {
 public:
  explicit IngressStatusController(const client::ControllerContext& context, int workers = 2);
  ~IngressStatusController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  void EnqueueAll();
  std::set<std::string> OurClasses() const;
  client::ReconcileResult ReconcileTlsAccess(const std::string& ns);

  client::ControllerContext context_;
  int workers_;
  client::Informer* ingresses_;
  client::Informer* classes_;
  client::Informer* nodes_;
  endpoints::WriteTracker tracker_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewIngressStatusController(const client::ControllerContext& context);

}  // namespace skiff::controllers::ingressstatus

#endif  // SKIFF_CONTROLLERS_INGRESSSTATUS_INGRESS_STATUS_CONTROLLER_H_
