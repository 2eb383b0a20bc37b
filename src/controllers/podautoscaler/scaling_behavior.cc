#include "controllers/podautoscaler/scaling_behavior.h"

#include <algorithm>
#include <climits>
#include <cmath>

#include "base/json.h"

namespace skiff::controllers::podautoscaler {
namespace {

int32_t IntAt(const boost::json::value& v, std::initializer_list<std::string_view> path, int32_t fallback) {
  const boost::json::value* f = base::FindPath(v, path);
  if (f == nullptr || !f->is_number()) return fallback;
  auto n = f->to_number<int64_t>();
  return n < INT32_MIN || n > INT32_MAX ? fallback : static_cast<int32_t>(n);
}

ScalingRules ParseRules(const boost::json::value* rules, ScalingRules defaults) {
  if (rules == nullptr || !rules->is_object()) return defaults;
  ScalingRules r = defaults;
  r.stabilization_window_seconds =
      IntAt(*rules, {"stabilizationWindowSeconds"}, defaults.stabilization_window_seconds);
  std::string select = base::GetString(*rules, {"selectPolicy"});
  if (!select.empty()) r.select_policy = select;
  const boost::json::value* policies = base::Find(*rules, "policies");
  if (policies != nullptr && policies->is_array()) {
    r.policies.clear();
    for (const auto& p : policies->get_array()) {
      r.policies.push_back({base::GetString(p, {"type"}) == "Percent", IntAt(p, {"value"}, 0),
                            IntAt(p, {"periodSeconds"}, 0)});
    }
  }
  return r;
}

// The policies' longest period: scale events older than it no longer count.
absl::Duration LongestPeriod(const ScalingRules& rules) {
  int32_t longest = 0;
  for (const auto& p : rules.policies) longest = std::max(longest, p.period_seconds);
  return absl::Seconds(longest);
}

int32_t ChangeInPeriod(int32_t period_seconds, const std::vector<ScalingBehavior::ScaleEvent>& events,
                       absl::Time now) {
  absl::Time cutoff = now - absl::Seconds(period_seconds);
  int32_t change = 0;
  for (const auto& e : events) {
    if (e.at > cutoff) change += e.change;
  }
  return change;
}

int32_t Clamp64(int64_t v) { return static_cast<int32_t>(std::clamp<int64_t>(v, INT32_MIN, INT32_MAX)); }

}  // namespace

std::optional<Behavior> ParseBehavior(const boost::json::value& hpa) {
  const boost::json::value* behavior = base::FindPath(hpa, {"spec", "behavior"});
  if (behavior == nullptr || !behavior->is_object()) return std::nullopt;
  ScalingRules up{.stabilization_window_seconds = 0,
                  .select_policy = "Max",
                  .policies = {{false, 4, 15}, {true, 100, 15}}};
  ScalingRules down{
      .stabilization_window_seconds = 300, .select_policy = "Max", .policies = {{true, 100, 15}}};
  return Behavior{ParseRules(base::Find(*behavior, "scaleUp"), up),
                  ParseRules(base::Find(*behavior, "scaleDown"), down)};
}

ScalingBehavior::ScalingBehavior(const base::Clock* clock, absl::Duration downscale_stabilization)
    : clock_(clock != nullptr ? clock : &base::RealClock()),
      downscale_stabilization_(downscale_stabilization) {}

void ScalingBehavior::RecordInitialRecommendation(const std::string& key, int32_t current) {
  std::lock_guard<std::mutex> lock(mu_);
  auto& recs = recommendations_[key];
  if (recs.empty()) recs.push_back({clock_->Now(), current});
}

void ScalingBehavior::Forget(const std::string& key) {
  std::lock_guard<std::mutex> lock(mu_);
  recommendations_.erase(key);
  scale_up_events_.erase(key);
  scale_down_events_.erase(key);
}

Normalized ScalingBehavior::Normalize(const std::string& key, const std::optional<Behavior>& behavior,
                                      int32_t min_replicas, int32_t max_replicas, int32_t current,
                                      int32_t desired) {
  std::lock_guard<std::mutex> lock(mu_);
  absl::Time now = clock_->Now();
  if (behavior) return WithBehavior(key, *behavior, min_replicas, max_replicas, current, desired, now);
  return WithoutBehavior(key, min_replicas, max_replicas, current, desired, now);
}

Normalized ScalingBehavior::WithoutBehavior(const std::string& key, int32_t min_replicas,
                                            int32_t max_replicas, int32_t current, int32_t desired,
                                            absl::Time now) {
  Normalized result;
  // The highest recommendation of the window; the new one replaces an expired entry.
  int32_t stabilized = desired;
  absl::Time cutoff = now - downscale_stabilization_;
  auto& recs = recommendations_[key];
  std::optional<size_t> old;
  for (size_t i = 0; i < recs.size(); ++i) {
    if (recs[i].at < cutoff) {
      old = i;
    } else {
      stabilized = std::max(stabilized, recs[i].replicas);
    }
  }
  if (old) {
    recs[*old] = {now, desired};
  } else {
    recs.push_back({now, desired});
  }
  if (stabilized != desired) {
    result.conditions.push_back(
        {"AbleToScale", true, "ScaleDownStabilized",
         "recent recommendations were higher than current one, applying the highest recent "
         "recommendation"});
  } else {
    result.conditions.push_back(
        {"AbleToScale", true, "ReadyForNewScale", "recommended size matches current size"});
  }
  int32_t scale_up_limit = Clamp64(std::max<int64_t>(2 * static_cast<int64_t>(current), 4));
  int32_t maximum = max_replicas;
  std::string reason = "TooManyReplicas",
              message = "the desired replica count is more than the maximum replica count";
  if (max_replicas > scale_up_limit) {
    maximum = scale_up_limit;
    reason = "ScaleUpLimit";
    message = "the desired replica count is increasing faster than the maximum scale rate";
  }
  if (stabilized < min_replicas) {
    result.replicas = min_replicas;
    reason = "TooFewReplicas";
    message = "the desired replica count is less than the minimum replica count";
  } else if (stabilized > maximum) {
    result.replicas = maximum;
  } else {
    result.replicas = stabilized;
    reason = "DesiredWithinRange";
    message = "the desired count is within the acceptable range";
  }
  result.conditions.push_back({"ScalingLimited", result.replicas != stabilized, reason, message});
  return result;
}

Normalized ScalingBehavior::WithBehavior(const std::string& key, const Behavior& behavior,
                                         int32_t min_replicas, int32_t max_replicas, int32_t current,
                                         int32_t desired, absl::Time now) {
  Normalized result;
  // Stabilize: no higher than the lowest recommendation of the scale-up window, no lower than the
  // highest of the scale-down window.
  absl::Time up_cutoff = now - absl::Seconds(behavior.scale_up.stabilization_window_seconds);
  absl::Time down_cutoff = now - absl::Seconds(behavior.scale_down.stabilization_window_seconds);
  int32_t up = desired, down = desired;
  auto& recs = recommendations_[key];
  std::optional<size_t> old;
  for (size_t i = 0; i < recs.size(); ++i) {
    if (recs[i].at > up_cutoff) up = std::min(up, recs[i].replicas);
    if (recs[i].at > down_cutoff) down = std::max(down, recs[i].replicas);
    if (recs[i].at < up_cutoff && recs[i].at < down_cutoff) old = i;
  }
  int32_t stabilized = std::min(std::max(current, up), down);
  if (old) {
    recs[*old] = {now, desired};
  } else {
    recs.push_back({now, desired});
  }
  if (stabilized != desired) {
    if (desired >= current) {
      result.conditions.push_back(
          {"AbleToScale", true, "ScaleUpStabilized",
           "recent recommendations were lower than current one, applying the lowest recent "
           "recommendation"});
    } else {
      result.conditions.push_back(
          {"AbleToScale", true, "ScaleDownStabilized",
           "recent recommendations were higher than current one, applying the highest recent "
           "recommendation"});
    }
  } else {
    result.conditions.push_back(
        {"AbleToScale", true, "ReadyForNewScale", "recommended size matches current size"});
  }
  // Rate limits of the policies, then [min, max].
  result.replicas = stabilized;
  std::string reason = "DesiredWithinRange", message = "the desired count is within the acceptable range";
  if (stabilized > current) {
    int32_t limit = std::max(current, ScaleUpLimit(current, scale_up_events_[key], behavior.scale_up, now));
    int32_t maximum = max_replicas;
    std::string r = "TooManyReplicas", m = "the desired replica count is more than the maximum replica count";
    if (maximum > limit) {
      maximum = limit;
      r = "ScaleUpLimit";
      m = "the desired replica count is increasing faster than the maximum scale rate";
    }
    if (stabilized > maximum) result.replicas = maximum, reason = r, message = m;
  } else if (stabilized < current) {
    int32_t limit =
        std::min(current, ScaleDownLimit(current, scale_down_events_[key], behavior.scale_down, now));
    int32_t minimum = min_replicas;
    std::string r = "TooFewReplicas", m = "the desired replica count is less than the minimum replica count";
    if (minimum < limit) {
      minimum = limit;
      r = "ScaleDownLimit";
      m = "the desired replica count is decreasing faster than the maximum scale rate";
    }
    if (stabilized < minimum) result.replicas = minimum, reason = r, message = m;
  }
  result.conditions.push_back({"ScalingLimited", result.replicas != stabilized, reason, message});
  return result;
}

int32_t ScalingBehavior::ScaleUpLimit(int32_t current, const std::vector<ScaleEvent>& events,
                                      const ScalingRules& rules, absl::Time now) {
  if (rules.select_policy == "Disabled") return current;
  bool pick_min = rules.select_policy == "Min";
  int64_t result = pick_min ? INT32_MAX : INT32_MIN;
  for (const auto& p : rules.policies) {
    int64_t start = static_cast<int64_t>(current) - ChangeInPeriod(p.period_seconds, events, now);
    int64_t proposed =
        p.percent ? static_cast<int64_t>(std::ceil(static_cast<double>(start) * (1 + p.value / 100.0)))
                  : start + p.value;
    result = pick_min ? std::min(result, proposed) : std::max(result, proposed);
  }
  return Clamp64(result);
}

int32_t ScalingBehavior::ScaleDownLimit(int32_t current, const std::vector<ScaleEvent>& events,
                                        const ScalingRules& rules, absl::Time now) {
  if (rules.select_policy == "Disabled") return current;
  // Min picks the smallest change, which is the highest limit.
  bool pick_highest = rules.select_policy == "Min";
  int64_t result = pick_highest ? INT32_MIN : INT32_MAX;
  for (const auto& p : rules.policies) {
    int64_t start = static_cast<int64_t>(current) + ChangeInPeriod(p.period_seconds, events, now);
    int64_t proposed = p.percent ? static_cast<int64_t>(static_cast<double>(start) * (1 - p.value / 100.0))
                                 : start - p.value;
    result = pick_highest ? std::max(result, proposed) : std::min(result, proposed);
  }
  return Clamp64(result);
}

void ScalingBehavior::RecordScaleEvent(const std::string& key, const std::optional<Behavior>& behavior,
                                       int32_t previous, int32_t next) {
  if (!behavior || previous == next) return;
  std::lock_guard<std::mutex> lock(mu_);
  absl::Time now = clock_->Now();
  bool up = next > previous;
  auto& events = up ? scale_up_events_[key] : scale_down_events_[key];
  absl::Duration longest = LongestPeriod(up ? behavior->scale_up : behavior->scale_down);
  std::optional<size_t> old;
  for (size_t i = 0; i < events.size(); ++i) {
    if (events[i].at < now - longest) events[i].outdated = true;
    if (events[i].outdated) old = i;
  }
  ScaleEvent event{up ? next - previous : previous - next, now, false};
  if (old) {
    events[*old] = event;
  } else {
    events.push_back(event);
  }
}

}  // namespace skiff::controllers::podautoscaler
