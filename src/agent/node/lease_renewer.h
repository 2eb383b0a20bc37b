// LeaseRenewer: the node's heartbeat Lease kube-node-lease/<node>, renewed every renew_interval
// (10 s) with leaseDurationSeconds 40 and an ownerReference to the Node (so the Lease goes when
// the Node is deleted), like the kubelet's node lease controller: the renewal is an Update of the
// last known Lease (optimistic concurrency); a Lease that vanished is created again; a conflict
// re-reads it. After a failure the next try comes sooner (1 s doubling, capped at the interval).
// Thread-safety: RenewOnce/Start/Stop from one owner thread (Start renews on a thread of its own);
// SetNodeUid and renewals() from any thread. Ownership: borrows the client and the clock.
// Failure: RenewOnce returns the API error; the loop logs and retries.
#ifndef SKIFF_AGENT_NODE_LEASE_RENEWER_H_
#define SKIFF_AGENT_NODE_LEASE_RENEWER_H_

#include <cstdint>
#include <mutex>
#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/node/periodic_task.h"
#include "base/clock.h"
#include "client/client.h"

namespace skiff::agent::node {

inline constexpr char kNodeLeaseNamespace[] = "kube-node-lease";

class LeaseRenewer {
 public:
  struct Options {
    std::string node_name;
    absl::Duration renew_interval = absl::Seconds(10);
    int lease_duration_seconds = 40;
    const base::Clock* clock = nullptr;  // null = real clock
  };

  LeaseRenewer(client::Client* client, Options options);
  ~LeaseRenewer();
  LeaseRenewer(const LeaseRenewer&) = delete;
  LeaseRenewer& operator=(const LeaseRenewer&) = delete;

  // The Node's uid for the ownerReference (added on the next renewal when missing).
  void SetNodeUid(const std::string& uid);
  absl::Status RenewOnce();

  void Start();
  void Stop();
  int64_t renewals() const;

  // The Lease a node starts with (owner reference only when `node_uid` is known).
  static boost::json::value NewLease(const Options& options, const std::string& node_uid, absl::Time now);

 private:
  absl::Duration RunOnce();

  client::Client* client_;
  Options options_;
  const base::Clock* clock_;
  const api::ResourceInfo& leases_;
  client::Object lease_;  // last known; only the renewing thread touches it
  absl::Duration backoff_ = absl::ZeroDuration();
  PeriodicTask loop_;

  mutable std::mutex mu_;
  std::string node_uid_;
  int64_t renewals_ = 0;
};

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_LEASE_RENEWER_H_
