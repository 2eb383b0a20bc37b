#include "apiserver/quota/limits.h"

#include <cstdint>
#include <limits>
#include <set>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_format.h"
#include "absl/strings/str_join.h"
#include "api/quota/pod_resources.h"
#include "api/quota/resource_list.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::quota {
namespace {

namespace json = boost::json;
using api::Quantity;
using api::quota::ResourceList;

constexpr int64_t kMaxMilliValue = std::numeric_limits<int64_t>::max() / 1000;

// The items of a LimitRange's spec.limits of one type ("Container", "Pod", "PersistentVolumeClaim").
std::vector<const json::value*> ItemsOfType(const json::value& limit_range, const char* type) {
  std::vector<const json::value*> out;
  const auto* items = base::FindPath(limit_range, {"spec", "limits"});
  if (!items || !items->is_array()) return out;
  for (const auto& item : items->get_array()) {
    if (base::GetString(item, {"type"}) == type) out.push_back(&item);
  }
  return out;
}

ResourceList ItemList(const json::value& item, const char* field) {
  return api::quota::FromJson(base::Find(item, field));
}

// Kubernetes compares in milli-units when no value would overflow them, else in units.
struct Compared {
  int64_t request = 0, limit = 0, enforced = 0;
};
Compared AtCommonPrecision(const Quantity& request, const Quantity& limit, const Quantity& enforced) {
  Compared c{request.Value(), limit.Value(), enforced.Value()};
  if (c.request <= kMaxMilliValue && c.limit <= kMaxMilliValue && c.enforced <= kMaxMilliValue) {
    c = {request.MilliValue(), limit.MilliValue(), enforced.MilliValue()};
  }
  return c;
}

const Quantity* Lookup(const ResourceList& list, const std::string& name) {
  auto it = list.find(name);
  return it == list.end() ? nullptr : &it->second;
}

void CheckMin(const std::string& type, const std::string& name, const Quantity& enforced,
              const ResourceList& requests, const ResourceList& limits, std::vector<std::string>* out) {
  const Quantity* req = Lookup(requests, name);
  const Quantity* lim = Lookup(limits, name);
  Compared c = AtCommonPrecision(req ? *req : Quantity(), lim ? *lim : Quantity(), enforced);
  std::string head = absl::StrCat("minimum ", name, " usage per ", type, " is ", enforced.String());
  if (!req) {
    out->push_back(absl::StrCat(head, ".  No request is specified"));
  } else if (c.request < c.enforced) {
    out->push_back(absl::StrCat(head, ", but request is ", req->String()));
  } else if (lim && c.limit < c.enforced) {
    out->push_back(absl::StrCat(head, ", but limit is ", lim->String()));
  }
}

void CheckMax(const std::string& type, const std::string& name, const Quantity& enforced,
              const ResourceList& requests, const ResourceList& limits, std::vector<std::string>* out) {
  const Quantity* req = Lookup(requests, name);
  const Quantity* lim = Lookup(limits, name);
  Compared c = AtCommonPrecision(req ? *req : Quantity(), lim ? *lim : Quantity(), enforced);
  std::string head = absl::StrCat("maximum ", name, " usage per ", type, " is ", enforced.String());
  if (!lim) {
    out->push_back(absl::StrCat(head, ".  No limit is specified"));
  } else if (c.limit > c.enforced) {
    out->push_back(absl::StrCat(head, ", but limit is ", lim->String()));
  } else if (req && c.request > c.enforced) {
    out->push_back(absl::StrCat(head, ", but request is ", req->String()));
  }
}

// A claim's storage has no limit: its max applies to the request.
void CheckMaxRequest(const std::string& type, const std::string& name, const Quantity& enforced,
                     const ResourceList& requests, std::vector<std::string>* out) {
  const Quantity* req = Lookup(requests, name);
  Compared c = AtCommonPrecision(req ? *req : Quantity(), Quantity(), enforced);
  std::string head = absl::StrCat("maximum ", name, " usage per ", type, " is ", enforced.String());
  if (!req) {
    out->push_back(absl::StrCat(head, ".  No request is specified"));
  } else if (c.request > c.enforced) {
    out->push_back(absl::StrCat(head, ", but request is ", req->String()));
  }
}

void CheckRatio(const std::string& type, const std::string& name, const Quantity& enforced,
                const ResourceList& requests, const ResourceList& limits, std::vector<std::string>* out) {
  const Quantity* req = Lookup(requests, name);
  const Quantity* lim = Lookup(limits, name);
  Compared c = AtCommonPrecision(req ? *req : Quantity(), lim ? *lim : Quantity(), enforced);
  std::string head = absl::StrCat(name, " max limit to request ratio per ", type, " is ", enforced.String());
  if (!req || c.request == 0) {
    out->push_back(absl::StrCat(head, ", but no request is specified or request is 0"));
    return;
  }
  if (!lim || c.limit == 0) {
    out->push_back(absl::StrCat(head, ", but no limit is specified or limit is 0"));
    return;
  }
  double observed = static_cast<double>(c.limit) / static_cast<double>(c.request);
  double shown = observed;
  double allowed = static_cast<double>(enforced.Value());
  if (enforced.Value() <= kMaxMilliValue) {
    observed *= 1000;
    allowed = static_cast<double>(enforced.MilliValue());
  }
  if (observed > allowed) out->push_back(absl::StrFormat("%s, but provided ratio is %f", head, shown));
}

void CheckAll(const json::value& item, const std::string& type, const ResourceList& requests,
              const ResourceList& limits, std::vector<std::string>* out) {
  for (const auto& [name, q] : ItemList(item, "min")) CheckMin(type, name, q, requests, limits, out);
  for (const auto& [name, q] : ItemList(item, "max")) CheckMax(type, name, q, requests, limits, out);
  for (const auto& [name, q] : ItemList(item, "maxLimitRequestRatio")) {
    CheckRatio(type, name, q, requests, limits, out);
  }
}

// Sets what `defaults` has and `container.resources.<field>` lacks; returns the names set.
std::vector<std::string> Fill(json::value& container, const char* field, const ResourceList& defaults) {
  std::vector<std::string> set;
  if (defaults.empty()) return set;
  json::object& resources = base::EnsureObject(container, {"resources"});
  json::value& list = resources[field];
  if (!list.is_object()) list = json::object();
  for (const auto& [name, q] : defaults) {
    if (list.get_object().contains(name)) continue;
    list.get_object()[name] = q.String();
    set.push_back(name);  // sorted: defaults is a sorted map
  }
  return set;
}

}  // namespace

bool ApplyLimitRangeDefaults(const json::value& limit_range, json::value& pod) {
  ResourceList default_limits, default_requests;
  for (const json::value* item : ItemsOfType(limit_range, "Container")) {
    for (const auto& [name, q] : ItemList(*item, "default")) default_limits[name] = q;
    for (const auto& [name, q] : ItemList(*item, "defaultRequest")) default_requests[name] = q;
  }
  if (default_limits.empty() && default_requests.empty()) return false;
  json::value* spec = pod.is_object() ? pod.get_object().if_contains("spec") : nullptr;
  if (!spec || !spec->is_object()) return false;
  std::vector<std::string> notes;
  for (auto [list, what] :
       {std::pair{"containers", "container"}, std::pair{"initContainers", "init container"}}) {
    json::value* cs = spec->get_object().if_contains(list);
    if (!cs || !cs->is_array()) continue;
    for (json::value& c : cs->get_array()) {
      if (!c.is_object()) continue;
      std::string name = base::GetString(c, {"name"});
      std::vector<std::string> requests = Fill(c, "requests", default_requests);
      std::vector<std::string> limits = Fill(c, "limits", default_limits);
      if (!requests.empty())
        notes.push_back(absl::StrCat(absl::StrJoin(requests, ", "), " request for ", what, " ", name));
      if (!limits.empty())
        notes.push_back(absl::StrCat(absl::StrJoin(limits, ", "), " limit for ", what, " ", name));
    }
  }
  if (notes.empty()) return false;
  base::EnsureObject(pod, {"metadata", "annotations"})[kLimitRangerAnnotation] =
      absl::StrCat("LimitRanger plugin set: ", absl::StrJoin(notes, "; "));
  return true;
}

std::vector<std::string> PodLimitViolations(const json::value& limit_range, const json::value& pod) {
  std::vector<std::string> out;
  const auto* items = base::FindPath(limit_range, {"spec", "limits"});
  if (!items || !items->is_array()) return out;
  for (const auto& item : items->get_array()) {
    std::string type = base::GetString(item, {"type"});
    if (type == "Container") {
      for (const char* list : {"containers", "initContainers"}) {
        const auto* cs = base::FindPath(pod, {"spec", list});
        if (!cs || !cs->is_array()) continue;
        for (const auto& c : cs->get_array()) {
          CheckAll(item, type, api::quota::ContainerRequests(c), api::quota::ContainerLimits(c), &out);
        }
      }
    } else if (type == "Pod") {
      CheckAll(item, type, api::quota::PodRequests(pod, false), api::quota::PodLimits(pod, false), &out);
    }
  }
  return out;
}

std::vector<std::string> ClaimLimitViolations(const json::value& limit_range, const json::value& claim) {
  std::vector<std::string> out;
  ResourceList requests = api::quota::FromJson(base::FindPath(claim, {"spec", "resources", "requests"}));
  for (const json::value* item : ItemsOfType(limit_range, "PersistentVolumeClaim")) {
    for (const auto& [name, q] : ItemList(*item, "min")) {
      CheckMin("PersistentVolumeClaim", name, q, requests, ResourceList(), &out);
    }
    for (const auto& [name, q] : ItemList(*item, "max"))
      CheckMaxRequest("PersistentVolumeClaim", name, q, requests, &out);
  }
  return out;
}

std::string AggregateMessage(const std::vector<std::string>& messages) {
  std::vector<std::string> unique;
  std::set<std::string> seen;
  for (const auto& m : messages) {
    if (seen.insert(m).second) unique.push_back(m);
  }
  if (unique.size() == 1) return unique[0];
  return absl::StrCat("[", absl::StrJoin(unique, ", "), "]");
}

}  // namespace skiff::apiserver::quota
