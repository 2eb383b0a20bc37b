// Preemption (kube-scheduler's DefaultPreemption, simplified): when a pod fits nowhere, find a node
// where evicting pods of lower priority makes it fit, keeping ("reprieving") as many victims as
// possible, highest priority first. Among candidate nodes prefer the lowest highest-victim
// priority, then the smallest priority sum, then the fewest victims. Only nodes rejected for
// reasons other pods cause (resources, ports, inter-pod affinity, spread) are candidates.
// Not modelled: PodDisruptionBudgets and nominated pods' reservations.
// Thread-safety: pure function over immutable inputs. Ownership: returns shared PodInfos.
// Failure: "no candidate" is a result with the kube-scheduler style postfix message.
#ifndef SKIFF_SCHEDULER_PREEMPTION_H_
#define SKIFF_SCHEDULER_PREEMPTION_H_

#include <string>
#include <vector>

#include "scheduler/algorithm.h"

namespace skiff::scheduler {

struct PreemptionResult {
  std::string node;  // empty: preemption does not help
  std::vector<PodInfoPtr> victims;
  std::string message;  // "preemption: 0/3 nodes are available: ..." when it fails
};

PreemptionResult FindPreemption(const PodInfo& pod, const Snapshot& snapshot, const ScheduleResult& failed);

}  // namespace skiff::scheduler

#endif  // SKIFF_SCHEDULER_PREEMPTION_H_
