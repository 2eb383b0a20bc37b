#include "controllers/replicaset/replicaset_controller.h"

#include "api/resources.h"
#include "client/event_recorder.h"

namespace skiff::controllers {

struct ReplicaSetController::State {
  State(const ControllerContext& context, const ReplicaOwner& owner, client::Informer& rs_informer,
        client::Informer& pod_informer, int workers)
      : replicasets(&rs_informer),
        pods(&pod_informer),
        reconciler(context.client, &replicasets, &pods, MakeOptions(context, owner)),
        controller(owner.controller_name, &reconciler, workers) {}

  static ReplicaSetReconciler::Options MakeOptions(const ControllerContext& context,
                                                   const ReplicaOwner& owner) {
    ReplicaSetReconciler::Options options;
    options.owner = &owner;
    if (client::EventRecorder* recorder = context.recorder) {
      options.record_event = [recorder, component = owner.event_component](
                                 const boost::json::value& obj, const std::string& type,
                                 const std::string& reason, const std::string& message) {
        recorder->EventAs(component, obj, type, reason, message);
      };
    }
    return options;
  }

  void Enqueue(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) controller.queue().Add(key);
  }

  InformerCache replicasets;
  InformerCache pods;
  ReplicaSetReconciler reconciler;
  client::Controller controller;
};

ReplicaSetController::ReplicaSetController(const ControllerContext& context, int workers,
                                           const ReplicaOwner& owner)
    : context_(context), workers_(workers), owner_(owner) {}

ReplicaSetController::~ReplicaSetController() { Stop(); }

void ReplicaSetController::Start() {
  if (state_ != nullptr) return;
  client::Informer& rs_informer = context_.informers->For(*owner_.resource);
  client::Informer& pod_informer = context_.informers->For(*api::FindResource("", "v1", "pods"));
  AddWorkloadIndexes(rs_informer);
  AddWorkloadIndexes(pod_informer);
  state_ = std::make_shared<State>(context_, owner_, rs_informer, pod_informer, workers_);
  std::shared_ptr<State> s = state_;

  client::InformerHandlers rs_handlers;
  rs_handlers.on_add = [s](const client::Object& rs) { s->Enqueue({ObjectKey(*rs)}); };
  rs_handlers.on_update = [s](const client::Object&, const client::Object& rs) {
    s->Enqueue({ObjectKey(*rs)});
  };
  rs_handlers.on_delete = [s](const client::Object& rs) { s->Enqueue({ObjectKey(*rs)}); };
  rs_informer.AddHandlers(std::move(rs_handlers));

  client::InformerHandlers pod_handlers;
  pod_handlers.on_add = [s](const client::Object& pod) { s->Enqueue(s->reconciler.OnPodAdded(*pod)); };
  pod_handlers.on_update = [s](const client::Object& old_pod, const client::Object& pod) {
    s->Enqueue(s->reconciler.OnPodUpdated(*old_pod, *pod));
  };
  pod_handlers.on_delete = [s](const client::Object& pod) { s->Enqueue(s->reconciler.OnPodDeleted(*pod)); };
  pod_informer.AddHandlers(std::move(pod_handlers));
  s->controller.Start();
}

void ReplicaSetController::Stop() {
  if (state_ != nullptr) state_->controller.Stop();
}

}  // namespace skiff::controllers
