#include "controllers/cronjob/cronjob_controller.h"

#include "absl/time/time.h"
#include "api/resources.h"
#include "client/controller.h"
#include "client/event_recorder.h"
#include "controllers/cronjob/cronjob_reconciler.h"
#include "controllers/replicaset/object_cache.h"

namespace skiff::controllers {

struct CronJobController::State {
  State(const ControllerContext& context, client::Informer& cronjob_informer, client::Informer& job_informer,
        int workers)
      : cronjobs(&cronjob_informer),
        jobs(&job_informer),
        reconciler(context.client, &cronjobs, &jobs, MakeOptions(context)),
        controller("cronjob", &reconciler, workers) {}

  static CronJobReconciler::Options MakeOptions(const ControllerContext& context) {
    CronJobReconciler::Options options;
    options.zone = absl::LocalTimeZone();
    if (client::EventRecorder* recorder = context.recorder) {
      options.record_event = [recorder](const boost::json::value& obj, const std::string& type,
                                        const std::string& reason, const std::string& message) {
        recorder->EventAs("cronjob-controller", obj, type, reason, message);
      };
    }
    return options;
  }

  void EnqueueOwner(const boost::json::value& job) {
    std::string key = CronJobReconciler::OwnerKey(job);
    if (!key.empty()) controller.queue().Add(key);
  }

  InformerCache cronjobs;
  InformerCache jobs;
  CronJobReconciler reconciler;
  client::Controller controller;
};

CronJobController::CronJobController(const ControllerContext& context, int workers)
    : context_(context), workers_(workers) {}

CronJobController::~CronJobController() { Stop(); }

void CronJobController::Start() {
  if (state_ != nullptr) return;
  client::Informer& cronjob_informer = context_.informers->For(*api::FindResource("batch", "v1", "cronjobs"));
  client::Informer& job_informer = context_.informers->For(*api::FindResource("batch", "v1", "jobs"));
  AddWorkloadIndexes(job_informer);
  state_ = std::make_shared<State>(context_, cronjob_informer, job_informer, workers_);
  std::shared_ptr<State> s = state_;
  client::InformerHandlers cronjob_handlers;
  cronjob_handlers.on_add = [s](const client::Object& cj) { s->controller.queue().Add(ObjectKey(*cj)); };
  cronjob_handlers.on_update = [s](const client::Object&, const client::Object& cj) {
    s->controller.queue().Add(ObjectKey(*cj));
  };
  cronjob_handlers.on_delete = [s](const client::Object& cj) { s->controller.queue().Add(ObjectKey(*cj)); };
  cronjob_informer.AddHandlers(std::move(cronjob_handlers));
  client::InformerHandlers job_handlers;
  job_handlers.on_add = [s](const client::Object& job) { s->EnqueueOwner(*job); };
  job_handlers.on_update = [s](const client::Object& old_job, const client::Object& job) {
    s->EnqueueOwner(*job);
    if (CronJobReconciler::OwnerKey(*old_job) != CronJobReconciler::OwnerKey(*job)) s->EnqueueOwner(*old_job);
  };
  job_handlers.on_delete = [s](const client::Object& job) { s->EnqueueOwner(*job); };
  job_informer.AddHandlers(std::move(job_handlers));
  s->controller.Start();
}

void CronJobController::Stop() {
  if (state_ != nullptr) state_->controller.Stop();
}

}  // namespace skiff::controllers
