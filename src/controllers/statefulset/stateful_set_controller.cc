#include "controllers/statefulset/stateful_set_controller.h"

#include "controllers/statefulset/stateful_set_reconciler.h"

namespace skiff::controllers::statefulset {

StatefulSetController::StatefulSetController(const client::ControllerContext& context, int workers)
    : WorkloadController(context, [workers](Wiring& w) {
        const api::ResourceInfo& sets = *api::FindResource("apps", "v1", "statefulsets");
        const api::ResourceInfo& pods = *api::FindResource("", "v1", "pods");
        const api::ResourceInfo& claims = *api::FindResource("", "v1", "persistentvolumeclaims");
        const api::ResourceInfo& revisions = *api::FindResource("apps", "v1", "controllerrevisions");
        StatefulSetReconciler::Options options;
        options.record_event = RecordEventAs(w.context(), "statefulset-controller");
        auto* r = w.Own(std::make_unique<StatefulSetReconciler>(w.client(), w.Cache(sets), w.Cache(pods),
                                                                w.Cache(revisions), w.Cache(claims),
                                                                std::move(options)));
        client::WorkQueue* queue = w.AddQueue("statefulset", r, workers);
        w.Enqueue(sets, queue, OwnKeys());
        w.Enqueue(pods, queue,
                  MemberKeys(r, &StatefulSetReconciler::OnPodAdded, &StatefulSetReconciler::OnPodUpdated,
                             &StatefulSetReconciler::OnPodDeleted));
        w.Enqueue(claims, queue,
                  {.updated = [r](const boost::json::value&,
                                  const boost::json::value& claim) { return r->OnClaimChanged(claim); },
                   .deleted = [r](const boost::json::value& claim) { return r->OnClaimChanged(claim); }});
      }) {}

}  // namespace skiff::controllers::statefulset
