#include "base/wakeup.h"

#include <memory>
#include <thread>
#include <vector>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace skiff::base {
namespace {

TEST(WakeupTest, ANotifyBeforeTheWaitIsNotLost) {
  Wakeup wakeup;
  EXPECT_FALSE(wakeup.notified());
  wakeup.Notify();
  EXPECT_TRUE(wakeup.notified());
  wakeup.Wait();
  EXPECT_TRUE(wakeup.WaitFor(absl::ZeroDuration()));
}

TEST(WakeupTest, WaitForTimesOutWithoutANotify) {
  Wakeup wakeup;
  absl::Time start = absl::Now();
  EXPECT_FALSE(wakeup.WaitFor(absl::Milliseconds(30)));
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(30));
}

TEST(WakeupTest, WakesASleepingWaiter) {
  Wakeup wakeup;
  std::thread notifier([&] {
    absl::SleepFor(absl::Milliseconds(20));
    wakeup.Notify();
  });
  EXPECT_TRUE(wakeup.WaitFor(absl::Seconds(10)));
  notifier.join();
}

// Many short-lived Wakeups, each destroyed by its waiter as soon as it returns (as the etcd client
// and the watch cache do): every wait ends, none is lost.
TEST(WakeupTest, ManyHandOffsBetweenThreads) {
  constexpr int kRounds = 20000;
  std::atomic<Wakeup*> slot{nullptr};
  std::thread notifier([&] {
    for (int i = 0; i < kRounds; ++i) {
      Wakeup* wakeup = nullptr;
      while ((wakeup = slot.exchange(nullptr)) == nullptr) std::this_thread::yield();
      wakeup->Notify();
    }
  });
  for (int i = 0; i < kRounds; ++i) {
    auto wakeup = std::make_unique<Wakeup>();
    slot = wakeup.get();
    ASSERT_TRUE(wakeup->WaitFor(absl::Seconds(10))) << "round " << i;
  }
  notifier.join();
}

}  // namespace
}  // namespace skiff::base
