#include "base/clock.h"

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"

namespace skiff::base {
namespace {

class SystemClock : public Clock {
 public:
  absl::Time Now() const override { return absl::Now(); }
};

}  // namespace

Clock& RealClock() {
  static SystemClock* clock = new SystemClock();
  return *clock;
}

std::string FormatRfc3339(absl::Time t) { return absl::FormatTime("%Y-%m-%dT%H:%M:%SZ", t, absl::UTCTimeZone()); }

std::string FormatRfc3339Micro(absl::Time t) {
  return absl::FormatTime("%Y-%m-%dT%H:%M:%E6SZ", t, absl::UTCTimeZone());
}

bool ParseRfc3339(const std::string& text, absl::Time* out) {
  std::string err;
  return absl::ParseTime(absl::RFC3339_full, text, out, &err);
}

std::string HumanDuration(absl::Duration d) {
  int64_t secs = absl::ToInt64Seconds(d);
  if (secs < 0) secs = 0;
  if (secs < 120) return absl::StrCat(secs, "s");
  int64_t mins = secs / 60;
  if (mins < 10) {
    int64_t s = secs % 60;
    return s == 0 ? absl::StrCat(mins, "m") : absl::StrCat(mins, "m", s, "s");
  }
  if (mins < 180) return absl::StrCat(mins, "m");
  int64_t hours = secs / 3600;
  if (hours < 8) {
    int64_t m = mins % 60;
    return m == 0 ? absl::StrCat(hours, "h") : absl::StrCat(hours, "h", m, "m");
  }
  if (hours < 48) return absl::StrCat(hours, "h");
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return h == 0 ? absl::StrCat(hours / 24, "d") : absl::StrCat(hours / 24, "d", h, "h");
  }
  if (hours < 24 * 365 * 2) return absl::StrCat(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    int64_t days = (hours / 24) % 365;
    return days == 0 ? absl::StrCat(hours / 24 / 365, "y") : absl::StrCat(hours / 24 / 365, "y", days, "d");
  }
  return absl::StrCat(hours / 24 / 365, "y");
}

}  // namespace skiff::base
