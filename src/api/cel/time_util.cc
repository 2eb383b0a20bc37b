#include "api/cel/time_util.h"

#include <charconv>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <limits>

#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "base/strings.h"

namespace skiff::api::cel {
namespace {

const absl::Time kMinTimestamp = absl::FromUnixSeconds(-62135596800);  // 0001-01-01T00:00:00Z
const absl::Time kMaxTimestamp = absl::FromUnixSeconds(253402300799) + absl::Nanoseconds(999999999);

// Fraction digits of `nanos` without trailing zeros ("" for 0).
std::string FractionDigits(int64_t nanos) {
  if (nanos == 0) return "";
  std::string digits = absl::StrFormat("%09d", nanos);
  while (!digits.empty() && digits.back() == '0') digits.pop_back();
  return "." + digits;
}

}  // namespace

absl::StatusOr<absl::Time> ParseCelTimestamp(std::string_view text) {
  absl::Time t;
  std::string err;
  // RFC 3339 needs a 'T' separator and an explicit zone; absl's %Y-%m-%d%ET%H:%M:%E*S%Ez parses both.
  if (text.size() < 20 || !absl::ParseTime("%Y-%m-%d%ET%H:%M:%E*S%Ez", base::Av(text), absl::UTCTimeZone(), &t, &err)) {
    return absl::InvalidArgumentError(absl::StrCat("timestamp parse error: cannot parse \"", base::Av(text), "\" as RFC 3339"));
  }
  if (absl::Status s = CheckTimestampRange(t); !s.ok()) return s;
  return t;
}

std::string FormatCelTimestamp(absl::Time t) {
  absl::Duration sub;
  int64_t seconds = absl::ToUnixSeconds(t);
  sub = t - absl::FromUnixSeconds(seconds);
  if (sub < absl::ZeroDuration()) {
    --seconds;
    sub += absl::Seconds(1);
  }
  return absl::StrCat(absl::FormatTime("%Y-%m-%dT%H:%M:%S", absl::FromUnixSeconds(seconds), absl::UTCTimeZone()),
                      FractionDigits(absl::ToInt64Nanoseconds(sub)), "Z");
}

absl::StatusOr<absl::Duration> ParseCelDuration(std::string_view text) {
  absl::Duration d;
  std::string copy(text);
  // Go accepts "µs" for microseconds; absl spells it "us".
  for (size_t pos; (pos = copy.find("\xC2\xB5s")) != std::string::npos;) copy.replace(pos, 3, "us");
  for (size_t pos; (pos = copy.find("\xCE\xBCs")) != std::string::npos;) copy.replace(pos, 3, "us");
  if (copy.empty() || !absl::ParseDuration(copy, &d) || copy == "inf" || copy == "-inf" || copy == "+inf") {
    return absl::InvalidArgumentError(absl::StrCat("time: invalid duration \"", base::Av(text), "\""));
  }
  if (absl::Status s = CheckDurationRange(d); !s.ok()) return s;
  return d;
}

std::string FormatCelDuration(absl::Duration d) {
  int64_t nanos = absl::ToInt64Nanoseconds(d);
  int64_t seconds = nanos / 1000000000;
  int64_t frac = nanos % 1000000000;
  std::string sign = (nanos < 0) ? "-" : "";
  return absl::StrCat(sign, seconds < 0 ? -seconds : seconds, FractionDigits(frac < 0 ? -frac : frac), "s");
}

absl::Status CheckTimestampRange(absl::Time t) {
  if (t < kMinTimestamp || t > kMaxTimestamp) return absl::OutOfRangeError("timestamp overflow");
  return absl::OkStatus();
}

absl::Status CheckDurationRange(absl::Duration d) {
  if (d > absl::Nanoseconds(std::numeric_limits<int64_t>::max()) ||
      d < absl::Nanoseconds(std::numeric_limits<int64_t>::min())) {
    return absl::OutOfRangeError("duration overflow");
  }
  return absl::OkStatus();
}

std::string FormatDouble(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "+Inf" : "-Inf";
  // Shortest round-trip digits in scientific form, then laid out as Go's %g with precision -1:
  // exponent < -4 or >= 6 stays scientific ("1e+06"), otherwise plain decimal.
  char buf[64];
  auto [end, ec] = std::to_chars(buf, buf + sizeof(buf), d, std::chars_format::scientific);
  std::string sci(buf, end);
  size_t e = sci.find('e');
  std::string mantissa = sci.substr(0, e);
  int exp = 0;
  absl::SimpleAtoi(sci.substr(e + 1), &exp);
  bool negative = mantissa[0] == '-';
  if (negative) mantissa.erase(0, 1);
  std::string digits;
  for (char c : mantissa) {
    if (c != '.') digits += c;
  }
  std::string out;
  if (exp < -4 || exp >= 6) {
    out = digits.substr(0, 1);
    if (digits.size() > 1) out += "." + digits.substr(1);
    out += absl::StrFormat("e%c%02d", exp < 0 ? '-' : '+', exp < 0 ? -exp : exp);
  } else if (exp < 0) {
    out = "0." + std::string(-exp - 1, '0') + digits;
  } else if (static_cast<size_t>(exp) + 1 >= digits.size()) {
    out = digits + std::string(exp + 1 - digits.size(), '0');
  } else {
    out = digits.substr(0, exp + 1) + "." + digits.substr(exp + 1);
  }
  return negative ? "-" + out : out;
}

absl::StatusOr<absl::TimeZone> LoadZone(std::string_view name) {
  if (name.empty() || name == "UTC" || name == "Z") return absl::UTCTimeZone();
  if (name[0] == '+' || name[0] == '-') {
    int hours = 0, minutes = 0;
    std::string rest(name.substr(1));
    size_t colon = rest.find(':');
    bool ok = colon != std::string::npos && absl::SimpleAtoi(rest.substr(0, colon), &hours) &&
              absl::SimpleAtoi(rest.substr(colon + 1), &minutes) && hours <= 23 && minutes <= 59;
    if (!ok) return absl::InvalidArgumentError(absl::StrCat("invalid time zone offset \"", base::Av(name), "\""));
    int offset = (hours * 60 + minutes) * 60;
    return absl::FixedTimeZone(name[0] == '-' ? -offset : offset);
  }
  absl::TimeZone zone;
  if (!absl::LoadTimeZone(std::string(name), &zone)) {
    return absl::InvalidArgumentError(absl::StrCat("unknown time zone \"", base::Av(name), "\""));
  }
  return zone;
}

}  // namespace skiff::api::cel
