// SimProcess: a `skiff sim` child process that a benchmark starts against a server's kubeconfig and
// stops again. Its output goes to a log file the caller names. Stop() signals only this child (by
// its pid), never anything else.
// Thread-safety: not thread-safe; one owner drives it. Ownership: the object owns the child; its
// destructor stops it. Failure: absl::Status for spawn errors and early exits (with the log tail).
#ifndef SKIFF_BENCH_SIM_PROCESS_H_
#define SKIFF_BENCH_SIM_PROCESS_H_

#include <sys/types.h>

#include <string>
#include <vector>

#include "absl/status/status.h"

namespace skiff::bench {

class SimProcess {
 public:
  // `args` follow `skiff sim` (e.g. {"--kubeconfig", K, "--nodes", "5000"}).
  SimProcess(std::string binary, std::vector<std::string> args, std::string log_path);
  ~SimProcess();
  SimProcess(const SimProcess&) = delete;
  SimProcess& operator=(const SimProcess&) = delete;

  absl::Status Start();
  // OK while the child runs; an error describing its exit otherwise.
  absl::Status CheckRunning();
  // SIGTERM, then SIGKILL if it has not exited within 15 s.
  absl::Status Stop();

  pid_t pid() const { return pid_; }
  const std::string& log_path() const { return log_path_; }
  // The command line, for the report.
  std::string CommandLine() const;
  std::string LogTail() const;

 private:
  std::string binary_;
  std::vector<std::string> args_;
  std::string log_path_;
  pid_t pid_ = 0;
};

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_SIM_PROCESS_H_
