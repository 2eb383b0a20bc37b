#include "controllers/podautoscaler/replica_calculator.h"

#include <algorithm>
#include <cmath>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/pod_util.h"
#include "api/quantity.h"
#include "base/json.h"
#include "controllers/workload/workload_util.h"

namespace skiff::controllers::podautoscaler {
namespace {

int32_t CeilReplicas(double value) {
  double c = std::ceil(value);
  if (c > INT32_MAX) return INT32_MAX;
  return c < 0 ? 0 : static_cast<int32_t>(c);
}

// metricsTotal*100/requestsTotal as Kubernetes' GetResourceUtilizationRatio computes it, over the
// pods that have both a metric and a request.
struct UtilizationRatio {
  double ratio = 0;
  int32_t utilization = 0;
  int64_t raw_average = 0;
};
absl::StatusOr<UtilizationRatio> ResourceUtilizationRatio(const PodMetrics& metrics,
                                                          const std::map<std::string, int64_t>& requests,
                                                          int32_t target_utilization) {
  int64_t metrics_total = 0, requests_total = 0, entries = 0;
  for (const auto& [pod, metric] : metrics) {
    auto request = requests.find(pod);
    if (request == requests.end()) continue;  // a pod that appeared since the metrics were taken
    metrics_total += metric.value;
    requests_total += request->second;
    ++entries;
  }
  if (requests_total == 0) return absl::FailedPreconditionError("no metrics returned matched known pods");
  UtilizationRatio r;
  r.utilization = static_cast<int32_t>(metrics_total * 100 / requests_total);
  r.ratio = static_cast<double>(r.utilization) / static_cast<double>(target_utilization);
  r.raw_average = metrics_total / entries;
  return r;
}

// The average value and its ratio to the target (GetMetricUsageRatio).
std::pair<double, int64_t> UsageRatio(const PodMetrics& metrics, int64_t target) {
  int64_t total = 0;
  for (const auto& [pod, metric] : metrics) total += metric.value;
  int64_t average = metrics.empty() ? 0 : total / static_cast<int64_t>(metrics.size());
  return {static_cast<double>(average) / static_cast<double>(target), average};
}

void Remove(PodMetrics& metrics, const std::vector<std::string>& pods) {
  for (const auto& pod : pods) metrics.erase(pod);
}

// A ratio that moved to the other side of 1 (or stayed within the tolerance) keeps the count.
bool DirectionChanged(double before, double after) {
  return (before < 1.0 && after > 1.0) || (before > 1.0 && after < 1.0);
}

}  // namespace

ReplicaCalculator::ReplicaCalculator(ReplicaCalculatorOptions options, const base::Clock* clock)
    : options_(options), clock_(clock != nullptr ? clock : &base::RealClock()) {}

bool ReplicaCalculator::WithinTolerance(double ratio) const {
  return std::abs(1.0 - ratio) <= options_.tolerance;
}

absl::StatusOr<std::map<std::string, int64_t>> ReplicaCalculator::PodRequests(
    const std::vector<client::Object>& pods, const std::string& container, const std::string& resource) {
  std::map<std::string, int64_t> requests;
  for (const auto& pod : pods) {
    int64_t sum = 0;
    const boost::json::array* containers = api::Containers(*pod);
    if (containers != nullptr) {
      for (const auto& c : *containers) {
        std::string name = base::GetString(c, {"name"});
        if (!container.empty() && name != container) continue;
        const boost::json::value* request = base::FindPath(c, {"resources", "requests", resource});
        absl::StatusOr<api::Quantity> q =
            request != nullptr ? api::Quantity::FromJson(*request) : absl::NotFoundError("");
        if (!q.ok()) {
          return absl::FailedPreconditionError(absl::StrCat(
              "missing request for ", resource, " in container ", name, " of Pod ", api::Name(*pod)));
        }
        sum += q->MilliValue();
      }
    }
    requests[api::Name(*pod)] = sum;
  }
  return requests;
}

ReplicaCalculator::PodGroups ReplicaCalculator::GroupPods(const std::vector<client::Object>& pods,
                                                          const PodMetrics& metrics,
                                                          const std::string& resource) const {
  PodGroups groups;
  absl::Time now = clock_->Now();
  for (const auto& pod : pods) {
    std::string name = api::Name(*pod);
    std::string phase = api::PodPhase(*pod);
    if (base::FindPath(*pod, {"metadata", "deletionTimestamp"}) != nullptr || phase == "Failed") {
      groups.ignored.push_back(name);
      continue;
    }
    if (phase == "Pending") {
      groups.unready.push_back(name);
      continue;
    }
    auto metric = metrics.find(name);
    if (metric == metrics.end()) {
      groups.missing.push_back(name);
      continue;
    }
    if (resource == "cpu") {
      // CPU usage during start-up is not representative: such samples count as unready.
      const boost::json::value* ready = api::FindCondition(*pod, "Ready");
      absl::Time start = TimeAt(*pod, {"status", "startTime"});
      bool unready;
      if (ready == nullptr || start == absl::InfinitePast()) {
        unready = true;
      } else {
        bool ready_false = base::GetString(*ready, {"status"}) == "False";
        absl::Time transition = TimeAt(*ready, {"lastTransitionTime"});
        if (start + options_.cpu_initialization_period > now) {
          // Still initializing: unready, or no full metric window since it became ready.
          unready = ready_false || metric->second.timestamp < transition + metric->second.window;
        } else {
          // Unready and never ready since the start.
          unready = ready_false && start + options_.delay_of_initial_readiness_status > transition;
        }
      }
      if (unready) {
        groups.unready.push_back(name);
        continue;
      }
    }
    ++groups.ready;
  }
  return groups;
}

absl::StatusOr<ReplicaCalculator::UtilizationProposal> ReplicaCalculator::ResourceUtilizationReplicas(
    int32_t current_replicas, int32_t target_utilization, const std::string& resource,
    const std::string& container, PodMetrics metrics, const std::vector<client::Object>& pods) const {
  if (pods.empty()) {
    return absl::FailedPreconditionError("no pods returned by selector while calculating replica count");
  }
  if (target_utilization <= 0) return absl::InvalidArgumentError("the target utilization must be positive");
  PodGroups groups = GroupPods(pods, metrics, resource);
  Remove(metrics, groups.ignored);
  Remove(metrics, groups.unready);
  if (metrics.empty()) {
    return absl::FailedPreconditionError("did not receive metrics for targeted pods (pods might be unready)");
  }
  auto requests = PodRequests(pods, container, resource);
  if (!requests.ok()) return requests.status();
  auto usage = ResourceUtilizationRatio(metrics, *requests, target_utilization);
  if (!usage.ok()) return usage.status();
  UtilizationProposal result{current_replicas, usage->utilization, usage->raw_average};

  bool scale_up_with_unready = !groups.unready.empty() && usage->ratio > 1.0;
  if (!scale_up_with_unready && groups.missing.empty()) {
    if (!WithinTolerance(usage->ratio)) result.replicas = CeilReplicas(usage->ratio * groups.ready);
    return result;
  }
  // Missing pods: at the target (at least 100%) when scaling down, idle when scaling up.
  if (!groups.missing.empty()) {
    int64_t fallback = std::max<int64_t>(100, target_utilization);
    for (const auto& pod : groups.missing) {
      int64_t value = 0;
      if (usage->ratio < 1.0) value = (*requests)[pod] * fallback / 100;
      if (usage->ratio != 1.0) metrics[pod] = PodMetric{.value = value};
    }
  }
  if (scale_up_with_unready) {
    for (const auto& pod : groups.unready) metrics[pod] = PodMetric{.value = 0};
  }
  auto adjusted = ResourceUtilizationRatio(metrics, *requests, target_utilization);
  if (!adjusted.ok()) return adjusted.status();
  if (WithinTolerance(adjusted->ratio) || DirectionChanged(usage->ratio, adjusted->ratio)) return result;
  int32_t replicas = CeilReplicas(adjusted->ratio * static_cast<double>(metrics.size()));
  if ((adjusted->ratio < 1.0 && replicas > current_replicas) ||
      (adjusted->ratio > 1.0 && replicas < current_replicas)) {
    return result;
  }
  result.replicas = replicas;
  return result;
}

absl::StatusOr<ReplicaCalculator::UsageProposal> ReplicaCalculator::AverageValueReplicas(
    int32_t current_replicas, int64_t target_average, const std::string& resource, PodMetrics metrics,
    const std::vector<client::Object>& pods) const {
  if (pods.empty()) {
    return absl::FailedPreconditionError("no pods returned by selector while calculating replica count");
  }
  if (target_average <= 0) return absl::InvalidArgumentError("the target average value must be positive");
  PodGroups groups = GroupPods(pods, metrics, resource);
  Remove(metrics, groups.ignored);
  Remove(metrics, groups.unready);
  if (metrics.empty()) {
    return absl::FailedPreconditionError("did not receive metrics for targeted pods (pods might be unready)");
  }
  auto [ratio, usage] = UsageRatio(metrics, target_average);
  UsageProposal result{current_replicas, usage};
  bool scale_up_with_unready = !groups.unready.empty() && ratio > 1.0;
  if (!scale_up_with_unready && groups.missing.empty()) {
    if (!WithinTolerance(ratio)) result.replicas = CeilReplicas(ratio * groups.ready);
    return result;
  }
  if (!groups.missing.empty()) {
    for (const auto& pod : groups.missing) {
      if (ratio < 1.0) metrics[pod] = PodMetric{.value = target_average};
      if (ratio > 1.0) metrics[pod] = PodMetric{.value = 0};
    }
  }
  if (scale_up_with_unready) {
    for (const auto& pod : groups.unready) metrics[pod] = PodMetric{.value = 0};
  }
  double adjusted = UsageRatio(metrics, target_average).first;
  if (WithinTolerance(adjusted) || DirectionChanged(ratio, adjusted)) return result;
  int32_t replicas = CeilReplicas(adjusted * static_cast<double>(metrics.size()));
  if ((adjusted < 1.0 && replicas > current_replicas) || (adjusted > 1.0 && replicas < current_replicas)) {
    return result;
  }
  result.replicas = replicas;
  return result;
}

ReplicaCalculator::UsageProposal ReplicaCalculator::ValueReplicas(
    int32_t current_replicas, int64_t usage, int64_t target, const std::vector<client::Object>& pods) const {
  double ratio = static_cast<double>(usage) / static_cast<double>(std::max<int64_t>(target, 1));
  if (current_replicas == 0) return {CeilReplicas(ratio), usage};  // scaling up from zero
  if (WithinTolerance(ratio)) return {current_replicas, usage};
  int ready = 0;
  for (const auto& pod : pods) {
    if (api::PodPhase(*pod) == "Running" && api::IsPodReady(*pod)) ++ready;
  }
  return {CeilReplicas(ratio * ready), usage};
}

ReplicaCalculator::UsageProposal ReplicaCalculator::PerPodValueReplicas(int32_t status_replicas,
                                                                        int64_t usage,
                                                                        int64_t target_average) const {
  target_average = std::max<int64_t>(target_average, 1);
  UsageProposal result{status_replicas, usage};
  double ratio = static_cast<double>(usage) / (static_cast<double>(target_average) * status_replicas);
  if (status_replicas == 0 || !WithinTolerance(ratio)) {
    result.replicas = CeilReplicas(static_cast<double>(usage) / static_cast<double>(target_average));
  }
  if (status_replicas > 0) {
    result.usage = static_cast<int64_t>(std::ceil(static_cast<double>(usage) / status_replicas));
  }
  return result;
}

}  // namespace skiff::controllers::podautoscaler
