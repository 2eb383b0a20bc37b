// CsrSigningController: kube-controller-manager's csrsigning. Issues certificates for approved
// CertificateSigningRequests of the kubernetes.io/kube-apiserver-client-kubelet,
// kubernetes.io/kubelet-serving and kubernetes.io/kube-apiserver-client signers with the cluster CA
// (ControllerOptions::cluster_signing_*), valid for spec.expirationSeconds capped at the signing
// duration. A request the signer's rules refuse (signer_rules.h) gets a Failed condition
// (reason SignerValidationFailure) instead. Keys are CSR names.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers and the clock. Failure: an unreadable CA
// or an API error fails the reconcile, which is retried with backoff.
#ifndef SKIFF_CONTROLLERS_CERTIFICATES_CSR_SIGNING_CONTROLLER_H_
#define SKIFF_CONTROLLERS_CERTIFICATES_CSR_SIGNING_CONTROLLER_H_

#include <memory>
#include <string>

#include "base/clock.h"
#include "client/controller.h"
#include "client/controller_context.h"
#include "client/informer.h"

namespace skiff::controllers::certificates {

class CsrSigningController : public client::Runnable, public client::Reconciler {
 public:
  CsrSigningController(const client::ControllerContext& context, const base::Clock* clock);
  ~CsrSigningController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& name) override;

 private:
  client::ControllerContext context_;
  const base::Clock* clock_;
  client::Informer* csrs_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewCsrSigningController(const client::ControllerContext& context);

}  // namespace skiff::controllers::certificates

#endif  // SKIFF_CONTROLLERS_CERTIFICATES_CSR_SIGNING_CONTROLLER_H_
