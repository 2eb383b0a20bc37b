// RootCaPublisher: keeps the ConfigMap kube-root-ca.crt, holding the cluster CA certificate under
// key ca.crt, in every namespace that is not being deleted — creating it with the namespace,
// re-creating it when deleted and restoring its data when changed (Kubernetes'
// root-ca-cert-publisher). Pods read it through their kube-api-access volume to trust the API server.
// Keys are namespace names. With an empty CA (ControllerOptions::root_ca_pem) it publishes nothing.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers. Failure: API errors fail the reconcile,
// which is retried with backoff; a namespace that disappeared or began terminating counts as done.
#ifndef SKIFF_CONTROLLERS_ROOTCACERTPUBLISHER_ROOT_CA_PUBLISHER_H_
#define SKIFF_CONTROLLERS_ROOTCACERTPUBLISHER_ROOT_CA_PUBLISHER_H_

#include <memory>
#include <string>

#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers {

class RootCaPublisher : public client::Runnable, public client::Reconciler {
 public:
  inline static constexpr char kConfigMapName[] = "kube-root-ca.crt";
  inline static constexpr char kDescriptionAnnotation[] = "kubernetes.io/description";

  explicit RootCaPublisher(const client::ControllerContext& context, int workers = 1);
  ~RootCaPublisher() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& ns) override;

 private:
  client::ControllerContext context_;
  int workers_;
  client::Informer* namespaces_;
  client::Informer* config_maps_;
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewRootCaPublisher(const client::ControllerContext& context);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_ROOTCACERTPUBLISHER_ROOT_CA_PUBLISHER_H_
