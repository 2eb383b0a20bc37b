// Scheduler: kube-scheduler's job inside skiff. It watches nodes, pods, PriorityClasses and
// namespaces through the shared informers, keeps an incrementally updated SchedulerCache, and runs
// a loop that pops the next pending pod (SchedulingQueue), checks its volume claims
// (VolumeBinding), finds a node (Algorithm), assumes the pod on that node and hands the claims'
// selected-node annotations and the pods/binding write to an AsyncWriter. A pod that fits nowhere
// gets PodScheduled=False/Unschedulable with a kube-scheduler style message and a FailedScheduling
// event, may preempt lower-priority pods, and waits for a cluster event that may help.
// Only pods with spec.schedulerName "default-scheduler" (or empty) and no spec.nodeName are its.
// Thread-safety: informer handlers may run on any thread; the scheduling loop is one thread.
// Ownership: borrows the client and informers of the ControllerContext (they outlive it).
// Failure: API write errors are retried through the queue's backoff; nothing is fatal.
#ifndef SKIFF_SCHEDULER_SCHEDULER_H_
#define SKIFF_SCHEDULER_SCHEDULER_H_

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>

#include "base/clock.h"
#include "client/controller_context.h"
#include "scheduler/algorithm.h"
#include "scheduler/async_writer.h"
#include "scheduler/cache.h"
#include "scheduler/queue.h"
#include "scheduler/volume_binding.h"

namespace skiff::scheduler {

struct SchedulerOptions {
  std::string scheduler_name = "default-scheduler";
  int percentage_of_nodes_to_score = 0;  // 0 = adaptive (kube-scheduler's default), 100 = all
  int parallelism = 2;                   // filter threads
  // Concurrent bindings/status writes: each blocks on the store's group commit, so the number in
  // flight bounds how many bindings one commit (one fsync) carries.
  int write_threads = 64;
  bool preemption = true;
  bool record_scheduled_events = true;  // a "Scheduled" event per bound pod, like kube-scheduler
  SchedulingQueue::Options queue;
  const base::Clock* clock = nullptr;  // null = real clock
};

class Scheduler : public client::Runnable {
 public:
  explicit Scheduler(const client::ControllerContext& context, SchedulerOptions options = {});
  ~Scheduler() override;
  Scheduler(const Scheduler&) = delete;
  Scheduler& operator=(const Scheduler&) = delete;

  // Registers informer handlers (when the context has informers) and starts the loop.
  void Start() override;
  void Stop() override;

  // Informer event entry points (public so tests can drive the scheduler without informers).
  void OnNodeAdd(const client::Object& node);
  void OnNodeUpdate(const client::Object& old_node, const client::Object& node);
  void OnNodeDelete(const client::Object& node);
  void OnPodAdd(const client::Object& pod);
  void OnPodUpdate(const client::Object& old_pod, const client::Object& pod);
  void OnPodDelete(const client::Object& pod);
  void OnPriorityClass(const client::Object& pc, bool deleted);
  void OnNamespace(const client::Object& ns, bool deleted);

  // One scheduling attempt for the next ready pod; false when none became ready within `wait`.
  bool ScheduleOne(absl::Duration wait);
  // Waits for every queued API write to finish (tests, benchmarks).
  bool WaitForWrites(absl::Duration timeout) { return writer_.WaitIdle(timeout); }

  SchedulerCache& cache() { return cache_; }
  SchedulingQueue& queue() { return queue_; }

 private:
  bool Responsible(const PodInfo& pod) const;
  PodInfoPtr Parse(const client::Object& pod);
  // `claims`: unbound WaitForFirstConsumer claims to annotate with the node before binding.
  void Bind(QueuedPod queued, PodInfoPtr assumed, std::vector<std::string> claims);
  void HandleUnschedulable(QueuedPod queued, const ScheduleResult& result, const Snapshot& snapshot);
  void ReportUnschedulable(const PodInfoPtr& pod, const std::string& message, const std::string& nominated);
  void RecordEvent(const PodInfo& pod, const std::string& type, const std::string& reason,
                   const std::string& message);
  void Loop();

  const client::ControllerContext context_;
  const SchedulerOptions options_;
  const base::Clock* clock_;
  SchedulerCache cache_;
  SchedulingQueue queue_;
  Algorithm algorithm_;
  Snapshot snapshot_;  // only the scheduling loop touches it
  std::unique_ptr<VolumeBinding> volume_binding_;  // with informers only

  std::mutex priorities_mu_;
  std::unordered_map<std::string, int32_t> class_priorities_;
  int32_t default_priority_ = 0;
  std::string default_class_;

  std::atomic<bool> stopping_{false};
  std::thread loop_;
  AsyncWriter writer_;  // last: drains before the state above goes away
};

// The factory the controller manager's registration takes (ControllerManager::AddController).
inline std::unique_ptr<client::Runnable> NewScheduler(const client::ControllerContext& context) {
  return std::make_unique<Scheduler>(context);
}

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_SCHEDULER_H_
