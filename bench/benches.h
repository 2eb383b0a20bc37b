// The apiserver benchmarks, one function per figure set, plus the ConfigMap create loop they
// share. Each Run*Bench prints a report block (machine, server, conditions, results with targets)
// to stdout and returns a process exit code (0: measured, even if a target is missed; 1: failed).
// Thread-safety: each call owns its threads and connections and joins them before returning.
// Failure: setup errors are printed to stderr and give exit code 1.
#ifndef SKIFF_BENCH_BENCHES_H_
#define SKIFF_BENCH_BENCHES_H_

#include <cstdint>
#include <string>
#include <vector>

#include <sys/types.h>

#include "absl/status/statusor.h"
#include "bench_target.h"
#include "bench_util.h"
#include "https_client.h"

namespace skiff::bench {

struct CreateOptions {
  int connections = 64;
  int threads = 2;                // client io threads
  double seconds = 10;            // stop after this long ...
  int64_t max_objects = 1000000;  // ... or after this many creates
  size_t object_bytes = 1024;     // size of the ConfigMap's data value
  std::string ns = "bench";
  // Also measure a second fresh server that writes an audit log, and report both.
  bool compare_audit = false;
  // Also run the creates as a user who is not cluster-admin (a static token bound to a Role by a
  // RoleBinding) and report both runs: the cost of RBAC decisions on the write path.
  bool compare_rbac_user = false;
  // Also measure a fresh server on a private one-member etcd (started on loopback ports with a
  // temporary data dir on the same disk) and report both stores side by side.
  bool compare_etcd = false;
  // Also run the creates in a namespace that a ValidatingAdmissionPolicy binding selects (one
  // policy, two validations over the ConfigMap's data) and report both runs, with the server's
  // CPU per create: the cost of one policy evaluation on the write path.
  bool compare_policy = false;
};

struct CreateResult {
  int64_t created = 0;
  int64_t failed = 0;
  double seconds = 0;  // from the first request to the last response
  std::vector<int64_t> latencies_ns;
  std::string first_error;
};

// POST /api/v1/namespaces/NS/configmaps over `connections` keep-alive connections.
absl::StatusOr<CreateResult> RunCreates(const Endpoint& endpoint, const CreateOptions& options);
// Creates the namespace unless it exists.
absl::Status EnsureNamespace(const Endpoint& endpoint, const std::string& ns);
// One request on a fresh connection, from the calling thread.
absl::StatusOr<HttpResponse> SendOnce(const Endpoint& endpoint, std::string_view method,
                                      std::string_view target, std::string body);
// The figures of one MeasureCreates run; CPU seconds cover the creates only (-1: unknown).
struct CreateFigures {
  double rate = 0;
  LatencySummary latency;
  int64_t created = 0;
  double server_cpu_seconds = -1;  // the API server process
  double client_cpu_seconds = -1;  // this benchmark process (the load client)
  double store_cpu_seconds = -1;   // the process given as store_pid (etcd)
};
// Opens a fresh target, runs RunCreates against it and prints a report block titled `title`.
// With store_pid > 0 also measures that process's CPU over the same creates.
absl::StatusOr<CreateFigures> MeasureCreates(const TargetOptions& target_options, const CreateOptions& options,
                                             const MachineInfo& machine, const std::string& title,
                                             pid_t store_pid = 0);
// create --compare-etcd (create_etcd_bench.cc): SQLite, etcd and raw etcd in one run.
int RunCreateBenchComparingEtcd(const TargetOptions& target_options, const CreateOptions& options);

// Number of items of a LIST response body.
absl::StatusOr<int64_t> CountItems(const std::string& list_body);

struct ListOptions {
  CreateOptions fill;  // max_objects is the object count to hold
  int repeats = 5;
  double settle_seconds = 2;
  // RSS is read again after this much more idle time: the allocator hands freed pages of the fill
  // back to the system after a decay time (jemalloc's default is 10 s).
  double idle_seconds = 12;
  std::string curl = "curl";  // also LIST with this curl (JSON, kubectl's Table, protobuf Accept)
};

struct WatchOptions {
  int watchers = 1000;
  int threads = 2;           // io threads for the watchers
  int writers = 16;          // writer connections (own io thread)
  double rate = 1000;        // writes per second
  double seconds = 10;       // writing time
  double grace_seconds = 5;  // wait for late deliveries
  int connect_batch = 100;   // watchers opened at a time
  size_t object_bytes = 128;
};

struct StartupOptions {
  CreateOptions fill;  // max_objects is the object count for the loaded restart
  double idle_seconds = 10;
  double settle_seconds = 2;
};

int RunCreateBench(const TargetOptions& target, const CreateOptions& options);
int RunListBench(const TargetOptions& target, const ListOptions& options);
int RunWatchBench(const TargetOptions& target, const WatchOptions& options);
int RunStartupBench(const TargetOptions& target, const StartupOptions& options);

struct IdleOptions {
  double settle_seconds = 60;
  double window_seconds = 120;
  std::string oci_image_py;  // scripts/oci_image.py (the separate agent imports the test image)
};
// Needs root, containerd and the CNI plugins (it runs real node agents).
int RunIdleBench(const TargetOptions& target, const IdleOptions& options);

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_BENCHES_H_
