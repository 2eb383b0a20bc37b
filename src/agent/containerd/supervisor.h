// ContainerdSupervisor: runs the agent's own containerd (config under DIR/containerd, see
// config.h) as a child process, restarts it with exponential backoff when it dies, and stops
// it on request. Containers survive a containerd stop or restart (their shims keep running), so
// agent restarts do not disturb pods. With `existing_endpoint` set it supervises nothing and
// only reports that endpoint.
//
// Thread-safety: all public methods are thread-safe. Start/Stop may each be called once per
// run (Start after Stop starts a new run).
// Ownership: owns the containerd child and a monitor thread; the destructor calls Stop().
// Failures: Start returns FailedPrecondition/Internal/DeadlineExceeded (with the tail of
// containerd.log) when containerd cannot be started or its socket does not appear in time.
// Later crashes are logged and retried forever; they never surface as errors.
#ifndef SKIFF_AGENT_CONTAINERD_SUPERVISOR_H_
#define SKIFF_AGENT_CONTAINERD_SUPERVISOR_H_

#include <sys/types.h>

#include <string>
#include <thread>

#include "absl/base/thread_annotations.h"
#include "absl/status/status.h"
#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "agent/containerd/config.h"

namespace skiff::agent::containerd {

struct SupervisorOptions {
  std::string agent_dir;          // DIR; containerd's files live in DIR/containerd
  std::string existing_endpoint;  // e.g. unix:///run/containerd/containerd.sock; skips all else
  std::string containerd_binary = "containerd";
  ContainerdConfigOptions config;
  absl::Duration start_timeout = absl::Seconds(30);
  absl::Duration stop_timeout = absl::Seconds(10);  // SIGTERM -> SIGKILL
  absl::Duration initial_backoff = absl::Seconds(1);
  absl::Duration max_backoff = absl::Seconds(30);
};

class ContainerdSupervisor {
 public:
  explicit ContainerdSupervisor(SupervisorOptions options);
  ~ContainerdSupervisor();
  ContainerdSupervisor(const ContainerdSupervisor&) = delete;
  ContainerdSupervisor& operator=(const ContainerdSupervisor&) = delete;

  // Writes config.toml, stops a containerd left running by an earlier agent for the same DIR,
  // starts containerd and waits until its socket accepts connections.
  absl::Status Start();
  // SIGTERM, SIGKILL after stop_timeout; waits for the process and the monitor thread.
  absl::Status Stop();

  // The CRI endpoint ("unix://..."): the existing one, or our containerd's socket.
  std::string endpoint() const;
  const ContainerdPaths& paths() const { return paths_; }
  bool supervising() const { return options_.existing_endpoint.empty(); }
  pid_t pid() const;     // 0 when not running
  int restarts() const;  // crash restarts since Start

 private:
  absl::Status SpawnLocked() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_);
  absl::Status WaitForSocket(pid_t pid, absl::Duration timeout);
  void Monitor();

  const SupervisorOptions options_;
  const ContainerdPaths paths_;
  mutable absl::Mutex mu_;
  pid_t pid_ ABSL_GUARDED_BY(mu_) = 0;
  bool child_alive_ ABSL_GUARDED_BY(mu_) = false;
  bool stopping_ ABSL_GUARDED_BY(mu_) = false;
  bool monitor_done_ ABSL_GUARDED_BY(mu_) = true;
  int restarts_ ABSL_GUARDED_BY(mu_) = 0;
  absl::Time started_at_ ABSL_GUARDED_BY(mu_);
  std::thread monitor_;
};

// Stops (TERM, then KILL) every process started with "--config `config_path`" (a containerd of
// the same DIR left running by a killed agent).
// Returns how many were found.
int StopContainerdProcesses(const std::string& config_path, absl::Duration timeout);

// Last `max_bytes` of a log file, for error messages.
std::string LogTail(const std::string& path, size_t max_bytes);

}  // namespace skiff::agent::containerd

#endif  // SKIFF_AGENT_CONTAINERD_SUPERVISOR_H_
