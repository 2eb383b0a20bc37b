#include "apiserver/metrics_api.h"

#include <future>
#include <vector>

#include "absl/strings/str_cat.h"
#include "api/label_selector.h"
#include "api/object_meta.h"
#include "api/resources.h"
#include "apiserver/pod_streams.h"
#include "apiserver/watch_cache.h"
#include "base/clock.h"
#include "base/json.h"
#include "http/errors.h"
#include "spdlog/spdlog.h"

namespace skiff::apiserver {

namespace json = boost::json;

namespace {

json::array Strings(std::initializer_list<const char*> v) {
  json::array out;
  for (const char* s : v) out.push_back(json::string(s));
  return out;
}

json::object Resource(const char* plural, const char* singular, const char* kind, bool namespaced) {
  return json::object{{"name", plural},
                      {"singularName", singular},
                      {"namespaced", namespaced},
                      {"kind", kind},
                      {"verbs", Strings({"get", "list"})}};
}

uint64_t Uint(const json::value& v, std::initializer_list<std::string_view> path) {
  const json::value* f = base::FindPath(v, path);
  if (!f) return 0;
  if (f->is_uint64()) return f->as_uint64();
  if (f->is_int64()) return f->as_int64() < 0 ? 0 : static_cast<uint64_t>(f->as_int64());
  if (f->is_double()) return f->as_double() < 0 ? 0 : static_cast<uint64_t>(f->as_double());
  return 0;
}

std::string Window(const json::value& summary) {
  const json::value* w = base::Find(summary, "windowSeconds");
  double seconds = w && w->is_number() ? w->to_number<double>() : 10.0;
  return absl::StrCat(static_cast<int64_t>(seconds + 0.5 < 1 ? 1 : seconds + 0.5), "s");
}

std::string SampleTime(const json::value& summary) {
  std::string t = base::GetString(summary, {"node", "cpu", "time"});
  return t.empty() ? base::FormatRfc3339(absl::Now()) : t;
}

json::object Metadata(const json::value& object, bool namespaced) {
  json::object meta{{"name", api::Name(object)}};
  if (namespaced) meta["namespace"] = api::Namespace(object);
  meta["creationTimestamp"] = base::FormatRfc3339(absl::Now());
  if (const json::value* labels = api::Labels(object); labels && labels->is_object()) {
    meta["labels"] = *labels;
  }
  return meta;
}

std::vector<ObjectPtr> ListAll(ResourceStorage* storage, const char* plural, const std::string& ns) {
  std::string prefix = ResourcePrefix("", plural);
  std::string key_prefix = ns.empty() ? prefix : absl::StrCat(prefix, ns, "/");
  bool more = false;
  return storage->cache()
      ->List(
          prefix, key_prefix, [](const CachedObject&) { return true; }, "", 0, &more)
      .objects;
}

}  // namespace

json::object MetricsAggregatedGroup() {
  auto resource = [](const char* plural, const char* singular, const char* kind, bool namespaced) {
    return json::object{
        {"resource", plural},
        {"responseKind",
         json::object{{"group", kMetricsGroup}, {"version", kMetricsVersion}, {"kind", kind}}},
        {"scope", namespaced ? "Namespaced" : "Cluster"},
        {"singularResource", singular},
        {"verbs", Strings({"get", "list"})}};
  };
  json::array resources{resource("nodes", "", "NodeMetrics", false),
                        resource("pods", "", "PodMetrics", true)};
  json::array versions{json::object{
      {"version", kMetricsVersion}, {"resources", std::move(resources)}, {"freshness", "Current"}}};
  return json::object{{"metadata", json::object{{"name", kMetricsGroup}}}, {"versions", std::move(versions)}};
}

json::object MetricsApiGroup() {
  std::string gv = absl::StrCat(kMetricsGroup, "/", kMetricsVersion);
  json::object version{{"groupVersion", gv}, {"version", kMetricsVersion}};
  return json::object{{"kind", "APIGroup"},
                      {"apiVersion", "v1"},
                      {"name", kMetricsGroup},
                      {"versions", json::array{version}},
                      {"preferredVersion", version}};
}

std::string MetricsResourceList() {
  json::object doc{{"kind", "APIResourceList"},
                   {"apiVersion", "v1"},
                   {"groupVersion", absl::StrCat(kMetricsGroup, "/", kMetricsVersion)},
                   {"resources", json::array{Resource("nodes", "", "NodeMetrics", false),
                                             Resource("pods", "", "PodMetrics", true)}}};
  return base::ToJson(doc);
}

std::string CpuQuantity(uint64_t nanocores) { return absl::StrCat(nanocores, "n"); }
std::string MemoryQuantity(uint64_t bytes) { return absl::StrCat(bytes / 1024, "Ki"); }

MetricsApi::MetricsApi(ResourceStorage* storage, MetricsApiOptions options)
    : storage_(storage), options_(std::move(options)) {}

json::value MetricsApi::Fetch(const json::value& node, const std::string& target) {
  absl::StatusOr<http::UpstreamEndpoint> endpoint = AgentEndpoint(node);
  if (!endpoint.ok()) return nullptr;
  endpoint->client_cert_file = options_.client_cert_file;
  endpoint->client_key_file = options_.client_key_file;
  http::UpstreamRequest request;
  request.target = target;
  request.headers.emplace_back("Accept", "application/json");
  absl::StatusOr<http::HttpResponse> resp = proxy_.Forward(*endpoint, request, options_.fetch_timeout);
  std::string name = api::Name(node);
  if (!resp.ok() || resp->status != 200 || resp->stream || resp->producer) {
    spdlog::warn("metrics: node {} {}: {}", name, target,
                 resp.ok() ? absl::StrCat("status ", resp->status) : resp.status().ToString());
    return nullptr;
  }
  absl::StatusOr<json::value> document = base::ParseJson(resp->body);
  if (!document.ok()) return nullptr;
  return std::move(*document);
}

std::map<std::string, json::value> MetricsApi::NodeDocuments(const std::string& target) {
  return Documents(ListAll(storage_, "nodes", ""), target);
}

std::map<std::string, json::value> MetricsApi::Documents(const std::vector<ObjectPtr>& nodes,
                                                         const std::string& target) {
  std::map<std::string, json::value> out;
  std::vector<std::pair<std::string, std::future<json::value>>> pending;
  absl::Time now = absl::Now();
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& n : nodes) {
      auto it = cache_.find({target, n->name});
      if (it != cache_.end() && now - it->second.fetched < options_.cache_ttl) {
        out[n->name] = it->second.document;
      } else {
        pending.emplace_back(n->name, std::async(std::launch::async,
                                                 [this, node = n->Parse(), target] { return Fetch(node, target); }));
      }
    }
  }
  for (auto& [name, f] : pending) {
    json::value document = f.get();
    std::lock_guard<std::mutex> lock(mu_);
    cache_[{target, name}] = NodeDocument{absl::Now(), document};
    out[name] = std::move(document);
  }
  return out;
}

http::HttpResponse MetricsApi::Handle(const http::HttpRequest& request, const RequestInfo& info) {
  if (info.version != kMetricsVersion || (info.resource != "pods" && info.resource != "nodes") ||
      !info.subresource.empty() || (info.resource == "nodes" && !info.namespace_name.empty())) {
    return http::ErrorResponse(
        api::ToStatus({404, "NotFound", "the server could not find the requested resource"}));
  }
  if (info.verb != "get" && info.verb != "list") {
    return http::ErrorResponse(api::MethodNotAllowedError(
        absl::StrCat("the server does not allow this method on the requested resource (", info.verb, " ",
                     info.resource, ".", kMetricsGroup, ")")));
  }
  absl::StatusOr<api::LabelSelector> selector = api::LabelSelector::Parse(request.Query("labelSelector"));
  if (!selector.ok())
    return http::ErrorResponse(api::BadRequestError(std::string(selector.status().message())));
  bool pods = info.resource == "pods";
  std::vector<ObjectPtr> nodes = ListAll(storage_, "nodes", "");
  std::map<std::string, json::value> summaries = Documents(nodes, "/stats/summary");

  json::array items;
  if (pods) {
    // ns/name -> (pod metrics from the agents)
    std::map<std::string, std::pair<const json::value*, const json::value*>> usage;  // (pod stats, summary)
    for (const auto& [node, summary] : summaries) {
      const json::value* list = base::Find(summary, "pods");
      if (!list || !list->is_array()) continue;
      for (const auto& p : list->as_array()) {
        usage[absl::StrCat(base::GetString(p, {"podRef", "namespace"}), "/",
                           base::GetString(p, {"podRef", "name"}), "/",
                           base::GetString(p, {"podRef", "uid"}))] = {&p, &summary};
      }
    }
    for (const auto& obj : ListAll(storage_, "pods", info.namespace_name)) {
      if (!info.name.empty() && obj->name != info.name) continue;
      if (!selector->Matches(&obj->labels)) continue;
      json::value pod = obj->Parse();
      auto it = usage.find(absl::StrCat(obj->namespace_name, "/", obj->name, "/", api::Uid(pod)));
      if (it == usage.end()) continue;
      json::array containers;
      if (const json::value* cs = base::Find(*it->second.first, "containers"); cs && cs->is_array()) {
        for (const auto& c : cs->as_array()) {
          containers.push_back(json::object{
              {"name", base::GetString(c, {"name"})},
              {"usage", json::object{{"cpu", CpuQuantity(Uint(c, {"cpu", "usageNanoCores"}))},
                                     {"memory", MemoryQuantity(Uint(c, {"memory", "workingSetBytes"}))}}}});
        }
      }
      items.push_back(json::object{{"metadata", Metadata(pod, true)},
                                   {"timestamp", SampleTime(*it->second.second)},
                                   {"window", Window(*it->second.second)},
                                   {"containers", std::move(containers)}});
    }
  } else {
    for (const auto& obj : nodes) {
      if (!info.name.empty() && obj->name != info.name) continue;
      if (!selector->Matches(&obj->labels)) continue;
      auto it = summaries.find(obj->name);
      if (it == summaries.end() || !it->second.is_object()) continue;
      const json::value& s = it->second;
      items.push_back(json::object{
          {"metadata", Metadata(obj->Parse(), false)},
          {"timestamp", SampleTime(s)},
          {"window", Window(s)},
          {"usage",
           json::object{{"cpu", CpuQuantity(Uint(s, {"node", "cpu", "usageNanoCores"}))},
                        {"memory", MemoryQuantity(Uint(s, {"node", "memory", "workingSetBytes"}))}}}});
    }
  }
  const char* kind = pods ? "PodMetrics" : "NodeMetrics";
  std::string api_version = absl::StrCat(kMetricsGroup, "/", kMetricsVersion);
  if (!info.name.empty()) {
    if (items.empty()) {
      return http::ErrorResponse(
          api::NotFoundError(kMetricsGroup, pods ? "podmetrics" : "nodemetrics", info.name));
    }
    json::object item = std::move(items[0].as_object());
    json::object doc{{"kind", kind}, {"apiVersion", api_version}};
    for (auto& [k, v] : item) doc[k] = std::move(v);
    return http::HttpResponse{.status = 200, .content_type = "application/json", .body = base::ToJson(doc)};
  }
  for (auto& item : items) {
    item.as_object()["kind"] = kind;
    item.as_object()["apiVersion"] = api_version;
  }
  json::object list{{"kind", absl::StrCat(kind, "List")},
                    {"apiVersion", api_version},
                    {"metadata", json::object()},
                    {"items", std::move(items)}};
  return http::HttpResponse{.status = 200, .content_type = "application/json", .body = base::ToJson(list)};
}

}  // namespace skiff::apiserver
