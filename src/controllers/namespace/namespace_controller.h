// NamespaceController: finishes namespace deletion (Kubernetes' namespace deleter). When a
// namespace has a deletionTimestamp and still carries the "kubernetes" finalizer, it deletes every
// namespaced object of every stored resource in it, reports progress in the namespace's status
// conditions (NamespaceDeletionDiscoveryFailure, NamespaceDeletionGroupVersionParsingFailure,
// NamespaceDeletionContentFailure, NamespaceContentRemaining, NamespaceFinalizersRemaining), and
// once nothing remains removes "kubernetes" from spec.finalizers through namespaces/finalize — the
// API server then deletes the namespace. Keys are namespace names.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers. Failure: API errors fail the reconcile,
// which is retried with backoff; content still terminating (finalizers, graceful pods) requeues.
#ifndef SKIFF_CONTROLLERS_NAMESPACE_NAMESPACE_CONTROLLER_H_
#define SKIFF_CONTROLLERS_NAMESPACE_NAMESPACE_CONTROLLER_H_

#include <memory>
#include <string>

#include "absl/time/time.h"
#include "boost/json/value.hpp"
#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers {

class NamespaceController : public client::Runnable, public client::Reconciler {
 public:
  inline static constexpr char kFinalizer[] = "kubernetes";
  // How soon a namespace whose content is still terminating is looked at again.
  inline static constexpr absl::Duration kRecheck = absl::Seconds(1);

  explicit NamespaceController(const client::ControllerContext& context, int workers = 2);
  ~NamespaceController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& name) override;

 private:
  struct Progress;
  // Deletes the namespace's content; tells what remains.
  Progress DeleteContent(const std::string& ns);
  absl::Status UpdateConditions(const boost::json::value& ns, const Progress& progress);

  client::ControllerContext context_;
  int workers_;
  client::Informer* namespaces_ = nullptr;
  std::unique_ptr<client::Controller> controller_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_NAMESPACE_NAMESPACE_CONTROLLER_H_
