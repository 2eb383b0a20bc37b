#include "controllers/deployment/deployment_controller.h"

#include "controllers/deployment/deployment_reconciler.h"

namespace skiff::controllers {

DeploymentController::DeploymentController(const client::ControllerContext& context, int workers)
    : WorkloadController(context, [workers](Wiring& w) {
        const api::ResourceInfo& deployments = *api::FindResource("apps", "v1", "deployments");
        const api::ResourceInfo& replicasets = *api::FindResource("apps", "v1", "replicasets");
        const api::ResourceInfo& pods = *api::FindResource("", "v1", "pods");
        ObjectCache* d_cache = w.Cache(deployments);
        ObjectCache* rs_cache = w.Cache(replicasets);
        ObjectCache* pod_cache = w.Cache(pods);
        DeploymentReconciler::Options options;
        options.record_event = RecordEventAs(w.context(), "deployment-controller");
        auto* r = w.Own(std::make_unique<DeploymentReconciler>(w.client(), d_cache, rs_cache, pod_cache,
                                                               std::move(options)));
        client::WorkQueue* queue = w.AddQueue("deployment", r, workers);
        w.Enqueue(deployments, queue, OwnKeys());
        w.Enqueue(replicasets, queue,
                  MemberKeys(r, &DeploymentReconciler::OnReplicaSetAdded,
                             &DeploymentReconciler::OnReplicaSetUpdated,
                             &DeploymentReconciler::OnReplicaSetDeleted));
        w.Enqueue(pods, queue, MemberKeys(r, nullptr, nullptr, &DeploymentReconciler::OnPodDeleted));
      }) {}

}  // namespace skiff::controllers
