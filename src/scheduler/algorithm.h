// Algorithm: one scheduling attempt for one pod over a Snapshot: PreFilter, then the filters run in
// parallel over node shards, starting where the previous attempt stopped and stopping once enough
// feasible nodes are found (percentageOfNodesToScore; 0 = kube-scheduler's adaptive default,
// 100 = every node), then scoring and a random choice among the best nodes. When no node fits, the
// result carries every node's failure and the kube-scheduler style message.
// Thread-safety: Schedule must not be called concurrently (the scheduling loop owns it).
// Ownership: owns its worker threads. Failure: "no node fits" is a result, not an error.
#ifndef SKIFF_SCHEDULER_ALGORITHM_H_
#define SKIFF_SCHEDULER_ALGORITHM_H_

#include <memory>
#include <random>
#include <string>
#include <utility>
#include <vector>

#include "base/thread_pool.h"
#include "scheduler/cycle_state.h"

namespace skiff::scheduler {

struct AlgorithmOptions {
  int percentage_of_nodes_to_score = 0;  // 0 = adaptive; 1..100 = that share
  int parallelism = 2;                   // threads filtering (including the caller)
};

struct ScheduleResult {
  std::string node;  // empty when no node fits
  size_t evaluated = 0;
  size_t feasible = 0;
  std::vector<std::pair<size_t, FilterResult>> failures;  // (snapshot index, why) when no node fits
  std::string message;                                    // when no node fits
};

class Algorithm {
 public:
  explicit Algorithm(AlgorithmOptions options = {});
  ~Algorithm();

  ScheduleResult Schedule(const PodInfo& pod, const Snapshot& snapshot);

  // How many feasible nodes to look for among `num_nodes` (kube-scheduler's numFeasibleNodesToFind).
  static size_t NumFeasibleNodesToFind(size_t num_nodes, int percentage);

  // Runs fn(i) for i in [0, n) on the worker threads and the caller; returns when all are done.
  void ParallelFor(size_t n, const std::function<void(size_t)>& fn);

 private:
  AlgorithmOptions options_;
  std::unique_ptr<base::ThreadPool> pool_;
  size_t next_start_ = 0;
  std::mt19937_64 rng_{std::random_device{}()};
};

// "0/5 nodes are available: 2 Insufficient cpu, 3 node(s) had untolerated taint {k: v}." (reasons
// counted over nodes and sorted like kube-scheduler's FitError).
std::string FitErrorMessage(size_t num_nodes, const std::vector<std::pair<size_t, FilterResult>>& failures);

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_ALGORITHM_H_
