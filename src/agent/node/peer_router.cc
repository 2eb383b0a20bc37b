#include "agent/node/peer_router.h"

#include "absl/strings/str_cat.h"
#include "agent/node/peer_network.h"
#include "agent/node/pod_masquerade.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "spdlog/spdlog.h"

namespace skiff::agent::node {

namespace json = boost::json;

namespace {

constexpr absl::Duration kRetryDelay = absl::Seconds(5);

const char* BackendName(Backend backend) {
  switch (backend) {
    case Backend::kHostGw:
      return "host-gw";
    case Backend::kVxlan:
      return "vxlan";
    case Backend::kAuto:
      break;
  }
  return "auto";
}

}  // namespace

PeerRouter::PeerRouter(client::Client* client, client::SharedInformers* informers, PeerRouterOptions options)
    : client_(client),
      options_(std::move(options)),
      nodes_(&informers->For(client::Resource("", "v1", "nodes"))),
      task_([this] { return Sync(); }) {}

PeerRouter::~PeerRouter() { Stop(); }

absl::Status PeerRouter::Start() {
  if (!options_.cluster_cidr.empty()) {
    if (absl::Status s = EnsurePodMasquerade(options_.cluster_cidr); !s.ok()) {
      return absl::Status(s.code(),
                          absl::StrCat("pod masquerade for ", options_.cluster_cidr, ": ", s.message()));
    }
  }
  if (handlers_ == 0) {
    auto wake = [this] { task_.Wake(); };
    handlers_ =
        nodes_->AddHandlers({.on_add = [wake](const client::Object&) { wake(); },
                             .on_update = [wake](const client::Object&, const client::Object&) { wake(); },
                             .on_delete = [wake](const client::Object&) { wake(); }});
  }
  nodes_->Start();  // a no-op when the set's owner started it
  task_.Start();
  return absl::OkStatus();
}

void PeerRouter::Stop() {
  if (handlers_ != 0) nodes_->RemoveHandlers(handlers_);
  handlers_ = 0;
  task_.Stop();
}

absl::Status PeerRouter::EnsureOwnVtep(const client::Object& self, bool full) {
  std::string pod_cidr = base::GetString(*self, {"spec", "podCIDR"});
  if (options_.backend == Backend::kHostGw || pod_cidr.empty()) return absl::OkStatus();
  // Re-asserted on full passes too: that repairs a device someone removed.
  if (!full && pod_cidr == vtep_pod_cidr_) return absl::OkStatus();
  absl::StatusOr<std::string> mac = EnsureVxlanDevice({.local_ip = options_.node_ip, .pod_cidr = pod_cidr});
  if (!mac.ok()) return mac.status();
  if (vtep_mac_ != *mac || vtep_pod_cidr_ != pod_cidr) {
    spdlog::info("peer routes: {} up ({}, VNI {}, port {}) for podCIDR {}", kVxlanDevice, *mac, kVxlanVni,
                 kVxlanPort, pod_cidr);
  }
  vtep_mac_ = *mac;
  vtep_pod_cidr_ = pod_cidr;
  return absl::OkStatus();
}

absl::Status PeerRouter::PublishAnnotations(const client::Object& self) {
  json::object wanted{{kBackendTypeAnnotation, vtep_mac_.empty() ? "host-gw" : "vxlan"},
                      {kPublicIpAnnotation, options_.node_ip},
                      {kBackendDataAnnotation, nullptr}};  // null: a merge patch removes it
  if (!vtep_mac_.empty()) {
    wanted[kBackendDataAnnotation] = base::ToJson(json::object{{"VNI", kVxlanVni}, {"VtepMAC", vtep_mac_}});
  }
  bool same = true;
  for (const auto& [key, value] : wanted) {
    const json::value* have = base::FindPath(*self, {"metadata", "annotations", key});
    if (value.is_null() ? have != nullptr : (have == nullptr || *have != value)) same = false;
  }
  if (same) return absl::OkStatus();
  json::object patch{{"metadata", json::object{{"annotations", std::move(wanted)}}}};
  return client_
      ->Patch(client::Resource("", "v1", "nodes"), "", options_.node_name, client::PatchType::kStrategicMerge,
              patch)
      .status();
}

absl::Duration PeerRouter::Sync() {
  if (!nodes_->HasSynced()) return absl::Milliseconds(200);
  const auto now = std::chrono::steady_clock::now();
  const bool full = !applied_once_ || now >= next_full_sync_;
  std::vector<client::Object> nodes = nodes_->List();
  std::vector<PeerNode> peers;
  absl::Status status;
  for (const client::Object& node : nodes) {
    peers.push_back(PeerFromNode(*node));
    if (peers.back().name != options_.node_name) continue;
    status = EnsureOwnVtep(node, full);
    if (status.ok()) status = PublishAnnotations(node);
    if (!status.ok()) spdlog::warn("peer routes: own VXLAN endpoint: {}", status.ToString());
  }
  std::vector<std::string> excluded = options_.local_devices;
  excluded.push_back(kVxlanDevice);
  absl::StatusOr<std::vector<Ipv4Net>> subnets = LocalSubnets(excluded);
  if (!subnets.ok()) {
    spdlog::warn("peer routes: local subnets: {}", subnets.status().ToString());
    return kRetryDelay;
  }
  RoutePlan plan = PlanPeerRoutes(
      {.self_name = options_.node_name, .backend = options_.backend, .local_subnets = *subnets}, peers);
  if (full && applied_once_ && !options_.cluster_cidr.empty()) {
    // Re-asserted like the routes (NAT bindings of open connections live in conntrack and survive).
    if (absl::Status s = EnsurePodMasquerade(options_.cluster_cidr); !s.ok()) {
      spdlog::warn("peer routes: pod masquerade: {}", s.ToString());
      status = s;
    }
  }
  if (!full && plan == applied_) {
    // Nothing changed for the kernel (most Node updates are status heartbeats).
    if (!status.ok()) return kRetryDelay;
    return absl::FromChrono(next_full_sync_ - now);
  }
  absl::Status applied = ApplyRoutePlan(plan);
  if (!applied.ok()) {
    spdlog::warn("peer routes ({}): {}", BackendName(options_.backend), applied.ToString());
    applied_once_ = false;
    return kRetryDelay;
  }
  if (!applied_once_ || !(plan == applied_)) {
    spdlog::info("peer routes ({}): {} route(s), {} VXLAN peer(s)", BackendName(options_.backend),
                 plan.routes.size(), plan.vteps.size());
  }
  applied_ = std::move(plan);
  applied_once_ = true;
  if (full) next_full_sync_ = now + absl::ToChronoNanoseconds(options_.resync_period);
  return status.ok() ? absl::FromChrono(next_full_sync_ - now) : kRetryDelay;
}

}  // namespace skiff::agent::node
