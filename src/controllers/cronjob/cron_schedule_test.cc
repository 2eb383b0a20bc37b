#include "controllers/cronjob/cron_schedule.h"

#include "absl/time/time.h"
#include "base/clock.h"
#include "gtest/gtest.h"

namespace skiff::controllers {
namespace {

absl::Time At(const std::string& rfc3339) {
  absl::Time t;
  EXPECT_TRUE(base::ParseRfc3339(rfc3339, &t)) << rfc3339;
  return t;
}

std::string Format(std::optional<absl::Time> t, absl::TimeZone zone) {
  if (!t) return "none";
  return absl::FormatTime("%Y-%m-%dT%H:%M:%S%Ez", *t, zone);
}

std::string NextIn(const std::string& spec, const std::string& after, const std::string& zone_name) {
  absl::TimeZone zone;
  EXPECT_TRUE(absl::LoadTimeZone(zone_name, &zone)) << zone_name;
  absl::StatusOr<CronSchedule> s = CronSchedule::Parse(spec);
  EXPECT_TRUE(s.ok()) << s.status();
  if (!s.ok()) return "error";
  return Format(s->Next(At(after), zone), zone);
}

std::string NextUtc(const std::string& spec, const std::string& after) { return NextIn(spec, after, "UTC"); }

uint64_t Bits(std::initializer_list<int> values) {
  uint64_t bits = 0;
  for (int v : values) bits |= uint64_t{1} << v;
  return bits;
}

TEST(CronScheduleParseTest, ListsRangesStepsAndNames) {
  auto s = CronSchedule::Parse("*/15 0-6/3 1,15 jan-MAR MON-fri");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->minutes(), Bits({0, 15, 30, 45}));
  EXPECT_EQ(s->hours(), Bits({0, 3, 6}));
  EXPECT_EQ(s->days_of_month(), Bits({1, 15}));
  EXPECT_EQ(s->months(), Bits({1, 2, 3}));
  EXPECT_EQ(s->days_of_week(), Bits({1, 2, 3, 4, 5}));
  EXPECT_FALSE(s->dom_star());
  EXPECT_FALSE(s->dow_star());
}

TEST(CronScheduleParseTest, SingleValueWithStepRunsToTheMaximum) {
  auto s = CronSchedule::Parse("50/5 * * * *");
  ASSERT_TRUE(s.ok());
  EXPECT_EQ(s->minutes(), Bits({50, 55}));
}

TEST(CronScheduleParseTest, SevenIsSundayAndQuestionMarkIsStar) {
  auto s = CronSchedule::Parse("0 0 ? * 5-7");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->days_of_week(), Bits({0, 5, 6}));
  EXPECT_TRUE(s->dom_star());
  auto sunday = CronSchedule::Parse("0 0 * * 7");
  ASSERT_TRUE(sunday.ok());
  EXPECT_EQ(sunday->days_of_week(), Bits({0}));
}

TEST(CronScheduleParseTest, SteppedStarIsARestriction) {
  auto s = CronSchedule::Parse("0 0 */2 * *");
  ASSERT_TRUE(s.ok());
  EXPECT_FALSE(s->dom_star());
  auto one = CronSchedule::Parse("0 0 */1 * *");
  ASSERT_TRUE(one.ok());
  EXPECT_TRUE(one->dom_star());
}

TEST(CronScheduleParseTest, Macros) {
  struct Case {
    const char* macro;
    const char* same_as;
  };
  for (const Case& c :
       {Case{"@yearly", "0 0 1 1 *"}, Case{"@annually", "0 0 1 1 *"}, Case{"@monthly", "0 0 1 * *"},
        Case{"@weekly", "0 0 * * 0"}, Case{"@daily", "0 0 * * *"}, Case{"@midnight", "0 0 * * *"},
        Case{"@hourly", "0 * * * *"}}) {
    auto a = CronSchedule::Parse(c.macro);
    auto b = CronSchedule::Parse(c.same_as);
    ASSERT_TRUE(a.ok() && b.ok()) << c.macro;
    EXPECT_EQ(a->minutes(), b->minutes()) << c.macro;
    EXPECT_EQ(a->hours(), b->hours()) << c.macro;
    EXPECT_EQ(a->days_of_month(), b->days_of_month()) << c.macro;
    EXPECT_EQ(a->months(), b->months()) << c.macro;
    EXPECT_EQ(a->days_of_week(), b->days_of_week()) << c.macro;
  }
  EXPECT_EQ(NextUtc("@yearly", "2024-05-05T10:00:00Z"), "2025-01-01T00:00:00+00:00");
  EXPECT_EQ(NextUtc("@weekly", "2024-05-01T10:00:00Z"), "2024-05-05T00:00:00+00:00");  // a Sunday
}

TEST(CronScheduleParseTest, TimeZonePrefix) {
  auto s = CronSchedule::Parse("CRON_TZ=Asia/Tokyo 0 6 * * *");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->prefix_zone(), "Asia/Tokyo");
  auto tz = CronSchedule::Parse("TZ=UTC @daily");
  ASSERT_TRUE(tz.ok()) << tz.status();
  EXPECT_EQ(tz->prefix_zone(), "UTC");
}

TEST(CronScheduleParseTest, Errors) {
  for (const char* bad : {"",
                          "* * * *",
                          "* * * * * *",
                          "60 * * * *",
                          "* 24 * * *",
                          "* * 0 * *",
                          "* * 32 * *",
                          "* * * 13 *",
                          "* * * * 8",
                          "5-1 * * * *",
                          "*/0 * * * *",
                          "1/2/3 * * * *",
                          "1-2-3 * * * *",
                          "foo * * * *",
                          "* * * FOO *",
                          "-1 * * * *",
                          "1, * * * *",
                          "@fortnightly",
                          "@every nonsense",
                          "TZ=UTC",
                          "*-5 * * * *"}) {
    EXPECT_FALSE(CronSchedule::Parse(bad).ok()) << "'" << bad << "'";
  }
  EXPECT_EQ(CronSchedule::Parse("60 * * * *").status().message(), "end of range (60) above maximum (59): 60");
  EXPECT_EQ(CronSchedule::Parse("* * *").status().message(), "expected exactly 5 fields, found 3: [* * *]");
}

TEST(CronScheduleNextTest, StrictlyAfter) {
  EXPECT_EQ(NextUtc("0 * * * *", "2024-01-01T10:30:00Z"), "2024-01-01T11:00:00+00:00");
  EXPECT_EQ(NextUtc("0 * * * *", "2024-01-01T11:00:00Z"), "2024-01-01T12:00:00+00:00");
  EXPECT_EQ(NextUtc("* * * * *", "2024-01-01T11:00:59Z"), "2024-01-01T11:01:00+00:00");
  EXPECT_EQ(NextUtc("*/15 * * * *", "2024-12-31T23:50:00Z"), "2025-01-01T00:00:00+00:00");
}

TEST(CronScheduleNextTest, DayOfMonthAndDayOfWeekAreOredWhenBothRestricted) {
  // 2024-09-13 is a Friday; 2024-09-06 is the Friday before it.
  EXPECT_EQ(NextUtc("0 0 13 * FRI", "2024-09-01T00:00:00Z"), "2024-09-06T00:00:00+00:00");
  EXPECT_EQ(NextUtc("0 0 13 * FRI", "2024-09-10T00:00:00Z"), "2024-09-13T00:00:00+00:00");
  EXPECT_EQ(NextUtc("0 0 10 * FRI", "2024-09-07T00:00:00Z"), "2024-09-10T00:00:00+00:00");
  // With day-of-month `*`, day-of-week alone decides (AND with everything).
  EXPECT_EQ(NextUtc("0 0 * * FRI", "2024-09-07T00:00:00Z"), "2024-09-13T00:00:00+00:00");
  // `*/2` counts as a restriction: odd days OR Mondays. 2024-09-02 is a Monday.
  EXPECT_EQ(NextUtc("0 0 */2 * MON", "2024-09-01T00:00:00Z"), "2024-09-02T00:00:00+00:00");
}

TEST(CronScheduleNextTest, February29) {
  EXPECT_EQ(NextUtc("0 0 29 2 *", "2023-03-01T00:00:00Z"), "2024-02-29T00:00:00+00:00");
  EXPECT_EQ(NextUtc("0 0 29 2 *", "2024-02-29T00:00:00Z"), "2028-02-29T00:00:00+00:00");
  EXPECT_EQ(NextUtc("30 12 29 FEB *", "2096-03-01T00:00:00Z"),
            "2104-02-29T12:30:00+00:00");  // 2100 is not leap
}

TEST(CronScheduleNextTest, ImpossibleDateNeverFires) {
  EXPECT_EQ(NextUtc("0 0 30 2 *", "2024-01-01T00:00:00Z"), "none");
  EXPECT_EQ(NextUtc("0 0 31 4,6,9,11 *", "2024-01-01T00:00:00Z"), "none");
}

TEST(CronScheduleNextTest, KeepsLocalWallTimeAcrossDst) {
  // 09:00 New York: 14:00Z before the spring change (EST), 13:00Z after it (EDT).
  EXPECT_EQ(NextIn("0 9 * * *", "2024-03-09T10:00:00-05:00", "America/New_York"),
            "2024-03-10T09:00:00-04:00");
  EXPECT_EQ(NextIn("0 9 * * *", "2024-11-02T10:00:00-04:00", "America/New_York"),
            "2024-11-03T09:00:00-05:00");
}

TEST(CronScheduleNextTest, SpringForwardGapIsSkipped) {
  // 2024-03-10 02:00-03:00 does not exist in New York: 02:30 fires again on the 11th.
  EXPECT_EQ(NextIn("30 2 * * *", "2024-03-09T03:00:00-05:00", "America/New_York"),
            "2024-03-11T02:30:00-04:00");
  // Hourly jumps from 01:00 EST straight to 03:00 EDT (one hour of real time).
  EXPECT_EQ(NextIn("0 * * * *", "2024-03-10T01:00:00-05:00", "America/New_York"),
            "2024-03-10T03:00:00-04:00");
  EXPECT_EQ(NextIn("59 1 * * *", "2024-03-10T01:00:00-05:00", "America/New_York"),
            "2024-03-10T01:59:00-05:00");
}

TEST(CronScheduleNextTest, FallBackRepeatsTheHour) {
  // 2024-11-03 01:00-02:00 happens twice in New York (EDT, then EST).
  EXPECT_EQ(NextIn("30 1 * * *", "2024-11-03T00:00:00-04:00", "America/New_York"),
            "2024-11-03T01:30:00-04:00");
  EXPECT_EQ(NextIn("30 1 * * *", "2024-11-03T01:30:00-04:00", "America/New_York"),
            "2024-11-03T01:30:00-05:00");
  EXPECT_EQ(NextIn("30 1 * * *", "2024-11-03T01:30:00-05:00", "America/New_York"),
            "2024-11-04T01:30:00-05:00");
  EXPECT_EQ(NextIn("*/15 * * * *", "2024-11-03T01:50:00-04:00", "America/New_York"),
            "2024-11-03T01:00:00-05:00");
  EXPECT_EQ(NextIn("0 2 * * *", "2024-11-03T01:50:00-04:00", "America/New_York"),
            "2024-11-03T02:00:00-05:00");
}

TEST(CronScheduleNextTest, OtherZones) {
  EXPECT_EQ(NextIn("0 6 * * *", "2024-06-01T00:00:00Z", "Asia/Tokyo"), "2024-06-02T06:00:00+09:00");
  EXPECT_EQ(NextIn("30 0 * * *", "2024-06-01T00:00:00Z", "Asia/Kolkata"), "2024-06-02T00:30:00+05:30");
}

TEST(CronScheduleNextTest, Every) {
  auto s = CronSchedule::Parse("@every 1m30s");
  ASSERT_TRUE(s.ok()) << s.status();
  EXPECT_EQ(s->every(), absl::Seconds(90));
  absl::Time after = At("2024-01-01T00:00:10.5Z");
  EXPECT_EQ(*s->Next(after, absl::UTCTimeZone()), At("2024-01-01T00:01:40Z"));
}

}  // namespace
}  // namespace skiff::controllers
