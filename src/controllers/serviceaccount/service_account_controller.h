// ServiceAccountController: keeps a ServiceAccount named `default` in every namespace that is not
// being deleted, creating it when a namespace appears and re-creating it when it is deleted
// (Kubernetes' serviceaccounts-controller). Keys are namespace names.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers. Failure: API errors fail the reconcile,
// which is retried with backoff; AlreadyExists and a namespace that disappeared count as success.
#ifndef SKIFF_CONTROLLERS_SERVICEACCOUNT_SERVICE_ACCOUNT_CONTROLLER_H_
#define SKIFF_CONTROLLERS_SERVICEACCOUNT_SERVICE_ACCOUNT_CONTROLLER_H_

#include <memory>
#include <string>

#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers {

class ServiceAccountController : public client::Runnable, public client::Reconciler {
 public:
  inline static constexpr char kDefaultName[] = "default";

  explicit ServiceAccountController(const client::ControllerContext& context, int workers = 1);
  ~ServiceAccountController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& ns) override;

 private:
  client::ControllerContext context_;
  int workers_;
  client::Informer* namespaces_;
  client::Informer* service_accounts_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewServiceAccountController(const client::ControllerContext& context);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_SERVICEACCOUNT_SERVICE_ACCOUNT_CONTROLLER_H_
