#include "agent/kubelet/podspec_translator.h"

#include <utility>

#include "agent/node/host_info.h"
#include "agent/podspec/container_config.h"
#include "agent/podspec/sandbox_config.h"
#include "agent/podspec/service_env.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::kubelet {
namespace json = boost::json;

namespace {

bool HasContentVolumes(const json::value& pod) {
  const json::value* volumes = base::FindPath(pod, {"spec", "volumes"});
  if (!volumes || !volumes->is_array()) return false;
  for (const auto& v : volumes->as_array()) {
    if (!podspec::AtomicPluginName(v).empty()) return true;
  }
  return false;
}

// status.podIPs of the stored pod (for downward API volumes before the worker knows the sandbox).
std::vector<std::string> StoredPodIps(const json::value& pod) {
  std::vector<std::string> ips;
  if (const json::value* list = base::FindPath(pod, {"status", "podIPs"}); list && list->is_array()) {
    for (const auto& entry : list->as_array()) {
      std::string ip = base::GetString(entry, {"ip"});
      if (!ip.empty()) ips.push_back(std::move(ip));
    }
  }
  if (ips.empty()) {
    std::string ip = base::GetString(pod, {"status", "podIP"});
    if (!ip.empty()) ips.push_back(std::move(ip));
  }
  return ips;
}

}  // namespace

PodspecTranslatorOptions DefaultPodspecTranslatorOptions(const std::string& data_dir,
                                                         const std::string& node_ip) {
  PodspecTranslatorOptions options;
  options.pods_dir = data_dir + "/pods";
  if (!node_ip.empty()) options.host_ips = {node_ip};
  options.dns.host = podspec::ReadResolvConf();
  if (absl::StatusOr<node::HostFacts> facts = node::HostProbe().Facts(); facts.ok()) {
    options.node.memory_capacity_bytes = facts->memory_bytes;
    options.node.memory = api::Quantity::FromInt64(facts->memory_bytes, api::Quantity::Format::kBinarySI);
    options.node.cpu = api::Quantity::FromMilli(facts->cpu_millis);
  } else {
    spdlog::warn("agent: reading host facts for pod translation: {}", facts.status().ToString());
  }
  return options;
}

namespace {

ServiceAccountTokenOptions WithEvents(ServiceAccountTokenOptions options, client::EventRecorder* events) {
  options.events = events;
  return options;
}

}  // namespace

PodspecTranslator::PodspecTranslator(client::Client* client, PodspecTranslatorOptions options,
                                     client::Informer* services)
    : options_(std::move(options)),
      services_(services),
      events_(client, {.component = "kubelet", .host = options_.node_name, .clock = options_.tokens.clock}),
      tokens_(client, WithEvents(options_.tokens, &events_)),
      objects_(client),
      volumes_({.pods_dir = options_.pods_dir,
                .service_account_token =
                    [this](const json::value& pod, const std::string& audience, int64_t expiration_seconds) {
                      return tokens_.Token(pod, audience, expiration_seconds);
                    }},
               &objects_) {
  if (options_.refresh_period > absl::ZeroDuration()) {
    refresher_ = std::thread([this] { RefreshLoop(); });
  }
}

PodspecTranslator::~PodspecTranslator() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    stopping_ = true;
  }
  cv_.notify_all();
  if (refresher_.joinable()) refresher_.join();
}

std::shared_ptr<PodspecTranslator::PodEntry> PodspecTranslator::Entry(const std::string& uid, bool create) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = pods_.find(uid);
  if (it != pods_.end()) return it->second;
  if (!create) return nullptr;
  auto entry = std::make_shared<PodEntry>();
  pods_[uid] = entry;
  return entry;
}

podspec::PodContext PodspecTranslator::Context(const std::vector<std::string>& pod_ips) const {
  podspec::PodContext ctx;
  ctx.pod_ips = pod_ips;
  ctx.host_ips = options_.host_ips;
  ctx.node = options_.node;
  return ctx;
}

absl::StatusOr<cri::v1::PodSandboxConfig> PodspecTranslator::SandboxConfig(const json::value& pod,
                                                                          uint32_t attempt) {
  podspec::SandboxOptions options;
  options.pods_dir = options_.pods_dir;
  options.dns = options_.dns;
  options.attempt = attempt;
  // BuildSandboxConfig leaves the hostname empty for hostNetwork pods (the node's own).
  return podspec::BuildSandboxConfig(pod, options);
}

absl::Status PodspecTranslator::PreparePod(const json::value& pod) {
  std::string uid = api::Uid(pod);
  if (uid.empty()) return absl::InvalidArgumentError("pod without metadata.uid");
  std::shared_ptr<PodEntry> entry = Entry(uid, true);
  std::lock_guard<std::mutex> lock(entry->mu);
  absl::StatusOr<podspec::VolumeMap> volumes = volumes_.Setup(pod, Context(StoredPodIps(pod)));
  if (!volumes.ok()) return volumes.status();
  entry->pod = pod;
  entry->volumes = *std::move(volumes);
  entry->prepared = true;
  entry->has_content_volumes = HasContentVolumes(pod);
  return absl::OkStatus();
}

absl::StatusOr<cri::v1::ContainerConfig> PodspecTranslator::ContainerConfig(
    const json::value& pod, const json::value& container, uint32_t attempt,
    const std::vector<std::string>& pod_ips) {
  std::string uid = api::Uid(pod);
  std::shared_ptr<PodEntry> entry = Entry(uid, true);
  std::lock_guard<std::mutex> lock(entry->mu);
  if (!entry->prepared) {
    // The worker prepares before starting containers; set up here too so a direct call works.
    absl::StatusOr<podspec::VolumeMap> volumes = volumes_.Setup(pod, Context(pod_ips));
    if (!volumes.ok()) return volumes.status();
    entry->pod = pod;
    entry->volumes = *std::move(volumes);
    entry->prepared = true;
    entry->has_content_volumes = HasContentVolumes(pod);
  }
  podspec::ContainerOptions options;
  if (services_ != nullptr) {
    if (!services_->HasSynced()) {
      return absl::UnavailableError(
          "services have not yet been read at least once, cannot construct envvars");
    }
    client::Informer* services = services_;
    options.service_env = [services](const std::string& ns, bool service_links) {
      return podspec::ServiceEnvironment(services->List(), ns, service_links);
    };
  }
  options.pods_dir = options_.pods_dir;
  options.attempt = attempt;
  options.ctx = Context(pod_ips);
  options.cluster_domain = options_.dns.cluster_domain;
  absl::StatusOr<podspec::ContainerConfigResult> result =
      podspec::BuildContainerConfig(pod, container, entry->volumes, objects_, options);
  if (!result.ok()) return result.status();
  for (const auto& event : result->events) {
    spdlog::warn("agent: pod {}/{}: {} {}: {}", api::Namespace(pod), api::Name(pod), event.type, event.reason,
                 event.message);
  }
  return std::move(result->config);
}

void PodspecTranslator::CleanupPod(const std::string& uid) {
  std::shared_ptr<PodEntry> entry;
  {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = pods_.find(uid);
    if (it != pods_.end()) {
      entry = it->second;
      pods_.erase(it);
    }
  }
  std::unique_lock<std::mutex> entry_lock;
  if (entry) entry_lock = std::unique_lock<std::mutex>(entry->mu);  // wait for a running refresh
  if (absl::Status s = volumes_.RemovePodDir(uid); !s.ok()) {
    spdlog::warn("agent: removing the directory of pod {}: {}", uid, s.ToString());
  }
  tokens_.ForgetPod(uid);
}

int PodspecTranslator::RefreshNow() {
  std::vector<std::pair<std::string, std::shared_ptr<PodEntry>>> entries;
  {
    std::lock_guard<std::mutex> lock(mu_);
    entries.assign(pods_.begin(), pods_.end());
  }
  int changed = 0;
  for (const auto& [uid, entry] : entries) {
    std::lock_guard<std::mutex> lock(entry->mu);
    if (!entry->prepared || !entry->has_content_volumes) continue;
    {
      std::lock_guard<std::mutex> map_lock(mu_);
      if (!pods_.contains(uid)) continue;  // cleaned up meanwhile
    }
    absl::StatusOr<std::vector<std::string>> updated =
        volumes_.Update(entry->pod, Context(StoredPodIps(entry->pod)));
    if (!updated.ok()) {
      spdlog::warn("agent: refreshing the volumes of pod {}: {}", uid, updated.status().ToString());
      continue;
    }
    for (const auto& name : *updated) {
      spdlog::info("agent: pod {}: volume {} updated", uid, name);
      ++changed;
    }
  }
  return changed;
}

size_t PodspecTranslator::TrackedPods() const {
  std::lock_guard<std::mutex> lock(mu_);
  return pods_.size();
}

void PodspecTranslator::RefreshLoop() {
  std::unique_lock<std::mutex> lock(mu_);
  while (!stopping_) {
    cv_.wait_for(lock, absl::ToChronoMilliseconds(options_.refresh_period), [this] { return stopping_; });
    if (stopping_) break;
    lock.unlock();
    RefreshNow();
    lock.lock();
  }
}

}  // namespace skiff::agent::kubelet
