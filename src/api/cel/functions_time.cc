// timestamp() and duration() conversions and their getters (getFullYear ... getMilliseconds),
// with an optional time zone argument on timestamps ("UTC", "America/New_York", "+05:30").
#include <cstdint>

#include "absl/time/civil_time.h"
#include "api/cel/functions.h"
#include "api/cel/time_util.h"

namespace skiff::api::cel {
namespace {

using K = Value::Kind;
using Args = std::vector<Value>;

absl::StatusOr<Value> ToTimestamp(const Args& a, CallContext&) {
  const Value& v = a[0];
  if (v.is(K::kTimestamp)) return v;
  if (v.is(K::kInt)) {
    absl::Time t = absl::FromUnixSeconds(v.int_value());
    if (absl::Status s = CheckTimestampRange(t); !s.ok()) return EvalError(std::string(s.message()));
    return Value::Timestamp(t);
  }
  if (!v.is(K::kString)) return NoSuchOverload("timestamp", a);
  absl::StatusOr<absl::Time> t = ParseCelTimestamp(v.string_value());
  if (!t.ok()) return EvalError(std::string(t.status().message()));
  return Value::Timestamp(*t);
}

absl::StatusOr<Value> ToDuration(const Args& a, CallContext&) {
  const Value& v = a[0];
  if (v.is(K::kDuration)) return v;
  if (!v.is(K::kString)) return NoSuchOverload("duration", a);
  absl::StatusOr<absl::Duration> d = ParseCelDuration(v.string_value());
  if (!d.ok()) return EvalError(std::string(d.status().message()));
  return Value::Duration(*d);
}

enum class Part { kFullYear, kMonth, kDayOfYear, kDayOfMonth, kDate, kDayOfWeek, kHours, kMinutes, kSeconds, kMillis };

template <Part P>
absl::StatusOr<Value> Getter(const Args& a, CallContext&) {
  const Value& v = a[0];
  if (v.is(K::kDuration)) {
    if (a.size() != 1) return NoSuchOverload("duration getter", a);
    absl::Duration d = v.duration_value();
    switch (P) {
      case Part::kHours: return Value::Int(absl::ToInt64Hours(d));
      case Part::kMinutes: return Value::Int(absl::ToInt64Minutes(d));
      case Part::kSeconds: return Value::Int(absl::ToInt64Seconds(d));
      case Part::kMillis: return Value::Int(absl::ToInt64Milliseconds(d));
      default: return NoSuchOverload("duration getter", a);
    }
  }
  if (!v.is(K::kTimestamp) || (a.size() == 2 && !a[1].is(K::kString))) return NoSuchOverload("timestamp getter", a);
  absl::TimeZone zone = absl::UTCTimeZone();
  if (a.size() == 2) {
    absl::StatusOr<absl::TimeZone> z = LoadZone(a[1].string_value());
    if (!z.ok()) return EvalError(std::string(z.status().message()));
    zone = *z;
  }
  absl::TimeZone::CivilInfo info = zone.At(v.timestamp_value());
  const absl::CivilSecond& cs = info.cs;
  switch (P) {
    case Part::kFullYear: return Value::Int(cs.year());
    case Part::kMonth: return Value::Int(cs.month() - 1);
    case Part::kDayOfYear: return Value::Int(absl::GetYearDay(absl::CivilDay(cs)) - 1);
    case Part::kDayOfMonth: return Value::Int(cs.day() - 1);
    case Part::kDate: return Value::Int(cs.day());
    case Part::kDayOfWeek: {
      // absl's weekday starts at Monday; CEL's 0 is Sunday.
      int wd = static_cast<int>(absl::GetWeekday(absl::CivilDay(cs)));
      return Value::Int((wd + 1) % 7);
    }
    case Part::kHours: return Value::Int(cs.hour());
    case Part::kMinutes: return Value::Int(cs.minute());
    case Part::kSeconds: return Value::Int(cs.second());
    case Part::kMillis: return Value::Int(absl::ToInt64Milliseconds(info.subsecond));
  }
  return NoSuchOverload("timestamp getter", a);
}

}  // namespace

void RegisterTimeFunctions(FunctionRegistry& r) {
  r.Add({"timestamp", false, 1, 1, ToTimestamp});
  r.Add({"duration", false, 1, 1, ToDuration});
  r.Add({"getFullYear", true, 0, 1, Getter<Part::kFullYear>});
  r.Add({"getMonth", true, 0, 1, Getter<Part::kMonth>});
  r.Add({"getDayOfYear", true, 0, 1, Getter<Part::kDayOfYear>});
  r.Add({"getDayOfMonth", true, 0, 1, Getter<Part::kDayOfMonth>});
  r.Add({"getDate", true, 0, 1, Getter<Part::kDate>});
  r.Add({"getDayOfWeek", true, 0, 1, Getter<Part::kDayOfWeek>});
  r.Add({"getHours", true, 0, 1, Getter<Part::kHours>});
  r.Add({"getMinutes", true, 0, 1, Getter<Part::kMinutes>});
  r.Add({"getSeconds", true, 0, 1, Getter<Part::kSeconds>});
  r.Add({"getMilliseconds", true, 0, 1, Getter<Part::kMillis>});
}

}  // namespace skiff::api::cel
