#include "controllers/cronjob/cron_schedule.h"

#include <map>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "base/strings.h"

namespace skiff::controllers {
namespace {

struct Bounds {
  int min;
  int max;       // largest value a user may write
  int open_max;  // end of `*` and of "N/step" (day-of-week: 6, though 7 may be written)
  const std::map<std::string, int>* names;
};

const std::map<std::string, int>& MonthNames() {
  static const auto* names = new std::map<std::string, int>{
      {"jan", 1}, {"feb", 2}, {"mar", 3}, {"apr", 4},  {"may", 5},  {"jun", 6},
      {"jul", 7}, {"aug", 8}, {"sep", 9}, {"oct", 10}, {"nov", 11}, {"dec", 12}};
  return *names;
}

const std::map<std::string, int>& WeekdayNames() {
  static const auto* names = new std::map<std::string, int>{{"sun", 0}, {"mon", 1}, {"tue", 2}, {"wed", 3},
                                                            {"thu", 4}, {"fri", 5}, {"sat", 6}};
  return *names;
}

constexpr Bounds kMinutes{0, 59, 59, nullptr};
constexpr Bounds kHours{0, 23, 23, nullptr};
constexpr Bounds kDaysOfMonth{1, 31, 31, nullptr};

absl::StatusOr<int> ParseNumber(absl::string_view text) {
  int value = 0;
  if (text.empty() || !absl::ascii_isdigit(static_cast<unsigned char>(text[0])) ||
      !absl::SimpleAtoi(text, &value)) {
    return absl::InvalidArgumentError(absl::StrCat("failed to parse int from ", text));
  }
  return value;
}

absl::StatusOr<int> ParseValue(absl::string_view text, const Bounds& bounds) {
  if (bounds.names != nullptr) {
    auto it = bounds.names->find(absl::AsciiStrToLower(text));
    if (it != bounds.names->end()) return it->second;
  }
  return ParseNumber(text);
}

// One comma-separated part: "*", "?", "N", "N-M", any of them with "/step".
absl::Status ParseRange(absl::string_view part, const Bounds& b, uint64_t* bits, bool* star) {
  std::vector<absl::string_view> range_and_step = absl::StrSplit(part, '/');
  if (range_and_step.size() > 2) return absl::InvalidArgumentError(absl::StrCat("too many slashes: ", part));
  std::vector<absl::string_view> low_high = absl::StrSplit(range_and_step[0], '-');
  bool single = low_high.size() == 1;
  bool is_star = false;
  int start = 0, end = 0;
  if (low_high[0] == "*" || low_high[0] == "?") {
    if (!single) return absl::InvalidArgumentError(absl::StrCat("invalid range: ", part));
    start = b.min;
    end = b.open_max;
    is_star = true;
  } else {
    if (low_high.size() > 2) return absl::InvalidArgumentError(absl::StrCat("too many hyphens: ", part));
    absl::StatusOr<int> low = ParseValue(low_high[0], b);
    if (!low.ok()) return low.status();
    start = end = *low;
    if (!single) {
      absl::StatusOr<int> high = ParseValue(low_high[1], b);
      if (!high.ok()) return high.status();
      end = *high;
    }
  }
  int step = 1;
  if (range_and_step.size() == 2) {
    absl::StatusOr<int> parsed = ParseNumber(range_and_step[1]);
    if (!parsed.ok()) return parsed.status();
    step = *parsed;
    if (single) end = b.open_max;   // "N/step" means N-max/step
    if (step > 1) is_star = false;  // "*/2" restricts the field (robfig)
  }
  if (start < b.min) {
    return absl::InvalidArgumentError(
        absl::StrFormat("beginning of range (%d) below minimum (%d): %s", start, b.min, part));
  }
  if (end > b.max) {
    return absl::InvalidArgumentError(
        absl::StrFormat("end of range (%d) above maximum (%d): %s", end, b.max, part));
  }
  if (start > end) {
    return absl::InvalidArgumentError(
        absl::StrFormat("beginning of range (%d) beyond end of range (%d): %s", start, end, part));
  }
  if (step == 0)
    return absl::InvalidArgumentError(absl::StrCat("step of range should be a positive number: ", part));
  for (int v = start; v <= end; v += step) *bits |= uint64_t{1} << v;
  *star = *star || is_star;
  return absl::OkStatus();
}

absl::Status ParseField(absl::string_view field, const Bounds& b, uint64_t* bits, bool* star) {
  for (absl::string_view part : absl::StrSplit(field, ',')) {
    if (absl::Status s = ParseRange(part, b, bits, star); !s.ok()) return s;
  }
  return absl::OkStatus();
}

absl::string_view Macro(absl::string_view name) {
  if (name == "@yearly" || name == "@annually") return "0 0 1 1 *";
  if (name == "@monthly") return "0 0 1 * *";
  if (name == "@weekly") return "0 0 * * 0";
  if (name == "@daily" || name == "@midnight") return "0 0 * * *";
  if (name == "@hourly") return "0 * * * *";
  return "";
}

}  // namespace

absl::StatusOr<CronSchedule> CronSchedule::Parse(std::string_view spec) {
  absl::string_view text = absl::StripAsciiWhitespace(base::Av(spec));
  if (text.empty()) return absl::InvalidArgumentError("empty spec string");
  CronSchedule schedule;
  if (absl::StartsWith(text, "TZ=") || absl::StartsWith(text, "CRON_TZ=")) {
    size_t eq = text.find('=');
    size_t space = text.find_first_of(" \t");
    if (space == absl::string_view::npos) {
      return absl::InvalidArgumentError(absl::StrCat("no schedule after the time zone prefix: ", text));
    }
    schedule.prefix_zone_ = std::string(text.substr(eq + 1, space - eq - 1));
    text = absl::StripAsciiWhitespace(text.substr(space));
  }
  if (absl::StartsWith(text, "@every ")) {
    absl::Duration every;
    absl::string_view amount = absl::StripAsciiWhitespace(text.substr(7));
    if (!absl::ParseDuration(amount, &every) || every <= absl::ZeroDuration()) {
      return absl::InvalidArgumentError(absl::StrCat("failed to parse duration ", text));
    }
    // Whole seconds, at least one (robfig's Every).
    every = std::max(absl::Seconds(1), absl::Trunc(every, absl::Seconds(1)));
    schedule.every_ = every;
    return schedule;
  }
  if (absl::StartsWith(text, "@")) {
    absl::string_view expanded = Macro(text);
    if (expanded.empty()) return absl::InvalidArgumentError(absl::StrCat("unrecognized descriptor: ", text));
    text = expanded;
  }
  std::vector<absl::string_view> fields = absl::StrSplit(text, absl::ByAnyChar(" \t\n"), absl::SkipEmpty());
  if (fields.size() != 5) {
    return absl::InvalidArgumentError(absl::StrFormat("expected exactly 5 fields, found %d: [%s]",
                                                      fields.size(), absl::StrJoin(fields, " ")));
  }
  const Bounds months{1, 12, 12, &MonthNames()};
  const Bounds weekdays{0, 7, 6, &WeekdayNames()};
  bool unused = false;
  if (absl::Status s = ParseField(fields[0], kMinutes, &schedule.minutes_, &unused); !s.ok()) return s;
  if (absl::Status s = ParseField(fields[1], kHours, &schedule.hours_, &unused); !s.ok()) return s;
  if (absl::Status s = ParseField(fields[2], kDaysOfMonth, &schedule.dom_, &schedule.dom_star_); !s.ok())
    return s;
  if (absl::Status s = ParseField(fields[3], months, &schedule.months_, &unused); !s.ok()) return s;
  if (absl::Status s = ParseField(fields[4], weekdays, &schedule.dow_, &schedule.dow_star_); !s.ok())
    return s;
  if (schedule.dow_ & (uint64_t{1} << 7)) schedule.dow_ = (schedule.dow_ & ~(uint64_t{1} << 7)) | 1;
  return schedule;
}

bool CronSchedule::DayMatches(absl::CivilDay day) const {
  int weekday = (static_cast<int>(absl::GetWeekday(day)) + 1) % 7;  // absl: Monday = 0
  bool dom = (dom_ >> day.day()) & 1;
  bool dow = (dow_ >> weekday) & 1;
  if (dom_star_ || dow_star_) return dom && dow;
  return dom || dow;
}

std::optional<absl::CivilMinute> CronSchedule::FirstMatch(absl::CivilMinute c,
                                                          absl::CivilMinute limit) const {
  while (c < limit) {
    if (!((months_ >> c.month()) & 1)) {
      c = absl::CivilMinute(absl::CivilMonth(c) + 1);
    } else if (!DayMatches(absl::CivilDay(c))) {
      c = absl::CivilMinute(absl::CivilDay(c) + 1);
    } else if (!((hours_ >> c.hour()) & 1)) {
      c = absl::CivilMinute(absl::CivilHour(c) + 1);
    } else if (!((minutes_ >> c.minute()) & 1)) {
      c += 1;
    } else {
      return c;
    }
  }
  return std::nullopt;
}

std::optional<absl::Time> CronSchedule::Next(absl::Time after, absl::TimeZone zone) const {
  if (every_ > absl::ZeroDuration()) {
    // robfig's ConstantDelaySchedule: drop the sub-second part, then add the delay.
    return absl::FromUnixSeconds(absl::ToUnixSeconds(after)) + every_;
  }
  if (after == absl::InfiniteFuture() || after == absl::InfinitePast()) return std::nullopt;
  // Walk the zone's fixed-offset segments: inside one, wall time and absolute time move
  // together, so the first matching wall-clock minute maps straight to an instant. A candidate
  // past the segment's end is retried in the next segment with the new offset.
  absl::Time t = after;
  bool inclusive = false;  // whether `t` itself may fire (true at a segment start)
  absl::TimeZone::CivilInfo first = zone.At(after);
  absl::CivilMinute limit(absl::CivilYear(first.cs.year() + 11));
  for (int segment = 0; segment < 256; ++segment) {
    absl::TimeZone::CivilInfo info = zone.At(t);
    absl::CivilMinute from(info.cs);
    bool on_minute = absl::CivilSecond(from) == info.cs && info.subsecond == absl::ZeroDuration();
    if (!(inclusive && on_minute)) from += 1;
    std::optional<absl::CivilMinute> match = FirstMatch(from, limit);
    if (!match) return std::nullopt;
    absl::Time candidate =
        absl::FromCivil(absl::CivilSecond(*match), absl::UTCTimeZone()) - absl::Seconds(info.offset);
    absl::TimeZone::CivilTransition transition;
    if (!zone.NextTransition(t, &transition)) return candidate;
    // transition.from is the wall time at the change, read with the old offset.
    absl::Time boundary = absl::FromCivil(transition.from, absl::UTCTimeZone()) - absl::Seconds(info.offset);
    if (candidate < boundary || boundary <= t) return candidate;
    t = boundary;
    inclusive = true;
  }
  return std::nullopt;
}

}  // namespace skiff::controllers
