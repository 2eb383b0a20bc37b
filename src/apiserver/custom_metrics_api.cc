#include "apiserver/custom_metrics_api.h"

#include <cmath>
#include <map>

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/label_selector.h"
#include "apiserver/key_layout.h"
#include "apiserver/watch_cache.h"
#include "base/clock.h"
#include "base/json.h"
#include "http/errors.h"

namespace skiff::apiserver {

namespace json = boost::json;

namespace {

constexpr const char* kVersions[] = {"v1beta2", "v1beta1"};  // preferred first

json::object ServicesResource() {
  return json::object{{"name", absl::StrCat("services/", kRequestsPerSecondMetric)},
                      {"singularName", ""},
                      {"namespaced", true},
                      {"kind", "MetricValueList"},
                      {"verbs", json::array{"get"}}};
}

http::HttpResponse NotFound(const std::string& message) {
  return http::ErrorResponse(api::ToStatus({404, "NotFound", message}));
}

}  // namespace

bool IsCustomMetricsVersion(const std::string& version) {
  return version == kVersions[0] || version == kVersions[1];
}

json::object CustomMetricsAggregatedGroup() {
  json::array versions;
  for (const char* version : kVersions) {
    json::array resources{json::object{
        {"resource", absl::StrCat("services/", kRequestsPerSecondMetric)},
        {"responseKind", json::object{{"group", kCustomMetricsGroup}, {"version", version}, {"kind", "MetricValueList"}}},
        {"scope", "Namespaced"},
        {"singularResource", ""},
        {"verbs", json::array{"get"}}}};
    versions.push_back(json::object{{"version", version}, {"resources", std::move(resources)}, {"freshness", "Current"}});
  }
  return json::object{{"metadata", json::object{{"name", kCustomMetricsGroup}}}, {"versions", std::move(versions)}};
}

json::object CustomMetricsApiGroup() {
  json::array versions;
  for (const char* version : kVersions) {
    versions.push_back(json::object{{"groupVersion", absl::StrCat(kCustomMetricsGroup, "/", version)}, {"version", version}});
  }
  json::value preferred = versions.front();
  return json::object{{"kind", "APIGroup"},
                      {"apiVersion", "v1"},
                      {"name", kCustomMetricsGroup},
                      {"versions", std::move(versions)},
                      {"preferredVersion", std::move(preferred)}};
}

std::string CustomMetricsResourceList(const std::string& version) {
  return base::ToJson(json::object{{"kind", "APIResourceList"},
                                   {"apiVersion", "v1"},
                                   {"groupVersion", absl::StrCat(kCustomMetricsGroup, "/", version)},
                                   {"resources", json::array{ServicesResource()}}});
}

http::HttpResponse CustomMetricsApi::Handle(const http::HttpRequest& request, const RequestInfo& info) {
  if (!IsCustomMetricsVersion(info.version) || info.resource != "services" || info.namespace_name.empty() ||
      info.name.empty() || info.subresource.empty()) {
    return NotFound("the server could not find the requested resource");
  }
  if (info.verb != "get" && info.verb != "list") {
    return http::ErrorResponse(api::MethodNotAllowedError(
        absl::StrCat("the server does not allow this method on the requested resource (", info.verb, ")")));
  }
  if (info.subresource != kRequestsPerSecondMetric) {
    return NotFound(absl::StrCat("the server could not find the metric ", info.subresource, " for services"));
  }
  // metricLabelSelector narrows series; this metric has no labels, so only an empty one matches.
  absl::StatusOr<api::LabelSelector> selector = api::LabelSelector::Parse(request.Query("labelSelector"));
  if (!selector.ok()) return http::ErrorResponse(api::BadRequestError(std::string(selector.status().message())));
  absl::StatusOr<api::LabelSelector> metric_selector =
      api::LabelSelector::Parse(request.Query("metricLabelSelector"));
  if (!metric_selector.ok())
    return http::ErrorResponse(api::BadRequestError(std::string(metric_selector.status().message())));

  const std::string prefix = ResourcePrefix("", "services");
  bool more = false;
  std::vector<ObjectPtr> services =
      storage_->cache()
          ->List(prefix, absl::StrCat(prefix, info.namespace_name, "/"), [](const CachedObject&) { return true; }, "",
                 0, &more)
          .objects;
  std::erase_if(services, [&](const ObjectPtr& s) {
    return (info.name != "*" && s->name != info.name) || !selector->Matches(&s->labels);
  });
  if (info.name != "*" && services.empty()) return http::ErrorResponse(api::NotFoundError("", "services", info.name));

  std::map<std::string, double> rates;  // service name -> requests per second, all nodes
  int64_t window = 0;
  for (const auto& [node, document] : nodes_->NodeDocuments("/stats/services")) {
    window = std::max<int64_t>(window, base::GetInt(document, {"windowSeconds"}));
    const json::value* list = base::Find(document, "services");
    if (list == nullptr || !list->is_array()) continue;
    for (const json::value& entry : list->get_array()) {
      if (base::GetString(entry, {"namespace"}) != info.namespace_name) continue;
      const json::value* rate = base::Find(entry, "requestsPerSecond");
      if (rate != nullptr && rate->is_number()) rates[base::GetString(entry, {"name"})] += rate->to_number<double>();
    }
  }
  const bool v1beta1 = info.version == "v1beta1";
  const std::string now = base::FormatRfc3339(absl::Now());
  json::array items;
  for (const ObjectPtr& service : services) {
    json::object item{{"describedObject", json::object{{"kind", "Service"},
                                                       {"namespace", info.namespace_name},
                                                       {"name", service->name},
                                                       {"apiVersion", "/v1"}}},
                      {"timestamp", now},
                      {"value", absl::StrCat(std::llround(rates[service->name] * 1000), "m")}};
    if (v1beta1) {
      item["metricName"] = kRequestsPerSecondMetric;
      if (window > 0) item["window"] = window;
    } else {
      item["metric"] = json::object{{"name", kRequestsPerSecondMetric}};
      if (window > 0) item["windowSeconds"] = window;
    }
    items.push_back(std::move(item));
  }
  json::object list{{"kind", "MetricValueList"},
                    {"apiVersion", absl::StrCat(kCustomMetricsGroup, "/", info.version)},
                    {"metadata", json::object()},
                    {"items", std::move(items)}};
  return http::HttpResponse{.status = 200, .content_type = "application/json", .body = base::ToJson(list)};
}

}  // namespace skiff::apiserver
