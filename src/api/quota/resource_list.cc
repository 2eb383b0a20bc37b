#include "api/quota/resource_list.h"

#include "absl/strings/str_cat.h"
#include "boost/json.hpp"

namespace skiff::api::quota {

ResourceList FromJson(const boost::json::value* list) {
  ResourceList out;
  if (list == nullptr || !list->is_object()) return out;
  for (const auto& [name, value] : list->get_object()) {
    auto q = Quantity::FromJson(value);
    if (q.ok()) out.emplace(std::string(name), *q);
  }
  return out;
}

boost::json::object ToJson(const ResourceList& list) {
  boost::json::object out;
  for (const auto& [name, q] : list) out[name] = q.String();
  return out;
}

ResourceNames Names(const ResourceList& list) {
  ResourceNames out;
  for (const auto& [name, q] : list) out.insert(name);
  return out;
}

void AddTo(ResourceList& into, const ResourceList& add) {
  for (const auto& [name, q] : add) {
    auto [it, inserted] = into.emplace(name, q);
    if (!inserted) (void)it->second.Add(q);  // overflow leaves the sum at its previous value
  }
}

ResourceList Add(const ResourceList& a, const ResourceList& b) {
  ResourceList out = a;
  AddTo(out, b);
  return out;
}

ResourceList SubtractNonNegative(const ResourceList& a, const ResourceList& b) {
  ResourceList out;
  for (const auto& [name, q] : a) {
    Quantity value = q;
    if (auto it = b.find(name); it != b.end()) (void)value.Sub(it->second);
    if (value.Sign() < 0) value = Quantity::FromInt64(0, q.format());
    out.emplace(name, value);
  }
  return out;
}

ResourceList Mask(const ResourceList& list, const ResourceNames& names) {
  ResourceList out;
  for (const auto& [name, q] : list) {
    if (names.count(name)) out.emplace(name, q);
  }
  return out;
}

bool IsZero(const ResourceList& list) {
  for (const auto& [name, q] : list) {
    if (!q.IsZero()) return false;
  }
  return true;
}

ResourceNames Exceeding(const ResourceList& a, const ResourceList& b) {
  ResourceNames out;
  for (const auto& [name, q] : a) {
    auto it = b.find(name);
    if (it != b.end() && q.Compare(it->second) > 0) out.insert(name);
  }
  return out;
}

std::string PrettyPrint(const ResourceList& list) {
  std::string out;
  for (const auto& [name, q] : list) absl::StrAppend(&out, out.empty() ? "" : ",", name, "=", q.String());
  return out;
}

}  // namespace skiff::api::quota
