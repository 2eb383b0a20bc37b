#include "agent/kubelet/agent.h"

#include <unistd.h>

#include <filesystem>
#include <system_error>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/containerd/config.h"
#include "agent/containerd/image_import.h"
#include "agent/containerd/mount_points.h"
#include "agent/containerd/supervisor.h"
#include "agent/cri/cri_runtime.h"
#include "agent/dns/cluster_dns.h"
#include "agent/dns/dummy_interface.h"
#include "agent/ingress/ingress_proxy.h"
#include "agent/kubelet/podspec_translator.h"
#include "agent/netpol/policy_enforcer.h"
#include "agent/node/cni_config.h"
#include "agent/node/lease_renewer.h"
#include "agent/node/node_status_reporter.h"
#include "agent/node/peer_network.h"
#include "agent/node/peer_router.h"
#include "agent/node/pod_cidr_watcher.h"
#include "agent/node/pod_masquerade.h"
#include "agent/pods/pod_manager.h"
#include "agent/probes/pod_probes.h"
#include "agent/proxy/activator.h"
#include "agent/proxy/service_proxy.h"
#include "agent/server/agent_server.h"
#include "api/object_meta.h"
#include "base/file.h"
#include "base/ipv4.h"
#include "base/json.h"
#include "base/net_address.h"
#include "base/process.h"
#include "client/shared_informers.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::kubelet {

namespace {

constexpr absl::Duration kRuntimeQueryTimeout = absl::Seconds(5);

}  // namespace

node::RuntimeState QueryRuntimeState(cri::Runtime* runtime) {
  node::RuntimeState state;
  absl::StatusOr<cri::v1::VersionResponse> version = runtime->Version({}, kRuntimeQueryTimeout);
  if (!version.ok()) {
    state.error = std::string(version.status().message());
    return state;
  }
  state.version = absl::StrCat(version->runtime_name(), "://", version->runtime_version());
  absl::StatusOr<cri::v1::StatusResponse> status = runtime->Status({}, kRuntimeQueryTimeout);
  if (!status.ok()) {
    state.error = std::string(status.status().message());
    return state;
  }
  for (const auto& c : status->status().conditions()) {
    if (c.type() == "RuntimeReady") {
      state.runtime_ready = c.status();
      state.runtime_reason = c.reason();
      state.runtime_message = c.message();
    } else if (c.type() == "NetworkReady") {
      state.network_ready = c.status();
      state.network_reason = c.reason();
      state.network_message = c.message();
    }
  }
  absl::StatusOr<cri::v1::ListImagesResponse> images = runtime->ListImages({}, kRuntimeQueryTimeout);
  if (images.ok()) {
    for (const auto& i : images->images()) {
      node::NodeImage image;
      image.repo_tags.assign(i.repo_tags().begin(), i.repo_tags().end());
      image.repo_digests.assign(i.repo_digests().begin(), i.repo_digests().end());
      image.size_bytes = static_cast<int64_t>(i.size());
      state.images.push_back(std::move(image));
    }
  } else {
    spdlog::warn("agent: listing images: {}", images.status().ToString());
  }
  return state;
}

Agent::Agent(client::Client* client, AgentOptions options) : client_(client), options_(std::move(options)) {}

Agent::~Agent() { Stop(); }

std::string Agent::runtime_endpoint() const {
  if (!options_.container_runtime_endpoint.empty()) return options_.container_runtime_endpoint;
  return supervisor_ ? supervisor_->endpoint() : "";
}

absl::Status Agent::ResolveIdentity() {
  if (options_.node_name.empty()) {
    char host[256] = {};
    if (gethostname(host, sizeof(host) - 1) != 0 || host[0] == '\0') {
      return absl::FailedPreconditionError("no --node-name given and the host name is unknown");
    }
    options_.node_name = absl::AsciiStrToLower(host);
  }
  if (options_.node_ip.empty()) {
    absl::StatusOr<std::string> ip = base::DefaultIpv4Address();
    if (!ip.ok())
      return absl::Status(ip.status().code(), absl::StrCat("no --node-ip given: ", ip.status().message()));
    options_.node_ip = *ip;
  }
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec) return absl::InternalError(absl::StrCat("creating ", options_.data_dir, ": ", ec.message()));
  return absl::OkStatus();
}

absl::Status Agent::StartRuntime() {
  if (options_.container_runtime_endpoint.empty()) {
    // runc needs the cgroup filesystem; `ip netns exec` remounts /sys and hides it, and every
    // sandbox would then fail with "no cgroup mount found".
    absl::StatusOr<std::string> mountinfo = base::ReadFile("/proc/self/mountinfo");
    if (mountinfo.ok() && !containerd::HasCgroupMount(*mountinfo)) {
      return absl::FailedPreconditionError(
          "no cgroup filesystem is mounted in this mount namespace (`ip netns exec` remounts /sys "
          "without it): enter a network namespace with `nsenter --net=/run/netns/NAME` instead");
    }
  }
  containerd::SupervisorOptions supervisor_options;
  supervisor_options.agent_dir = options_.data_dir;
  supervisor_options.existing_endpoint = options_.container_runtime_endpoint;
  supervisor_options.config.can_lower_oom_score = containerd::HasCapSysResource();
  supervisor_ = std::make_unique<containerd::ContainerdSupervisor>(supervisor_options);
  if (absl::Status s = supervisor_->Start(); !s.ok()) return s;
  absl::StatusOr<std::unique_ptr<cri::CriRuntime>> runtime =
      cri::CriRuntime::Create({.endpoint = supervisor_->endpoint()});
  if (!runtime.ok()) return runtime.status();
  if (absl::Status s = (*runtime)->WaitUntilReady(options_.runtime_start_timeout); !s.ok()) return s;
  runtime_ = *std::move(runtime);
  return absl::OkStatus();
}

absl::Status Agent::EnsurePauseImage() {
  cri::v1::ImageStatusRequest request;
  request.mutable_image()->set_image(containerd::kPauseImage);
  absl::StatusOr<cri::v1::ImageStatusResponse> status = runtime_->ImageStatus(request, cri::kRpcDefault);
  if (status.ok() && status->has_image()) return absl::OkStatus();
  if (options_.pause_image_archive.empty()) {
    spdlog::warn("agent: the runtime has no {} and no pause image archive was given",
                 containerd::kPauseImage);
    return absl::OkStatus();
  }
  absl::StatusOr<std::vector<std::string>> names =
      containerd::ImportImageArchive(supervisor_->endpoint(), options_.pause_image_archive);
  if (!names.ok()) return names.status();
  spdlog::info("agent: imported {} from {}", containerd::kPauseImage, options_.pause_image_archive);
  return absl::OkStatus();
}

void Agent::OnPodCidr(const std::string& cidr) {
  containerd::ContainerdPaths paths(options_.data_dir);
  node::CniOptions cni{.pod_cidr = cidr, .ipam_data_dir = options_.data_dir + "/cni/ipam"};
  // The peer router's masquerade table exempts traffic to other nodes' pods; the bridge's would not.
  cni.ip_masq = options_.cluster_cidr.empty();
  if (options_.flannel_backend == "vxlan") {
    // Every path to another node is encapsulated: pods' packets must fit in the device's MTU.
    if (absl::StatusOr<int> mtu = node::MtuOfAddress(options_.node_ip); mtu.ok())
      cni.mtu = *mtu - node::kVxlanOverhead;
  }
  absl::StatusOr<bool> written = node::WriteCniConflist(paths.cni_conf_dir, cni);
  if (!written.ok()) {
    spdlog::error("agent: writing the CNI configuration for podCIDR {}: {}", cidr,
                  written.status().ToString());
    return;
  }
  if (*written) spdlog::info("agent: CNI configuration written for podCIDR {}", cidr);
  if (!options_.container_runtime_endpoint.empty()) {
    spdlog::warn(
        "agent: with an external runtime the CNI configuration in {} is only used if that runtime "
        "reads it",
        paths.cni_conf_dir);
  }
  if (reporter_) reporter_->RequestSync();
}

absl::Status Agent::StartPeerRouter() {
  if (options_.flannel_backend == "none") {
    if (options_.cluster_cidr.empty()) return absl::OkStatus();
    return node::EnsurePodMasquerade(options_.cluster_cidr);
  }
  absl::StatusOr<node::Backend> backend = node::ParseBackend(options_.flannel_backend);
  if (!backend.ok()) return backend.status();
  peer_router_ = std::make_unique<node::PeerRouter>(
      client_, informers_.get(),
      node::PeerRouterOptions{.node_name = options_.node_name,
                              .node_ip = options_.node_ip,
                              .backend = *backend,
                              .cluster_cidr = options_.cluster_cidr,
                              .local_devices = {node::kCniBridge, kClusterDnsInterface}});
  if (absl::Status s = peer_router_->Start(); !s.ok()) {
    peer_router_.reset();
    return absl::Status(s.code(), absl::StrCat("peer routes: ", s.message()));
  }
  return absl::OkStatus();
}

absl::Status Agent::StartServices() {
  if (options_.enable_service_proxy) {
    proxy::ProxyOptions proxy_options;
    proxy_options.node_name = options_.node_name;
    proxy_options.node_ips = {options_.node_ip};
    proxy_options.pod_bridge = node::kCniBridge;
    if (options_.enable_cluster_dns) proxy_options.local_service_ips = {options_.cluster_dns};
    if (!options_.service_cidr.empty()) {
      proxy_options.service_cidrs = {options_.service_cidr};
      // The kubernetes Service (the first address) may lead to a loopback-only API server.
      if (absl::StatusOr<base::Ipv4Cidr> cidr = base::ParseIpv4Cidr(options_.service_cidr); cidr.ok()) {
        proxy_options.api_service_ip = base::NthAddress(*cidr, 1);
      }
    }
    proxy_options.count_connections = true;  // requests-per-second (/stats/services)
    // The activator listens first: the proxy's activate rules redirect to its port.
    activator_ = std::make_unique<proxy::Activator>(
        client_, &activations_,
        proxy::ActivatorOptions{.timeout = options_.activator_timeout, .max_held = options_.activator_max_held});
    if (absl::Status s = activator_->Start(); !s.ok()) {
      spdlog::warn("agent: no scale-to-zero activation on this node: {}", s.ToString());
      activator_.reset();
    } else {
      proxy_options.activator_port = activator_->port();
    }
    proxy_ = std::make_unique<proxy::ServiceProxy>(informers_.get(), proxy_options, &activations_);
    if (absl::Status s = proxy_->Start(); !s.ok()) {
      proxy_.reset();
      return absl::Status(s.code(), absl::StrCat("service proxy: ", s.message()));
    }
  }
  if (options_.enable_network_policy) {
    netpol::EnforcerOptions netpol_options;
    netpol_options.rules.node_name = options_.node_name;
    if (options_.enable_cluster_dns) netpol_options.rules.cluster_dns_ip = options_.cluster_dns;
    netpol_ = std::make_unique<netpol::PolicyEnforcer>(informers_.get(), netpol_options);
    if (absl::Status s = netpol_->Start(); !s.ok()) {
      netpol_.reset();
      return absl::Status(s.code(), absl::StrCat("network policy: ", s.message()));
    }
  }
  if (options_.enable_cluster_dns) {
    if (absl::Status s = dns::EnsureDummyAddress(kClusterDnsInterface, options_.cluster_dns); !s.ok()) {
      return absl::Status(s.code(), absl::StrCat("cluster DNS address: ", s.message()));
    }
    dns::ClusterDnsOptions dns_options;
    dns_options.listen = {absl::StrCat(options_.cluster_dns, ":53")};
    dns_options.cluster_domain = options_.cluster_domain;
    dns_options.resolv_conf = options_.resolv_conf;
    dns_ = std::make_unique<dns::ClusterDns>(informers_.get(), dns_options);
    if (absl::Status s = dns_->Start(); !s.ok()) {
      dns_.reset();
      return absl::Status(s.code(), absl::StrCat("cluster DNS: ", s.message()));
    }
  }
  if (options_.ingress_http_port > 0 || options_.ingress_https_port > 0) {
    ingress::IngressProxyOptions ingress_options;
    ingress_options.dir = IngressDir(options_.data_dir);
    if (!options_.node_ip.empty()) ingress_options.node_ips = {options_.node_ip};
    ingress_options.http_port = options_.ingress_http_port;
    ingress_options.https_port = options_.ingress_https_port;
    if (proxy_) {
      ingress_options.activation_address = [this](const std::string& key, const std::string& port_name,
                                                  int port_number) -> std::optional<ingress::Endpoint> {
        std::optional<proxy::Backend> address = activations_.ActivationAddress(key, port_name, port_number);
        if (!address) return std::nullopt;
        return ingress::Endpoint{address->ip, address->port};
      };
    }
    ingress_options.api_catalogue_has_custom_resources = options_.api_catalogue_has_custom_resources;
    ingress_ = std::make_unique<ingress::IngressProxy>(informers_.get(), ingress_options);
    // The node is usable without its ingress (e.g. port 80 held by another server): say so loudly
    // and go on.
    if (absl::Status s = ingress_->Start(); !s.ok()) {
      ingress_.reset();
      spdlog::error("ingress controller not started (ports {}/{}): {}", options_.ingress_http_port,
                    options_.ingress_https_port, s.ToString());
    }
  }
  return absl::OkStatus();
}

absl::Status Agent::Start() {
  absl::Status s = ResolveIdentity();
  if (s.ok() && options_.enable_ip_forwarding) {
    // Pods reach the outside and each other's hostPorts only with forwarding on.
    if (absl::Status f = node::EnableIpForwarding(); !f.ok()) spdlog::warn("agent: {}", f.ToString());
    absl::Status bridged = node::EnableBridgeNetfilter();
    if (absl::IsNotFound(bridged)) {
      (void)base::RunCommand({"modprobe", "br_netfilter"}, absl::Seconds(10));
      bridged = node::EnableBridgeNetfilter();
    }
    if (!bridged.ok())
      spdlog::warn("agent: Services between pods of this node need br_netfilter: {}", bridged.ToString());
  }
  if (s.ok()) s = StartRuntime();
  if (s.ok()) s = EnsurePauseImage();
  if (s.ok()) {
    node::NodeStatusReporter::Options reporter_options;
    reporter_options.node = {.node_name = options_.node_name,
                             .hostname = options_.node_name,
                             .node_ip = options_.node_ip,
                             .kubelet_port = options_.kubelet_port,
                             .max_pods = options_.max_pods,
                             .local_path_root = LocalPathRoot()};
    reporter_options.nodefs_path = options_.data_dir;
    reporter_options.imagefs_path = supervisor_->supervising() ? supervisor_->paths().root : "";
    reporter_options.update_period = options_.status_update_period;
    reporter_options.report_period = options_.status_report_period;
    reporter_options.clock = options_.clock;
    cri::Runtime* runtime = runtime_.get();
    reporter_ = std::make_unique<node::NodeStatusReporter>(client_, reporter_options,
                                                           [runtime] { return QueryRuntimeState(runtime); });
    absl::StatusOr<client::Object> registered = reporter_->Register();
    s = registered.status();
    if (s.ok()) {
      lease_ = std::make_unique<node::LeaseRenewer>(
          client_, node::LeaseRenewer::Options{.node_name = options_.node_name,
                                               .renew_interval = options_.lease_renew_interval,
                                               .lease_duration_seconds = 40,
                                               .clock = options_.clock});
      lease_->SetNodeUid(api::Uid(**registered));
      lease_->Start();
      reporter_->Start();
    }
  }
  if (s.ok()) {
    informers_ = std::make_unique<client::SharedInformers>(client_);
    informers_->Start();  // each informer starts as its first user asks for it
    cidr_watcher_ = std::make_unique<node::PodCidrWatcher>(
        informers_.get(), options_.node_name, [this](const std::string& cidr) { OnPodCidr(cidr); });
    cidr_watcher_->Start();
    local_path_cleaner_ = std::make_unique<node::LocalPathCleaner>(client_, informers_.get(), options_.node_name,
                                                                   LocalPathRoot());
    local_path_cleaner_->Start();
  }
  if (s.ok()) s = StartPeerRouter();
  if (s.ok()) s = StartServices();
  if (s.ok() && options_.start_pod_manager) {
    pods::PodManagerOptions pod_options;
    pod_options.node_name = options_.node_name;
    pod_options.host_ip = options_.node_ip;
    pod_options.data_dir = options_.data_dir;
    // The full pod spec translation (env from ConfigMaps/Secrets, volumes, resources, DNS).
    PodspecTranslatorOptions translator_options =
        DefaultPodspecTranslatorOptions(options_.data_dir, options_.node_ip);
    translator_options.dns.cluster_dns = {options_.cluster_dns};
    translator_options.dns.cluster_domain = options_.cluster_domain;
    translator_options.dns.host = podspec::ReadResolvConf(options_.resolv_conf);
    translator_options.node_name = options_.node_name;
    translator_options.tokens.clock = options_.clock;
    // The Services informer the proxy and DNS share gives containers their service variables.
    translator_ = std::make_unique<PodspecTranslator>(
        client_, std::move(translator_options), &informers_->For(client::Resource("", "v1", "services")));
    pod_manager_ = std::make_unique<pods::PodManager>(informers_.get(), runtime_.get(), translator_.get(),
                                                      pod_options, options_.clock);
    probes_ =
        std::make_unique<probes::PodProbes>(client_, runtime_.get(), pod_manager_.get(), options_.node_name);
    s = pod_manager_->Start();
    if (s.ok()) probes_->Start();
  }
  if (s.ok()) {
    // Logs/exec/attach/port-forward for the API server; containers run without it, so a busy
    // port is only a warning.
    server::AgentServerOptions server_options{.port = options_.kubelet_port,
                                              .data_dir = options_.data_dir,
                                              .client_ca_file = options_.client_ca_file,
                                              .serving_hosts = {options_.node_ip, options_.node_name}};
    if (proxy_) server_options.service_stats = [this] { return ServiceStats(); };
    server_ = std::make_unique<server::AgentServer>(runtime_.get(), std::move(server_options));
    if (absl::Status started = server_->Start(); !started.ok()) {
      spdlog::warn("agent: endpoint on port {}: {}", options_.kubelet_port, started.ToString());
      server_.reset();
    }
  }
  if (!s.ok()) {
    Stop();
    return s;
  }
  spdlog::info("agent: node {} ({}) running; runtime {}", options_.node_name, options_.node_ip,
               runtime_endpoint());
  return absl::OkStatus();
}

std::string IngressDir(const std::string& data_dir) {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(data_dir, ec);
  if (ec) dir = data_dir;
  return (dir.lexically_normal() / "ingress").string();
}

void Agent::AddRequestRateSource(proxy::RateSource source) {
  std::lock_guard lock(rate_sources_mu_);
  rate_sources_.push_back(std::move(source));
}

std::string Agent::ServiceStats() {
  std::vector<proxy::ServiceRates> parts = {proxy_->connection_rates().Rates()};
  {
    std::lock_guard lock(rate_sources_mu_);
    for (const proxy::RateSource& source : rate_sources_) parts.push_back(source());
  }
  return proxy::ServiceStatsJson(parts, proxy_->connection_rates().window());
}

std::string Agent::LocalPathRoot() const {
  std::error_code ec;
  std::filesystem::path dir = std::filesystem::absolute(options_.data_dir, ec);
  if (ec) dir = options_.data_dir;
  return (dir.lexically_normal() / "storage" / "local-path").string();
}

void Agent::Stop() {
  if (server_) server_->Stop();
  server_.reset();
  if (probes_) probes_->Stop();
  probes_.reset();
  if (pod_manager_) pod_manager_->Stop();
  pod_manager_.reset();
  translator_.reset();
  if (ingress_) ingress_->Stop();
  ingress_.reset();
  if (dns_) dns_->Stop();
  dns_.reset();
  if (netpol_) netpol_->Stop();
  netpol_.reset();
  if (activator_) activator_->Stop();
  activator_.reset();
  if (proxy_) proxy_->Stop();
  proxy_.reset();
  if (peer_router_) peer_router_->Stop();
  peer_router_.reset();
  if (local_path_cleaner_) local_path_cleaner_->Stop();
  local_path_cleaner_.reset();
  if (cidr_watcher_) cidr_watcher_->Stop();
  cidr_watcher_.reset();
  if (informers_) informers_->Stop();
  informers_.reset();
  if (reporter_) reporter_->Stop();
  if (lease_) lease_->Stop();
  lease_.reset();
  reporter_.reset();
  runtime_.reset();
  if (supervisor_) {
    if (absl::Status s = supervisor_->Stop(); !s.ok())
      spdlog::warn("agent: stopping containerd: {}", s.ToString());
  }
  supervisor_.reset();
}

}  // namespace skiff::agent::kubelet
