#include "controllers/daemonset/daemonset_controller.h"

#include "api/resources.h"
#include "base/json.h"
#include "client/controller.h"
#include "controllers/daemonset/daemonset_reconciler.h"
#include "controllers/replicaset/object_cache.h"

namespace skiff::controllers {

struct DaemonSetController::State {
  State(const ControllerContext& context, client::Informer& ds, client::Informer& pod, client::Informer& node,
        client::Informer& rev, int workers)
      : ds_informer(&ds),
        daemonsets(&ds),
        pods(&pod),
        nodes(&node),
        revisions(&rev),
        reconciler(context.client, &daemonsets, &pods, &nodes, &revisions, {}),
        controller("daemonset", &reconciler, workers) {}

  void Enqueue(const std::vector<std::string>& keys) {
    for (const std::string& key : keys) controller.queue().Add(key);
  }
  void EnqueueAll() {
    for (const auto& ds : ds_informer->List()) controller.queue().Add(ObjectKey(*ds));
  }

  client::Informer* ds_informer;
  InformerCache daemonsets;
  InformerCache pods;
  InformerCache nodes;
  InformerCache revisions;
  DaemonSetReconciler reconciler;
  client::Controller controller;
};

DaemonSetController::DaemonSetController(const ControllerContext& context, int workers)
    : context_(context), workers_(workers) {}

DaemonSetController::~DaemonSetController() { Stop(); }

void DaemonSetController::Start() {
  if (state_ != nullptr) return;
  client::Informer& ds = context_.informers->For(*api::FindResource("apps", "v1", "daemonsets"));
  client::Informer& pod = context_.informers->For(*api::FindResource("", "v1", "pods"));
  client::Informer& node = context_.informers->For(*api::FindResource("", "v1", "nodes"));
  client::Informer& rev = context_.informers->For(*api::FindResource("apps", "v1", "controllerrevisions"));
  for (client::Informer* i : {&ds, &pod, &node, &rev}) AddWorkloadIndexes(*i);
  state_ = std::make_shared<State>(context_, ds, pod, node, rev, workers_);
  std::shared_ptr<State> s = state_;
  client::InformerHandlers ds_handlers;
  ds_handlers.on_add = [s](const client::Object& o) { s->Enqueue({ObjectKey(*o)}); };
  ds_handlers.on_update = [s](const client::Object&, const client::Object& o) {
    s->Enqueue({ObjectKey(*o)});
  };
  ds_handlers.on_delete = [s](const client::Object& o) { s->Enqueue({ObjectKey(*o)}); };
  ds.AddHandlers(std::move(ds_handlers));
  client::InformerHandlers pod_handlers;
  pod_handlers.on_add = [s](const client::Object& p) { s->Enqueue(s->reconciler.OnPodAdded(*p)); };
  pod_handlers.on_update = [s](const client::Object& old_pod, const client::Object& p) {
    s->Enqueue(s->reconciler.OnPodUpdated(*old_pod, *p));
  };
  pod_handlers.on_delete = [s](const client::Object& p) { s->Enqueue(s->reconciler.OnPodDeleted(*p)); };
  pod.AddHandlers(std::move(pod_handlers));
  client::InformerHandlers node_handlers;
  node_handlers.on_add = [s](const client::Object&) { s->EnqueueAll(); };
  node_handlers.on_update = [s](const client::Object& old_node, const client::Object& n) {
    // Heartbeats only touch status; eligibility reads labels, taints and existence.
    const boost::json::value* a = base::FindPath(*old_node, {"metadata", "labels"});
    const boost::json::value* b = base::FindPath(*n, {"metadata", "labels"});
    const boost::json::value* ta = base::FindPath(*old_node, {"spec"});
    const boost::json::value* tb = base::FindPath(*n, {"spec"});
    bool same_labels = (a == nullptr && b == nullptr) || (a != nullptr && b != nullptr && *a == *b);
    bool same_spec = (ta == nullptr && tb == nullptr) || (ta != nullptr && tb != nullptr && *ta == *tb);
    if (!same_labels || !same_spec) s->EnqueueAll();
  };
  node_handlers.on_delete = [s](const client::Object&) { s->EnqueueAll(); };
  node.AddHandlers(std::move(node_handlers));
  s->controller.Start();
}

void DaemonSetController::Stop() {
  if (state_ != nullptr) state_->controller.Stop();
}

}  // namespace skiff::controllers
