#include "agent/podspec/qos.h"

#include <map>
#include <set>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "api/quantity.h"
#include "base/json.h"
#include "base/strings.h"

namespace skiff::agent::podspec {

std::string_view QosClassName(QosClass qos) {
  switch (qos) {
    case QosClass::kGuaranteed:
      return "Guaranteed";
    case QosClass::kBurstable:
      return "Burstable";
    case QosClass::kBestEffort:
      return "BestEffort";
  }
  return "BestEffort";
}

namespace {

bool IsQosResource(std::string_view name) { return name == "cpu" || name == "memory"; }

// Adds the positive cpu/memory quantities of `list` into `sums`; returns the names found.
std::set<std::string> AddPositive(const boost::json::value* list,
                                  std::map<std::string, api::Quantity>& sums) {
  std::set<std::string> found;
  if (list == nullptr || !list->is_object()) return found;
  for (const auto& [name, value] : list->as_object()) {
    if (!IsQosResource(name)) continue;
    auto q = api::Quantity::FromJson(value);
    if (!q.ok() || q->Sign() <= 0) continue;
    found.insert(std::string(name));
    auto [it, inserted] = sums.try_emplace(std::string(name), *q);
    if (!inserted) (void)it->second.Add(*q);
  }
  return found;
}

}  // namespace

QosClass ComputeQosClass(const boost::json::value& pod) {
  std::map<std::string, api::Quantity> requests;
  std::map<std::string, api::Quantity> limits;
  bool guaranteed = true;
  for (const char* field : {"containers", "initContainers"}) {
    const boost::json::value* list = base::FindPath(pod, {"spec", field});
    if (list == nullptr || !list->is_array()) continue;
    for (const auto& c : list->as_array()) {
      AddPositive(base::FindPath(c, {"resources", "requests"}), requests);
      std::set<std::string> limited = AddPositive(base::FindPath(c, {"resources", "limits"}), limits);
      if (!limited.contains("cpu") || !limited.contains("memory")) guaranteed = false;
    }
  }
  if (requests.empty() && limits.empty()) return QosClass::kBestEffort;
  if (guaranteed) {
    for (const auto& [name, request] : requests) {
      auto it = limits.find(name);
      if (it == limits.end() || it->second != request) {
        guaranteed = false;
        break;
      }
    }
  }
  if (guaranteed && requests.size() == limits.size()) return QosClass::kGuaranteed;
  return QosClass::kBurstable;
}

QosClass PodQosClass(const boost::json::value& pod) {
  std::string status = base::GetString(pod, {"status", "qosClass"});
  if (status == "Guaranteed") return QosClass::kGuaranteed;
  if (status == "Burstable") return QosClass::kBurstable;
  if (status == "BestEffort") return QosClass::kBestEffort;
  return ComputeQosClass(pod);
}

std::string PodCgroupParent(const boost::json::value& pod, std::string_view cgroup_root) {
  std::string root(cgroup_root);
  while (!root.empty() && root.back() == '/') root.pop_back();  // "/" -> ""
  std::string pod_dir = absl::StrCat("pod", api::Uid(pod));
  switch (PodQosClass(pod)) {
    case QosClass::kGuaranteed:
      return absl::StrCat(root, "/", pod_dir);
    case QosClass::kBurstable:
      return absl::StrCat(root, "/burstable/", pod_dir);
    case QosClass::kBestEffort:
      break;
  }
  return absl::StrCat(root, "/besteffort/", pod_dir);
}

}  // namespace skiff::agent::podspec
