// ControllerManager: runs every registered controller inside `skiff server`, but only while this
// process holds the controller-manager Lease (leader election), so several servers can share one
// store. On leadership it builds the shared informers and the event recorder, constructs each
// controller from its factory, calls Start on all of them, then starts the informers; on losing
// leadership (or Stop) it stops the controllers and informers and drops them. Unlike
// kube-controller-manager, which exits when it loses its lease, the manager then stays a
// candidate (the API server in the same process keeps serving) and starts a fresh set of
// controllers and informers if it wins the lease again.
//
// The registration list is in manager.cc (RegisteredControllers); components above the
// controllers layer (the scheduler) are added by the binary with AddController.
// Thread-safety: AddController before Start; Start/Stop from one thread. Ownership: owns the
// informers, recorder and controllers; borrows the Client (must outlive the manager).
// Failure: none at this level — controllers retry their own errors; a lost lease stops them.
#ifndef SKIFF_CONTROLLERS_MANAGER_MANAGER_H_
#define SKIFF_CONTROLLERS_MANAGER_MANAGER_H_

#include <functional>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "client/controller_context.h"
#include "client/event_recorder.h"
#include "client/leader_election.h"
#include "client/shared_informers.h"

namespace skiff::controllers {

using ControllerFactory =
    std::function<std::unique_ptr<client::Runnable>(const client::ControllerContext& context)>;

struct NamedController {
  std::string name;  // e.g. "namespace", for logs and ManagerOptions::disabled
  ControllerFactory factory;
};

// The built-in controllers, in start order.
const std::vector<NamedController>& RegisteredControllers();

// The service account (in kube-system) a controller acts as, by its controller name, as
// kube-controller-manager --use-service-account-credentials names them ("replicaset" ->
// "replicaset-controller"); bound to ClusterRole system:controller:<that name> by the bootstrap
// policy. "" for names it does not know.
std::string ControllerServiceAccount(const std::string& controller);

// The client a controller acts through, by controller name (kube-controller-manager's
// --use-service-account-credentials: each controller its own identity); null = the manager's.
using ControllerClients = std::function<client::Client*(const std::string& controller)>;

struct ManagerOptions {
  bool leader_elect = true;  // false: lead at once (tests)
  // false: run only the controllers given with AddController (kube-scheduler's own manager, which
  // holds its own lease so that it may lead on another server than the controllers).
  bool builtin_controllers = true;
  std::string component = "skiff-controller-manager";  // in events and logs
  // The client that holds the lease (null = the manager's): kube-scheduler holds its lease as
  // system:kube-scheduler while its informers list as the controller manager.
  client::Client* lease_client = nullptr;
  // Per-controller clients (the informers, events and leader election use the manager's client).
  ControllerClients controller_clients;
  client::LeaderElectionConfig leader_election;
  std::set<std::string> disabled;  // controller names not to run
  client::ControllerOptions controllers;  // handed to every controller in its context
  // Reads scale subresources and the metrics APIs for the HPA controller (context.metrics_get);
  // unset: the HPA controller does not run.
  client::ApiGet metrics_get;
};

class ControllerManager {
 public:
  ControllerManager(client::Client* client, ManagerOptions options = {});
  ~ControllerManager();
  ControllerManager(const ControllerManager&) = delete;
  ControllerManager& operator=(const ControllerManager&) = delete;

  // Adds a controller to the built-in ones (before Start).
  void AddController(NamedController controller);

  void Start();
  void Stop();
  bool IsLeader() const;
  // Names of the controllers running now.
  std::vector<std::string> Running() const;

 private:
  void StartControllers();
  void StopControllers();

  client::Client* client_;
  ManagerOptions options_;
  std::vector<NamedController> controllers_;
  std::unique_ptr<client::LeaderElector> elector_;

  mutable std::mutex mu_;
  bool leading_ = false;
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<client::EventRecorder> recorder_;
  std::vector<std::pair<std::string, std::unique_ptr<client::Runnable>>> running_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_MANAGER_MANAGER_H_
