#include "controllers/cronjob/cronjob_controller.h"

#include "absl/time/time.h"
#include "controllers/cronjob/cronjob_reconciler.h"

namespace skiff::controllers {

CronJobController::CronJobController(const client::ControllerContext& context, int workers)
    : WorkloadController(context, [workers](Wiring& w) {
        const api::ResourceInfo& cronjobs = *api::FindResource("batch", "v1", "cronjobs");
        const api::ResourceInfo& jobs = *api::FindResource("batch", "v1", "jobs");
        ObjectCache* cronjob_cache = w.Cache(cronjobs, /*workload_indexes=*/false);
        ObjectCache* job_cache = w.Cache(jobs);
        CronJobReconciler::Options options;
        options.zone = absl::LocalTimeZone();
        options.record_event = RecordEventAs(w.context(), "cronjob-controller");
        auto* r = w.Own(
            std::make_unique<CronJobReconciler>(w.client(), cronjob_cache, job_cache, std::move(options)));
        client::WorkQueue* queue = w.AddQueue("cronjob", r, workers);
        w.Enqueue(cronjobs, queue, OwnKeys());
        w.Enqueue(jobs, queue, KeysBy(&CronJobReconciler::OwnerKey));
      }) {}

}  // namespace skiff::controllers
