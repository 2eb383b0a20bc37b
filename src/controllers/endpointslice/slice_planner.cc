#include "controllers/endpointslice/slice_planner.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <utility>

#include "api/object_meta.h"
#include "base/json.h"

namespace skiff::controllers::endpointslice {
namespace {

namespace json = boost::json;

constexpr char kAddressType[] = "IPv4";

void SetIfNotEmpty(json::object& obj, const char* key, std::string value) {
  if (!value.empty()) obj[key] = std::move(value);
}

// A slice being kept (or created): its final ports and endpoints.
struct Working {
  json::value obj;  // the existing object, or null for a new slice
  std::string ports_key;
  json::array endpoints;
  bool changed = false;
};

const json::array* EndpointsOf(const json::value& slice) {
  const json::value* eps = base::Find(slice, "endpoints");
  return eps != nullptr && eps->is_array() ? &eps->get_array() : nullptr;
}

}  // namespace

json::array CanonicalPorts(const json::value* ports) {
  json::array out;
  if (ports == nullptr || !ports->is_array()) return out;
  for (const json::value& p : ports->get_array()) {
    json::object port;
    port["name"] = base::GetString(p, {"name"});
    if (const json::value* n = base::Find(p, "port"); n != nullptr && n->is_number())
      port["port"] = base::GetInt(p, {"port"});
    std::string protocol = base::GetString(p, {"protocol"});
    port["protocol"] = protocol.empty() ? "TCP" : protocol;
    SetIfNotEmpty(port, "appProtocol", base::GetString(p, {"appProtocol"}));
    out.push_back(std::move(port));
  }
  return out;
}

json::object CanonicalEndpoint(const json::value& endpoint) {
  json::object out;
  json::array addresses;
  if (const json::value* a = base::Find(endpoint, "addresses"); a != nullptr && a->is_array()) {
    for (const json::value& ip : a->get_array()) {
      if (ip.is_string()) addresses.push_back(ip);
    }
  }
  out["addresses"] = std::move(addresses);
  json::object conditions;
  for (const char* c : {"ready", "serving", "terminating"}) {
    const json::value* v = base::FindPath(endpoint, {"conditions", c});
    if (v != nullptr && v->is_bool()) conditions[c] = v->get_bool();
  }
  out["conditions"] = std::move(conditions);
  SetIfNotEmpty(out, "hostname", base::GetString(endpoint, {"hostname"}));
  if (const json::value* ref = base::Find(endpoint, "targetRef"); ref != nullptr && ref->is_object()) {
    json::object r;
    for (const char* field : {"kind", "namespace", "name", "uid"})
      SetIfNotEmpty(r, field, base::GetString(*ref, {field}));
    out["targetRef"] = std::move(r);
  }
  SetIfNotEmpty(out, "nodeName", base::GetString(endpoint, {"nodeName"}));
  SetIfNotEmpty(out, "zone", base::GetString(endpoint, {"zone"}));
  return out;
}

std::string EndpointId(const json::value& endpoint) {
  std::string uid = base::GetString(endpoint, {"targetRef", "uid"});
  if (!uid.empty()) return uid;
  const json::value* a = base::Find(endpoint, "addresses");
  if (a != nullptr && a->is_array() && !a->get_array().empty() && a->get_array()[0].is_string()) {
    return std::string(a->get_array()[0].get_string());
  }
  return "";
}

SlicePlan PlanSlices(const DesiredState& desired, const std::vector<client::Object>& existing) {
  SlicePlan plan;
  const size_t max = std::max<size_t>(desired.max_endpoints_per_slice, 1);
  std::vector<client::Object> sorted = existing;
  std::sort(sorted.begin(), sorted.end(),
            [](const client::Object& a, const client::Object& b) { return api::Name(*a) < api::Name(*b); });
  std::unordered_map<std::string, std::unordered_map<std::string, const DesiredEndpoint*>> by_id;
  for (const auto& [key, endpoints] : desired.groups) {
    auto& ids = by_id[key];
    for (const DesiredEndpoint& e : endpoints) ids.emplace(e.id, &e);
  }

  // 1. Keep what still belongs where it is.
  std::set<std::string> placed;
  std::vector<Working> kept;
  std::vector<client::Object> spare;  // slices to delete unless reused
  for (const client::Object& slice : sorted) {
    if (base::GetString(*slice, {"addressType"}) != kAddressType) {  // immutable: cannot be reused
      plan.deletes.push_back(api::Name(*slice));
      continue;
    }
    Working w{*slice, base::ToJson(CanonicalPorts(base::Find(*slice, "ports"))), {}, false};
    auto group = by_id.find(w.ports_key);
    if (group != by_id.end()) {
      if (const json::array* eps = EndpointsOf(*slice)) {
        for (const json::value& ep : *eps) {
          auto it = group->second.find(EndpointId(ep));
          if (it == group->second.end() || w.endpoints.size() >= max || !placed.insert(it->first).second) {
            w.changed = true;  // gone, duplicated or over the limit
            continue;
          }
          if (CanonicalEndpoint(ep) != it->second->value) w.changed = true;
          w.endpoints.push_back(it->second->value);
        }
      }
    }
    if (w.endpoints.empty()) {
      spare.push_back(slice);
    } else {
      kept.push_back(std::move(w));
    }
  }

  // 2. Place new endpoints: slices being updated anyway, then fullest slices with room, then
  // spare slices, then new slices.
  auto take_spare = [&](const std::string& ports_key) {
    Working w;
    w.ports_key = ports_key;
    w.changed = true;
    if (!spare.empty()) {
      w.obj = *spare.front();
      spare.erase(spare.begin());
    }
    return w;
  };
  for (const auto& [key, endpoints] : desired.groups) {
    std::vector<const DesiredEndpoint*> remaining;
    for (const DesiredEndpoint& e : endpoints) {
      if (!placed.count(e.id)) remaining.push_back(&e);
    }
    if (remaining.empty()) continue;
    std::vector<size_t> order;
    for (size_t i = 0; i < kept.size(); ++i) {
      if (kept[i].ports_key == key && kept[i].endpoints.size() < max) order.push_back(i);
    }
    std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
      if (kept[a].changed != kept[b].changed) return kept[a].changed;
      return kept[a].endpoints.size() > kept[b].endpoints.size();
    });
    size_t next = 0;
    auto fill = [&](Working& w) {
      while (next < remaining.size() && w.endpoints.size() < max) {
        w.endpoints.push_back(remaining[next++]->value);
        w.changed = true;
      }
    };
    for (size_t i : order) fill(kept[i]);
    while (next < remaining.size()) {
      Working w = take_spare(key);
      fill(w);
      kept.push_back(std::move(w));
    }
  }

  // 3. A Service without endpoints keeps one empty placeholder slice.
  if (kept.empty()) {
    bool reusable = !spare.empty();
    Working w = take_spare("[]");
    if (reusable) {
      const json::array* eps = EndpointsOf(w.obj);
      w.changed = (eps != nullptr && !eps->empty()) || !CanonicalPorts(base::Find(w.obj, "ports")).empty();
    }
    kept.push_back(std::move(w));
  }
  for (const client::Object& slice : spare) plan.deletes.push_back(api::Name(*slice));

  // 4. Emit writes, fixing labels and owner references on the way.
  for (Working& w : kept) {
    json::array ports;
    if (auto parsed = base::ParseJson(w.ports_key); parsed.ok() && parsed->is_array())
      ports = parsed->get_array();
    if (w.obj.is_null()) {
      w.obj = json::object{{"apiVersion", "discovery.k8s.io/v1"},
                           {"kind", "EndpointSlice"},
                           {"metadata", json::object{{"generateName", desired.generate_name},
                                                     {"namespace", desired.ns},
                                                     {"labels", desired.labels},
                                                     {"ownerReferences", desired.owner_references}}},
                           {"addressType", kAddressType},
                           {"ports", std::move(ports)},
                           {"endpoints", std::move(w.endpoints)}};
      plan.creates.push_back(std::move(w.obj));
      continue;
    }
    json::object& meta = base::EnsureObject(w.obj, {"metadata"});
    const json::value* labels = meta.if_contains("labels");
    if (labels == nullptr || !labels->is_object() || labels->get_object() != desired.labels) {
      meta["labels"] = desired.labels;
      w.changed = true;
    }
    const json::value* owners = meta.if_contains("ownerReferences");
    if (owners == nullptr || !owners->is_array() || owners->get_array() != desired.owner_references) {
      meta["ownerReferences"] = desired.owner_references;
      w.changed = true;
    }
    if (!w.changed) continue;
    w.obj.as_object()["ports"] = std::move(ports);
    w.obj.as_object()["endpoints"] = std::move(w.endpoints);
    plan.updates.push_back(std::move(w.obj));
  }
  return plan;
}

}  // namespace skiff::controllers::endpointslice
