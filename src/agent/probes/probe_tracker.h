// ProbeTracker: the result state machine of one probe for one container instance, as the
// kubelet's probe worker keeps it:
//  - the published result starts as Failure for readiness (not ready until a success), Success for
//    liveness (alive until proven otherwise) and Unknown for startup (not started);
//  - a run's result is published only after `successThreshold` successes or `failureThreshold`
//    failures in a row;
//  - a published liveness/startup failure puts the tracker on hold (the container is being
//    restarted; nothing more is probed until a new container instance resets the tracker);
//  - a startup probe stops probing once it has succeeded;
//  - nothing is probed before initialDelaySeconds after the container started, and liveness and
//    readiness wait for the startup probe (when the container has one) to succeed.
// Thread-safety: none; the owner serializes access. Ownership: a value. Never fails.
#ifndef SKIFF_AGENT_PROBES_PROBE_TRACKER_H_
#define SKIFF_AGENT_PROBES_PROBE_TRACKER_H_

#include "absl/time/time.h"
#include "agent/probes/probe_spec.h"

namespace skiff::agent::probes {

enum class ProbeResult { kUnknown, kSuccess, kFailure };

class ProbeTracker {
 public:
  ProbeTracker(ProbeKind kind, int success_threshold, int failure_threshold);

  // A new container instance (or none): back to the initial result.
  void Reset();

  // Whether a run is due now for a container running since `started_at`; `startup_done` is
  // whether the container's startup probe has succeeded (true when it has none).
  bool ShouldProbe(absl::Time now, absl::Time started_at, absl::Duration initial_delay,
                   bool startup_done) const;

  // Records one run. Returns true when the published result changed.
  bool Record(bool success);

  ProbeResult result() const { return result_; }
  bool on_hold() const { return on_hold_; }
  ProbeKind kind() const { return kind_; }

 private:
  ProbeResult Initial() const;

  ProbeKind kind_;
  int success_threshold_;
  int failure_threshold_;
  ProbeResult result_;
  bool last_run_success_ = false;
  int run_ = 0;  // consecutive runs with the same outcome as last_run_success_
  bool on_hold_ = false;
};

}  // namespace skiff::agent::probes

#endif  // SKIFF_AGENT_PROBES_PROBE_TRACKER_H_
