#include "controllers/daemonset/daemonset_controller.h"

#include "base/json.h"
#include "controllers/daemonset/daemonset_reconciler.h"

namespace skiff::controllers {
namespace {

bool SameAt(const boost::json::value& a, const boost::json::value& b,
            std::initializer_list<std::string_view> path) {
  const boost::json::value* x = base::FindPath(a, path);
  const boost::json::value* y = base::FindPath(b, path);
  return (x == nullptr && y == nullptr) || (x != nullptr && y != nullptr && *x == *y);
}

// Heartbeats only touch status; eligibility reads labels, taints and existence.
bool EligibilityMayChange(const boost::json::value& old_node, const boost::json::value& node) {
  return !SameAt(old_node, node, {"metadata", "labels"}) || !SameAt(old_node, node, {"spec"});
}

}  // namespace

DaemonSetController::DaemonSetController(const client::ControllerContext& context, int workers)
    : WorkloadController(context, [workers](Wiring& w) {
        const api::ResourceInfo& daemonsets = *api::FindResource("apps", "v1", "daemonsets");
        const api::ResourceInfo& pods = *api::FindResource("", "v1", "pods");
        const api::ResourceInfo& nodes = *api::FindResource("", "v1", "nodes");
        ObjectCache* ds_cache = w.Cache(daemonsets);
        ObjectCache* pod_cache = w.Cache(pods);
        ObjectCache* node_cache = w.Cache(nodes);
        ObjectCache* revision_cache = w.Cache(*api::FindResource("apps", "v1", "controllerrevisions"));
        auto* r = w.Own(std::make_unique<DaemonSetReconciler>(
            w.client(), ds_cache, pod_cache, node_cache, revision_cache, DaemonSetReconciler::Options{}));
        client::WorkQueue* queue = w.AddQueue("daemonset", r, workers);
        w.Enqueue(daemonsets, queue, OwnKeys());
        w.Enqueue(pods, queue,
                  MemberKeys(r, &DaemonSetReconciler::OnPodAdded, &DaemonSetReconciler::OnPodUpdated,
                             &DaemonSetReconciler::OnPodDeleted));
        auto all = [ds_informer = &w.Informer(daemonsets)](const boost::json::value&) {
          std::vector<std::string> keys;
          for (const client::Object& ds : ds_informer->List()) keys.push_back(client::KeyOf(*ds));
          return keys;
        };
        w.Enqueue(nodes, queue,
                  {.added = all,
                   .updated =
                       [all](const boost::json::value& old_node, const boost::json::value& node) {
                         return EligibilityMayChange(old_node, node) ? all(node) : std::vector<std::string>{};
                       },
                   .deleted = all});
      }) {}

}  // namespace skiff::controllers
