// What every controller of the controller manager receives, and the tiny lifecycle interface it
// implements. Controllers are constructed by the ControllerManager once it holds leadership.
// Thread-safety: the context's members are safe for concurrent use. Ownership: the manager owns
// the client, informers and recorder, which outlive every controller.
#ifndef SKIFF_CONTROLLERS_MANAGER_CONTROLLER_CONTEXT_H_
#define SKIFF_CONTROLLERS_MANAGER_CONTROLLER_CONTEXT_H_

#include <string>

#include "absl/time/time.h"
#include "client/client.h"
#include "client/shared_informers.h"

namespace skiff::client {
class EventRecorder;
}

namespace skiff::controllers {

// Settings of individual controllers that come from `skiff server` flags (validated there).
struct ControllerOptions {
  std::string cluster_cidr = "10.42.0.0/16";  // pod CIDRs of nodes are carved from it; "" = none
  int node_cidr_mask_size = 0;                // 0 = 24 for an IPv4, 64 for an IPv6 cluster CIDR
  absl::Duration node_monitor_grace_period = absl::Seconds(40);
};

struct ControllerContext {
  client::Client* client = nullptr;
  client::SharedInformers* informers = nullptr;
  client::EventRecorder* recorder = nullptr;  // may be null in tests
  ControllerOptions options;
};

// A controller (or the scheduler) as the manager runs it. Start registers informer handlers and
// starts workers (informers are started by the manager after every Start); Stop ends the workers.
class Runnable {
 public:
  virtual ~Runnable() = default;
  virtual void Start() = 0;
  virtual void Stop() = 0;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_MANAGER_CONTROLLER_CONTEXT_H_
