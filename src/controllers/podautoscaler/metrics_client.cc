#include "controllers/podautoscaler/metrics_client.h"

#include "absl/strings/str_cat.h"
#include "api/quantity.h"
#include "api/resources.h"
#include "base/clock.h"
#include "base/json.h"
#include "client/client.h"
#include "client/rest/rest_client.h"

namespace skiff::controllers::podautoscaler {
namespace {

using Query = std::vector<std::pair<std::string, std::string>>;

const boost::json::array* Items(const boost::json::value& list) {
  const boost::json::value* items = base::Find(list, "items");
  return items != nullptr && items->is_array() ? &items->get_array() : nullptr;
}

absl::Time TimestampOf(const boost::json::value& item) {
  absl::Time t = absl::InfinitePast();
  if (!base::ParseRfc3339(base::GetString(item, {"timestamp"}), &t)) return absl::InfinitePast();
  return t;
}

// PodMetrics.window is a Go duration ("10.5s"); custom metrics carry windowSeconds.
absl::Duration WindowOf(const boost::json::value& item) {
  absl::Duration d;
  if (absl::ParseDuration(base::GetString(item, {"window"}), &d)) return d;
  const boost::json::value* seconds = base::Find(item, "windowSeconds");
  if (seconds != nullptr && seconds->is_number()) return absl::Seconds(seconds->to_number<double>());
  return absl::ZeroDuration();
}

absl::StatusOr<int64_t> MilliValueAt(const boost::json::value& v,
                                     std::initializer_list<std::string_view> path) {
  const boost::json::value* q = base::FindPath(v, path);
  if (q == nullptr) return absl::InvalidArgumentError("the metric has no value");
  auto quantity = api::Quantity::FromJson(*q);
  if (!quantity.ok()) return quantity.status();
  return quantity->MilliValue();
}

// One value per item of a MetricValueList (custom) or ExternalMetricValueList.
absl::StatusOr<std::vector<std::pair<const boost::json::value*, int64_t>>> Values(
    const boost::json::value& list) {
  const boost::json::array* items = Items(list);
  if (items == nullptr) return absl::InvalidArgumentError("the metrics API answered without items");
  std::vector<std::pair<const boost::json::value*, int64_t>> values;
  for (const auto& item : *items) {
    auto value = MilliValueAt(item, {"value"});
    if (!value.ok()) return value.status();
    values.emplace_back(&item, *value);
  }
  return values;
}

absl::Status Wrap(const absl::Status& status, const std::string& prefix) {
  return absl::Status(status.code(), absl::StrCat(prefix, status.message()));
}

}  // namespace

absl::StatusOr<PodMetrics> MetricsClient::ResourceMetric(const std::string& ns, const std::string& selector,
                                                         const std::string& resource,
                                                         const std::string& container) const {
  std::string path = absl::StrCat("/apis/metrics.k8s.io/v1beta1/namespaces/", client::PercentEncode(ns),
                                  "/pods", client::EncodeQuery(Query{{"labelSelector", selector}}));
  auto list = get_(path);
  if (!list.ok()) return Wrap(list.status(), "unable to fetch metrics from resource metrics API: ");
  const boost::json::array* items = Items(*list);
  if (items == nullptr || items->empty()) {
    return absl::NotFoundError(
        "unable to fetch metrics from resource metrics API: no metrics returned from "
        "resource metrics API");
  }
  PodMetrics metrics;
  for (const auto& pod : *items) {
    const boost::json::value* containers = base::Find(pod, "containers");
    if (containers == nullptr || !containers->is_array() || containers->get_array().empty()) continue;
    int64_t sum = 0;
    bool missing = false, found = container.empty();
    for (const auto& c : containers->get_array()) {
      if (!container.empty() && base::GetString(c, {"name"}) != container) continue;
      found = true;
      auto value = MilliValueAt(c, {"usage", resource});
      if (!value.ok()) {
        missing = true;
        break;
      }
      sum += *value;
    }
    if (missing || !found) continue;
    metrics[base::GetString(pod, {"metadata", "name"})] = PodMetric{TimestampOf(pod), WindowOf(pod), sum};
  }
  return metrics;
}

absl::StatusOr<boost::json::value> MetricsClient::CustomGet(const std::string& path_and_query) const {
  auto v2 = get_("/apis/custom.metrics.k8s.io/v1beta2/" + path_and_query);
  if (v2.ok() || client::HttpCode(v2.status()) != 404) return v2;
  auto v1 = get_("/apis/custom.metrics.k8s.io/v1beta1/" + path_and_query);
  if (v1.ok() || client::HttpCode(v1.status()) != 404) return v1;
  return v2;
}

absl::StatusOr<PodMetrics> MetricsClient::PodsMetric(const std::string& ns, const std::string& name,
                                                     const std::string& selector,
                                                     const std::string& metric_selector) const {
  Query query{{"labelSelector", selector}};
  if (!metric_selector.empty()) query.emplace_back("metricLabelSelector", metric_selector);
  auto list = CustomGet(absl::StrCat("namespaces/", client::PercentEncode(ns), "/pods/*/",
                                     client::PercentEncode(name), client::EncodeQuery(query)));
  if (!list.ok()) return Wrap(list.status(), "unable to fetch metrics from custom metrics API: ");
  auto values = Values(*list);
  if (!values.ok()) return Wrap(values.status(), "unable to fetch metrics from custom metrics API: ");
  if (values->empty()) return absl::NotFoundError("no metrics returned from custom metrics API");
  PodMetrics metrics;
  for (const auto& [item, value] : *values) {
    metrics[base::GetString(*item, {"describedObject", "name"})] =
        PodMetric{TimestampOf(*item), WindowOf(*item), value};
  }
  return metrics;
}

absl::StatusOr<std::pair<int64_t, absl::Time>> MetricsClient::ObjectMetric(
    const std::string& ns, const std::string& name, const std::string& api_version, const std::string& kind,
    const std::string& object_name, const std::string& metric_selector) const {
  std::string object_path;
  if (kind == "Namespace" && api_version == "v1") {
    object_path = absl::StrCat("namespaces/", client::PercentEncode(object_name), "/metrics/");
  } else {
    const api::ResourceInfo* r = api::FindResourceByApiVersionKind(api_version, kind);
    if (r == nullptr) {
      return absl::NotFoundError(
          absl::StrCat("unable to map kind ", kind, " of ", api_version, " to a resource"));
    }
    std::string resource = r->group.empty() ? r->plural : absl::StrCat(r->plural, ".", r->group);
    object_path = absl::StrCat("namespaces/", client::PercentEncode(ns), "/", resource, "/",
                               client::PercentEncode(object_name), "/");
  }
  Query query;
  if (!metric_selector.empty()) query.emplace_back("metricLabelSelector", metric_selector);
  auto list = CustomGet(object_path + client::PercentEncode(name) + client::EncodeQuery(query));
  if (!list.ok()) return Wrap(list.status(), "unable to fetch metrics from custom metrics API: ");
  // A single object answers with one MetricValue (v1beta2 lists it as the only item).
  const boost::json::value* item = &*list;
  if (const boost::json::array* items = Items(*list)) {
    if (items->empty()) return absl::NotFoundError("no metrics returned from custom metrics API");
    item = &items->front();
  }
  auto value = MilliValueAt(*item, {"value"});
  if (!value.ok()) return Wrap(value.status(), "unable to fetch metrics from custom metrics API: ");
  return std::make_pair(*value, TimestampOf(*item));
}

absl::StatusOr<std::pair<std::vector<int64_t>, absl::Time>> MetricsClient::ExternalMetric(
    const std::string& ns, const std::string& name, const std::string& metric_selector) const {
  Query query;
  if (!metric_selector.empty()) query.emplace_back("labelSelector", metric_selector);
  auto list =
      get_(absl::StrCat("/apis/external.metrics.k8s.io/v1beta1/namespaces/", client::PercentEncode(ns), "/",
                        client::PercentEncode(name), client::EncodeQuery(query)));
  if (!list.ok()) return Wrap(list.status(), "unable to fetch metrics from external metrics API: ");
  auto values = Values(*list);
  if (!values.ok()) return Wrap(values.status(), "unable to fetch metrics from external metrics API: ");
  if (values->empty()) return absl::NotFoundError("no metrics returned from external metrics API");
  std::vector<int64_t> out;
  for (const auto& [item, value] : *values) out.push_back(value);
  return std::make_pair(std::move(out), TimestampOf(*values->front().first));
}

}  // namespace skiff::controllers::podautoscaler
