// PeriodicTask: runs a function on its own thread, again after each delay the function returns,
// until stopped; Wake() runs it early (e.g. when something the node status depends on changed).
// Waits are on the steady clock (real time); what the function does with time is its own affair.
// Thread-safety: Start/Stop from one owner thread; Wake from any thread. Ownership: owns the thread;
// the function's captures must outlive Stop(). Never fails.
#ifndef SKIFF_AGENT_NODE_PERIODIC_TASK_H_
#define SKIFF_AGENT_NODE_PERIODIC_TASK_H_

#include <condition_variable>
#include <functional>
#include <mutex>
#include <thread>

#include "absl/time/time.h"

namespace skiff::agent::node {

class PeriodicTask {
 public:
  // `run` returns how long to wait before its next run.
  explicit PeriodicTask(std::function<absl::Duration()> run) : run_(std::move(run)) {}
  ~PeriodicTask() { Stop(); }
  PeriodicTask(const PeriodicTask&) = delete;
  PeriodicTask& operator=(const PeriodicTask&) = delete;

  // Runs the function at once on the new thread, then periodically. No-op when running.
  void Start();
  // Returns after the current run (if any) finished; the function does not run again.
  void Stop();
  void Wake();

 private:
  void Loop();

  std::function<absl::Duration()> run_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stopping_ = false;
  bool woken_ = false;
  std::thread thread_;
};

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_PERIODIC_TASK_H_
