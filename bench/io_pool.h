// IoPool: a few asio io_contexts, each run by its own thread, that the benchmark clients are
// spread over (one context per thread, so a connection never needs a strand). WaitGroup: counts
// outstanding coroutines so the main thread can wait for them with a deadline.
// Thread-safety: Next() and the WaitGroup methods are thread-safe. Ownership: the pool owns its
// contexts and threads; destroy the clients that use a context before the pool.
// Failure: a coroutine that throws is logged to stderr by Spawn and counted as done; RunSync
// turns it into an INTERNAL status.
#ifndef SKIFF_BENCH_IO_POOL_H_
#define SKIFF_BENCH_IO_POOL_H_

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "absl/status/status.h"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/co_spawn.hpp"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/io_context.hpp"

namespace skiff::bench {

class WaitGroup {
 public:
  void Add(int n);
  void Done();
  // True when the count reached zero before `deadline`.
  bool WaitUntil(std::chrono::steady_clock::time_point deadline);
  int pending();

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  int pending_ = 0;
};

class IoPool {
 public:
  explicit IoPool(int threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  // Round-robin over the contexts.
  boost::asio::io_context& Next();
  int size() const { return static_cast<int>(contexts_.size()); }
  // Stops every context and joins the threads; idempotent.
  void Stop();

 private:
  using WorkGuard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<boost::asio::io_context>> contexts_;
  std::vector<WorkGuard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<size_t> next_{0};
};

// Runs `task` on `context`; `group` (if set) is marked done when it ends, even by an exception.
void Spawn(boost::asio::io_context& context, boost::asio::awaitable<void> task, WaitGroup* group);

// Runs `task` on `context` in the calling thread until the context has no more work; T is an
// absl::Status or absl::StatusOr (an exception becomes an INTERNAL error).
template <typename T>
T RunSync(boost::asio::io_context& context, boost::asio::awaitable<T> task) {
  std::optional<T> result;
  boost::asio::co_spawn(context, std::move(task), [&result](std::exception_ptr error, T value) {
    if (!error) result.emplace(std::move(value));
  });
  context.restart();
  context.run();
  if (!result) return T(absl::InternalError("benchmark coroutine threw"));
  return std::move(*result);
}

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_IO_POOL_H_
