#include "controllers/manager/manager.h"

#include <map>

#include "controllers/certificates/csr_approving_controller.h"
#include "controllers/certificates/csr_signing_controller.h"
#include "controllers/clusterroleaggregation/cluster_role_aggregation_controller.h"
#include "controllers/cronjob/cronjob_controller.h"
#include "controllers/daemonset/daemonset_controller.h"
#include "controllers/deployment/deployment_controller.h"
#include "controllers/endpoints/endpoints_controller.h"
#include "controllers/endpointslice/endpointslice_controller.h"
#include "controllers/garbagecollector/garbage_collector.h"
#include "controllers/job/job_controller.h"
#include "controllers/namespace/namespace_controller.h"
#include "controllers/nodelifecycle/node_lifecycle_controller.h"
#include "controllers/podautoscaler/hpa_controller.h"
#include "controllers/poddisruptionbudget/disruption_controller.h"
#include "controllers/replicaset/replicaset_controller.h"
#include "controllers/replication/replication_manager.h"
#include "controllers/resourcequota/resource_quota_controller.h"
#include "controllers/rootcacertpublisher/root_ca_publisher.h"
#include "controllers/serviceaccount/service_account_controller.h"
#include "controllers/gateway/gateway_status_controller.h"
#include "controllers/ingressstatus/ingress_status_controller.h"
#include "controllers/servicelb/service_lb_controller.h"
#include "controllers/statefulset/stateful_set_controller.h"
#include "controllers/volume/local_path_provisioner.h"
#include "controllers/volume/local_path_resizer.h"
#include "controllers/volume/persistent_volume_controller.h"
#include "controllers/volume/pv_protection_controller.h"
#include "controllers/volume/pvc_protection_controller.h"

#include "spdlog/spdlog.h"

namespace skiff::controllers {
namespace {

template <typename T>
std::unique_ptr<client::Runnable> Make(const client::ControllerContext& context) {
  return std::make_unique<T>(context);
}

}  // namespace

// THE REGISTRATION LIST: one line per controller, {name, factory}. (The scheduler sits above
// this layer; the binary adds it with ControllerManager::AddController.)
const std::vector<NamedController>& RegisteredControllers() {
  // One entry per line (merge-friendly):
  // clang-format off
  static const auto* controllers = new std::vector<NamedController>{
      {"namespace", Make<NamespaceController>},
      {"garbagecollector", NewGarbageCollector},
      {"serviceaccount", NewServiceAccountController},
      {"root-ca-cert-publisher", NewRootCaPublisher},
      {"nodelifecycle", NewNodeLifecycleController},
      {"disruption", NewDisruptionController},
      {"replicaset", Make<ReplicaSetController>},
      {"replicationcontroller", NewReplicationManager},
      {"deployment", Make<DeploymentController>},
      {"daemonset", Make<DaemonSetController>},
      {"statefulset", Make<statefulset::StatefulSetController>},
      {"job", Make<JobController>},
      {"cronjob", Make<CronJobController>},
      {"endpoints", endpoints::NewEndpointsController},
      {"endpointslice", endpointslice::NewEndpointSliceController},
      {"servicelb", servicelb::NewServiceLbController},
      {"ingressstatus", ingressstatus::NewIngressStatusController},
      {"gatewaystatus", gateway::NewGatewayStatusController},
      {"clusterrole-aggregation", NewClusterRoleAggregationController},
      {"resourcequota", NewResourceQuotaController},
      {"csrapproving", certificates::NewCsrApprovingController},
      {"csrsigning", certificates::NewCsrSigningController},
      {"horizontalpodautoscaling", podautoscaler::NewHorizontalController},
      {"persistentvolume-binder", volume::NewPersistentVolumeController},
      {"persistentvolume-protection", volume::NewPvProtectionController},
      {"persistentvolumeclaim-protection", volume::NewPvcProtectionController},
      {"local-path-provisioner", volume::NewLocalPathProvisioner},
      {"local-path-resizer", volume::NewLocalPathResizer},
  };
  // clang-format on
  return *controllers;
}

std::string ControllerServiceAccount(const std::string& controller) {
  // clang-format off
  static const auto* accounts = new std::map<std::string, std::string>{
      {"namespace", "namespace-controller"},
      {"garbagecollector", "generic-garbage-collector"},
      {"serviceaccount", "service-account-controller"},
      {"nodelifecycle", "node-controller"},
      {"disruption", "disruption-controller"},
      {"replicaset", "replicaset-controller"},
      {"replicationcontroller", "replication-controller"},
      {"deployment", "deployment-controller"},
      {"daemonset", "daemon-set-controller"},
      {"statefulset", "statefulset-controller"},
      {"job", "job-controller"},
      {"cronjob", "cronjob-controller"},
      {"endpoints", "endpoint-controller"},
      {"endpointslice", "endpointslice-controller"},
      {"servicelb", "service-lb-controller"},
      {"ingressstatus", "ingress-status-controller"},
      {"gatewaystatus", "gateway-status-controller"},
      {"clusterrole-aggregation", "clusterrole-aggregation-controller"},
      {"resourcequota", "resourcequota-controller"},
      {"root-ca-cert-publisher", "root-ca-cert-publisher"},
      {"csrapproving", "certificate-controller"},
      {"csrsigning", "certificate-controller"},
      {"horizontalpodautoscaling", "horizontal-pod-autoscaler"},
      {"persistentvolume-binder", "persistent-volume-binder"},
      {"persistentvolume-protection", "pv-protection-controller"},
      {"persistentvolumeclaim-protection", "pvc-protection-controller"},
      {"local-path-provisioner", "local-path-provisioner"},
      {"local-path-resizer", "local-path-provisioner"},
  };
  // clang-format on
  auto it = accounts->find(controller);
  return it == accounts->end() ? "" : it->second;
}

ControllerManager::ControllerManager(client::Client* client, ManagerOptions options)
    : client_(client), options_(std::move(options)) {
  if (options_.builtin_controllers) controllers_ = RegisteredControllers();
}

ControllerManager::~ControllerManager() { Stop(); }

void ControllerManager::AddController(NamedController controller) {
  controllers_.push_back(std::move(controller));
}

void ControllerManager::Start() {
  if (!options_.leader_elect) {
    StartControllers();
    return;
  }
  client::LeaderElectionConfig config = options_.leader_election;
  config.on_started_leading = [this] { StartControllers(); };
  config.on_stopped_leading = [this] { StopControllers(); };
  elector_ = std::make_unique<client::LeaderElector>(options_.lease_client ? options_.lease_client : client_,
                                                     std::move(config));
  elector_->Start();
}

void ControllerManager::Stop() {
  if (elector_) {
    elector_->Stop();  // steps down: StopControllers runs
    elector_.reset();
  }
  StopControllers();
}

bool ControllerManager::IsLeader() const {
  std::lock_guard<std::mutex> lock(mu_);
  return leading_;
}

std::vector<std::string> ControllerManager::Running() const {
  std::lock_guard<std::mutex> lock(mu_);
  std::vector<std::string> names;
  for (const auto& [name, runnable] : running_) names.push_back(name);
  return names;
}

void ControllerManager::StartControllers() {
  std::lock_guard<std::mutex> lock(mu_);
  if (leading_) return;
  leading_ = true;
  informers_ = std::make_unique<client::SharedInformers>(client_);
  recorder_ = std::make_unique<client::EventRecorder>(
      client_, client::EventRecorder::Options{.component = options_.component});
  for (const auto& c : controllers_) {
    if (options_.disabled.count(c.name)) continue;
    client::Client* own = options_.controller_clients ? options_.controller_clients(c.name) : nullptr;
    client::ControllerContext context{own ? own : client_, informers_.get(), recorder_.get(),
                                      options_.controllers, options_.metrics_get};
    std::unique_ptr<client::Runnable> runnable = c.factory(context);
    if (!runnable) continue;
    runnable->Start();
    running_.emplace_back(c.name, std::move(runnable));
  }
  informers_->Start();
  std::string names;
  for (const auto& [name, runnable] : running_) names += (names.empty() ? "" : ", ") + name;
  spdlog::info("{}: started {} controllers: {}", options_.component, running_.size(), names);
}

void ControllerManager::StopControllers() {
  std::lock_guard<std::mutex> lock(mu_);
  if (!leading_) return;
  leading_ = false;
  // Reverse order: later controllers may depend on earlier ones.
  for (auto it = running_.rbegin(); it != running_.rend(); ++it) it->second->Stop();
  informers_->Stop();
  running_.clear();
  recorder_.reset();
  informers_.reset();
  spdlog::info("{}: controllers stopped", options_.component);
}

}  // namespace skiff::controllers
