#include "apiserver/discovery.h"

#include <memory>
#include <mutex>

#include "api/resources.h"
#include "apiserver/custom_metrics_api.h"
#include "apiserver/metrics_api.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

json::array Strings(const std::vector<std::string>& v) {
  json::array out;
  for (const auto& s : v) out.push_back(json::string(s));
  return out;
}

json::object Gvk(const api::KindRef& gvk) {
  return {{"group", gvk.group}, {"version", gvk.version}, {"kind", gvk.kind}};
}

json::object AggregatedResource(const api::ResourceInfo& r) {
  json::object o;
  o["resource"] = r.plural;
  o["responseKind"] = Gvk({r.group, r.version, r.kind});
  o["scope"] = r.namespaced ? "Namespaced" : "Cluster";
  o["singularResource"] = r.singular;
  o["verbs"] = Strings(r.verbs);
  if (!r.short_names.empty()) o["shortNames"] = Strings(r.short_names);
  if (!r.categories.empty()) o["categories"] = Strings(r.categories);
  if (!r.subresources.empty()) {
    json::array subs;
    for (const auto& s : r.subresources) {
      subs.push_back(json::object{{"subresource", s.name}, {"responseKind", Gvk(s.response_kind)},
                                  {"verbs", Strings(s.verbs)}});
    }
    o["subresources"] = std::move(subs);
  }
  return o;
}

std::string BuildAggregated(bool core) {
  json::array items;
  for (const auto& g : api::AllGroups()) {
    if (core != g.group.empty()) continue;
    json::array versions;
    for (const auto& v : g.versions) {
      json::array resources;
      for (const auto& r : api::AllResources()) {
        if (r.group == g.group && r.version == v) resources.push_back(AggregatedResource(r));
      }
      versions.push_back(json::object{{"version", v}, {"resources", std::move(resources)}, {"freshness", "Current"}});
    }
    items.push_back(json::object{{"metadata", json::object{{"name", g.group}}}, {"versions", std::move(versions)}});
  }
  if (!core) {
    items.push_back(MetricsAggregatedGroup());  // served by MetricsApi, not stored
    items.push_back(CustomMetricsAggregatedGroup());  // served by CustomMetricsApi
  }
  json::object doc{{"kind", "APIGroupDiscoveryList"},
                   {"apiVersion", "apidiscovery.k8s.io/v2"},
                   {"metadata", json::object()},
                   {"items", std::move(items)}};
  return base::ToJson(doc);
}

json::object GroupObject(const api::GroupVersions& g) {
  json::array versions;
  for (const auto& v : g.versions) versions.push_back(json::object{{"groupVersion", g.group + "/" + v}, {"version", v}});
  json::object preferred{{"groupVersion", g.group + "/" + g.versions.front()}, {"version", g.versions.front()}};
  return json::object{{"name", g.group}, {"versions", std::move(versions)}, {"preferredVersion", std::move(preferred)}};
}

}  // namespace

const std::string& VersionDocument() {
  static const std::string* doc = new std::string(base::ToJson(json::object{
      {"major", "1"},
      {"minor", "32"},
      {"gitVersion", "v1.32.4-skiff"},
      {"gitCommit", "0000000000000000000000000000000000000000"},
      {"gitTreeState", "clean"},
      {"buildDate", "2026-11-25T00:00:00Z"},
      {"goVersion", "go1.23.6"},
      {"compiler", "gc"},
      {"platform", "linux/amd64"}}));
  return *doc;
}

namespace {

// The root documents of one catalogue generation.
struct RootDocuments {
  uint64_t generation = 0;
  std::string core, groups, legacy_groups;
};

std::string BuildLegacyGroupList() {
  json::array groups;
  for (const auto& g : api::AllGroups()) {
    if (!g.group.empty()) groups.push_back(GroupObject(g));
  }
  json::object metrics = MetricsApiGroup();  // served by MetricsApi, not stored
  metrics.erase("kind");
  metrics.erase("apiVersion");
  groups.push_back(std::move(metrics));
  json::object custom_metrics = CustomMetricsApiGroup();  // served by CustomMetricsApi
  custom_metrics.erase("kind");
  custom_metrics.erase("apiVersion");
  groups.push_back(std::move(custom_metrics));
  return base::ToJson(json::object{{"kind", "APIGroupList"}, {"apiVersion", "v1"}, {"groups", std::move(groups)}});
}

std::shared_ptr<const RootDocuments> Roots() {
  static std::mutex mu;
  static std::shared_ptr<const RootDocuments> cached;
  uint64_t generation = api::ResourcesGeneration();
  std::lock_guard<std::mutex> lock(mu);
  if (!cached || cached->generation != generation) {
    auto docs = std::make_shared<RootDocuments>();
    docs->generation = generation;
    docs->core = BuildAggregated(true);
    docs->groups = BuildAggregated(false);
    docs->legacy_groups = BuildLegacyGroupList();
    cached = std::move(docs);
  }
  return cached;
}

}  // namespace

std::string AggregatedDiscovery(bool core) {
  auto roots = Roots();
  return core ? roots->core : roots->groups;
}

const std::string& LegacyApiVersions(const std::string& server_address) {
  static const std::string* doc = new std::string(base::ToJson(json::object{
      {"kind", "APIVersions"},
      {"versions", json::array{"v1"}},
      {"serverAddressByClientCIDRs",
       json::array{json::object{{"clientCIDR", "0.0.0.0/0"}, {"serverAddress", server_address}}}}}));
  return *doc;
}

std::string LegacyApiGroupList() { return Roots()->legacy_groups; }

std::optional<std::string> LegacyApiGroup(const std::string& group) {
  if (group == kMetricsGroup) return base::ToJson(MetricsApiGroup());
  if (group == kCustomMetricsGroup) return base::ToJson(CustomMetricsApiGroup());
  for (const auto& g : api::AllGroups()) {
    if (g.group == group && !group.empty()) {
      json::object o = GroupObject(g);
      o["kind"] = "APIGroup";
      o["apiVersion"] = "v1";
      return base::ToJson(o);
    }
  }
  return std::nullopt;
}

std::optional<std::string> LegacyResourceList(const std::string& group, const std::string& version) {
  if (group == kMetricsGroup && version == kMetricsVersion) return MetricsResourceList();
  if (group == kCustomMetricsGroup && IsCustomMetricsVersion(version)) return CustomMetricsResourceList(version);
  json::array resources;
  bool found = false;
  for (const auto& r : api::AllResources()) {
    if (r.group != group || r.version != version) continue;
    found = true;
    json::object o{{"name", r.plural},
                   {"singularName", r.singular},
                   {"namespaced", r.namespaced},
                   {"kind", r.kind},
                   {"verbs", Strings(r.verbs)}};
    if (!r.short_names.empty()) o["shortNames"] = Strings(r.short_names);
    if (!r.categories.empty()) o["categories"] = Strings(r.categories);
    resources.push_back(std::move(o));
    for (const auto& s : r.subresources) {
      json::object so{{"name", r.plural + "/" + s.name},
                      {"singularName", ""},
                      {"namespaced", r.namespaced},
                      {"kind", s.response_kind.kind},
                      {"verbs", Strings(s.verbs)}};
      if (s.response_kind.group != r.group || s.response_kind.version != r.version) {
        so["group"] = s.response_kind.group;
        so["version"] = s.response_kind.version;
      }
      resources.push_back(std::move(so));
    }
  }
  if (!found) return std::nullopt;
  std::string gv = group.empty() ? version : group + "/" + version;
  return base::ToJson(json::object{{"kind", "APIResourceList"},
                                   {"apiVersion", "v1"},
                                   {"groupVersion", gv},
                                   {"resources", std::move(resources)}});
}

bool WantsAggregatedDiscovery(const std::string& accept) {
  return accept.find("as=APIGroupDiscoveryList") != std::string::npos;
}

}  // namespace skiff::apiserver
