// Process and mount helpers for supervising containerd and cleaning up after it: running a
// command with a timeout, spawning a daemon in its own process group with output to a log file,
// listing processes from /proc, and finding mount points below a directory.
//
// Thread-safety: all functions are safe to call concurrently (posix_spawn, no global state).
// Ownership: spawned daemons are the caller's children; the caller must reap them (waitpid).
// Failures: absl::Status with errno text; a command that runs and exits non-zero is not an
// error (see CommandResult::exit_code); a timed-out command is killed -> DeadlineExceeded.
#ifndef SKIFF_AGENT_CONTAINERD_PROCESS_H_
#define SKIFF_AGENT_CONTAINERD_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace skiff::agent::containerd {

struct CommandResult {
  int exit_code = 0;   // exit status, or 128+signal if killed by a signal
  std::string output;  // stdout and stderr interleaved
};

// Runs argv[0] (searched in PATH) with stdin from /dev/null; kills it after `timeout`.
absl::StatusOr<CommandResult> RunCommand(const std::vector<std::string>& argv, absl::Duration timeout);

// Starts argv as a new process-group leader, stdin /dev/null, stdout+stderr appended to
// `log_path`. Returns its pid.
absl::StatusOr<pid_t> SpawnDaemon(const std::vector<std::string>& argv, const std::string& log_path);

struct ProcessInfo {
  pid_t pid = 0;
  std::vector<std::string> argv;
  std::string cwd;  // empty if unreadable
  std::string exe;  // empty if unreadable
};

// Every process visible in /proc (skips ones that exit while being read).
std::vector<ProcessInfo> ListProcesses();

// True if `path` is `dir` or lies below it (lexically; both absolute).
bool PathIsUnder(const std::string& path, const std::string& dir);

// Mount points from /proc/self/mountinfo text that are `dir` or below it, deepest first
// (unmount order). Octal escapes (\040 for space...) are decoded.
std::vector<std::string> MountPointsUnder(const std::string& mountinfo, const std::string& dir);

// Reads a whole (small, e.g. /proc) file; empty string if it cannot be read.
std::string ReadSmallFile(const std::string& path);

// Sends `signal` to pid and waits up to `timeout` for it to disappear (kill(pid, 0) fails).
// Works for non-children (it cannot reap them; zombies of others count as gone).
bool SignalAndWait(pid_t pid, int signal, absl::Duration timeout);

}  // namespace skiff::agent::containerd

#endif  // SKIFF_AGENT_CONTAINERD_PROCESS_H_
