// HaproxySupervisor: runs the ingress data plane, HAProxy in master-worker mode, as the agent's
// child in its own process group, and applies new configurations without dropping connections.
// Files live under one directory DIR: haproxy.cfg, the master CLI socket master.sock, the worker
// runtime socket stats.sock, haproxy.log (its output), and certs/<generation>/ (the PEM files and
// crt-list of one configuration).
// Apply() writes a configuration's certificates into a fresh generation directory, has
// `haproxy -c` check the new haproxy.cfg beside the running one, then moves it into place and
// asks the master (CLI "reload") to start new workers on the inherited listening sockets; old
// workers finish their requests and connections (up to the config's hard-stop-after) and exit.
// A configuration HAProxy rejects is not applied: the running one stays and the error is returned.
// A master that dies is restarted (backoff) on the last applied configuration.
//
// Thread-safety: every method is thread-safe (one mutex serializes Apply, the monitor's restarts
// and Stop). Ownership: owns the haproxy process group and a monitor thread; the destructor stops.
// Failure: Start returns FailedPrecondition (with the log tail) when haproxy exits or its master
// socket does not come up in time; Apply returns InvalidArgument with haproxy's check output for a
// rejected configuration and Internal/Unavailable for file or socket errors.
#ifndef SKIFF_AGENT_INGRESS_HAPROXY_SUPERVISOR_H_
#define SKIFF_AGENT_INGRESS_HAPROXY_SUPERVISOR_H_

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/ingress/haproxy_config.h"

namespace skiff::agent::ingress {

struct HaproxySupervisorOptions {
  std::string dir;  // absolute
  std::string binary = "haproxy";
  absl::Duration start_timeout = absl::Seconds(15);
  absl::Duration stop_timeout = absl::Seconds(5);  // SIGTERM to the group -> SIGKILL
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
};

class HaproxySupervisor {
 public:
  explicit HaproxySupervisor(HaproxySupervisorOptions options);
  ~HaproxySupervisor();
  HaproxySupervisor(const HaproxySupervisor&) = delete;
  HaproxySupervisor& operator=(const HaproxySupervisor&) = delete;

  // Paths the renderer needs (HaproxyOptions::stats_socket, the default certificate).
  std::string config_path() const { return options_.dir + "/haproxy.cfg"; }
  std::string master_socket() const { return options_.dir + "/master.sock"; }
  std::string stats_socket() const { return options_.dir + "/stats.sock"; }
  std::string log_path() const { return options_.dir + "/haproxy.log"; }
  // The directory certificates of the next Apply go to (HaproxyOptions::cert_dir).
  std::string NextCertDir() const;

  // Stops a haproxy a killed agent left running on this DIR, checks and writes `initial`, starts
  // haproxy and waits until its master socket answers.
  absl::Status Start(const RenderedConfig& initial);
  // Checks and applies a configuration rendered with cert_dir = NextCertDir().
  absl::Status Apply(const RenderedConfig& config);
  // SIGTERM to the process group (every worker, old ones too), SIGKILL after stop_timeout.
  void Stop();

  pid_t pid() const;       // the master; 0 when not running
  int64_t reloads() const;  // successful Apply calls since Start
  int64_t restarts() const;  // crash restarts since Start

 private:
  absl::Status WriteAndCheck(const RenderedConfig& config, const std::string& cert_dir) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status SpawnLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WaitForMaster(pid_t pid);
  void RemoveOldCertDirs(const std::string& keep) ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  void Monitor();

  const HaproxySupervisorOptions options_;
  mutable absl::Mutex mu_;
  pid_t pid_ ABSL_GUARDED_BY(mu_) = 0;
  bool alive_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool monitor_done_ ABSL_GUARDED_BY(mu_) = true;
  int64_t generation_ ABSL_GUARDED_BY(mu_) = 0;  // of the applied configuration
  int64_t reloads_ ABSL_GUARDED_BY(mu_) = 0;
  int64_t restarts_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time started_at_ ABSL_GUARDED_BY(mu_);
  std::thread monitor_;
};

// Stops every haproxy started with "-f DIR/haproxy.cfg" (left by a killed agent; also `skiff agent
// reset`). Returns how many were found.
int StopHaproxyProcesses(const std::string& dir, absl::Duration timeout);

// Sends one command to an HAProxy CLI socket (master or runtime API) and returns the answer.
absl::StatusOr<std::string> HaproxyCommand(const std::string& socket_path, const std::string& command,
                                           absl::Duration timeout);

// The number of current and old worker lines in the master CLI's "show proc" answer.
int CountWorkers(const std::string& show_proc);

}  // namespace skiff::agent::ingress

#endif  // SKIFF_AGENT_INGRESS_HAPROXY_SUPERVISOR_H_
