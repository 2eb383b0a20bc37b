// FakeClock: a base::Clock for tests whose time moves only when the test moves it (Advance, Set).
// Thread-safety: safe for concurrent use (code under test reads it from its own threads while the
// test advances it). Ownership: the test owns it and passes it by pointer/reference to the code
// under test, which must not outlive it. Never fails.
#ifndef SKIFF_BASE_TESTING_FAKE_CLOCK_H_
#define SKIFF_BASE_TESTING_FAKE_CLOCK_H_

#include "absl/synchronization/mutex.h"
#include "absl/time/time.h"
#include "base/clock.h"

namespace skiff::base::testing {

class FakeClock : public Clock {
 public:
  // Starts at `start` (by default 2023-11-14T22:13:20Z, Unix time 1700000000).
  explicit FakeClock(absl::Time start = absl::FromUnixSeconds(1'700'000'000)) : now_(start) {}

  absl::Time Now() const override {
    absl::MutexLock lock(&mu_);
    return now_;
  }
  void Advance(absl::Duration d) {
    absl::MutexLock lock(&mu_);
    now_ += d;
  }
  void Set(absl::Time t) {
    absl::MutexLock lock(&mu_);
    now_ = t;
  }

 private:
  mutable absl::Mutex mu_;
  absl::Time now_;
};

}  // namespace skiff::base::testing

#endif  // SKIFF_BASE_TESTING_FAKE_CLOCK_H_
