// CsrApprovingController: kube-controller-manager's csrapproving. Approves
// kubernetes.io/kube-apiserver-client-kubelet requests whose subject and usages are a node client's
// (signer_rules.h) when the requester may ask for one: a bootstrap user (group
// system:bootstrappers: a new node) or the node itself renewing (user system:node:NAME asking for
// CN system:node:NAME). Kubernetes asks a SubjectAccessReview for certificatesigningrequests/
// nodeclient and /selfnodeclient; skiff checks those two identities directly until RBAC decides.
// Other requests are left for a person (`kubectl certificate approve|deny`). Keys are CSR names.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers and the clock. Failure: API errors fail
// the reconcile, which is retried with backoff.
#ifndef SKIFF_CONTROLLERS_CERTIFICATES_CSR_APPROVING_CONTROLLER_H_
#define SKIFF_CONTROLLERS_CERTIFICATES_CSR_APPROVING_CONTROLLER_H_

#include <memory>
#include <string>

#include "base/clock.h"
#include "boost/json/value.hpp"
#include "client/controller.h"
#include "client/controller_context.h"
#include "client/informer.h"

namespace skiff::controllers::certificates {

inline constexpr char kAutoApprovedReason[] = "AutoApproved";
inline constexpr char kAutoApprovedMessage[] =
    "Auto approving kubelet client certificate after SubjectAccessReview.";

// Whether `csr` is a kubelet client request its requester may have approved automatically.
bool ShouldAutoApprove(const boost::json::value& csr);

class CsrApprovingController : public client::Runnable, public client::Reconciler {
 public:
  CsrApprovingController(const client::ControllerContext& context, const base::Clock* clock);
  ~CsrApprovingController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& name) override;

 private:
  client::ControllerContext context_;
  const base::Clock* clock_;
  client::Informer* csrs_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewCsrApprovingController(const client::ControllerContext& context);

}  // namespace skiff::controllers::certificates

#endif  // SKIFF_CONTROLLERS_CERTIFICATES_CSR_APPROVING_CONTROLLER_H_
