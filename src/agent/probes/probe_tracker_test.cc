#include "agent/probes/probe_tracker.h"

#include "gtest/gtest.h"

namespace skiff::agent::probes {
namespace {

const absl::Time kStart = absl::FromUnixSeconds(1000);

TEST(ProbeTrackerTest, InitialResults) {
  EXPECT_EQ(ProbeTracker(ProbeKind::kReadiness, 1, 3).result(), ProbeResult::kFailure);
  EXPECT_EQ(ProbeTracker(ProbeKind::kLiveness, 1, 3).result(), ProbeResult::kSuccess);
  EXPECT_EQ(ProbeTracker(ProbeKind::kStartup, 1, 3).result(), ProbeResult::kUnknown);
}

TEST(ProbeTrackerTest, ReadinessNeedsSuccessThresholdInARow) {
  ProbeTracker t(ProbeKind::kReadiness, 2, 3);
  EXPECT_FALSE(t.Record(true));
  EXPECT_EQ(t.result(), ProbeResult::kFailure);
  EXPECT_FALSE(t.Record(false));  // breaks the run
  EXPECT_FALSE(t.Record(true));
  EXPECT_TRUE(t.Record(true));
  EXPECT_EQ(t.result(), ProbeResult::kSuccess);
  // Two failures keep it ready, the third flips it; readiness never goes on hold.
  EXPECT_FALSE(t.Record(false));
  EXPECT_FALSE(t.Record(false));
  EXPECT_TRUE(t.Record(false));
  EXPECT_EQ(t.result(), ProbeResult::kFailure);
  EXPECT_FALSE(t.on_hold());
  EXPECT_TRUE(t.ShouldProbe(kStart, kStart, absl::ZeroDuration(), true));
}

TEST(ProbeTrackerTest, LivenessFailureThresholdThenHoldUntilReset) {
  ProbeTracker t(ProbeKind::kLiveness, 1, 3);
  EXPECT_FALSE(t.Record(false));
  EXPECT_FALSE(t.Record(false));
  EXPECT_EQ(t.result(), ProbeResult::kSuccess);
  EXPECT_TRUE(t.Record(false));
  EXPECT_EQ(t.result(), ProbeResult::kFailure);
  EXPECT_TRUE(t.on_hold());
  EXPECT_FALSE(t.ShouldProbe(kStart + absl::Hours(1), kStart, absl::ZeroDuration(), true));
  t.Reset();  // new container instance
  EXPECT_FALSE(t.on_hold());
  EXPECT_EQ(t.result(), ProbeResult::kSuccess);
  EXPECT_FALSE(t.Record(false));  // counting starts again
}

TEST(ProbeTrackerTest, InitialDelayUsesContainerStart) {
  ProbeTracker t(ProbeKind::kLiveness, 1, 1);
  absl::Duration delay = absl::Seconds(5);
  EXPECT_FALSE(t.ShouldProbe(kStart + absl::Seconds(4), kStart, delay, true));
  EXPECT_TRUE(t.ShouldProbe(kStart + absl::Seconds(5), kStart, delay, true));
}

TEST(ProbeTrackerTest, StartupGatesLivenessAndReadiness) {
  ProbeTracker startup(ProbeKind::kStartup, 1, 30);
  ProbeTracker live(ProbeKind::kLiveness, 1, 1);
  ProbeTracker ready(ProbeKind::kReadiness, 1, 1);
  absl::Time now = kStart + absl::Seconds(20);
  auto done = [&] { return startup.result() == ProbeResult::kSuccess; };
  EXPECT_TRUE(startup.ShouldProbe(now, kStart, absl::ZeroDuration(), done()));
  EXPECT_FALSE(live.ShouldProbe(now, kStart, absl::ZeroDuration(), done()));
  EXPECT_FALSE(ready.ShouldProbe(now, kStart, absl::ZeroDuration(), done()));
  EXPECT_FALSE(startup.Record(false));
  EXPECT_TRUE(startup.Record(true));
  EXPECT_TRUE(done());
  // Once started, the startup probe stops and the others run.
  EXPECT_FALSE(startup.ShouldProbe(now, kStart, absl::ZeroDuration(), done()));
  EXPECT_TRUE(live.ShouldProbe(now, kStart, absl::ZeroDuration(), done()));
  EXPECT_TRUE(ready.ShouldProbe(now, kStart, absl::ZeroDuration(), done()));
}

TEST(ProbeTrackerTest, StartupFailureThresholdHolds) {
  ProbeTracker t(ProbeKind::kStartup, 1, 2);
  EXPECT_FALSE(t.Record(false));
  EXPECT_TRUE(t.Record(false));
  EXPECT_EQ(t.result(), ProbeResult::kFailure);
  EXPECT_TRUE(t.on_hold());
}

}  // namespace
}  // namespace skiff::agent::probes
