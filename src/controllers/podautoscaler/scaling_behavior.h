// ScalingBehavior: from the replica count the metrics ask for to the count the HPA writes, as
// Kubernetes 1.32's horizontal.go normalizes it. Per HPA (by key) it remembers the recent
// recommendations (for the stabilization windows) and, with spec.behavior, the recent scale events
// (for the rate policies):
//  * without behavior: the highest recommendation of the last downscale stabilization window (5
//    min), then at most max(2*current, 4) and within [min, max];
//  * with behavior: the current count moved no further than the lowest recommendation of the
//    scale-up window and the highest of the scale-down window, then limited by the policies
//    (Pods/Percent per period; selectPolicy Max, Min or Disabled) and [min, max].
// Both report the conditions AbleToScale (ScaleUpStabilized/ScaleDownStabilized/ReadyForNewScale)
// and ScalingLimited (ScaleUpLimit, TooManyReplicas, ... or DesiredWithinRange) with Kubernetes'
// messages. ParseBehavior fills the defaults Kubernetes applies (scale up: no window, 4 pods or
// 100% per 15 s, Max; scale down: the 300 s window, 100% per 15 s, Max).
// Thread-safety: every method may be called concurrently (one mutex). Ownership: borrows the
// clock. Failure: none; malformed behavior fields read as their defaults.
#ifndef SKIFF_CONTROLLERS_PODAUTOSCALER_SCALING_BEHAVIOR_H_
#define SKIFF_CONTROLLERS_PODAUTOSCALER_SCALING_BEHAVIOR_H_

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "base/clock.h"
#include "boost/json/value.hpp"

namespace skiff::controllers::podautoscaler {

struct ScalingPolicy {
  bool percent = false;  // type Percent, else Pods
  int32_t value = 0;
  int32_t period_seconds = 0;
};

struct ScalingRules {
  int32_t stabilization_window_seconds = 0;
  std::string select_policy = "Max";  // Max, Min or Disabled
  std::vector<ScalingPolicy> policies;
};

struct Behavior {
  ScalingRules scale_up;
  ScalingRules scale_down;
};

// spec.behavior with Kubernetes' defaults; nullopt when the HPA has none.
std::optional<Behavior> ParseBehavior(const boost::json::value& hpa);

// A condition the normalization sets (type AbleToScale or ScalingLimited).
struct ConditionUpdate {
  std::string type;
  bool status = true;
  std::string reason;
  std::string message;
};

struct Normalized {
  int32_t replicas = 0;
  std::vector<ConditionUpdate> conditions;
};

class ScalingBehavior {
 public:
  explicit ScalingBehavior(const base::Clock* clock = nullptr,
                           absl::Duration downscale_stabilization = absl::Minutes(5));

  // Remembers `current` as the first recommendation of an HPA not seen before.
  void RecordInitialRecommendation(const std::string& key, int32_t current);
  // The count to write for a metric recommendation of `desired`.
  Normalized Normalize(const std::string& key, const std::optional<Behavior>& behavior, int32_t min_replicas,
                       int32_t max_replicas, int32_t current, int32_t desired);
  // Records a rescale from `previous` to `next` (with behavior only: the policies count them).
  void RecordScaleEvent(const std::string& key, const std::optional<Behavior>& behavior, int32_t previous,
                        int32_t next);
  // Drops what is remembered of a deleted HPA.
  void Forget(const std::string& key);

  // The highest count a scale up may reach now / the lowest a scale down may reach (exposed for
  // tests): `events` are the replica changes of recent rescales in that direction.
  struct ScaleEvent {
    int32_t change = 0;
    absl::Time at;
    bool outdated = false;
  };
  static int32_t ScaleUpLimit(int32_t current, const std::vector<ScaleEvent>& events,
                              const ScalingRules& rules, absl::Time now);
  static int32_t ScaleDownLimit(int32_t current, const std::vector<ScaleEvent>& events,
                                const ScalingRules& rules, absl::Time now);

 private:
  struct Recommendation {
    absl::Time at;
    int32_t replicas = 0;
  };
  Normalized WithoutBehavior(const std::string& key, int32_t min_replicas, int32_t max_replicas,
                             int32_t current, int32_t desired, absl::Time now);
  Normalized WithBehavior(const std::string& key, const Behavior& behavior, int32_t min_replicas,
                          int32_t max_replicas, int32_t current, int32_t desired, absl::Time now);

  const base::Clock* clock_;
  absl::Duration downscale_stabilization_;
  std::mutex mu_;
  std::map<std::string, std::vector<Recommendation>> recommendations_;
  std::map<std::string, std::vector<ScaleEvent>> scale_up_events_;
  std::map<std::string, std::vector<ScaleEvent>> scale_down_events_;
};

}  // namespace skiff::controllers::podautoscaler

#endif  // SKIFF_CONTROLLERS_PODAUTOSCALER_SCALING_BEHAVIOR_H_
