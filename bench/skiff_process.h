// SkiffProcess: a `skiff server` child process that a benchmark starts, times and stops. It runs on
// 127.0.0.1 and a free port, with a temporary directory holding its data dir (DIR/data) and its
// output (DIR/server.log). Start() measures spawn-to-/readyz time; the server may be restarted on
// the same data dir (each start picks a new free port).
// Thread-safety: not thread-safe; one owner drives it. Ownership: the object owns the child and the
// temporary directory; its destructor stops the child and deletes the directory unless kept.
// Failure: absl::Status for spawn errors, early exits (with the log tail) and readiness timeouts.
#ifndef SKIFF_BENCH_SKIFF_PROCESS_H_
#define SKIFF_BENCH_SKIFF_PROCESS_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "https_client.h"

namespace skiff::bench {

class SkiffProcess {
 public:
  static absl::StatusOr<std::unique_ptr<SkiffProcess>> Create(std::string binary, bool keep_files);
  ~SkiffProcess();
  SkiffProcess(const SkiffProcess&) = delete;
  SkiffProcess& operator=(const SkiffProcess&) = delete;

  // Spawns the server and waits until GET /readyz answers 200; returns the time from spawn to then.
  absl::StatusOr<Clock::duration> Start(Clock::duration ready_timeout);
  // SIGTERM, then SIGKILL if it has not exited within 15 s.
  absl::Status Stop();
  // Extra `skiff server` flags for the next Start (e.g. {"--cluster-cidr", "10.0.0.0/8"}).
  void set_extra_args(std::vector<std::string> args) { extra_args_ = std::move(args); }
  // Runs the in-process node agent too (default: --disable-agent). Needs root and containerd;
  // Stop() then also runs `skiff agent reset` on its data dir.
  void set_with_agent(bool with_agent) { with_agent_ = with_agent; }
  std::string agent_dir() const { return data_dir_ + "/agent"; }

  pid_t pid() const { return pid_; }
  // Valid after a successful Start (token and CA come from the data dir).
  const Endpoint& endpoint() const { return endpoint_; }
  const std::string& data_dir() const { return data_dir_; }
  const std::string& log_path() const { return log_path_; }
  const std::string& binary() const { return binary_; }
  // The last bytes of the server's output, for error messages.
  std::string LogTail() const;

 private:
  SkiffProcess(std::string binary, std::string root, bool keep_files);
  absl::Status Spawn(uint16_t port);
  absl::Status StopServer();
  // Polls /readyz until 200, the child exits, or the deadline passes.
  absl::Status WaitReady(Clock::time_point deadline);

  std::string binary_;
  std::string root_;
  std::string data_dir_;
  std::string log_path_;
  bool keep_files_;
  std::vector<std::string> extra_args_;
  bool with_agent_ = false;
  pid_t pid_ = 0;
  Endpoint endpoint_;
};

// A free TCP port on 127.0.0.1 (bound and released; a small race is accepted).
absl::StatusOr<uint16_t> FreeLocalPort();

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_SKIFF_PROCESS_H_
