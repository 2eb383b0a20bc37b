// The scheduler's own capacity, without the API server: `scheduler_bench in-process` feeds a
// SchedulerCache with N nodes and runs the scheduling cycle (parse, snapshot update, filter, score,
// assume; the informer's confirmation of each binding follows a few pods later) for M pods, so
// the figure isolates the scheduler from storage and HTTP and is reproducible on a busy machine.
// Thread-safety: one call at a time per process. Ownership: everything is local to the call.
// Failure: returns exit code 1 when a variant is unknown or pods stay unscheduled.
#ifndef SKIFF_BENCH_SCHEDULER_INPROCESS_H_
#define SKIFF_BENCH_SCHEDULER_INPROCESS_H_

#include <cstdint>
#include <string>

namespace skiff::bench {

struct InProcessOptions {
  int nodes = 5000;
  int zones = 10;
  int64_t pods = 10000;
  std::string variant = "plain";  // plain | anti-affinity | spread
  int64_t group_size = 0;         // anti-affinity: pods per label group (0: the node count)
  int parallelism = 2;            // filter threads
  int confirm_lag = 64;           // pods between an assume and its informer confirmation
};

int RunInProcess(const InProcessOptions& options);

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_SCHEDULER_INPROCESS_H_
