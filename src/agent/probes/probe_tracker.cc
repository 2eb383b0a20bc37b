#include "agent/probes/probe_tracker.h"

namespace skiff::agent::probes {

ProbeTracker::ProbeTracker(ProbeKind kind, int success_threshold, int failure_threshold)
    : kind_(kind),
      success_threshold_(success_threshold < 1 ? 1 : success_threshold),
      failure_threshold_(failure_threshold < 1 ? 1 : failure_threshold),
      result_(Initial()) {}

ProbeResult ProbeTracker::Initial() const {
  switch (kind_) {
    case ProbeKind::kLiveness:
      return ProbeResult::kSuccess;
    case ProbeKind::kReadiness:
      return ProbeResult::kFailure;
    case ProbeKind::kStartup:
      return ProbeResult::kUnknown;
  }
  return ProbeResult::kUnknown;
}

void ProbeTracker::Reset() {
  result_ = Initial();
  run_ = 0;
  last_run_success_ = false;
  on_hold_ = false;
}

bool ProbeTracker::ShouldProbe(absl::Time now, absl::Time started_at, absl::Duration initial_delay,
                               bool startup_done) const {
  if (on_hold_) return false;
  if (kind_ == ProbeKind::kStartup && result_ == ProbeResult::kSuccess) return false;
  if (kind_ != ProbeKind::kStartup && !startup_done) return false;
  return now - started_at >= initial_delay;
}

bool ProbeTracker::Record(bool success) {
  if (run_ > 0 && last_run_success_ == success) {
    ++run_;
  } else {
    run_ = 1;
    last_run_success_ = success;
  }
  if (run_ < (success ? success_threshold_ : failure_threshold_)) return false;
  ProbeResult next = success ? ProbeResult::kSuccess : ProbeResult::kFailure;
  bool changed = next != result_;
  result_ = next;
  if (!success && kind_ != ProbeKind::kReadiness) {
    on_hold_ = true;  // the container is restarted; a new instance resets the tracker
    run_ = 0;
  }
  return changed;
}

}  // namespace skiff::agent::probes
