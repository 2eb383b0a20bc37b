#include "agent/ingress/ingress_proxy.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <mutex>
#include <utility>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "agent/ingress/gateway_translator.h"
#include "agent/ingress/ingress_translator.h"
#include "agent/server/serving_cert.h"
#include "api/resources.h"
#include "base/file.h"
#include "base/json.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::ingress {
namespace {

constexpr char kSliceServiceIndex[] = "ingress-service";

std::string SliceServiceKey(const boost::json::value& slice) {
  const std::string service = base::GetString(slice, {"metadata", "labels", "kubernetes.io/service-name"});
  if (service.empty()) return "";
  return client::MakeKey(base::GetString(slice, {"metadata", "namespace"}), service);
}

// DIR/default.pem: the certificate for handshakes that name no Ingress host.
absl::StatusOr<std::string> EnsureDefaultCertificate(const std::string& dir) {
  const std::string cert = dir + "/default.crt", key = dir + "/default.key", pem = dir + "/default.pem";
  if (absl::Status s = server::EnsureSelfSignedCertificate(cert, key, {"skiff-ingress-default"}); !s.ok()) return s;
  absl::StatusOr<std::string> cert_pem = base::ReadFile(cert);
  if (!cert_pem.ok()) return cert_pem.status();
  absl::StatusOr<std::string> key_pem = base::ReadFile(key);
  if (!key_pem.ok()) return key_pem.status();
  if (absl::Status s = base::WriteFileAtomically(pem, *cert_pem + *key_pem, 0600); !s.ok()) return s;
  return pem;
}

// Gives every backend of a Service marked for activation its activator address (scale to zero).
void SetActivators(const decltype(IngressProxyOptions::activation_address)& lookup, RouteTable& table) {
  auto set = [&](Route& route) {
    for (Backend& backend : route.backends) {
      backend.activator = lookup(client::MakeKey(backend.ns, backend.service), backend.port_name, backend.port_number);
    }
  };
  for (VirtualHost& host : table.hosts) {
    for (Route& route : host.routes) set(route);
  }
  if (table.default_route) set(*table.default_route);
}

// A Gateway API resource as this process knows it: the catalogue's entry (with its CRD's details)
// when it has one; otherwise, for a separate agent whose catalogue has only built-ins, a
// descriptor with the names and scope, which is all a REST client needs. Never freed (informers
// borrow it; catalogue entries live as long).
const api::ResourceInfo* GatewayResource(bool catalogue_has_custom, const std::string& version,
                                         const std::string& kind, const std::string& plural, bool namespaced) {
  if (const api::ResourceInfo* served = api::FindResource(controllers::gateway::kGroup, version, plural)) {
    return served;
  }
  if (catalogue_has_custom) return nullptr;  // not (yet) served
  static std::mutex mu;
  static auto* known = new std::map<std::string, const api::ResourceInfo*>();
  std::lock_guard lock(mu);
  const api::ResourceInfo*& info = (*known)[plural];
  if (!info) {
    info = new api::ResourceInfo{.group = controllers::gateway::kGroup, .version = version, .kind = kind,
                                 .plural = plural, .singular = absl::AsciiStrToLower(kind), .namespaced = namespaced,
                                 .verbs = {"get", "list", "watch"}};
  }
  return info;
}

}  // namespace

IngressProxy::IngressProxy(client::SharedInformers* informers, IngressProxyOptions options)
    : options_(std::move(options)),
      informers_(informers),
      ingresses_(&informers->For(client::Resource("networking.k8s.io", "v1", "ingresses"))),
      classes_(&informers->For(client::Resource("networking.k8s.io", "v1", "ingressclasses"))),
      services_(&informers->For(client::Resource("", "v1", "services"))),
      slices_(&informers->For(client::Resource("discovery.k8s.io", "v1", "endpointslices"))) {}

IngressProxy::~IngressProxy() { Stop(); }

absl::Status IngressProxy::Start() {
  if (haproxy_) return absl::FailedPreconditionError("ingress proxy already started");
  std::error_code error;
  std::filesystem::create_directories(options_.dir, error);
  if (error) return base::ErrnoStatus(error.value(), absl::StrCat("mkdir ", options_.dir));
  absl::StatusOr<std::string> default_pem = EnsureDefaultCertificate(options_.dir);
  if (!default_pem.ok()) {
    return absl::Status(default_pem.status().code(),
                        absl::StrCat("ingress default certificate: ", default_pem.status().message()));
  }
  auto haproxy = std::make_unique<HaproxySupervisor>(
      HaproxySupervisorOptions{.dir = options_.dir, .binary = options_.haproxy_binary});
  render_options_.bind_addresses = options_.node_ips;
  render_options_.bind_addresses.insert(render_options_.bind_addresses.begin(), "127.0.0.1");
  render_options_.http_port = options_.http_port;
  render_options_.https_port = options_.https_port;
  render_options_.default_certificate = *default_pem;
  render_options_.stats_socket = haproxy->stats_socket();
  render_options_.cert_dir = haproxy->NextCertDir();
  // Until the caches sync, every request gets 404 (nothing routed yet), never a refused connection.
  absl::StatusOr<RenderedConfig> initial = RenderHaproxyConfig(RouteTable{}, render_options_);
  if (!initial.ok()) return initial.status();
  if (absl::Status s = haproxy->Start(*initial); !s.ok()) return s;
  haproxy_ = std::move(haproxy);

  slices_->AddIndex(kSliceServiceIndex, [](const boost::json::value& slice) {
    std::string key = SliceServiceKey(slice);
    return key.empty() ? std::vector<std::string>{} : std::vector<std::string>{key};
  });
  auto any = client::InformerHandlers{
      .on_add = [this](const client::Object&) { MarkDirty(); },
      .on_update = [this](const client::Object&, const client::Object&) { MarkDirty(); },
      .on_delete = [this](const client::Object&) { MarkDirty(); },
  };
  handlers_.emplace_back(ingresses_, ingresses_->AddHandlers(any));
  handlers_.emplace_back(classes_, classes_->AddHandlers(any));
  handlers_.emplace_back(services_, services_->AddHandlers({
      .on_add = [this](const client::Object& s) { MarkService(client::KeyOf(*s)); },
      .on_update = [this](const client::Object&, const client::Object& s) { MarkService(client::KeyOf(*s)); },
      .on_delete = [this](const client::Object& s) { MarkService(client::KeyOf(*s)); },
  }));
  handlers_.emplace_back(slices_, slices_->AddHandlers({
      .on_add = [this](const client::Object& s) { MarkService(SliceServiceKey(*s)); },
      .on_update =
          [this](const client::Object& old_slice, const client::Object& s) {
            MarkService(SliceServiceKey(*old_slice));
            MarkService(SliceServiceKey(*s));
          },
      .on_delete = [this](const client::Object& s) { MarkService(SliceServiceKey(*s)); },
  }));
  {
    std::lock_guard lock(mu_);
    stop_ = false;
    dirty_ = true;
  }
  for (client::Informer* informer : {ingresses_, classes_, services_, slices_}) informer->Start();
  thread_ = std::thread([this] { SyncLoop(); });
  spdlog::info("ingress: listening on {} (http {}, https {})", absl::StrJoin(render_options_.bind_addresses, ","),
               options_.http_port, options_.https_port);
  return absl::OkStatus();
}

void IngressProxy::Stop() {
  if (!haproxy_) return;
  {
    std::lock_guard lock(mu_);
    stop_ = true;
  }
  cv_.notify_all();
  // The sync thread adds the Gateway API handlers: it ends before they are removed.
  if (thread_.joinable()) thread_.join();
  for (auto& [informer, id] : handlers_) informer->RemoveHandlers(id);
  handlers_.clear();
  gateway_informers_.clear();
  haproxy_->Stop();
  haproxy_.reset();
}

IngressStats IngressProxy::stats() const {
  std::lock_guard lock(mu_);
  return stats_;
}

void IngressProxy::MarkDirty() {
  {
    std::lock_guard lock(mu_);
    dirty_ = true;
  }
  cv_.notify_all();
}

void IngressProxy::MarkService(const std::string& key) {
  {
    std::lock_guard lock(mu_);
    if (key.empty() || !referenced_services_.count(key)) return;
    dirty_ = true;
  }
  cv_.notify_all();
}

void IngressProxy::SyncLoop() {
  auto synced = [this] {
    for (client::Informer* informer : {ingresses_, classes_, services_, slices_}) {
      if (!informer->WaitForSync(absl::Milliseconds(100))) return false;
    }
    return true;
  };
  while (!synced()) {
    std::lock_guard lock(mu_);
    if (stop_) return;
  }
  absl::Duration backoff = absl::ZeroDuration();
  std::unique_lock lock(mu_);
  // Secrets are re-read on their period even without events.
  absl::Time next_refresh = absl::Now();
  bool gateway_api = false;
  while (!stop_) {
    const absl::Duration wait = std::clamp(next_refresh - absl::Now(), absl::ZeroDuration(), absl::Hours(1));
    cv_.wait_for(lock, absl::ToChronoNanoseconds(wait), [&] { return stop_ || dirty_; });
    if (stop_) break;
    // Coalesce a burst of events (a rollout changes many slices) into one reload.
    cv_.wait_for(lock, absl::ToChronoNanoseconds(std::max(options_.sync_delay, backoff)), [&] { return stop_; });
    if (stop_) break;
    dirty_ = false;
    lock.unlock();
    if (!gateway_api) gateway_api = StartGatewayInformers();
    const absl::Status status = Sync();
    lock.lock();
    ++stats_.syncs;
    if (status.ok()) {
      stats_.last_error.clear();
      backoff = absl::ZeroDuration();
    } else {
      ++stats_.failures;
      stats_.last_error = status.ToString();
      spdlog::error("ingress: {}", status.ToString());
      backoff = std::min(absl::Seconds(30), std::max(absl::Milliseconds(500), backoff * 2));
      dirty_ = true;
    }
    // A Secret we may not read yet (its Role is written by the leader a moment after the Ingress)
    // is asked for again soon.
    next_refresh = absl::Now() + (secrets_unreadable_ ? absl::Seconds(1)
                                  : secrets_.empty()  ? absl::Hours(1)
                                                      : options_.secret_refresh);
    if (!gateway_api) {
      next_refresh = std::min(next_refresh, absl::Now() + options_.gateway_probe);
    }
  }
}

bool IngressProxy::StartGatewayInformers() {
  const bool catalogue = options_.api_catalogue_has_custom_resources;
  // In the order of gateway_informers_; the CRDs may be installed in any order: all four must be
  // served.
  std::vector<const api::ResourceInfo*> resources = {
      GatewayResource(catalogue, "v1", "GatewayClass", "gatewayclasses", false),
      GatewayResource(catalogue, "v1", "Gateway", "gateways", true),
      GatewayResource(catalogue, "v1", "HTTPRoute", "httproutes", true),
      GatewayResource(catalogue, "v1beta1", "ReferenceGrant", "referencegrants", true)};
  for (const api::ResourceInfo* resource : resources) {
    if (!resource || !informers_->client()->List(*resource, "", client::ListOptions{.limit = 1}).ok()) return false;
  }
  resources.push_back(&client::Resource("", "v1", "namespaces"));
  auto any = client::InformerHandlers{
      .on_add = [this](const client::Object&) { MarkDirty(); },
      .on_update = [this](const client::Object&, const client::Object&) { MarkDirty(); },
      .on_delete = [this](const client::Object&) { MarkDirty(); },
  };
  for (const api::ResourceInfo* resource : resources) {
    client::Informer* informer = &informers_->For(*resource);
    handlers_.emplace_back(informer, informer->AddHandlers(any));
    informer->Start();
    gateway_informers_.push_back(informer);
  }
  for (client::Informer* informer : gateway_informers_) informer->WaitForSync(absl::Seconds(5));
  spdlog::info("ingress: serving Gateway API HTTPRoutes (GatewayClass controller {})",
               controllers::gateway::kControllerName);
  return true;
}

std::map<std::string, client::Object> IngressProxy::ReadSecrets(const std::set<std::string>& keys,
                                                                std::vector<std::string>* warnings) {
  std::map<std::string, client::Object> result;
  const absl::Time now = absl::Now();
  secrets_unreadable_ = false;
  std::map<std::string, CachedSecret> kept;
  for (const std::string& key : keys) {
    auto cached = secrets_.find(key);
    if (cached != secrets_.end() && now - cached->second.fetched < options_.secret_refresh) {
      kept[key] = cached->second;
    } else {
      std::string ns, name;
      client::SplitKey(key, &ns, &name);
      absl::StatusOr<client::Object> secret =
          informers_->client()->Get(client::Resource("", "v1", "secrets"), ns, name);
      if (secret.ok()) {
        kept[key] = CachedSecret{*secret, now};
      } else if (absl::IsNotFound(secret.status())) {
        kept[key] = CachedSecret{nullptr, now};
      } else {
        warnings->push_back(absl::StrCat("Secret ", key, ": ", secret.status().message()));
        secrets_unreadable_ = true;
        if (cached != secrets_.end()) kept[key] = cached->second;  // serve the last one read
        continue;
      }
    }
    if (kept[key].secret) result[key] = kept[key].secret;
  }
  secrets_ = std::move(kept);
  return result;
}

absl::Status IngressProxy::Sync() {
  IngressInputs inputs;
  inputs.ingresses = ingresses_->List();
  inputs.classes = {kDefaultIngressClass};
  for (const client::Object& ingress_class : classes_->List()) {
    if (base::GetString(*ingress_class, {"spec", "controller"}) == kIngressController) {
      inputs.classes.insert(base::GetString(*ingress_class, {"metadata", "name"}));
    }
  }
  std::set<std::string> services = ReferencedServices(inputs.ingresses, inputs.classes);
  GatewayInputs gateway;
  if (!gateway_informers_.empty()) {
    controllers::gateway::GatewayObjects objects{.classes = gateway_informers_[0]->List(),
                                                 .gateways = gateway_informers_[1]->List(),
                                                 .routes = gateway_informers_[2]->List(),
                                                 .namespaces = gateway_informers_[4]->List()};
    gateway.attachments = controllers::gateway::Attach(objects);
    gateway.reference_grants = gateway_informers_[3]->List();
    const std::set<std::string> gateway_services = GatewayReferencedServices(gateway.attachments);
    services.insert(gateway_services.begin(), gateway_services.end());
  }
  {
    std::lock_guard lock(mu_);
    referenced_services_ = services;
  }
  for (const std::string& key : services) {
    if (client::Object service = services_->Get(key)) inputs.services[key] = service;
    inputs.slices[key] = slices_->ByIndex(kSliceServiceIndex, key);
  }
  std::vector<std::string> warnings;
  std::set<std::string> secret_keys = ReferencedSecrets(inputs.ingresses, inputs.classes);
  if (!gateway_informers_.empty()) {
    const std::set<std::string> certificates =
        controllers::gateway::GatewayCertificateSecrets(gateway.attachments.gateways);
    secret_keys.insert(certificates.begin(), certificates.end());
  }
  inputs.secrets = ReadSecrets(secret_keys, &warnings);
  RouteTable table = TranslateIngresses(inputs, &warnings);
  if (!gateway_informers_.empty()) {
    gateway.services = inputs.services;
    gateway.slices = inputs.slices;
    gateway.secrets = inputs.secrets;
    TranslateGateways(gateway, &table, &warnings);
  }
  if (options_.activation_address) SetActivators(options_.activation_address, table);
  if (applied_ && *applied_ == table) return absl::OkStatus();

  HaproxyOptions options = render_options_;
  options.cert_dir = haproxy_->NextCertDir();
  absl::StatusOr<RenderedConfig> rendered = RenderHaproxyConfig(table, options);
  if (!rendered.ok()) return rendered.status();
  warnings.insert(warnings.end(), rendered->warnings.begin(), rendered->warnings.end());
  {
    std::lock_guard lock(mu_);
    if (warnings != stats_.warnings) {
      for (const std::string& warning : warnings) spdlog::warn("ingress: {}", warning);
    }
    stats_.warnings = warnings;
  }
  const absl::Time start = absl::Now();
  if (absl::Status s = haproxy_->Apply(*rendered); !s.ok()) return s;
  spdlog::info("ingress: applied {} hosts, {} certificates in {}", table.hosts.size(), table.certificates.size(),
               absl::FormatDuration(absl::Now() - start));
  applied_ = std::move(table);
  std::lock_guard lock(mu_);
  ++stats_.applies;
  return absl::OkStatus();
}

}  // namespace skiff::agent::ingress
