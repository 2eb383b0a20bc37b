#include "base/revision_waiter.h"

#include <thread>

#include "absl/time/clock.h"
#include "gtest/gtest.h"

namespace skiff::base {
namespace {

TEST(RevisionWaiterTest, AnswersAtOnceForSeenRevisionsAndNeverGoesBack) {
  RevisionWaiter waiter;
  EXPECT_TRUE(waiter.WaitFor(0, absl::Now()));
  waiter.Advance(5);
  waiter.Advance(3);
  EXPECT_TRUE(waiter.WaitFor(5, absl::Now()));
  EXPECT_FALSE(waiter.WaitFor(6, absl::Now() + absl::Milliseconds(20)));
}

TEST(RevisionWaiterTest, WakesWhenAnotherThreadAdvances) {
  RevisionWaiter waiter;
  std::thread advancer([&] {
    absl::SleepFor(absl::Milliseconds(20));
    waiter.Advance(7);
  });
  EXPECT_TRUE(waiter.WaitFor(7, absl::Now() + absl::Seconds(10)));
  advancer.join();
}

}  // namespace
}  // namespace skiff::base
