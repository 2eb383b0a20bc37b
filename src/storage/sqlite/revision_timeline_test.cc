#include "storage/sqlite/revision_timeline.h"

#include "gtest/gtest.h"

namespace skiff::storage {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1000);

TEST(RevisionTimelineTest, EmptyAnswersZero) {
  RevisionTimeline timeline(absl::Seconds(1));
  EXPECT_EQ(timeline.RevisionAtOrBefore(kT0), 0);
}

TEST(RevisionTimelineTest, AnswersNewestRevisionCurrentAtCutoff) {
  RevisionTimeline timeline(absl::Seconds(1));
  timeline.Record(kT0, 5);
  timeline.Record(kT0 + absl::Seconds(10), 9);
  timeline.Record(kT0 + absl::Seconds(20), 30);
  EXPECT_EQ(timeline.RevisionAtOrBefore(kT0 - absl::Seconds(1)), 0);
  EXPECT_EQ(timeline.RevisionAtOrBefore(kT0 + absl::Seconds(15)), 9);
  EXPECT_EQ(timeline.RevisionAtOrBefore(kT0 + absl::Seconds(25)), 30);
}

TEST(RevisionTimelineTest, BurstKeepsTheNewestRevisionExact) {
  RevisionTimeline timeline(absl::Seconds(1));
  timeline.Record(kT0, 1);
  for (int i = 2; i <= 100; ++i) timeline.Record(kT0 + absl::Milliseconds(i), i);
  // Revision 100 was current 100 ms after kT0; nothing later than that may be claimed earlier.
  EXPECT_EQ(timeline.RevisionAtOrBefore(kT0 + absl::Milliseconds(50)), 1);
  EXPECT_EQ(timeline.RevisionAtOrBefore(kT0 + absl::Milliseconds(100)), 100);
}

TEST(RevisionTimelineTest, IgnoresRevisionsThatDoNotGrow) {
  RevisionTimeline timeline(absl::Seconds(1));
  timeline.Record(kT0, 7);
  timeline.Record(kT0 + absl::Seconds(5), 7);
  EXPECT_EQ(timeline.RevisionAtOrBefore(kT0 + absl::Seconds(1)), 7);
}

}  // namespace
}  // namespace skiff::storage
