// CronSchedule: a parsed cron schedule as Kubernetes' CronJob controller reads spec.schedule
// (robfig/cron v3 ParseStandard): five fields "minute hour day-of-month month day-of-week" with
// lists (1,5), ranges (1-5), steps (*/15, 10-40/10, 5/10 = 5-max/10), `*` and `?`, month and
// weekday names (JAN-DEC, SUN-SAT, any case), 7 as Sunday (Vixie cron), an optional TZ=/CRON_TZ=
// prefix, the macros @yearly @annually @monthly @weekly @daily @midnight @hourly and @every <dur>.
// Day-of-month and day-of-week combine as robfig does: when both are restricted (neither started
// with an unstepped `*`/`?`) a day matches if either matches; otherwise both must match.
//
// Next() works in a time zone (absl::TimeZone, i.e. cctz over /usr/share/zoneinfo) and returns
// the earliest instant strictly after `after` whose local wall-clock time matches, so it is
// DST-safe in the robfig sense: a wall time skipped by a spring-forward gap does not fire that
// day, a wall time repeated by a fall-back fires at each occurrence, and "0 9 * * *" stays at
// 09:00 local time across the change.
// Thread-safety: immutable after Parse; safe to share. Ownership: a value type.
// Failure: Parse returns InvalidArgument naming the bad part; Next returns nullopt when no time
// matches within about ten years (e.g. "0 0 30 2 *").
#ifndef SKIFF_CONTROLLERS_CRONJOB_CRON_SCHEDULE_H_
#define SKIFF_CONTROLLERS_CRONJOB_CRON_SCHEDULE_H_

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "absl/status/statusor.h"
#include "absl/time/civil_time.h"
#include "absl/time/time.h"

namespace skiff::controllers {

class CronSchedule {
 public:
  static absl::StatusOr<CronSchedule> Parse(std::string_view spec);

  // The zone named by a TZ= or CRON_TZ= prefix ("" when none). Parse does not load it.
  const std::string& prefix_zone() const { return prefix_zone_; }

  // The first activation strictly after `after`, reading wall-clock fields in `zone`.
  std::optional<absl::Time> Next(absl::Time after, absl::TimeZone zone) const;

  // Field bit sets (bit n = value n; day-of-week 7 is folded into 0), for tests.
  uint64_t minutes() const { return minutes_; }
  uint64_t hours() const { return hours_; }
  uint64_t days_of_month() const { return dom_; }
  uint64_t months() const { return months_; }
  uint64_t days_of_week() const { return dow_; }
  bool dom_star() const { return dom_star_; }
  bool dow_star() const { return dow_star_; }
  absl::Duration every() const { return every_; }  // zero unless @every

 private:
  CronSchedule() = default;
  bool DayMatches(absl::CivilDay day) const;
  // First civil minute >= from (and < limit) whose fields match.
  std::optional<absl::CivilMinute> FirstMatch(absl::CivilMinute from, absl::CivilMinute limit) const;

  uint64_t minutes_ = 0, hours_ = 0, dom_ = 0, months_ = 0, dow_ = 0;
  bool dom_star_ = false, dow_star_ = false;
  absl::Duration every_;
  std::string prefix_zone_;
};

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_CRONJOB_CRON_SCHEDULE_H_
