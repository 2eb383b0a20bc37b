// NodeStatusReporter: registers this machine's Node and keeps its status current, like the
// kubelet's node status loop.
//   * Register(): creates the Node (NewNodeObject) or adopts an existing one of the same name:
//     its spec, labels and annotations set by users are kept; only the kubelet's default labels
//     are (re)set. Then writes the full status.
//   * SyncStatus(): every `update_period` the status is computed afresh against the node read
//     from the server; it is written (merge patch of the status subresource) only when something
//     other than heartbeat times changed, or `report_period` has passed since the last write.
//     A node deleted meanwhile is registered again. While the node is not Ready the loop runs
//     every second (at most every update_period), so readiness shows soon after CNI comes up.
// Through client::Client only; timestamps from the injected clock.
// Thread-safety: Register/SyncStatus/Start/Stop from one owner thread (Start runs SyncStatus on a
// thread of its own); node() and RequestSync() from any thread.
// Ownership: borrows the client and the clock; the runtime callback must stay callable until Stop.
// Failure: Register returns the API or host-probe error; the periodic loop logs failures and
// retries on its next turn.
#ifndef SKIFF_AGENT_NODE_NODE_STATUS_REPORTER_H_
#define SKIFF_AGENT_NODE_NODE_STATUS_REPORTER_H_

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "agent/node/host_info.h"
#include "agent/node/node_status.h"
#include "agent/node/periodic_task.h"
#include "base/clock.h"
#include "client/client.h"

namespace skiff::agent::node {

class NodeStatusReporter {
 public:
  struct Options {
    NodeConfig node;
    std::string nodefs_path = "/";  // the agent's data dir (ephemeral-storage, DiskPressure)
    std::string imagefs_path;       // containerd's root ("" = same as nodefs)
    std::string host_root;          // prefix of /proc, /sys, /etc ("" = the real ones)
    absl::Duration update_period = absl::Seconds(10);    // kubelet nodeStatusUpdateFrequency
    absl::Duration report_period = absl::Minutes(5);     // written at least this often (kubelet's
                                                         // nodeStatusReportFrequency)
    absl::Duration not_ready_period = absl::Seconds(1);  // loop period while not Ready
    const base::Clock* clock = nullptr;                  // null = real clock
  };
  // Asked on every sync; should not block for long (CRI Version + Status + ListImages).
  using RuntimeStateFn = std::function<RuntimeState()>;

  NodeStatusReporter(client::Client* client, Options options, RuntimeStateFn runtime_state);
  ~NodeStatusReporter();
  NodeStatusReporter(const NodeStatusReporter&) = delete;
  NodeStatusReporter& operator=(const NodeStatusReporter&) = delete;

  // Creates or adopts the Node and writes its status. Returns the node as stored.
  absl::StatusOr<client::Object> Register();
  // One turn of the loop; true when the status was written.
  absl::StatusOr<bool> SyncStatus();

  // Runs SyncStatus every update_period on a thread (call Register first).
  void Start();
  void Stop();
  // Asks for a sync soon (the runtime or network readiness may have changed).
  void RequestSync();

  // The latest node read or written (null before Register).
  client::Object node() const;
  int64_t status_writes() const;
  // Whether the last computed status said Ready=True.
  bool ready() const;

 private:
  absl::StatusOr<client::Object> WriteStatus(const client::Object& node, const boost::json::value& status);
  absl::Status EnsureFacts();

  client::Client* client_;
  Options options_;
  RuntimeStateFn runtime_state_;
  const base::Clock* clock_;
  const api::ResourceInfo& nodes_;
  HostProbe probe_;
  std::optional<HostFacts> facts_;
  std::optional<absl::Time> last_write_;
  PeriodicTask loop_;

  mutable std::mutex mu_;
  client::Object node_;
  int64_t status_writes_ = 0;
  bool ready_ = false;  // the Ready condition last computed
};

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_NODE_STATUS_REPORTER_H_
