// CEL's text forms of timestamps and durations (google.protobuf.Timestamp / Duration JSON forms)
// and their parsers: RFC 3339 timestamps ("2023-01-02T03:04:05.5Z", "...+01:00"), Go duration
// strings ("1h30m", "1.5s", "-300ms", "1us"), and the shortest round-trip text of a double.
// Ranges are CEL's: timestamps 0001-01-01T00:00:00Z..9999-12-31T23:59:59.999999999Z, durations
// within int64 nanoseconds.
// Thread-safety: pure functions. Failure: parsers return InvalidArgument with a CEL-like message;
// CheckTimestampRange/CheckDurationRange return OutOfRange ("timestamp overflow").
#ifndef SKIFF_API_CEL_TIME_UTIL_H_
#define SKIFF_API_CEL_TIME_UTIL_H_

#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"

namespace skiff::api::cel {

absl::StatusOr<absl::Time> ParseCelTimestamp(std::string_view text);
// RFC 3339 in UTC with only the fractional digits needed: "2023-01-02T03:04:05.5Z".
std::string FormatCelTimestamp(absl::Time t);
absl::StatusOr<absl::Duration> ParseCelDuration(std::string_view text);
// Seconds with only the fractional digits needed, as CEL's string(duration): "5400s", "0.5s".
std::string FormatCelDuration(absl::Duration d);
absl::Status CheckTimestampRange(absl::Time t);
absl::Status CheckDurationRange(absl::Duration d);
// Go's strconv.FormatFloat(d, 'g', -1, 64) as CEL's string(double): "1.5", "1e+06", "NaN", "+Inf".
std::string FormatDouble(double d);
// A time zone argument of the timestamp getters: "UTC", an IANA name ("America/New_York") or a
// fixed offset ("+05:30", "-08:00").
absl::StatusOr<absl::TimeZone> LoadZone(std::string_view name);

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_TIME_UTIL_H_
