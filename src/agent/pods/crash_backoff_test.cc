#include "agent/pods/crash_backoff.h"

#include "agent/pods/fake_runtime_for_test.h"
#include "gtest/gtest.h"

namespace skiff::agent::pods {
namespace {

using testing::FakeClock;

TEST(CrashBackoffTest, FirstFailureRestartsAtOnceThenDoubles) {
  FakeClock clock;
  CrashBackoff b(&clock);
  const std::string key = "uid/app";
  // First crash: not in backoff; Next sets 10 s.
  absl::Time finished = clock.Now();
  EXPECT_FALSE(b.IsInBackoffSince(key, finished));
  b.Next(key, finished);
  EXPECT_EQ(b.Get(key), absl::Seconds(10));
  // Second crash right after the restart: wait 10 s from its finish.
  clock.Advance(absl::Seconds(1));
  finished = clock.Now();
  EXPECT_TRUE(b.IsInBackoffSince(key, finished));
  clock.Advance(absl::Seconds(9));
  EXPECT_TRUE(b.IsInBackoffSince(key, finished));
  clock.Advance(absl::Seconds(1));
  EXPECT_FALSE(b.IsInBackoffSince(key, finished));
  EXPECT_EQ(b.ReadyAt(key, finished), finished + absl::Seconds(10));
  b.Next(key, finished);
  EXPECT_EQ(b.Get(key), absl::Seconds(20));
  for (int i = 0; i < 10; ++i) b.Next(key, clock.Now());
  EXPECT_EQ(b.Get(key), absl::Minutes(5));  // capped
}

TEST(CrashBackoffTest, ResetsAfterRunningTwiceTheMaximum) {
  FakeClock clock;
  CrashBackoff b(&clock);
  const std::string key = "uid/app";
  b.Next(key, clock.Now());
  b.Next(key, clock.Now());
  b.Next(key, clock.Now());
  EXPECT_EQ(b.Get(key), absl::Seconds(40));
  // The container then ran for more than 10 minutes before failing: no backoff, restart at 10 s.
  clock.Advance(absl::Minutes(10) + absl::Seconds(1));
  absl::Time finished = clock.Now();
  EXPECT_FALSE(b.IsInBackoffSince(key, finished));
  b.Next(key, finished);
  EXPECT_EQ(b.Get(key), absl::Seconds(10));
}

TEST(CrashBackoffTest, SinceUpdateAndForget) {
  FakeClock clock;
  CrashBackoff b(&clock, absl::Seconds(10), absl::Minutes(5));
  EXPECT_FALSE(b.IsInBackoffSinceUpdate("uid/img"));
  b.Next("uid/img", clock.Now());
  EXPECT_TRUE(b.IsInBackoffSinceUpdate("uid/img"));
  EXPECT_EQ(b.ReadyAtSinceUpdate("uid/img"), clock.Now() + absl::Seconds(10));
  clock.Advance(absl::Seconds(10));
  EXPECT_FALSE(b.IsInBackoffSinceUpdate("uid/img"));
  b.Next("other/img", clock.Now());
  b.ForgetPrefix("uid/");
  EXPECT_EQ(b.Get("uid/img"), absl::ZeroDuration());
  EXPECT_EQ(b.Get("other/img"), absl::Seconds(10));
  clock.Advance(absl::Hours(1));
  b.GarbageCollect(absl::Minutes(20));
  EXPECT_EQ(b.Get("other/img"), absl::ZeroDuration());
}

}  // namespace
}  // namespace skiff::agent::pods
