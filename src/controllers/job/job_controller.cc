#include "controllers/job/job_controller.h"

#include "api/resources.h"
#include "client/controller.h"
#include "controllers/job/job_reconciler.h"
#include "controllers/replicaset/object_cache.h"

namespace skiff::controllers {

struct JobController::State {
  State(const ControllerContext& context, client::Informer& job_informer, client::Informer& pod_informer,
        int workers)
      : jobs(&job_informer),
        pods(&pod_informer),
        reconciler(context.client, &jobs, &pods, {}),
        controller("job", &reconciler, workers) {}

  void Enqueue(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) controller.queue().Add(key);
  }

  InformerCache jobs;
  InformerCache pods;
  JobReconciler reconciler;
  client::Controller controller;
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
  job_handlers.on_delete = [s](const client::Object& job) { s->Enqueue({ObjectKey(*job)}); };
  job_informer.AddHandlers(std::move(job_handlers));
  client::InformerHandlers pod_handlers;
  pod_handlers.on_add = [s](const client::Object& pod) { s->Enqueue(s->reconciler.OnPodAdded(*pod)); };
  pod_handlers.on_update = [s](const client::Object& old_pod, const client::Object& pod) {
    s->Enqueue(s->reconciler.OnPodUpdated(*old_pod, *pod));
  };
  pod_handlers.on_delete = [s](const client::Object& pod) { s->Enqueue(s->reconciler.OnPodDeleted(*pod)); };
  pod_informer.AddHandlers(std::move(pod_handlers));
  s->controller.Start();
}

void JobController::Stop() {
  if (state_ != nullptr) state_->controller.Stop();
}

}  // namespace skiff::controllers
