// Concurrent API writes for the workload controllers: RunParallel fans calls out over a thread
// pool, and SlowStartBatch issues creates the Kubernetes way (k8s controller_utils slowStartBatch):
// batches of 1, 2, 4, ... calls, each batch fully concurrent so its writes share the storage's
// group commits, stopping after the first batch with a failure so a broken template costs one
// call, not hundreds.
// Thread-safety: the functions block the caller until their calls have returned; `fn` runs on
// pool threads concurrently and must be thread-safe. Ownership: borrows the pool.
// Failure: SlowStartBatch reports the calls that succeeded and the first error; it never throws.
#ifndef SKIFF_CONTROLLERS_WORKLOAD_BATCH_WRITES_H_
#define SKIFF_CONTROLLERS_WORKLOAD_BATCH_WRITES_H_

#include <functional>

#include "absl/status/status.h"
#include "base/thread_pool.h"

namespace skiff::controllers {

// Runs fn(0..n-1) on `pool` (fn(0) inline when n == 1) and waits for all of them.
void RunParallel(base::ThreadPool& pool, int n, const std::function<void(int)>& fn);

struct SlowStartResult {
  int successes = 0;   // calls that returned OK
  int attempted = 0;   // calls made; count - attempted were skipped
  absl::Status error;  // the first failure, OK when none
};

// Calls fn(i) for i in [0, count) in batches of initial_batch, then doubling (each batch at most
// what is left); a batch in which any call fails ends it.
SlowStartResult SlowStartBatch(base::ThreadPool& pool, int count, int initial_batch,
                               const std::function<absl::Status(int)>& fn);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_WORKLOAD_BATCH_WRITES_H_
