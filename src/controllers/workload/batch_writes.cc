#include "controllers/workload/batch_writes.h"

#include <algorithm>
#include <condition_variable>
#include <mutex>

namespace skiff::controllers {

void RunParallel(base::ThreadPool& pool, int n, const std::function<void(int)>& fn) {
  if (n <= 0) return;
  if (n == 1) {
    fn(0);
    return;
  }
  std::mutex mu;
  std::condition_variable cv;
  int left = n;
  for (int i = 0; i < n; ++i) {
    pool.Submit([&, i] {
      fn(i);
      std::lock_guard<std::mutex> lock(mu);
      if (--left == 0) cv.notify_all();
    });
  }
  std::unique_lock<std::mutex> lock(mu);
  cv.wait(lock, [&] { return left == 0; });
}

SlowStartResult SlowStartBatch(base::ThreadPool& pool, int count, int initial_batch,
                               const std::function<absl::Status(int)>& fn) {
  SlowStartResult result;
  std::mutex mu;
  for (int batch = std::min(count, std::max(1, initial_batch)); batch > 0;
       batch = std::min(2 * batch, count - result.attempted)) {
    const int first = result.attempted;
    int ok = 0;
    RunParallel(pool, batch, [&](int i) {
      absl::Status status = fn(first + i);
      std::lock_guard<std::mutex> lock(mu);
      if (status.ok()) {
        ++ok;
      } else if (result.error.ok()) {
        result.error = std::move(status);
      }
    });
    result.attempted += batch;
    result.successes += ok;
    if (ok != batch) break;
  }
  return result;
}

}  // namespace skiff::controllers
