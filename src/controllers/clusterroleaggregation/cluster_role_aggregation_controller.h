// ClusterRoleAggregationController: fills the `rules` of every ClusterRole that has an
// aggregationRule with the rules of the ClusterRoles its clusterRoleSelectors match (Kubernetes'
// clusterrole-aggregation controller: this is how admin, edit and view get their rules from the
// aggregate-to-* roles). Rules are gathered from the matching roles sorted by name, each rule once.
// Any ClusterRole change re-queues every aggregated role (the set is small). Keys are role names.
// Thread-safety: Start/Stop from one thread; Reconcile runs concurrently for different keys.
// Ownership: borrows the context's client and informers. Failure: API errors fail the reconcile,
// which is retried with backoff; a role deleted meanwhile counts as success.
#ifndef SKIFF_CONTROLLERS_CLUSTERROLEAGGREGATION_CLUSTER_ROLE_AGGREGATION_CONTROLLER_H_
#define SKIFF_CONTROLLERS_CLUSTERROLEAGGREGATION_CLUSTER_ROLE_AGGREGATION_CONTROLLER_H_

#include <memory>
#include <string>

#include "boost/json/value.hpp"
#include "client/controller.h"
#include "client/controller_context.h"

namespace skiff::controllers {

class ClusterRoleAggregationController : public client::Runnable, public client::Reconciler {
 public:
  explicit ClusterRoleAggregationController(const client::ControllerContext& context);
  ~ClusterRoleAggregationController() override;

  void Start() override;
  void Stop() override;
  client::ReconcileResult Reconcile(const std::string& name) override;

 private:
  void EnqueueAggregated();

  client::ControllerContext context_;
  client::Informer* cluster_roles_;
  std::unique_ptr<client::Controller> controller_;
};

// The rules `role` aggregates from `all` (every ClusterRole); null when it has no aggregationRule.
// Exposed for tests.
boost::json::value AggregatedRules(const boost::json::value& role, const std::vector<client::Object>& all);

std::unique_ptr<client::Runnable> NewClusterRoleAggregationController(const client::ControllerContext& context);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_CLUSTERROLEAGGREGATION_CLUSTER_ROLE_AGGREGATION_CONTROLLER_H_
