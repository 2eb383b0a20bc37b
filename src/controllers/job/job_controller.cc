#include "controllers/job/job_controller.h"

#include "api/resources.h"
#include "client/controller.h"
#include "controllers/job/job_reconciler.h"
#include "controllers/replicaset/object_cache.h"

namespace skiff::controllers {

struct JobController::State {
  // The orphan-pod queue's keys are pod keys; its reconcile is JobReconciler::SyncOrphanPod.
  struct OrphanPods : client::Reconciler {
    explicit OrphanPods(JobReconciler* r) : reconciler(r) {}
    client::ReconcileResult Reconcile(const std::string& key) override {
      return reconciler->SyncOrphanPod(key);
    }
    JobReconciler* reconciler;
  };

  State(const ControllerContext& context, client::Informer& job_informer, client::Informer& pod_informer,
        int workers)
      : jobs(&job_informer),
        pods(&pod_informer),
        reconciler(context.client, &jobs, &pods, {}),
        orphan_pods(&reconciler),
        controller("job", &reconciler, workers),
        orphan_controller("job-orphan-pods", &orphan_pods, 1) {}

  void Enqueue(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) controller.queue().Add(key);
  }
  void EnqueueIfOrphan(const boost::json::value& pod) {
    if (reconciler.IsOrphanWithFinalizer(pod)) orphan_controller.queue().Add(ObjectKey(pod));
  }

  InformerCache jobs;
  InformerCache pods;
  JobReconciler reconciler;
  OrphanPods orphan_pods;
  client::Controller controller;
  client::Controller orphan_controller;
};

JobController::JobController(const ControllerContext& context, int workers)
    : context_(context), workers_(workers) {}

JobController::~JobController() { Stop(); }

void JobController::Start() {
  if (state_ != nullptr) return;
  client::Informer& job_informer = context_.informers->For(*api::FindResource("batch", "v1", "jobs"));
  client::Informer& pod_informer = context_.informers->For(*api::FindResource("", "v1", "pods"));
  AddWorkloadIndexes(job_informer);
  AddWorkloadIndexes(pod_informer);
  state_ = std::make_shared<State>(context_, job_informer, pod_informer, workers_);
  std::shared_ptr<State> s = state_;
  client::InformerHandlers job_handlers;
  job_handlers.on_add = [s](const client::Object& job) { s->Enqueue({ObjectKey(*job)}); };
  job_handlers.on_update = [s](const client::Object&, const client::Object& job) {
    s->Enqueue({ObjectKey(*job)});
  };
  job_handlers.on_delete = [s](const client::Object& job) {
    s->Enqueue({ObjectKey(*job)});
    for (const std::string& pod : s->reconciler.OnJobDeleted(*job)) s->orphan_controller.queue().Add(pod);
  };
  job_informer.AddHandlers(std::move(job_handlers));
  client::InformerHandlers pod_handlers;
  pod_handlers.on_add = [s](const client::Object& pod) {
    s->Enqueue(s->reconciler.OnPodAdded(*pod));
    s->EnqueueIfOrphan(*pod);
  };
  pod_handlers.on_update = [s](const client::Object& old_pod, const client::Object& pod) {
    s->Enqueue(s->reconciler.OnPodUpdated(*old_pod, *pod));
    s->EnqueueIfOrphan(*pod);
  };
  pod_handlers.on_delete = [s](const client::Object& pod) { s->Enqueue(s->reconciler.OnPodDeleted(*pod)); };
  pod_informer.AddHandlers(std::move(pod_handlers));
  s->controller.Start();
  s->orphan_controller.Start();
}

void JobController::Stop() {
  if (state_ == nullptr) return;
  state_->controller.Stop();
  state_->orphan_controller.Stop();
}

}  // namespace skiff::controllers
