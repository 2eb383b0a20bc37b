#include "apiserver/aggregated_discovery.h"

#include <algorithm>
#include <map>
#include <regex>

#include "absl/strings/numbers.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

struct Group {
  std::string name;
  int64_t priority = 0;
  std::vector<const AggregatedGroupVersion*> versions;  // sorted
};

// Groups in discovery order, each with its versions in order.
std::vector<Group> SortedGroups(const std::vector<AggregatedGroupVersion>& aggregated) {
  std::map<std::string, Group> by_name;
  for (const auto& gv : aggregated) {
    Group& g = by_name[gv.service.group];
    g.name = gv.service.group;
    g.priority = std::max(g.priority, gv.service.group_priority_minimum);
    g.versions.push_back(&gv);
  }
  std::vector<Group> groups;
  for (auto& [name, g] : by_name) {
    std::sort(g.versions.begin(), g.versions.end(), [](const auto* a, const auto* b) {
      if (a->service.version_priority != b->service.version_priority)
        return a->service.version_priority > b->service.version_priority;
      return KubeVersionLess(a->service.version, b->service.version);
    });
    groups.push_back(std::move(g));
  }
  std::stable_sort(groups.begin(), groups.end(),
                   [](const Group& a, const Group& b) { return a.priority > b.priority; });
  return groups;
}

json::object ApiGroup(const Group& g) {
  json::array versions;
  for (const auto* gv : g.versions) {
    versions.push_back(json::object{{"groupVersion", g.name + "/" + gv->service.version},
                                    {"version", gv->service.version}});
  }
  json::value preferred = versions.front();
  return json::object{{"name", g.name}, {"versions", std::move(versions)}, {"preferredVersion", std::move(preferred)}};
}

// Removes the entries of `items` whose name (at `path`) is one of the aggregated groups.
void DropReplaced(json::array& items, const std::vector<Group>& groups,
                  std::initializer_list<std::string_view> path) {
  auto replaced = [&](const json::value& item) {
    std::string name = base::GetString(item, path);
    return std::any_of(groups.begin(), groups.end(), [&](const Group& g) { return g.name == name; });
  };
  items.erase(std::remove_if(items.begin(), items.end(), replaced), items.end());
}

json::array Strings(const json::value* v) { return v && v->is_array() ? v->get_array() : json::array(); }

// One APIResourceList entry as an aggregated discovery resource (subresources go to their parent).
json::object DiscoveryResource(const json::value& r, const std::string& group, const std::string& version) {
  json::object o;
  o["resource"] = base::GetString(r, {"name"});
  o["responseKind"] = json::object{{"group", base::GetString(r, {"group"}, group)},
                                   {"version", base::GetString(r, {"version"}, version)},
                                   {"kind", base::GetString(r, {"kind"})}};
  o["scope"] = base::GetBool(r, {"namespaced"}) ? "Namespaced" : "Cluster";
  o["singularResource"] = base::GetString(r, {"singularName"});
  o["verbs"] = Strings(base::FindPath(r, {"verbs"}));
  if (const auto* s = base::FindPath(r, {"shortNames"}); s && s->is_array()) o["shortNames"] = s->get_array();
  if (const auto* c = base::FindPath(r, {"categories"}); c && c->is_array()) o["categories"] = c->get_array();
  return o;
}

json::array DiscoveryResources(const json::value& list, const std::string& group, const std::string& version) {
  json::array out;
  const auto* resources = base::FindPath(list, {"resources"});
  if (!resources || !resources->is_array()) return out;
  for (const auto& r : resources->get_array()) {
    std::string name = base::GetString(r, {"name"});
    if (name.find('/') == std::string::npos) out.push_back(DiscoveryResource(r, group, version));
  }
  for (const auto& r : resources->get_array()) {
    std::string name = base::GetString(r, {"name"});
    auto slash = name.find('/');
    if (slash == std::string::npos) continue;
    for (auto& parent : out) {
      if (base::GetString(parent, {"resource"}) != name.substr(0, slash)) continue;
      json::object sub{{"subresource", name.substr(slash + 1)},
                       {"responseKind", json::object{{"group", base::GetString(r, {"group"}, group)},
                                                     {"version", base::GetString(r, {"version"}, version)},
                                                     {"kind", base::GetString(r, {"kind"})}}},
                       {"verbs", Strings(base::FindPath(r, {"verbs"}))}};
      auto& subs = parent.as_object()["subresources"];
      if (!subs.is_array()) subs.emplace_array();
      subs.as_array().push_back(std::move(sub));
    }
  }
  return out;
}

}  // namespace

bool KubeVersionLess(const std::string& a, const std::string& b) {
  static const std::regex kVersion("^v([0-9]+)(?:(alpha|beta)([0-9]+))?$");
  struct Parsed {
    bool ok = false;
    int stability = 0;  // 2 GA, 1 beta, 0 alpha
    int64_t major = 0, minor = 0;
  };
  auto parse = [](const std::string& v) {
    Parsed p;
    std::smatch m;
    if (!std::regex_match(v, m, kVersion)) return p;
    p.ok = absl::SimpleAtoi(m[1].str(), &p.major);
    p.stability = !m[2].matched ? 2 : m[2].str() == "beta" ? 1 : 0;
    if (m[3].matched) p.ok = p.ok && absl::SimpleAtoi(m[3].str(), &p.minor);
    return p;
  };
  Parsed pa = parse(a), pb = parse(b);
  if (pa.ok != pb.ok) return pa.ok;
  if (!pa.ok) return a < b;
  if (pa.stability != pb.stability) return pa.stability > pb.stability;
  if (pa.major != pb.major) return pa.major > pb.major;
  return pa.minor > pb.minor;
}

std::string MergeApiGroupList(const std::string& local, const std::vector<AggregatedGroupVersion>& aggregated) {
  if (aggregated.empty()) return local;
  auto doc = base::ParseJson(local);
  if (!doc.ok() || !doc->is_object()) return local;
  json::value& groups = doc->as_object()["groups"];
  if (!groups.is_array()) groups.emplace_array();
  std::vector<Group> sorted = SortedGroups(aggregated);
  DropReplaced(groups.as_array(), sorted, {"name"});
  for (const Group& g : sorted) groups.as_array().push_back(ApiGroup(g));
  return base::ToJson(*doc);
}

std::string MergeAggregatedDiscovery(const std::string& local,
                                     const std::vector<AggregatedGroupVersion>& aggregated) {
  if (aggregated.empty()) return local;
  auto doc = base::ParseJson(local);
  if (!doc.ok() || !doc->is_object()) return local;
  json::value& items = doc->as_object()["items"];
  if (!items.is_array()) items.emplace_array();
  std::vector<Group> sorted = SortedGroups(aggregated);
  DropReplaced(items.as_array(), sorted, {"metadata", "name"});
  for (const Group& g : sorted) {
    json::array versions;
    for (const auto* gv : g.versions) {
      if (gv->resources.is_null()) continue;
      versions.push_back(json::object{{"version", gv->service.version},
                                      {"resources", DiscoveryResources(gv->resources, g.name, gv->service.version)},
                                      {"freshness", gv->stale ? "Stale" : "Current"}});
    }
    if (versions.empty()) continue;
    items.as_array().push_back(
        json::object{{"metadata", json::object{{"name", g.name}}}, {"versions", std::move(versions)}});
  }
  return base::ToJson(*doc);
}

std::optional<std::string> AggregatedApiGroup(const std::string& group,
                                              const std::vector<AggregatedGroupVersion>& aggregated) {
  for (const Group& g : SortedGroups(aggregated)) {
    if (g.name != group) continue;
    json::object o = ApiGroup(g);
    o["kind"] = "APIGroup";
    o["apiVersion"] = "v1";
    return base::ToJson(o);
  }
  return std::nullopt;
}

}  // namespace skiff::apiserver
