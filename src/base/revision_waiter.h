// RevisionWaiter: the newest revision a listener has seen, and a wait for it to reach a given one.
// Indexes fed from the watch cache (the RBAC index, the Node authorizer's graph) use it to answer
// "have I seen this write yet?" before they decide a request.
// Thread-safety: Advance and WaitFor may be called from any threads. Ownership: a value; not
// copyable. Failure: WaitFor answers false when the deadline passes first.
#ifndef SKIFF_BASE_REVISION_WAITER_H_
#define SKIFF_BASE_REVISION_WAITER_H_

#include <algorithm>
#include <cstdint>

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"

namespace skiff::base {

class RevisionWaiter {
 public:
  // Records that everything up to `revision` has been seen (older revisions change nothing).
  void Advance(int64_t revision) {
    absl::MutexLock lock(&mu_);
    seen_ = std::max(seen_, revision);
  }

  // True once `revision` has been seen; false if `deadline` passes first.
  bool WaitFor(int64_t revision, absl::Time deadline) {
    absl::MutexLock lock(&mu_);
    auto reached = [this, revision]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return seen_ >= revision; };
    return mu_.AwaitWithDeadline(absl::Condition(&reached), deadline);
  }

 private:
  absl::Mutex mu_;
  int64_t seen_ ABSL_GUARDED_BY(mu_) = 0;
};

}  // namespace skiff::base

#endif  // SKIFF_BASE_REVISION_WAITER_H_
