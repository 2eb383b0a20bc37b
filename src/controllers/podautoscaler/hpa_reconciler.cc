#include "controllers/podautoscaler/hpa_reconciler.h"

#include <algorithm>
#include <map>

#include "absl/strings/str_cat.h"
#include "api/label_selector.h"
#include "api/object_meta.h"
#include "api/quantity.h"
#include "base/json.h"
#include "client/informer.h"
#include "client/rest/rest_client.h"
#include "spdlog/spdlog.h"

namespace skiff::controllers::podautoscaler {
namespace {

namespace json = boost::json;

const api::ResourceInfo& HpaResource() {
  return *api::FindResource("autoscaling", "v2", "horizontalpodautoscalers");
}

int32_t Int32At(const json::value& v, std::initializer_list<std::string_view> path, int32_t fallback) {
  const json::value* f = base::FindPath(v, path);
  if (f == nullptr || !f->is_number()) return fallback;
  int64_t n = f->to_number<int64_t>();
  return static_cast<int32_t>(std::clamp<int64_t>(n, INT32_MIN, INT32_MAX));
}

json::value MilliQuantity(int64_t milli) { return json::value(api::Quantity::FromMilli(milli).String()); }

absl::StatusOr<int64_t> MilliAt(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* q = base::FindPath(v, path);
  if (q == nullptr) return absl::NotFoundError("");
  auto quantity = api::Quantity::FromJson(*q);
  if (!quantity.ok()) return quantity.status();
  return quantity->MilliValue();
}

// A metav1.LabelSelector (JSON) as the query string selector ("" for none or an invalid one).
std::string SelectorString(const json::value* selector) {
  if (selector == nullptr || selector->is_null()) return "";
  auto parsed = api::LabelSelector::FromJson(*selector);
  return parsed.ok() ? parsed->String() : "";
}

// The status of a metric that could not be read: its source without a current value (kubectl
// shows "<unknown>"). Kubernetes writes an empty MetricStatus, which skiff's validation of the
// status (type is an enum) would refuse.
json::value UnknownMetricStatus(const json::value& spec) {
  std::string type = base::GetString(spec, {"type"});
  static const std::map<std::string, std::string> kSources = {{"Resource", "resource"},
                                                              {"ContainerResource", "containerResource"},
                                                              {"Pods", "pods"},
                                                              {"Object", "object"},
                                                              {"External", "external"}};
  auto source_name = kSources.find(type);
  const json::value* source = source_name != kSources.end() ? base::Find(spec, source_name->second) : nullptr;
  if (source == nullptr || !source->is_object()) return json::object{{"type", type}};  // not valid in a spec
  json::object status = source->get_object();
  status.erase("target");
  status["current"] = json::object();
  return json::object{{"type", type}, {source_name->second, std::move(status)}};
}

absl::Status Wrapped(const absl::Status& status, const std::string& prefix) {
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

}  // namespace

struct HorizontalReconciler::Sync {
  std::string key, ns, name;
  client::Object base;  // the cached HPA
  json::value hpa;      // the working copy whose status is written
  absl::Time now;
};

HorizontalReconciler::HorizontalReconciler(client::Client* client, const ObjectCache* hpas,
                                           const ObjectCache* pods, client::ApiGet get, Options options)
    : client_(client),
      hpas_(hpas),
      pods_(pods),
      get_(get),
      metrics_(std::move(get)),
      options_(std::move(options)),
      clock_(options_.clock != nullptr ? options_.clock : &base::RealClock()),
      calculator_(options_.calculator, clock_),
      behavior_(clock_, options_.downscale_stabilization) {}

void HorizontalReconciler::Event(const Sync& sync, const std::string& type, const std::string& reason,
                                 const std::string& message) {
  if (!options_.record_event) return;
  json::value hpa = sync.hpa;
  json::object& o = hpa.as_object();
  if (!o.contains("kind")) o["kind"] = "HorizontalPodAutoscaler";
  if (!o.contains("apiVersion")) o["apiVersion"] = "autoscaling/v2";
  options_.record_event(hpa, type, reason, message);
}

void HorizontalReconciler::SetCondition(Sync& sync, const ConditionUpdate& update) {
  json::object& status = base::EnsureObject(sync.hpa, {"status"});
  json::value& conditions = status["conditions"];
  if (!conditions.is_array()) conditions = json::array();
  std::string now = base::FormatRfc3339(sync.now);
  std::string value = update.status ? "True" : "False";
  for (auto& c : conditions.as_array()) {
    if (base::GetString(c, {"type"}) != update.type) continue;
    json::object& o = c.as_object();
    if (base::GetString(c, {"status"}) != value) o["lastTransitionTime"] = now;
    o["status"] = value;
    o["reason"] = update.reason;
    o["message"] = update.message;
    return;
  }
  conditions.as_array().push_back(json::object{{"type", update.type},
                                               {"status", value},
                                               {"lastTransitionTime", now},
                                               {"reason", update.reason},
                                               {"message", update.message}});
}

std::vector<client::Object> HorizontalReconciler::PodsOf(const std::string& ns,
                                                         const std::string& selector) const {
  std::vector<client::Object> pods;
  auto parsed = api::LabelSelector::Parse(selector);
  if (!parsed.ok()) return pods;
  for (auto& pod : pods_->ByIndex(kNamespaceIndex, ns)) {
    if (parsed->Matches(base::FindPath(*pod, {"metadata", "labels"}))) pods.push_back(std::move(pod));
  }
  return pods;
}

absl::StatusOr<json::value> HorizontalReconciler::GetScale(Sync& sync, api::ResourceInfo* resource) {
  const json::value* ref = base::FindPath(sync.hpa, {"spec", "scaleTargetRef"});
  std::string api_version = ref ? base::GetString(*ref, {"apiVersion"}) : "";
  std::string kind = ref ? base::GetString(*ref, {"kind"}) : "";
  std::string name = ref ? base::GetString(*ref, {"name"}) : "";
  const api::ResourceInfo* r = api::FindResourceByApiVersionKind(api_version, kind);
  if (r == nullptr) {
    return absl::NotFoundError(
        absl::StrCat("no matches for kind \"", kind, "\" in group version \"", api_version, "\""));
  }
  bool has_scale = std::any_of(r->subresources.begin(), r->subresources.end(),
                               [](const api::SubresourceInfo& s) { return s.name == "scale"; });
  if (!has_scale) {
    return absl::NotFoundError(absl::StrCat(r->plural, " of ", api_version, " have no scale subresource"));
  }
  *resource = *r;
  return get_(client::ResourcePath(*r, sync.ns, name, "scale"));
}

client::ReconcileResult HorizontalReconciler::Reconcile(const std::string& key) {
  client::Object cached = hpas_->Get(key);
  if (!cached) {
    behavior_.Forget(key);
    return {};
  }
  Sync sync;
  sync.key = key;
  client::SplitKey(key, &sync.ns, &sync.name);
  sync.base = cached;
  sync.hpa = *cached;
  sync.now = clock_->Now();
  std::vector<json::value> metric_statuses;
  int32_t min_replicas = Int32At(sync.hpa, {"spec", "minReplicas"}, 1);
  int32_t max_replicas = Int32At(sync.hpa, {"spec", "maxReplicas"}, 0);

  api::ResourceInfo resource;
  auto scale = GetScale(sync, &resource);
  if (!scale.ok()) {
    Event(sync, "Warning", "FailedGetScale", std::string(scale.status().message()));
    SetCondition(sync, {"AbleToScale", false, "FailedGetScale",
                        absl::StrCat("the HPA controller was unable to get the target's current scale: ",
                                     scale.status().message())});
    int32_t current = Int32At(sync.hpa, {"status", "currentReplicas"}, 0);
    auto status =
        WriteStatus(sync, current, Int32At(sync.hpa, {"status", "desiredReplicas"}, current), {}, false);
    if (!status.ok()) return {status};
    return {absl::OkStatus(), options_.sync_period};
  }
  SetCondition(sync, {"AbleToScale", true, "SucceededGetScale",
                      "the HPA controller was able to get the target's current scale"});
  int32_t current = Int32At(*scale, {"spec", "replicas"}, 0);
  behavior_.RecordInitialRecommendation(key, current);

  int32_t desired = 0;
  bool rescale = true;
  std::string rescale_reason;
  std::optional<Behavior> behavior = ParseBehavior(sync.hpa);
  if (current == 0 && min_replicas != 0) {
    // Autoscaling is off while the target is scaled to zero (by hand).
    rescale = false;
    SetCondition(sync, {"ScalingActive", false, "ScalingDisabled",
                        "scaling is disabled since the replica count of the target is zero"});
  } else if (current > max_replicas) {
    rescale_reason = "Current number of replicas above Spec.MaxReplicas";
    desired = max_replicas;
  } else if (current < min_replicas) {
    rescale_reason = "Current number of replicas below Spec.MinReplicas";
    desired = min_replicas;
  } else {
    auto proposal = ComputeReplicasForMetrics(sync, *scale, metric_statuses);
    if (!proposal.ok() || proposal->replicas == -1) {
      absl::Status error =
          proposal.ok() ? absl::InternalError("no metric gave a replica count") : proposal.status();
      auto status = WriteStatus(sync, current, Int32At(sync.hpa, {"status", "desiredReplicas"}, current),
                                metric_statuses, false);
      Event(
          sync, "Warning", "FailedComputeMetricsReplicas",
          absl::StrCat("failed to compute desired number of replicas based on listed metrics for ",
                       base::GetString(sync.hpa, {"spec", "scaleTargetRef", "kind"}), "/", sync.ns, "/",
                       base::GetString(sync.hpa, {"spec", "scaleTargetRef", "name"}), ": ", error.message()));
      if (!status.ok()) return {status};
      return {absl::OkStatus(), options_.sync_period};
    }
    std::string rescale_metric;
    if (proposal->replicas > desired) {
      desired = proposal->replicas;
      rescale_metric = proposal->metric_name;
    }
    if (desired > current) rescale_reason = absl::StrCat(rescale_metric, " above target");
    if (desired < current) rescale_reason = "All metrics below target";
    Normalized normalized = behavior_.Normalize(key, behavior, min_replicas, max_replicas, current, desired);
    for (const auto& c : normalized.conditions) SetCondition(sync, c);
    desired = normalized.replicas;
    rescale = desired != current;
  }

  if (rescale) {
    json::value next = *scale;
    base::EnsureObject(next, {"spec"})["replicas"] = desired;
    auto written = client_->Update(resource, sync.ns, std::move(next), "scale");
    if (!written.ok()) {
      Event(sync, "Warning", "FailedRescale",
            absl::StrCat("New size: ", desired, "; reason: ", rescale_reason,
                         "; error: ", written.status().message()));
      SetCondition(sync, {"AbleToScale", false, "FailedUpdateScale",
                          absl::StrCat("the HPA controller was unable to update the target scale: ",
                                       written.status().message())});
      auto status = WriteStatus(sync, current, Int32At(sync.hpa, {"status", "desiredReplicas"}, current),
                                metric_statuses, false);
      if (!status.ok()) return {status};
      return {written.status()};
    }
    SetCondition(sync, {"AbleToScale", true, "SucceededRescale",
                        absl::StrCat("the HPA controller was able to update the target scale to ", desired)});
    Event(sync, "Normal", "SuccessfulRescale",
          absl::StrCat("New size: ", desired, "; reason: ", rescale_reason));
    behavior_.RecordScaleEvent(key, behavior, current, desired);
    spdlog::info("hpa {}: scaled {} from {} to {} ({})", key,
                 base::GetString(sync.hpa, {"spec", "scaleTargetRef", "name"}), current, desired,
                 rescale_reason);
  } else {
    desired = current;
  }
  auto status = WriteStatus(sync, current, desired, metric_statuses, rescale);
  if (!status.ok()) return {status};
  return {absl::OkStatus(), options_.sync_period};
}

absl::StatusOr<HorizontalReconciler::Proposal> HorizontalReconciler::ComputeReplicasForMetrics(
    Sync& sync, const json::value& scale, std::vector<json::value>& statuses) {
  std::string selector = base::GetString(scale, {"status", "selector"});
  if (selector.empty()) {
    Event(sync, "Warning", "SelectorRequired", "selector is required");
    SetCondition(sync,
                 {"ScalingActive", false, "InvalidSelector", "the HPA target's scale is missing a selector"});
    return absl::InvalidArgumentError("selector is required");
  }
  if (auto parsed = api::LabelSelector::Parse(selector); !parsed.ok()) {
    Event(sync, "Warning", "InvalidSelector", std::string(parsed.status().message()));
    SetCondition(
        sync, {"ScalingActive", false, "InvalidSelector",
               absl::StrCat("the HPA target's scale has an invalid selector: ", parsed.status().message())});
    return parsed.status();
  }
  int32_t spec_replicas = Int32At(scale, {"spec", "replicas"}, 0);
  int32_t status_replicas = Int32At(scale, {"status", "replicas"}, 0);
  std::vector<client::Object> pods = PodsOf(sync.ns, selector);
  const json::value* specs = base::FindPath(sync.hpa, {"spec", "metrics"});
  json::array metric_specs = specs != nullptr && specs->is_array() ? specs->get_array() : json::array();
  Proposal best{0, "", nullptr};
  int invalid = 0;
  absl::Status first_error;
  ConditionUpdate first_condition;
  for (const auto& spec : metric_specs) {
    ConditionUpdate failure;
    auto proposal =
        ComputeReplicasForMetric(sync, spec, spec_replicas, status_replicas, selector, pods, &failure);
    if (!proposal.ok()) {
      if (invalid == 0) first_error = proposal.status(), first_condition = failure;
      ++invalid;
      statuses.push_back(UnknownMetricStatus(spec));
      continue;
    }
    statuses.push_back(proposal->status);
    if (best.replicas == 0 || proposal->replicas > best.replicas) {
      best.replicas = proposal->replicas;
      best.metric_name = proposal->metric_name;
    }
  }
  // All failed, or the ones that worked would scale down: no decision on partial information.
  if (invalid > 0 && (invalid >= static_cast<int>(metric_specs.size()) || best.replicas < spec_replicas)) {
    SetCondition(sync, first_condition);
    return first_error;
  }
  if (metric_specs.empty()) return absl::InvalidArgumentError("the HPA has no metrics");
  SetCondition(sync, {"ScalingActive", true, "ValidMetricFound",
                      absl::StrCat("the HPA was able to successfully calculate a replica count from ",
                                   best.metric_name)});
  return best;
}

absl::StatusOr<HorizontalReconciler::Proposal> HorizontalReconciler::ComputeReplicasForMetric(
    Sync& sync, const json::value& spec, int32_t spec_replicas, int32_t status_replicas,
    const std::string& selector, const std::vector<client::Object>& pods, ConditionUpdate* failure) {
  std::string type = base::GetString(spec, {"type"});
  std::string failed_reason;
  absl::StatusOr<Proposal> result = absl::UnknownError("");
  if (type == "Resource" || type == "ContainerResource") {
    bool container = type == "ContainerResource";
    const json::value* source = base::Find(spec, container ? "containerResource" : "resource");
    failed_reason = container ? "FailedGetContainerResourceMetric" : "FailedGetResourceMetric";
    result = source != nullptr ? ResourceProposal(sync, *source, container, spec_replicas, selector, pods)
                               : absl::InvalidArgumentError("the metric has no source");
  } else if (type == "Pods") {
    failed_reason = "FailedGetPodsMetric";
    const json::value* source = base::Find(spec, "pods");
    std::string name = source ? base::GetString(*source, {"metric", "name"}) : "";
    auto target = source ? MilliAt(*source, {"target", "averageValue"}) : absl::NotFoundError("");
    if (!target.ok()) {
      result = absl::InvalidArgumentError("invalid pods metric source: the target has no averageValue");
    } else {
      const json::value* metric_selector = base::FindPath(*source, {"metric", "selector"});
      auto metrics = metrics_.PodsMetric(sync.ns, name, selector, SelectorString(metric_selector));
      absl::StatusOr<ReplicaCalculator::UsageProposal> usage =
          metrics.ok() ? calculator_.AverageValueReplicas(spec_replicas, *target, "", *metrics, pods)
                       : absl::StatusOr<ReplicaCalculator::UsageProposal>(
                             Wrapped(metrics.status(), absl::StrCat("unable to get metric ", name, ": ")));
      if (!usage.ok()) {
        result = Wrapped(usage.status(), "failed to get pods metric value: ");
      } else {
        json::object metric{{"name", name}};
        if (metric_selector != nullptr && !metric_selector->is_null()) metric["selector"] = *metric_selector;
        result = Proposal{
            usage->replicas, absl::StrCat("pods metric ", name),
            json::object{
                {"type", "Pods"},
                {"pods",
                 json::object{{"metric", metric},
                              {"current", json::object{{"averageValue", MilliQuantity(usage->usage)}}}}}}};
      }
    }
  } else if (type == "Object" || type == "External") {
    bool object = type == "Object";
    failed_reason = object ? "FailedGetObjectMetric" : "FailedGetExternalMetric";
    const json::value* source = base::Find(spec, object ? "object" : "external");
    if (source == nullptr) source = &spec;  // reads as absent fields below
    std::string name = base::GetString(*source, {"metric", "name"});
    const json::value* metric_selector = base::FindPath(*source, {"metric", "selector"});
    std::string target_type = base::GetString(*source, {"target", "type"});
    auto value_target = MilliAt(*source, {"target", "value"});
    auto average_target = MilliAt(*source, {"target", "averageValue"});
    absl::StatusOr<int64_t> usage = absl::UnknownError("");
    if (object) {
      const json::value* described = base::Find(*source, "describedObject");
      usage = absl::InvalidArgumentError("the object metric names no describedObject");
      if (described != nullptr) {
        auto value = metrics_.ObjectMetric(
            sync.ns, name, base::GetString(*described, {"apiVersion"}), base::GetString(*described, {"kind"}),
            base::GetString(*described, {"name"}), SelectorString(metric_selector));
        usage = value.ok() ? absl::StatusOr<int64_t>(value->first) : value.status();
      }
    } else {
      auto values = metrics_.ExternalMetric(sync.ns, name, SelectorString(metric_selector));
      if (values.ok()) {
        int64_t sum = 0;
        for (int64_t v : values->first) sum += v;
        usage = sum;
      } else {
        usage = values.status();
      }
    }
    std::string what = object ? "object" : "external";
    if (!usage.ok()) {
      result = Wrapped(usage.status(), absl::StrCat("unable to get ", what, " metric ", name, ": "));
    } else if (target_type == "Value" && value_target.ok()) {
      auto p = calculator_.ValueReplicas(spec_replicas, *usage, *value_target, pods);
      json::object current{{"value", MilliQuantity(p.usage)}};
      result = Proposal{p.replicas, "", json::object{{"current", current}}};
    } else if (target_type == "AverageValue" && average_target.ok()) {
      auto p = calculator_.PerPodValueReplicas(status_replicas, *usage, *average_target);
      json::object current{{"averageValue", MilliQuantity(p.usage)}};
      result = Proposal{p.replicas, "", json::object{{"current", current}}};
    } else {
      result = absl::InvalidArgumentError(absl::StrCat(
          "invalid ", what, " metric source: neither a value target nor an average value target was set"));
    }
    if (result.ok()) {
      json::object metric{{"name", name}};
      if (metric_selector != nullptr && !metric_selector->is_null()) metric["selector"] = *metric_selector;
      json::object body{{"metric", metric}, {"current", result->status.at("current")}};
      if (object) {
        body["describedObject"] = *base::Find(*source, "describedObject");
        result->metric_name =
            absl::StrCat(base::GetString(*source, {"describedObject", "kind"}), " metric ", name);
      } else {
        result->metric_name =
            absl::StrCat("external metric ", name, "(", SelectorString(metric_selector), ")");
      }
      result->status = json::object{{"type", type}, {object ? "object" : "external", body}};
    }
  } else {
    failed_reason = "InvalidMetricSourceType";
    result = absl::InvalidArgumentError(absl::StrCat("unknown metric source type \"", type, "\""));
  }
  if (!result.ok()) {
    Event(sync, "Warning", failed_reason, std::string(result.status().message()));
    *failure = {"ScalingActive", false, failed_reason,
                absl::StrCat("the HPA was unable to compute the replica count: ", result.status().message())};
  }
  return result;
}

absl::StatusOr<HorizontalReconciler::Proposal> HorizontalReconciler::ResourceProposal(
    const Sync& sync, const json::value& source, bool container_metric, int32_t spec_replicas,
    const std::string& selector, const std::vector<client::Object>& pods) {
  std::string resource = base::GetString(source, {"name"});
  std::string container = container_metric ? base::GetString(source, {"container"}) : "";
  std::string target_type = base::GetString(source, {"target", "type"});
  const json::value* utilization = base::FindPath(source, {"target", "averageUtilization"});
  auto average = MilliAt(source, {"target", "averageValue"});
  json::object body{{"name", resource}};
  if (container_metric) body["container"] = container;
  auto status_of = [&](json::object current) {
    body["current"] = std::move(current);
    return json::object{{"type", container_metric ? "ContainerResource" : "Resource"},
                        {container_metric ? "containerResource" : "resource", body}};
  };
  std::string kind = container_metric ? " container resource" : " resource";
  if (target_type == "AverageValue" && average.ok()) {
    auto metrics = metrics_.ResourceMetric(sync.ns, selector, resource, container);
    if (!metrics.ok()) {
      return Wrapped(metrics.status(), absl::StrCat("failed to get ", resource,
                                                    " usage: unable to get metrics for "
                                                    "resource ",
                                                    resource, ": "));
    }
    auto usage = calculator_.AverageValueReplicas(spec_replicas, *average, resource, *metrics, pods);
    if (!usage.ok()) return Wrapped(usage.status(), absl::StrCat("failed to get ", resource, " usage: "));
    return Proposal{usage->replicas, absl::StrCat(resource, kind),
                    status_of(json::object{{"averageValue", MilliQuantity(usage->usage)}})};
  }
  if (target_type == "Utilization" && utilization != nullptr && utilization->is_number()) {
    auto metrics = metrics_.ResourceMetric(sync.ns, selector, resource, container);
    if (!metrics.ok()) {
      return Wrapped(metrics.status(), absl::StrCat("failed to get ", resource,
                                                    " utilization: unable to get metrics "
                                                    "for resource ",
                                                    resource, ": "));
    }
    auto proposal = calculator_.ResourceUtilizationReplicas(
        spec_replicas, static_cast<int32_t>(utilization->to_number<int64_t>()), resource, container, *metrics,
        pods);
    if (!proposal.ok())
      return Wrapped(proposal.status(), absl::StrCat("failed to get ", resource, " utilization: "));
    return Proposal{proposal->replicas, absl::StrCat(resource, kind, " utilization (percentage of request)"),
                    status_of(json::object{{"averageValue", MilliQuantity(proposal->raw_average)},
                                           {"averageUtilization", proposal->utilization}})};
  }
  return absl::InvalidArgumentError(
      "invalid resource metric source: neither an average utilization target nor an average value (usage) "
      "target "
      "was set");
}

absl::Status HorizontalReconciler::WriteStatus(Sync& sync, int32_t current, int32_t desired,
                                               const std::vector<json::value>& metrics, bool rescaled) {
  json::object& status = base::EnsureObject(sync.hpa, {"status"});
  status["currentReplicas"] = current;
  status["desiredReplicas"] = desired;
  if (metrics.empty()) {
    status.erase("currentMetrics");
  } else {
    status["currentMetrics"] = json::array(metrics.begin(), metrics.end());
  }
  if (rescaled) status["lastScaleTime"] = base::FormatRfc3339(sync.now);
  const json::value* old = base::Find(*sync.base, "status");
  if (old != nullptr && *old == json::value(status)) return absl::OkStatus();
  auto written = client_->Update(HpaResource(), sync.ns, sync.hpa, "status");
  if (!written.ok()) {
    spdlog::warn("hpa {}: status update failed: {}", sync.key, written.status().ToString());
    return written.status();
  }
  return absl::OkStatus();
}

}  // namespace skiff::controllers::podautoscaler
