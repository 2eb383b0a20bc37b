#include "controllers/podautoscaler/hpa_controller.h"

#include "api/resources.h"
#include "base/json.h"
#include "controllers/podautoscaler/hpa_reconciler.h"
#include "controllers/workload/workload_controller.h"

namespace skiff::controllers::podautoscaler {
namespace {

// An update enqueues the HPA only when its spec changed: its own status writes would otherwise
// sync it again at once, not every sync period.
EventKeys SpecChangeKeys() {
  EventKeys keys = OwnKeys();
  auto own = keys.updated;
  keys.updated = [own](const boost::json::value& old_obj, const boost::json::value& obj) {
    const boost::json::value* old_spec = base::Find(old_obj, "spec");
    const boost::json::value* spec = base::Find(obj, "spec");
    if (old_spec != nullptr && spec != nullptr && *old_spec == *spec) return std::vector<std::string>{};
    return own(old_obj, obj);
  };
  return keys;
}

}  // namespace

std::unique_ptr<client::Runnable> NewHorizontalController(const client::ControllerContext& context) {
  if (!context.metrics_get) return nullptr;
  return std::make_unique<WorkloadController>(context, [](Wiring& w) {
    const api::ResourceInfo& hpas = *api::FindResource("autoscaling", "v2", "horizontalpodautoscalers");
    const api::ResourceInfo& pods = *api::FindResource("", "v1", "pods");
    ObjectCache* hpa_cache = w.Cache(hpas, /*workload_indexes=*/false);
    ObjectCache* pod_cache = w.Cache(pods);
    HorizontalReconciler::Options options;
    options.record_event = RecordEventAs(w.context(), "horizontal-pod-autoscaler");
    auto* r = w.Own(std::make_unique<HorizontalReconciler>(w.client(), hpa_cache, pod_cache,
                                                           w.context().metrics_get, std::move(options)));
    client::WorkQueue* queue = w.AddQueue("horizontalpodautoscaler", r, 5);
    w.Enqueue(hpas, queue, SpecChangeKeys());
  });
}

}  // namespace skiff::controllers::podautoscaler
