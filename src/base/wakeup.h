// Wakeup: a one-shot "it happened" that one thread waits for and another announces, sleeping in
// the kernel (a Linux futex) rather than spinning. For the hottest hand-offs of a request (an etcd
// call completing, the watch cache reaching a write's revision): std::binary_semaphore and
// std::atomic::wait of libstdc++ call sched_yield in a loop before they sleep, which on a busy
// 2-core machine turned each hand-off into several context switches.
//
// Thread-safety: one thread waits (Wait/WaitFor), any thread calls Notify, once or more.
// Ownership: a value, usually on the waiter's stack. The waiter may destroy it as soon as a wait
// returns true, even while Notify is still in its wake call: a private futex wake only uses the
// address as a key and never reads the memory behind it.
// Failure: WaitFor answers false when the timeout passes first; nothing else fails.
#ifndef SKIFF_BASE_WAKEUP_H_
#define SKIFF_BASE_WAKEUP_H_

#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cstdint>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace skiff::base {

class Wakeup {
 public:
  Wakeup() = default;
  Wakeup(const Wakeup&) = delete;
  Wakeup& operator=(const Wakeup&) = delete;

  void Notify() {
    if (state_.exchange(kNotified, std::memory_order_release) == kWaiting)
      Futex(FUTEX_WAKE_PRIVATE, 1, nullptr);
  }

  bool notified() const { return state_.load(std::memory_order_acquire) == kNotified; }

  void Wait() {
    while (!Sleep(nullptr)) {
    }
  }

  // True once notified; false when `timeout` passes first.
  bool WaitFor(absl::Duration timeout) {
    const absl::Time deadline = absl::Now() + timeout;
    while (true) {
      absl::Duration left = deadline - absl::Now();
      if (left <= absl::ZeroDuration()) return notified();
      timespec relative = absl::ToTimespec(left);
      if (Sleep(&relative)) return true;
    }
  }

 private:
  static constexpr uint32_t kIdle = 0, kWaiting = 1, kNotified = 2;

  // Sleeps until notified (true) or woken otherwise: timeout, signal, spurious wake (false).
  bool Sleep(const timespec* timeout) {
    uint32_t state = kIdle;
    if (!state_.compare_exchange_strong(state, kWaiting, std::memory_order_acquire) && state == kNotified)
      return true;
    Futex(FUTEX_WAIT_PRIVATE, kWaiting, timeout);  // returns at once if no longer kWaiting
    return notified();
  }

  long Futex(int op, uint32_t value, const timespec* timeout) {
    return syscall(SYS_futex, reinterpret_cast<uint32_t*>(&state_), op, value, timeout, nullptr, 0);
  }

  static_assert(sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));
  std::atomic<uint32_t> state_{kIdle};
};

}  // namespace skiff::base

#endif  // SKIFF_BASE_WAKEUP_H_
