// LeaderElector: leader election on a coordination.k8s.io/v1 Lease (like client-go's
// leaderelection), so that only one of several processes sharing a store runs the controllers.
// The holder renews the lease every retry period; a candidate takes it over once it has seen the
// same record unchanged for a whole lease duration (measured on its own clock, so clock skew
// between machines does not matter). A leader that cannot renew within the renew deadline steps
// down. Stop() releases a held lease so a successor takes over at once.
// A sole candidate (see LeaderElectionConfig::sole_candidate) skips the protocol: it takes the
// lease at once and renews it rarely, for observers only.
//
// Thread-safety: Start/Stop from one thread; IsLeader from any. Callbacks run on the elector's
// threads: on_started_leading on a thread of its own (it may block, e.g. waiting for caches);
// on_stopped_leading after on_started_leading has returned. Ownership: borrows the Client and
// Clock. Failure: API errors are retried every retry period and logged; never fatal.
#ifndef SKIFF_CLIENT_LEADER_ELECTION_H_
#define SKIFF_CLIENT_LEADER_ELECTION_H_

#include <atomic>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <string>
#include <thread>

#include "absl/time/time.h"
#include "base/clock.h"
#include "client/client.h"

namespace skiff::client {

struct LeaderElectionConfig {
  std::string lease_namespace = "kube-system";
  std::string lease_name = "kube-controller-manager";
  std::string identity;  // "" = DefaultIdentity()
  absl::Duration lease_duration = absl::Seconds(15);
  absl::Duration renew_deadline = absl::Seconds(10);
  absl::Duration retry_period = absl::Seconds(2);
  const base::Clock* clock = nullptr;  // null = real clock (sleeps are always real time)
  // True when no other process can ever compete (the store is embedded in this one, as SQLite is):
  // then a Lease write every retry period would guard against nobody and only wear the disk. The
  // lease is taken at once whatever it records (a holder there is an earlier run of this process),
  // renewed every sole_renew_period with leaseDurationSeconds = 3 x that period (so observers see
  // it live), and a failed renewal never stops the leader (it is retried after retry_period).
  bool sole_candidate = false;
  absl::Duration sole_renew_period = absl::Minutes(5);
  std::function<void()> on_started_leading;
  std::function<void()> on_stopped_leading;
};

// "<hostname>_<random uuid>", as Kubernetes components name themselves in leases.
std::string DefaultIdentity();

class LeaderElector {
 public:
  LeaderElector(Client* client, LeaderElectionConfig config);
  ~LeaderElector();
  LeaderElector(const LeaderElector&) = delete;
  LeaderElector& operator=(const LeaderElector&) = delete;

  void Start();
  // Steps down (releasing the lease) and ends the elector's threads.
  void Stop();
  bool IsLeader() const { return leading_.load(); }
  const std::string& identity() const { return config_.identity; }

  // One attempt to acquire or renew the lease (the loop's step; public for tests). True when this
  // elector holds the lease afterwards.
  bool TryAcquireOrRenew();
  // Gives the lease up if held (holderIdentity cleared). Public for tests.
  void Release();

 private:
  void Run();
  void BecomeLeader();
  void StepDown();
  bool Sleep(absl::Duration d);  // false when stopping
  int64_t LeaseDurationSeconds() const;  // what the lease records

  Client* client_;
  LeaderElectionConfig config_;
  const base::Clock* clock_;
  std::atomic<bool> leading_{false};

  // What this elector last saw in the lease, and when (on its own clock).
  std::string observed_holder_;
  std::string observed_renew_;
  absl::Time observed_at_;

  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  std::thread thread_;
  std::thread leading_thread_;  // runs on_started_leading
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_LEADER_ELECTION_H_
