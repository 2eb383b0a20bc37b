#include "controllers/deployment/deployment_controller.h"

#include "api/resources.h"
#include "client/controller.h"
#include "client/event_recorder.h"
#include "controllers/deployment/deployment_reconciler.h"
#include "controllers/replicaset/object_cache.h"

namespace skiff::controllers {

struct DeploymentController::State {
  State(const ControllerContext& context, client::Informer& d_informer, client::Informer& rs_informer,
        client::Informer& pod_informer, int workers)
      : deployments(&d_informer),
        replicasets(&rs_informer),
        pods(&pod_informer),
        reconciler(context.client, &deployments, &replicasets, &pods, MakeOptions(context)),
        controller("deployment", &reconciler, workers) {}

  static DeploymentReconciler::Options MakeOptions(const ControllerContext& context) {
    DeploymentReconciler::Options options;
    if (client::EventRecorder* recorder = context.recorder) {
      options.record_event = [recorder](const boost::json::value& obj, const std::string& type,
                                        const std::string& reason, const std::string& message) {
        recorder->EventAs("deployment-controller", obj, type, reason, message);
      };
    }
    return options;
  }

  void Enqueue(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) controller.queue().Add(key);
  }

  InformerCache deployments;
  InformerCache replicasets;
  InformerCache pods;
  DeploymentReconciler reconciler;
  client::Controller controller;
};

DeploymentController::DeploymentController(const ControllerContext& context, int workers)
    : context_(context), workers_(workers) {}

DeploymentController::~DeploymentController() { Stop(); }

void DeploymentController::Start() {
  if (state_ != nullptr) return;
  client::Informer& d_informer = context_.informers->For(*api::FindResource("apps", "v1", "deployments"));
  client::Informer& rs_informer = context_.informers->For(*api::FindResource("apps", "v1", "replicasets"));
  client::Informer& pod_informer = context_.informers->For(*api::FindResource("", "v1", "pods"));
  for (client::Informer* informer : {&d_informer, &rs_informer, &pod_informer}) AddWorkloadIndexes(*informer);
  state_ = std::make_shared<State>(context_, d_informer, rs_informer, pod_informer, workers_);
  std::shared_ptr<State> s = state_;

  client::InformerHandlers d_handlers;
  d_handlers.on_add = [s](const client::Object& d) { s->Enqueue({ObjectKey(*d)}); };
  d_handlers.on_update = [s](const client::Object&, const client::Object& d) { s->Enqueue({ObjectKey(*d)}); };
  d_handlers.on_delete = [s](const client::Object& d) { s->Enqueue({ObjectKey(*d)}); };
  d_informer.AddHandlers(std::move(d_handlers));

  client::InformerHandlers rs_handlers;
  rs_handlers.on_add = [s](const client::Object& rs) { s->Enqueue(s->reconciler.OnReplicaSetAdded(*rs)); };
  rs_handlers.on_update = [s](const client::Object& old_rs, const client::Object& rs) {
    s->Enqueue(s->reconciler.OnReplicaSetUpdated(*old_rs, *rs));
  };
  rs_handlers.on_delete = [s](const client::Object& rs) {
    s->Enqueue(s->reconciler.OnReplicaSetDeleted(*rs));
  };
  rs_informer.AddHandlers(std::move(rs_handlers));

  client::InformerHandlers pod_handlers;
  pod_handlers.on_delete = [s](const client::Object& pod) { s->Enqueue(s->reconciler.OnPodDeleted(*pod)); };
  pod_informer.AddHandlers(std::move(pod_handlers));
  s->controller.Start();
}

void DeploymentController::Stop() {
  if (state_ != nullptr) state_->controller.Stop();
}

}  // namespace skiff::controllers
