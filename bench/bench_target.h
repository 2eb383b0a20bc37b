// BenchTarget: the API server a benchmark measures — either a `skiff server` it starts itself (fresh
// temporary data dir, free port) or one it attaches to by URL, token and CA. Only 127.0.0.1 (or
// localhost) is accepted, so a benchmark never loads a remote machine.
// Thread-safety: not thread-safe; owned by the benchmark's main thread. Ownership: owns the
// SkiffProcess when it started one (stopped on destruction).
// Failure: absl::Status for bad options, unreadable token/CA files and servers that fail to start.
#ifndef SKIFF_BENCH_BENCH_TARGET_H_
#define SKIFF_BENCH_BENCH_TARGET_H_

#include <sys/types.h>

#include <memory>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "bench_util.h"
#include "https_client.h"
#include "skiff_process.h"

namespace skiff::bench {

struct TargetOptions {
  std::string skiff_binary = "build/skiff";
  std::string server_url;  // "https://127.0.0.1:6443": attach instead of starting a server
  std::string token;
  std::string token_file;
  std::string ca_file;
  int pid = 0;  // the attached server's pid, for RSS figures (0: unknown)
  std::vector<std::string> server_args;  // extra `skiff server` flags of a server it starts
  bool keep_files = false;
  // A started server writes an audit log (Metadata for every request) to DATA_DIR/audit.log.
  bool audit_log = false;
};

class BenchTarget {
 public:
  static absl::StatusOr<std::unique_ptr<BenchTarget>> Open(const TargetOptions& options);

  const Endpoint& endpoint() const { return endpoint_; }
  pid_t pid() const { return pid_; }
  // Null when attached to a server someone else runs.
  SkiffProcess* process() { return process_.get(); }
  // Adds the "server" section (what runs where, and how long it took to become ready).
  void Describe(Report& report) const;

 private:
  Endpoint endpoint_;
  pid_t pid_ = 0;
  std::unique_ptr<SkiffProcess> process_;
  Clock::duration start_time_{};
};

// The server's VmRSS in bytes, or an explanation when it cannot be read.
std::string RssText(pid_t pid);
absl::StatusOr<int64_t> RssBytes(pid_t pid);

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_BENCH_TARGET_H_
