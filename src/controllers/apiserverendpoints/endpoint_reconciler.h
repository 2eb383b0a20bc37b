// EndpointReconciler: keeps default/kubernetes' Endpoints and EndpointSlices listing every live API
// server, like kube-apiserver's lease endpoint reconciler. Each API server runs one (outside leader
// election: every server must announce itself). Every `interval` it renews its own Lease
// kube-system/apiserver-<address> (label apiserver.kubernetes.io/identity=kube-apiserver, its
// advertised address and port in annotations), then lists the servers' Leases and writes the
// Endpoints (one subset per port) and EndpointSlices ("kubernetes" for the first port,
// "kubernetes-<port>" for others) when they differ from the live set. A lease counts as live while
// its renewTime has changed within its leaseDurationSeconds, measured on this server's own clock
// (as the leader elector does, so clock skew between machines does not matter). Leases dead for
// ten lease durations are deleted. Stop() deletes this server's own lease and drops it from the
// endpoints, so a cleanly stopped server leaves at once; a killed one drops out after one lease
// duration.
// A sole server (its store is embedded, so no other server can exist) rewrites its own lease only
// every sole_renew_period, and takes any other server's lease for a leftover of an earlier run of
// itself (e.g. on another port before a kill -9): not live, deleted at once.
//
// Thread-safety: Start/Stop from one thread; ReconcileOnce is for tests and is not to be called
// while started. Ownership: borrows the Client and Clock. Failure: API errors are logged and
// retried next interval; never fatal.
#ifndef SKIFF_CONTROLLERS_APISERVERENDPOINTS_ENDPOINT_RECONCILER_H_
#define SKIFF_CONTROLLERS_APISERVERENDPOINTS_ENDPOINT_RECONCILER_H_

#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <utility>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "base/clock.h"
#include "client/client.h"

namespace skiff::controllers::apiserverendpoints {

struct EndpointReconcilerOptions {
  std::string address;  // the IP this server advertises
  int port = 6443;
  std::string host_name;  // for the lease's kubernetes.io/hostname label
  absl::Duration interval = absl::Seconds(2);
  absl::Duration lease_duration = absl::Seconds(6);
  bool sole_server = false;
  absl::Duration sole_renew_period = absl::Minutes(5);
  const base::Clock* clock = nullptr;  // null = real clock
};

// "apiserver-127-0-0-1-6443": the lease name of the server advertising ip:port.
std::string LeaseName(const std::string& ip, int port);

class EndpointReconciler {
 public:
  using Servers = std::set<std::pair<std::string, int>>;  // (ip, port)

  EndpointReconciler(client::Client* client, EndpointReconcilerOptions options);
  ~EndpointReconciler();
  EndpointReconciler(const EndpointReconciler&) = delete;
  EndpointReconciler& operator=(const EndpointReconciler&) = delete;

  // Reconciles once at once, then every interval on a thread of its own.
  void Start();
  // Ends the thread, deletes this server's lease and rewrites the endpoints without it.
  void Stop();

  // One round: renew the own lease, then write the endpoints of the live servers.
  absl::Status ReconcileOnce();
  // Removes this server: deletes its lease and writes the endpoints of the others.
  absl::Status Withdraw();

 private:
  absl::Status RenewOwnLease();
  // The live servers (ip, port), with this one when `include_self`; deletes long-dead leases.
  absl::StatusOr<Servers> LiveServers(bool include_self);
  absl::Status WriteEndpoints(const Servers& servers);

  client::Client* client_;
  EndpointReconcilerOptions options_;
  const base::Clock* clock_;
  std::string lease_name_;
  // When this reconciler last wrote its own lease (this clock; sole server only).
  absl::Time own_renewed_at_;
  // Per lease: the renewTime last seen and when (this clock).
  std::map<std::string, std::pair<std::string, absl::Time>> observed_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
};

}  // namespace skiff::controllers::apiserverendpoints

#endif  // SKIFF_CONTROLLERS_APISERVERENDPOINTS_ENDPOINT_RECONCILER_H_
