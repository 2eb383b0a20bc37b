#include "api/conversion.h"

#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

namespace json = boost::json;

// autoscaling/v2 -> v1: the CPU utilization metric becomes targetCPUUtilizationPercentage.
json::value HpaV2ToV1(const json::value& in) {
  json::value out = in;
  auto& o = out.as_object();
  if (auto* spec = o.if_contains("spec"); spec && spec->is_object()) {
    auto& s = spec->as_object();
    if (const auto* metrics = s.if_contains("metrics"); metrics && metrics->is_array()) {
      for (const auto& m : metrics->get_array()) {
        if (base::GetString(m, {"type"}) == "Resource" && base::GetString(m, {"resource", "name"}) == "cpu" &&
            base::GetString(m, {"resource", "target", "type"}) == "Utilization") {
          s["targetCPUUtilizationPercentage"] = base::GetInt(m, {"resource", "target", "averageUtilization"});
        }
      }
    }
    s.erase("metrics");
    s.erase("behavior");
  }
  if (auto* status = o.if_contains("status"); status && status->is_object()) {
    auto& st = status->as_object();
    if (const auto* current = st.if_contains("currentMetrics"); current && current->is_array()) {
      for (const auto& m : current->get_array()) {
        if (base::GetString(m, {"type"}) == "Resource" && base::GetString(m, {"resource", "name"}) == "cpu" &&
            base::FindPath(m, {"resource", "current", "averageUtilization"})) {
          st["currentCPUUtilizationPercentage"] = base::GetInt(m, {"resource", "current", "averageUtilization"});
        }
      }
    }
    st.erase("currentMetrics");
    st.erase("conditions");
  }
  return out;
}

// autoscaling/v1 -> v2: targetCPUUtilizationPercentage becomes a Resource metric.
json::value HpaV1ToV2(const json::value& in) {
  json::value out = in;
  auto& o = out.as_object();
  if (auto* spec = o.if_contains("spec"); spec && spec->is_object()) {
    auto& s = spec->as_object();
    if (const auto* target = s.if_contains("targetCPUUtilizationPercentage"); target && target->is_number()) {
      json::object metric{{"type", "Resource"},
                          {"resource", json::object{{"name", "cpu"},
                                                    {"target", json::object{{"type", "Utilization"},
                                                                            {"averageUtilization", *target}}}}}};
      s["metrics"] = json::array{std::move(metric)};
    }
    s.erase("targetCPUUtilizationPercentage");
  }
  if (auto* status = o.if_contains("status"); status && status->is_object()) {
    auto& st = status->as_object();
    if (const auto* current = st.if_contains("currentCPUUtilizationPercentage"); current && current->is_number()) {
      st["currentMetrics"] = json::array{json::object{
          {"type", "Resource"},
          {"resource", json::object{{"name", "cpu"}, {"current", json::object{{"averageUtilization", *current}}}}}}};
    }
    st.erase("currentCPUUtilizationPercentage");
  }
  return out;
}

}  // namespace

const ResourceInfo& StorageVersionOf(const ResourceInfo& resource) {
  if (resource.custom) {
    // A custom resource's storage version is the CRD's, not necessarily the preferred one.
    if (resource.version == resource.custom->storage_version) return resource;
    for (const auto& r : AllResources()) {
      if (r.group == resource.group && r.plural == resource.plural && r.version == resource.custom->storage_version)
        return r;
    }
    return resource;
  }
  for (const auto& r : AllResources()) {
    if (r.group == resource.group && r.plural == resource.plural) return r;  // first listed wins
  }
  return resource;
}

json::value ConvertObject(const json::value& obj, const ResourceInfo& from, const ResourceInfo& to) {
  if (from.version == to.version || !obj.is_object()) return obj;
  json::value out = obj;
  if (from.group == "autoscaling" && from.kind == "HorizontalPodAutoscaler") {
    out = to.version == "v1" ? HpaV2ToV1(obj) : HpaV1ToV2(obj);
  }
  out.as_object()["apiVersion"] = to.GroupVersion();
  return out;
}

}  // namespace skiff::api
