#include "sim/sim_objects.h"

#include <algorithm>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/object_meta.h"
#include "base/clock.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::sim {

namespace json = boost::json;

namespace {

constexpr char kKubeletVersion[] = "v1.32.0";
constexpr char kRuntimeVersion[] = "skiff-sim://1.0.0";
constexpr char kExitAfterAnnotation[] = "sim.skiff.dev/exit-after";
constexpr char kExitCodeAnnotation[] = "sim.skiff.dev/exit-code";

uint64_t SplitMix(uint64_t& state) {
  uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

std::string Uuid(const std::string& seed) {
  std::string h = FakeHex(seed, 32);
  return absl::StrCat(h.substr(0, 8), "-", h.substr(8, 4), "-", h.substr(12, 4), "-", h.substr(16, 4), "-",
                      h.substr(20, 12));
}

json::object Condition(const char* type, const char* status, const char* reason, const char* message,
                       const std::string& heartbeat, const std::string& since) {
  return json::object{{"type", type},
                      {"status", status},
                      {"lastHeartbeatTime", heartbeat},
                      {"lastTransitionTime", since},
                      {"reason", reason},
                      {"message", message}};
}

json::object Resources(const SimOptions& options) {
  return json::object{{"cpu", options.cpu},
                      {"memory", options.memory},
                      {"pods", std::to_string(options.pods)},
                      {"ephemeral-storage", options.ephemeral_storage},
                      {"hugepages-1Gi", "0"},
                      {"hugepages-2Mi", "0"}};
}

json::object PodCondition(const char* type, const char* status, const std::string& since) {
  return json::object{
      {"type", type}, {"status", status}, {"lastProbeTime", nullptr}, {"lastTransitionTime", since}};
}

std::string ImageId(const std::string& image) {
  std::string repo = image.substr(0, image.find('@'));
  size_t colon = repo.rfind(':');
  if (colon != std::string::npos && repo.find('/', colon) == std::string::npos) repo.resize(colon);
  return absl::StrCat(repo, "@sha256:", FakeHex(image, 64));
}

std::string ContainerId(const std::string& uid, const std::string& name) {
  return absl::StrCat("containerd://", FakeHex(absl::StrCat(uid, "/", name), 64));
}

json::object RunningContainer(const PodSpecSummary::Container& c, const std::string& uid,
                              const std::string& at) {
  return json::object{{"name", c.name},
                      {"state", json::object{{"running", json::object{{"startedAt", at}}}}},
                      {"lastState", json::object()},
                      {"ready", true},
                      {"restartCount", 0},
                      {"image", c.image},
                      {"imageID", ImageId(c.image)},
                      {"containerID", ContainerId(uid, c.name)},
                      {"started", true}};
}

json::object TerminatedContainer(const PodSpecSummary::Container& c, const std::string& uid, int exit_code,
                                 const std::string& started, const std::string& finished) {
  std::string id = ContainerId(uid, c.name);
  json::object terminated{{"exitCode", exit_code},
                          {"reason", exit_code == 0 ? "Completed" : "Error"},
                          {"startedAt", started},
                          {"finishedAt", finished},
                          {"containerID", id}};
  return json::object{{"name", c.name},
                      {"state", json::object{{"terminated", std::move(terminated)}}},
                      {"lastState", json::object()},
                      {"ready", false},
                      {"restartCount", 0},
                      {"image", c.image},
                      {"imageID", ImageId(c.image)},
                      {"containerID", id},
                      {"started", false}};
}

std::vector<PodSpecSummary::Container> Containers(const json::value& pod, const char* field, bool init) {
  std::vector<PodSpecSummary::Container> out;
  const auto* list = base::FindPath(pod, {"spec", field});
  if (!list || !list->is_array()) return out;
  for (const auto& c : list->get_array()) {
    PodSpecSummary::Container summary;
    summary.name = base::GetString(c, {"name"});
    summary.image = base::GetString(c, {"image"});
    summary.sidecar = init && base::GetString(c, {"restartPolicy"}) == "Always";
    out.push_back(std::move(summary));
  }
  return out;
}

json::array PodIps(const std::string& ip) { return json::array{json::object{{"ip", ip}}}; }

}  // namespace

std::string FakeHex(const std::string& seed, size_t length) {
  static constexpr char kHex[] = "0123456789abcdef";
  uint64_t state = 1469598103934665603ULL;
  for (unsigned char c : seed) state = (state ^ c) * 1099511628211ULL;
  std::string out;
  out.reserve(length);
  while (out.size() < length) {
    uint64_t bits = SplitMix(state);
    for (int i = 0; i < 16 && out.size() < length; ++i, bits >>= 4) out.push_back(kHex[bits & 15]);
  }
  return out;
}

NodeIdentity MakeNodeIdentity(const SimOptions& options, int index, const std::string& boot_id) {
  NodeIdentity id;
  id.index = index;
  id.name = absl::StrCat(options.name_prefix, index);
  id.zone = absl::StrCat("zone-", options.zones > 0 ? index % options.zones : 0);
  id.internal_ip = NodeAddress(index);
  id.boot_id = boot_id;
  return id;
}

std::string NodeAddress(int index) {
  return base::FormatIpv4(kNodeAddressBase + 1u + static_cast<uint32_t>(index));
}

int NodeIndexOfAddress(const std::string& address) {
  std::string host = address.substr(0, address.find(':'));
  uint32_t ip = 0;
  if (!base::ParseIpv4(host, &ip) || ip <= kNodeAddressBase || ip - kNodeAddressBase > uint32_t{kMaxNodes})
    return -1;
  return static_cast<int>(ip - kNodeAddressBase - 1u);
}

json::value NodeConditions(absl::Time heartbeat, absl::Time since) {
  std::string hb = base::FormatRfc3339(heartbeat);
  std::string tr = base::FormatRfc3339(since);
  return json::array{
      Condition("MemoryPressure", "False", "KubeletHasSufficientMemory",
                "kubelet has sufficient memory available", hb, tr),
      Condition("DiskPressure", "False", "KubeletHasNoDiskPressure", "kubelet has no disk pressure", hb, tr),
      Condition("PIDPressure", "False", "KubeletHasSufficientPID", "kubelet has sufficient PID available", hb,
                tr),
      Condition("Ready", "True", "KubeletReady", "kubelet is posting ready status", hb, tr),
  };
}

json::value NodeObject(const SimOptions& options, const NodeIdentity& node, absl::Time now,
                       absl::Time since) {
  json::object labels{{"kubernetes.io/hostname", node.name},    {"kubernetes.io/os", "linux"},
                      {"kubernetes.io/arch", "amd64"},          {"beta.kubernetes.io/os", "linux"},
                      {"beta.kubernetes.io/arch", "amd64"},     {"topology.kubernetes.io/zone", node.zone},
                      {"topology.kubernetes.io/region", "sim"}, {"node.skiff.dev/simulated", "true"}};
  for (const auto& [k, v] : options.labels) labels[k] = v;
  json::object node_info{{"machineID", FakeHex(node.name, 32)},
                         {"systemUUID", Uuid("system/" + node.name)},
                         {"bootID", node.boot_id},
                         {"kernelVersion", "6.1.0-skiff-sim"},
                         {"osImage", "skiff simulated node"},
                         {"containerRuntimeVersion", kRuntimeVersion},
                         {"kubeletVersion", kKubeletVersion},
                         {"kubeProxyVersion", kKubeletVersion},
                         {"operatingSystem", "linux"},
                         {"architecture", "amd64"}};
  json::object status{
      {"capacity", Resources(options)},
      {"allocatable", Resources(options)},
      {"conditions", NodeConditions(now, since)},
      {"addresses", json::array{json::object{{"type", "InternalIP"}, {"address", node.internal_ip}},
                                json::object{{"type", "Hostname"}, {"address", node.name}}}},
      {"daemonEndpoints", json::object{{"kubeletEndpoint", json::object{{"Port", node.kubelet_port}}}}},
      {"nodeInfo", std::move(node_info)},
  };
  return json::object{
      {"apiVersion", "v1"},
      {"kind", "Node"},
      {"metadata", json::object{{"name", node.name},
                                {"labels", std::move(labels)},
                                {"annotations", json::object{{"node.alpha.kubernetes.io/ttl", "0"}}}}},
      {"spec", json::object()},
      {"status", std::move(status)},
  };
}

bool NodeStatusNeedsUpdate(const SimOptions& options, const json::value& node) {
  const auto* conditions = base::FindPath(node, {"status", "conditions"});
  if (!conditions || !conditions->is_array()) return true;
  int healthy = 0;
  for (const auto& c : conditions->get_array()) {
    std::string type = base::GetString(c, {"type"});
    std::string status = base::GetString(c, {"status"});
    if (type == "Ready") {
      if (status != "True") return true;
      ++healthy;
    } else if (type == "MemoryPressure" || type == "DiskPressure" || type == "PIDPressure") {
      if (status != "False") return true;
      ++healthy;
    }
  }
  if (healthy != 4) return true;
  json::value want = Resources(options);
  for (const char* field : {"capacity", "allocatable"}) {
    const auto* have = base::FindPath(node, {"status", field});
    if (!have || *have != want) return true;
  }
  return false;
}

json::value LeaseObject(const SimOptions& options, const std::string& node_name, const std::string& node_uid,
                        absl::Time now) {
  json::object metadata{{"name", node_name}, {"namespace", "kube-node-lease"}};
  if (!node_uid.empty()) {
    metadata["ownerReferences"] = json::array{
        json::object{{"apiVersion", "v1"}, {"kind", "Node"}, {"name", node_name}, {"uid", node_uid}}};
  }
  return json::object{{"apiVersion", "coordination.k8s.io/v1"},
                      {"kind", "Lease"},
                      {"metadata", std::move(metadata)},
                      {"spec", json::object{{"holderIdentity", node_name},
                                            {"leaseDurationSeconds", options.lease_duration_seconds},
                                            {"renewTime", base::FormatRfc3339Micro(now)}}}};
}

json::value LeaseRenewPatch(const SimOptions& options, const std::string& node_name, absl::Time now) {
  return json::object{{"spec", json::object{{"holderIdentity", node_name},
                                            {"leaseDurationSeconds", options.lease_duration_seconds},
                                            {"renewTime", base::FormatRfc3339Micro(now)}}}};
}

absl::StatusOr<PodSpecSummary> SummarizePod(const json::value& pod) {
  PodSpecSummary s;
  s.containers = Containers(pod, "containers", false);
  s.init_containers = Containers(pod, "initContainers", true);
  if (const auto* conditions = base::FindPath(pod, {"status", "conditions"});
      conditions && conditions->is_array()) {
    for (const auto& c : conditions->get_array()) {
      if (base::GetString(c, {"type"}) == "PodScheduled")
        s.scheduled_since = base::GetString(c, {"lastTransitionTime"});
    }
  }
  std::string after = api::Annotation(pod, kExitAfterAnnotation);
  if (!after.empty() && !absl::ParseDuration(after, &s.exit_after)) {
    return absl::InvalidArgumentError(
        absl::StrCat(kExitAfterAnnotation, " \"", after, "\" is not a duration"));
  }
  std::string code = api::Annotation(pod, kExitCodeAnnotation);
  if (!code.empty() && !absl::SimpleAtoi(code, &s.exit_code)) {
    return absl::InvalidArgumentError(absl::StrCat(kExitCodeAnnotation, " \"", code, "\" is not an integer"));
  }
  return s;
}

json::value RunningPodStatusPatch(const PodSpecSummary& pod, const std::string& uid,
                                  const std::string& host_ip, const std::string& pod_ip, absl::Time started) {
  std::string at = base::FormatRfc3339(started);
  std::string scheduled = pod.scheduled_since.empty() ? at : pod.scheduled_since;
  json::array containers;
  for (const auto& c : pod.containers) containers.push_back(RunningContainer(c, uid, at));
  json::array init;
  for (const auto& c : pod.init_containers) {
    init.push_back(c.sidecar ? RunningContainer(c, uid, at) : TerminatedContainer(c, uid, 0, at, at));
    if (!c.sidecar) init.back().as_object()["ready"] = true;
  }
  json::object status{
      {"phase", "Running"},
      {"conditions", json::array{PodCondition("PodReadyToStartContainers", "True", at),
                                 PodCondition("Initialized", "True", at), PodCondition("Ready", "True", at),
                                 PodCondition("ContainersReady", "True", at),
                                 PodCondition("PodScheduled", "True", scheduled)}},
      {"hostIP", host_ip},
      {"hostIPs", PodIps(host_ip)},
      {"podIP", pod_ip},
      {"podIPs", PodIps(pod_ip)},
      {"startTime", at},
      {"containerStatuses", std::move(containers)},
  };
  if (!init.empty()) status["initContainerStatuses"] = std::move(init);
  return json::object{{"metadata", json::object{{"uid", uid}}}, {"status", std::move(status)}};
}

json::value FinishedPodStatusPatch(const PodSpecSummary& pod, const std::string& uid,
                                   const std::string& pod_ip, absl::Time started, absl::Time finished) {
  std::string from = base::FormatRfc3339(started);
  std::string to = base::FormatRfc3339(finished);
  json::array containers;
  for (const auto& c : pod.containers)
    containers.push_back(TerminatedContainer(c, uid, pod.exit_code, from, to));
  const char* reason = pod.exit_code == 0 ? "PodCompleted" : "PodFailed";
  auto not_ready = [&](const char* type) {
    json::object c = PodCondition(type, "False", to);
    c["reason"] = reason;
    return c;
  };
  json::object status{
      {"phase", pod.exit_code == 0 ? "Succeeded" : "Failed"},
      {"conditions",
       json::array{
           PodCondition("PodReadyToStartContainers", "False", to), PodCondition("Initialized", "True", from),
           not_ready("Ready"), not_ready("ContainersReady"),
           PodCondition("PodScheduled", "True", pod.scheduled_since.empty() ? from : pod.scheduled_since)}},
      {"podIP", pod_ip},
      {"podIPs", PodIps(pod_ip)},
      {"containerStatuses", std::move(containers)},
  };
  return json::object{{"metadata", json::object{{"uid", uid}}}, {"status", std::move(status)}};
}

// ---- IPv4 ----

base::Ipv4Cidr FallbackPodCidr(int node_index) {
  uint32_t base = (10u << 24 | 244u << 16) + static_cast<uint32_t>(node_index) * 256u;
  return base::Ipv4Cidr{base, 24};
}

PodIpPool::PodIpPool(base::Ipv4Cidr cidr) : cidr_(cidr) {
  uint64_t size = cidr.prefix >= 32 ? 1 : uint64_t{1} << (32 - cidr.prefix);
  used_.assign(static_cast<size_t>(std::min<uint64_t>(size, 65536)), false);
}

absl::StatusOr<std::string> PodIpPool::Allocate() {
  // Usable: [2, size-2] (network, gateway and broadcast are skipped).
  size_t size = used_.size();
  if (size < 4) return absl::ResourceExhaustedError("pod CIDR too small");
  for (size_t tried = 0; tried < size; ++tried) {
    size_t i = next_;
    next_ = next_ + 1 >= size - 1 ? 2 : next_ + 1;
    if (i < 2 || i >= size - 1 || used_[i]) continue;
    used_[i] = true;
    ++used_count_;
    return base::FormatIpv4(cidr_.network + static_cast<uint32_t>(i));
  }
  return absl::ResourceExhaustedError(
      absl::StrCat("no free pod IP in ", base::FormatIpv4(cidr_.network), "/", cidr_.prefix));
}

bool PodIpPool::Index(const std::string& ip, size_t* index) const {
  uint32_t a = 0;
  if (!base::ParseIpv4(ip, &a) || a < cidr_.network || a - cidr_.network >= used_.size()) return false;
  *index = a - cidr_.network;
  return true;
}

bool PodIpPool::Reserve(const std::string& ip) {
  size_t i = 0;
  if (!Index(ip, &i)) return false;
  if (!used_[i]) ++used_count_;
  used_[i] = true;
  return true;
}

void PodIpPool::Release(const std::string& ip) {
  size_t i = 0;
  if (!Index(ip, &i) || !used_[i]) return;
  used_[i] = false;
  --used_count_;
}

}  // namespace skiff::sim
