// Process helpers: running a command with a timeout, spawning a daemon in its own process group
// with output to a log file (neither inherits any of our descriptors beyond stdin/stdout/stderr),
// listing processes from /proc, signalling a process and waiting for it to go, and the
// termination-signal prologue of a long-running command (block SIGINT/SIGTERM, wait for one).
//
// Thread-safety: all functions are safe to call concurrently (posix_spawn, no global state), except
// BlockTerminationSignals, which a command calls once on its main thread before starting others.
// Ownership: spawned daemons are the caller's children; the caller must reap them (waitpid).
// Failures: absl::Status with errno text; a command that runs and exits non-zero is not an
// error (see CommandResult::exit_code); a timed-out command is killed -> DeadlineExceeded.
#ifndef SKIFF_BASE_PROCESS_H_
#define SKIFF_BASE_PROCESS_H_

#include <signal.h>
#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace skiff::base {

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

// Sends `signal` to pid and waits up to `timeout` for it to disappear (kill(pid, 0) fails).
// Works for non-children (it cannot reap them; zombies of others count as gone).
bool SignalAndWait(pid_t pid, int signal, absl::Duration timeout);

// The prologue of a command that runs until Ctrl-C or SIGTERM: blocks SIGINT and SIGTERM in the
// calling thread (threads started afterwards inherit the mask) and ignores SIGPIPE. Returns the
// blocked set for WaitForSignal.
sigset_t BlockTerminationSignals();

// Waits until one of `signals` (blocked in every thread) arrives; returns its number.
int WaitForSignal(const sigset_t& signals);

}  // namespace skiff::base

#endif  // SKIFF_BASE_PROCESS_H_
