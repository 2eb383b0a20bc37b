#include "controllers/job/job_controller.h"

#include "controllers/job/job_reconciler.h"

namespace skiff::controllers {

JobController::JobController(const client::ControllerContext& context, int workers)
    : WorkloadController(context, [workers](Wiring& w) {
        const api::ResourceInfo& jobs = *api::FindResource("batch", "v1", "jobs");
        const api::ResourceInfo& pods = *api::FindResource("", "v1", "pods");
        ObjectCache* job_cache = w.Cache(jobs);
        ObjectCache* pod_cache = w.Cache(pods);
        auto* r = w.Own(
            std::make_unique<JobReconciler>(w.client(), job_cache, pod_cache, JobReconciler::Options{}));
        client::WorkQueue* queue = w.AddQueue("job", r, workers);
        // The orphan-pod queue's keys are pod keys.
        client::WorkQueue* orphans = w.AddQueue(
            "job-orphan-pods", [r](const std::string& key) { return r->SyncOrphanPod(key); }, 1);
        auto orphan_key = [r](const boost::json::value& pod) {
          return r->IsOrphanWithFinalizer(pod) ? std::vector<std::string>{client::KeyOf(pod)}
                                               : std::vector<std::string>{};
        };
        w.Enqueue(jobs, queue, OwnKeys());
        w.Enqueue(jobs, orphans,
                  {.deleted = [r](const boost::json::value& job) { return r->OnJobDeleted(job); }});
        w.Enqueue(pods, queue,
                  MemberKeys(r, &JobReconciler::OnPodAdded, &JobReconciler::OnPodUpdated,
                             &JobReconciler::OnPodDeleted));
        w.Enqueue(pods, orphans,
                  {.added = orphan_key,
                   .updated = [orphan_key](const boost::json::value&, const boost::json::value& pod) {
                     return orphan_key(pod);
                   }});
      }) {}

}  // namespace skiff::controllers
