// Clock: the injectable source of wall time, so tests control time.
// Thread-safety: implementations are safe for concurrent use. Ownership: callers borrow a Clock
// that outlives them; RealClock() returns a process-wide instance. Never fails.
#ifndef SKIFF_BASE_CLOCK_H_
#define SKIFF_BASE_CLOCK_H_

#include <string>

#include "absl/time/time.h"

namespace skiff::base {

class Clock {
 public:
  virtual ~Clock() = default;
  virtual absl::Time Now() const = 0;
};

// The system clock.
Clock& RealClock();

// RFC 3339 in UTC with second precision, e.g. "2026-11-25T07:35:22Z" (Kubernetes metav1.Time).
std::string FormatRfc3339(absl::Time t);
// RFC 3339 with microseconds, e.g. "2026-11-25T07:35:22.123456Z" (metav1.MicroTime).
std::string FormatRfc3339Micro(absl::Time t);
// Parses RFC 3339 (any fractional precision, Z or offset). False on malformed input.
bool ParseRfc3339(const std::string& text, absl::Time* out);

// kubectl-style short age: "45s", "5m", "3h", "2d", "4y" (like k8s duration.HumanDuration).
std::string HumanDuration(absl::Duration d);

}  // namespace skiff::base

#endif  // SKIFF_BASE_CLOCK_H_
