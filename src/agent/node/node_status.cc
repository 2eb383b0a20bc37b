#include "agent/node/node_status.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/quantity.h"
#include "base/clock.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::agent::node {

namespace json = boost::json;

namespace {

std::string Binary(int64_t bytes) {
  return api::Quantity::FromInt64(bytes, api::Quantity::Format::kBinarySI).String();
}

// capacity - reserved, in capacity's (binary) format, never below zero.
std::string BinaryMinus(int64_t capacity, int64_t reserved) {
  api::Quantity q = api::Quantity::FromInt64(capacity, api::Quantity::Format::kBinarySI);
  (void)q.Sub(api::Quantity::FromInt64(std::min(reserved, capacity), api::Quantity::Format::kBinarySI));
  return q.String();
}

struct ConditionValue {
  const char* type;
  bool status;
  std::string reason;
  std::string message;
};

const json::value* FindCondition(const json::value* conditions, std::string_view type) {
  if (conditions == nullptr || !conditions->is_array()) return nullptr;
  for (const auto& c : conditions->get_array()) {
    if (base::GetString(c, {"type"}) == type) return &c;
  }
  return nullptr;
}

json::object MakeCondition(const ConditionValue& v, const json::value* previous, const std::string& now) {
  const char* status = v.status ? "True" : "False";
  std::string since = now;
  if (const json::value* old = FindCondition(previous, v.type);
      old != nullptr && base::GetString(*old, {"status"}) == status) {
    std::string old_since = base::GetString(*old, {"lastTransitionTime"});
    if (!old_since.empty()) since = old_since;
  }
  return json::object{{"type", v.type},           {"status", status},
                      {"lastHeartbeatTime", now}, {"lastTransitionTime", since},
                      {"reason", v.reason},       {"message", v.message}};
}

bool Below(int64_t available, int64_t total, double fraction) {
  return total > 0 && static_cast<double>(available) < static_cast<double>(total) * fraction;
}

bool DiskPressure(const HostUsage& u) {
  return Below(u.nodefs.available_bytes, u.nodefs.capacity_bytes, kEvictionNodefsAvailable) ||
         Below(u.nodefs.inodes_free, u.nodefs.inodes, kEvictionNodefsInodesFree) ||
         Below(u.imagefs.available_bytes, u.imagefs.capacity_bytes, kEvictionImagefsAvailable);
}

// Why the node is not ready ("" when it is), in the kubelet's words.
std::string NotReadyMessage(const RuntimeState& r) {
  if (!r.error.empty()) return absl::StrCat("container runtime is down: ", r.error);
  std::vector<std::string> errors;
  if (!r.runtime_ready) {
    errors.push_back(absl::StrCat("container runtime not ready: RuntimeReady=false reason:", r.runtime_reason,
                                  " message:", r.runtime_message));
  }
  if (!r.network_ready) {
    errors.push_back(absl::StrCat("container runtime network not ready: NetworkReady=false reason:",
                                  r.network_reason, " message:", r.network_message));
  }
  if (errors.size() == 1) return errors[0];
  if (errors.empty()) return "";
  return absl::StrCat("[", absl::StrJoin(errors, ", "), "]");
}

json::array Images(const std::vector<NodeImage>& images) {
  std::vector<const NodeImage*> sorted;
  for (const auto& i : images) sorted.push_back(&i);
  std::stable_sort(sorted.begin(), sorted.end(),
                   [](const NodeImage* a, const NodeImage* b) { return a->size_bytes > b->size_bytes; });
  json::array out;
  for (const NodeImage* i : sorted) {
    if (static_cast<int>(out.size()) == kMaxImagesInNodeStatus) break;
    json::array names;
    for (const auto* list : {&i->repo_digests, &i->repo_tags}) {
      for (const auto& n : *list) {
        if (static_cast<int>(names.size()) < kMaxNamesPerImage) names.emplace_back(n);
      }
    }
    if (names.empty()) continue;  // an untagged, undigested image has nothing to show
    out.push_back(json::object{{"names", std::move(names)}, {"sizeBytes", i->size_bytes}});
  }
  return out;
}

// `v` without conditions' lastHeartbeatTime.
json::value WithoutHeartbeats(const json::value& v, std::string_view key) {
  if (key != "conditions" || !v.is_array()) return v;
  json::array out;
  for (const auto& c : v.get_array()) {
    json::value copy = c;
    if (copy.is_object()) copy.get_object().erase("lastHeartbeatTime");
    out.push_back(std::move(copy));
  }
  return out;
}

}  // namespace

json::object DefaultNodeLabels(const NodeConfig& config) {
  std::string hostname = config.hostname.empty() ? config.node_name : config.hostname;
  return json::object{{"kubernetes.io/hostname", hostname},
                      {"kubernetes.io/os", "linux"},
                      {"kubernetes.io/arch", "amd64"},
                      {"beta.kubernetes.io/os", "linux"},
                      {"beta.kubernetes.io/arch", "amd64"}};
}

json::value NewNodeObject(const NodeConfig& config) {
  json::value node = json::object{
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata",
       json::object{{"name", config.node_name},
                    {"labels", DefaultNodeLabels(config)},
                    {"annotations",
                     json::object{{"volumes.kubernetes.io/controller-managed-attach-detach", "true"}}}}},
      {"spec", json::object{{"taints", json::array{json::object{{"key", "node.kubernetes.io/not-ready"},
                                                                {"effect", "NoSchedule"}}}}}}};
  if (!config.local_path_root.empty()) {
    node.at("metadata").at("annotations").as_object()[kLocalPathRootAnnotation] = config.local_path_root;
  }
  return node;
}

json::object NodeCapacity(const NodeConfig& config, const HostFacts& facts, const HostUsage& usage) {
  return json::object{
      {"cpu", api::Quantity::FromMilli(facts.cpu_millis).String()},
      {"memory", Binary(facts.memory_bytes)},
      {"ephemeral-storage", Binary(usage.nodefs.capacity_bytes)},
      {"pods", std::to_string(config.max_pods)},
      {"hugepages-1Gi", "0"},
      {"hugepages-2Mi", "0"},
  };
}

json::object NodeAllocatable(const NodeConfig& config, const HostFacts& facts, const HostUsage& usage) {
  json::object a = NodeCapacity(config, facts, usage);
  a["memory"] = BinaryMinus(facts.memory_bytes, kEvictionMemoryAvailableBytes);
  const int64_t nodefs = usage.nodefs.capacity_bytes;
  a["ephemeral-storage"] =
      BinaryMinus(nodefs, static_cast<int64_t>(static_cast<double>(nodefs) * kEvictionNodefsAvailable));
  return a;
}

json::array NodeConditions(const HostUsage& usage, const RuntimeState& runtime, const json::value* previous,
                           absl::Time now) {
  const std::string at = base::FormatRfc3339(now);
  const bool memory = usage.memory_available_bytes < kEvictionMemoryAvailableBytes;
  const bool disk = DiskPressure(usage);
  const bool pids =
      usage.pid_max > 0 && Below(usage.pid_max - usage.processes, usage.pid_max, kEvictionPidAvailable);
  const std::string not_ready = NotReadyMessage(runtime);
  const ConditionValue values[] = {
      {"MemoryPressure", memory, memory ? "KubeletHasInsufficientMemory" : "KubeletHasSufficientMemory",
       memory ? "kubelet has insufficient memory available" : "kubelet has sufficient memory available"},
      {"DiskPressure", disk, disk ? "KubeletHasDiskPressure" : "KubeletHasNoDiskPressure",
       disk ? "kubelet has disk pressure" : "kubelet has no disk pressure"},
      {"PIDPressure", pids, pids ? "KubeletHasInsufficientPID" : "KubeletHasSufficientPID",
       pids ? "kubelet has insufficient PID available" : "kubelet has sufficient PID available"},
      {"Ready", not_ready.empty(), not_ready.empty() ? "KubeletReady" : "KubeletNotReady",
       not_ready.empty() ? "kubelet is posting ready status" : not_ready},
  };
  json::array out;
  for (const auto& v : values) out.push_back(MakeCondition(v, previous, at));
  return out;
}

json::value BuildNodeStatus(const NodeConfig& config, const HostFacts& facts, const HostUsage& usage,
                            const RuntimeState& runtime, const json::value* previous_status, absl::Time now) {
  const json::value* previous_conditions =
      previous_status != nullptr ? base::Find(*previous_status, "conditions") : nullptr;
  json::array addresses;
  if (!config.node_ip.empty()) {
    addresses.push_back(json::object{{"type", "InternalIP"}, {"address", config.node_ip}});
  }
  addresses.push_back(json::object{
      {"type", "Hostname"}, {"address", config.hostname.empty() ? config.node_name : config.hostname}});
  return json::object{
      {"capacity", NodeCapacity(config, facts, usage)},
      {"allocatable", NodeAllocatable(config, facts, usage)},
      {"conditions", NodeConditions(usage, runtime, previous_conditions, now)},
      {"addresses", std::move(addresses)},
      {"daemonEndpoints", json::object{{"kubeletEndpoint", json::object{{"Port", config.kubelet_port}}}}},
      {"nodeInfo", json::object{{"machineID", facts.machine_id},
                                {"systemUUID", facts.system_uuid},
                                {"bootID", facts.boot_id},
                                {"kernelVersion", facts.kernel_version},
                                {"osImage", facts.os_image},
                                {"containerRuntimeVersion", runtime.version},
                                {"kubeletVersion", kKubeletVersion},
                                {"kubeProxyVersion", kKubeletVersion},
                                {"operatingSystem", "linux"},
                                {"architecture", "amd64"}}},
      {"images", Images(runtime.images)},
  };
}

bool NodeStatusChanged(const json::value& current, const json::value& desired) {
  if (!desired.is_object()) return false;
  if (!current.is_object()) return true;
  for (const auto& [key, value] : desired.get_object()) {
    const json::value* old = base::Find(current, key);
    if (old == nullptr) {
      // The server drops empty lists: an absent field equals an empty one.
      if (value.is_array() && value.get_array().empty()) continue;
      return true;
    }
    if (WithoutHeartbeats(*old, key) != WithoutHeartbeats(value, key)) return true;
  }
  return false;
}

}  // namespace skiff::agent::node
