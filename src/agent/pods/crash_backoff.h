// CrashBackoff: per-key exponential backoff with the kubelet's semantics (client-go
// flowcontrol.Backoff as the kubelet uses it for CrashLoopBackOff and ImagePullBackOff): the
// first failure is retried at once, each later one waits twice as long as the one before (from
// `initial`, capped at `max`), and a key that stayed quiet for 2*max since its last retry starts
// over (a container that ran for 10 minutes resets its CrashLoopBackOff).
// Keys are strings chosen by the caller (e.g. "<pod uid>/<container name>"). No jitter, so tests
// and users see exact delays.
// Thread-safety: all methods are safe to call concurrently. Ownership: borrows the clock, which
// must outlive it. Never fails.
#ifndef SKIFF_AGENT_PODS_CRASH_BACKOFF_H_
#define SKIFF_AGENT_PODS_CRASH_BACKOFF_H_

#include <map>
#include <mutex>
#include <string>

#include "absl/time/time.h"
#include "base/clock.h"

namespace skiff::agent::pods {

class CrashBackoff {
 public:
  CrashBackoff(const base::Clock* clock, absl::Duration initial = absl::Seconds(10),
               absl::Duration max = absl::Minutes(5));

  // True while `key` must still wait after a failure at `event_time` (e.g. the container's
  // finishedAt): now - event_time < the key's current delay.
  bool IsInBackoffSince(const std::string& key, absl::Time event_time) const;
  // True while `key` must still wait since its last retry (image pulls: now - last < delay).
  bool IsInBackoffSinceUpdate(const std::string& key) const;
  // When the current delay of `key` ends, counted from its last retry.
  absl::Time ReadyAtSinceUpdate(const std::string& key) const;
  // Records a retry after a failure at `event_time`: the first (or first after a quiet 2*max)
  // sets the delay to `initial`, later ones double it up to `max`.
  void Next(const std::string& key, absl::Time event_time);
  // The current delay of `key` (zero when unknown).
  absl::Duration Get(const std::string& key) const;
  // When the backoff after a failure at `event_time` ends (event_time + delay).
  absl::Time ReadyAt(const std::string& key, absl::Time event_time) const;
  // Forgets every key starting with `prefix` (a pod that is gone).
  void ForgetPrefix(const std::string& prefix);
  // Forgets keys not retried for `age` (bounded memory).
  void GarbageCollect(absl::Duration age);

 private:
  struct Entry {
    absl::Duration delay;
    absl::Time last_update;
  };
  bool Expired(const Entry& e, absl::Time event_time) const { return event_time - e.last_update > max_ * 2; }

  const base::Clock* clock_;
  const absl::Duration initial_;
  const absl::Duration max_;
  mutable std::mutex mu_;
  std::map<std::string, Entry> entries_;
};

}  // namespace skiff::agent::pods

#endif  // SKIFF_AGENT_PODS_CRASH_BACKOFF_H_
