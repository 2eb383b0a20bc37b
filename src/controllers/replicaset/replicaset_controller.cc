#include "controllers/replicaset/replicaset_controller.h"

namespace skiff::controllers {

ReplicaSetController::ReplicaSetController(const client::ControllerContext& context, int workers,
                                           const ReplicaOwner& owner)
    : WorkloadController(context, [workers, &owner](Wiring& w) {
        ReplicaSetReconciler::Options options;
        options.owner = &owner;
        options.record_event = RecordEventAs(w.context(), owner.event_component);
        const api::ResourceInfo& pods = *api::FindResource("", "v1", "pods");
        ObjectCache* owners = w.Cache(*owner.resource);
        ObjectCache* pod_cache = w.Cache(pods);
        auto* r =
            w.Own(std::make_unique<ReplicaSetReconciler>(w.client(), owners, pod_cache, std::move(options)));
        client::WorkQueue* queue = w.AddQueue(owner.controller_name, r, workers);
        w.Enqueue(*owner.resource, queue, OwnKeys());
        w.Enqueue(pods, queue,
                  MemberKeys(r, &ReplicaSetReconciler::OnPodAdded, &ReplicaSetReconciler::OnPodUpdated,
                             &ReplicaSetReconciler::OnPodDeleted));
      }) {}

}  // namespace skiff::controllers
