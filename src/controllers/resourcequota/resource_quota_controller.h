// ResourceQuotaController: keeps every ResourceQuota's status current, as kube-controller-manager's
// resourcequota controller does: status.hard = spec.hard, and status.used = for each name of
// spec.hard, what the objects in the quota's namespace that its scopes select use (api/quota/usage.h;
// terminal pods and pods past their deletion grace period count only under count/pods). That is
// what `kubectl describe quota` shows as Used/Hard.
// A quota is recounted when it is created or its spec changes, when any object of a kind it
// counts is added, changed or removed in its namespace, when a deleting pod's grace period ends,
// and every `resync` (5 minutes) regardless. Kinds are followed with shared informers: the core
// kinds quotas usually count from the start, any other kind (count/<resource>.<group>) from the
// first quota that names it. Admission (apiserver/quota) enforces quotas on its own count; this
// controller only reports.
// Keys are "namespace/name" of quotas.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers and the clock.
// Failure: API errors fail the reconcile, which is retried with backoff; a kind whose informer has
// not synced yet postpones the quota's status by a second.
#ifndef SKIFF_CONTROLLERS_RESOURCEQUOTA_RESOURCE_QUOTA_CONTROLLER_H_
#define SKIFF_CONTROLLERS_RESOURCEQUOTA_RESOURCE_QUOTA_CONTROLLER_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "api/resources.h"
#include "base/clock.h"
#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers {

class ResourceQuotaController : public client::Runnable, public client::Reconciler {
 public:
  struct Options {
    int workers = 2;
    absl::Duration resync = absl::Minutes(5);
    const base::Clock* clock = nullptr;  // null = real clock
  };

  ResourceQuotaController(const client::ControllerContext& context, Options options);
  ~ResourceQuotaController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& key) override;

 private:
  // The informer of a counted kind, created (with handlers that recount its namespace's quotas) on
  // first use.
  client::Informer* CountedInformer(const api::ResourceInfo& resource);
  void EnqueueNamespace(const std::string& ns);

  client::ControllerContext context_;
  Options options_;
  client::Informer* quotas_;
  std::mutex mu_;
  std::map<std::string, client::Informer*> counted_;  // by "<plural>.<group>", guarded by mu_
  std::unique_ptr<client::Controller> controller_;
};

std::unique_ptr<client::Runnable> NewResourceQuotaController(const client::ControllerContext& context);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_RESOURCEQUOTA_RESOURCE_QUOTA_CONTROLLER_H_
