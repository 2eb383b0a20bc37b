// WaitFor: polls a condition until it holds or a timeout passes, for tests of code that acts on its
// own threads (controllers, informers, agents).
// Thread-safety: runs `condition` on the calling thread; the condition must be safe against the
// threads it observes. Ownership: borrows the condition for the call. Never fails: returns the
// condition's last value.
#ifndef SKIFF_BASE_TESTING_WAIT_FOR_H_
#define SKIFF_BASE_TESTING_WAIT_FOR_H_

#include <functional>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace skiff::base::testing {

// Checks `condition` every 2 ms until it holds or `timeout` has passed; returns its last value.
inline bool WaitFor(const std::function<bool()>& condition, absl::Duration timeout = absl::Seconds(10)) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (condition()) return true;
    absl::SleepFor(absl::Milliseconds(2));
  }
  return condition();
}

}  // namespace skiff::base::testing

#endif  // SKIFF_BASE_TESTING_WAIT_FOR_H_
