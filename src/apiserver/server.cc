#include "apiserver/server.h"

#include <filesystem>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/resources.h"
#include "api/schema.h"
#include "apiserver/admissionpolicy/plugin.h"
#include "apiserver/admissionwebhook/plugin.h"
#include "apiserver/aggregator.h"
#include "apiserver/aggregator_bootstrap.h"
#include "apiserver/api_handler.h"
#include "apiserver/apiservice_availability.h"
#include "apiserver/audit/auditor.h"
#include "apiserver/auth.h"
#include "apiserver/cluster_identity.h"
#include "apiserver/crd/conversion.h"
#include "apiserver/crd_controller.h"
#include "apiserver/credential_renewal.h"
#include "apiserver/csr_admission.h"
#include "apiserver/csr_authorization.h"
#include "apiserver/default_ingress_class.h"
#include "apiserver/default_services.h"
#include "apiserver/default_storage_class.h"
#include "apiserver/ingress_class_admission.h"
#include "apiserver/kubeconfig.h"
#include "apiserver/metered_store.h"
#include "apiserver/metrics.h"
#include "apiserver/custom_metrics_api.h"
#include "apiserver/metrics_api.h"
#include "apiserver/node_authorizer/node_authorizer.h"
#include "apiserver/node_authorizer/node_restriction.h"
#include "apiserver/node_authorizer_sources.h"
#include "apiserver/pod_security_sources.h"
#include "apiserver/pod_streams.h"
#include "apiserver/podsecurity/config.h"
#include "apiserver/podsecurity/plugin.h"
#include "apiserver/quota/limit_ranger.h"
#include "apiserver/quota/resource_quota_admission.h"
#include "apiserver/quota_sources.h"
#include "apiserver/policy_sources.h"
#include "apiserver/rbac_authorizer.h"
#include "apiserver/rbac_bootstrap.h"
#include "apiserver/resource_storage.h"
#include "apiserver/schema_admission.h"
#include "apiserver/selection.h"
#include "apiserver/service_account_admission.h"
#include "apiserver/service_account_tokens.h"
#include "apiserver/service_allocations.h"
#include "apiserver/storage_class_admission.h"
#include "apiserver/store_migration.h"
#include "apiserver/watch_cache.h"
#include "apiserver/webhook_sources.h"
#include "base/file.h"
#include "base/ipv4.h"
#include "base/net_address.h"
#include "boost/json.hpp"
#include "http/errors.h"
#include "http/http_server.h"
#include "http/pki.h"
#include "spdlog/spdlog.h"
#include "storage/etcd/etcd_store.h"
#include "storage/sqlite/sqlite_store.h"

namespace skiff::apiserver {
namespace {

absl::Status SplitListen(const std::string& listen, std::string* host, int* port) {
  auto colon = listen.rfind(':');
  if (colon == std::string::npos || !absl::SimpleAtoi(listen.substr(colon + 1), port) || *port < 0 ||
      *port > 65535) {
    return absl::InvalidArgumentError(absl::StrCat("--listen must be ADDR:PORT, got \"", listen, "\""));
  }
  *host = listen.substr(0, colon);
  if (host->size() > 2 && host->front() == '[' && host->back() == ']')
    *host = host->substr(1, host->size() - 2);
  if (host->empty()) *host = "0.0.0.0";
  return absl::OkStatus();
}

// The store the options choose: etcd (after an optional import from a SQLite data dir) or SQLite.
absl::StatusOr<std::unique_ptr<storage::Store>> OpenStore(const ServerOptions& options) {
  auto open_sqlite = [](const std::string& dir,
                        bool compact) -> absl::StatusOr<std::unique_ptr<storage::Store>> {
    storage::SqliteOptions sqlite;
    sqlite.path = dir + "/state.db";
    if (!compact) sqlite.compaction_interval = absl::ZeroDuration();
    auto store = storage::SqliteStore::Open(sqlite);
    if (!store.ok()) return store.status();
    return std::unique_ptr<storage::Store>(std::move(*store));
  };
  if (options.etcd.endpoints.empty()) {
    if (!options.import_from.empty()) return absl::InvalidArgumentError("--import-from needs --etcd-servers");
    spdlog::info("opening store in {}", options.data_dir);
    return open_sqlite(options.data_dir, true);
  }
  spdlog::info("connecting to etcd at {} (prefix {})", absl::StrJoin(options.etcd.endpoints, ","),
               options.etcd.prefix);
  auto etcd = storage::EtcdStore::Open(options.etcd);
  if (!etcd.ok()) return etcd.status();
  if (!options.import_from.empty()) {
    if (!std::filesystem::exists(options.import_from + "/state.db"))
      return absl::InvalidArgumentError(
          absl::StrCat("--import-from ", options.import_from, ": no state.db there"));
    auto source = open_sqlite(options.import_from, false);
    if (!source.ok()) return source.status();
    auto copied = ImportObjects(**source, **etcd);
    if (!copied.ok()) return copied.status();
    spdlog::info("imported {} objects from {}", *copied, options.import_from);
  }
  return std::unique_ptr<storage::Store>(std::move(*etcd));
}

// Every stored Service, for rebuilding the allocators after a restart.
std::vector<boost::json::value> StoredServices(WatchCache* cache) {
  std::string prefix = ResourcePrefix("", "services");
  bool more = false;
  auto list = cache->List(prefix, prefix, nullptr, "", 0, &more);
  std::vector<boost::json::value> out;
  out.reserve(list.objects.size());
  for (const auto& obj : list.objects) out.push_back(obj->Parse());
  return out;
}

}  // namespace

absl::StatusOr<std::string> ClusterDnsAddress(const std::string& service_cidr) {
  auto cidr = base::ParseIpv4Cidr(service_cidr);
  if (!cidr.ok()) return cidr.status();
  return base::NthAddress(*cidr, 10);
}

struct Server::Parts {
  ServerCredentials credentials;
  std::unique_ptr<storage::Store> store;
  std::unique_ptr<MeteredStore> metered;
  std::unique_ptr<WatchCache> cache;
  std::unique_ptr<SchemaAdmission> admission;
  std::unique_ptr<ServiceAccountAdmission> service_account_admission;
  std::unique_ptr<CsrAdmission> csr_admission;
  std::unique_ptr<CsrAuthorization> csr_authorization;
  std::unique_ptr<ServiceAllocations> service_allocations;
  std::unique_ptr<PodSecuritySources> pod_security_sources;
  std::unique_ptr<podsecurity::PodSecurityPlugin> pod_security;
  std::unique_ptr<QuotaSources> quota_sources;
  std::unique_ptr<quota::LimitRanger> limit_ranger;
  std::unique_ptr<quota::ResourceQuotaAdmission> resource_quota;
  std::unique_ptr<PolicySources> policy_sources;
  std::unique_ptr<admissionpolicy::PolicyAdmission> policy_admission;
  std::unique_ptr<StorageClassAdmission> storage_class_admission;
  std::unique_ptr<IngressClassAdmission> ingress_class_admission;
  std::unique_ptr<WebhookSources> webhook_sources;
  std::unique_ptr<admissionwebhook::WebhookAdmission> webhook_admission;
  std::unique_ptr<ResourceStorage> storage;
  std::unique_ptr<CrdController> crd_controller;
  std::unique_ptr<ServiceAccountTokens> service_account_tokens;
  Authenticator authenticator;
  AllowAllAuthorizer allow_all;
  std::unique_ptr<RbacAuthorizer> rbac;
  std::unique_ptr<RbacEscalationCheck> escalation_check;
  std::unique_ptr<NodeAuthorizerSources> node_authorizer_sources;
  std::unique_ptr<node_authorizer::NodeAuthorizer> node_authorizer;
  std::unique_ptr<node_authorizer::NodeAndRbacAuthorizer> node_and_rbac;
  std::unique_ptr<node_authorizer::NodeRestriction> node_restriction;
  const Authorizer* authorizer = nullptr;
  Metrics metrics;
  std::unique_ptr<PodStreams> pod_streams;
  std::unique_ptr<MetricsApi> metrics_api;
  std::unique_ptr<CustomMetricsApi> custom_metrics_api;
  std::unique_ptr<Aggregator> aggregator;
  std::unique_ptr<ApiServiceAvailability> apiservice_availability;
  std::shared_ptr<audit::Auditor> auditor;
  std::unique_ptr<ApiHandler> handler;
  std::unique_ptr<http::HttpServer> http_server;
  std::unique_ptr<CredentialRenewal> credential_renewal;
  std::string kubeconfig;
};

Server::Server(ServerOptions options) : options_(std::move(options)), parts_(std::make_unique<Parts>()) {}

Server::~Server() { Stop(); }

absl::Status Server::Start() {
  std::string host;
  int port = 0;
  if (auto s = SplitListen(options_.listen, &host, &port); !s.ok()) return s;
  auto auditor = audit::NewAuditor(options_.audit, &base::RealClock());
  if (!auditor.ok()) return auditor.status();
  parts_->auditor = std::move(*auditor);
  std::error_code ec;
  std::filesystem::create_directories(options_.data_dir, ec);
  if (ec)
    return absl::UnavailableError(absl::StrCat("cannot create ", options_.data_dir, ": ", ec.message()));
  // It holds the CA key, tokens and every Secret: the owner's alone, whatever the umask.
  std::filesystem::permissions(options_.data_dir, std::filesystem::perms::owner_all,
                               std::filesystem::perm_options::replace, ec);
  if (ec) return absl::UnavailableError(absl::StrCat("cannot restrict ", options_.data_dir, ": ", ec.message()));

  // The kubeconfig points at loopback when listening on all addresses.
  std::string url_host = (host == "0.0.0.0" || host == "::") ? "127.0.0.1" : host;
  if (url_host.find(':') != std::string::npos) url_host = absl::StrCat("[", url_host, "]");
  http::PkiOptions pki;
  if (host != "0.0.0.0" && host != "::") pki.extra_sans.push_back(host);

  auto store = OpenStore(options_);
  if (!store.ok()) return store.status();
  parts_->store = std::move(*store);
  auto migrated = MigrateKeyLayout(*parts_->store);
  if (!migrated.ok()) return migrated.status();
  if (*migrated > 0) spdlog::info("moved {} objects to the Kubernetes key layout", *migrated);
  parts_->metered = std::make_unique<MeteredStore>(parts_->store.get(), &parts_->metrics);
  WatchCache::Options cache_options;
  cache_options.field_indexer = CatalogueFieldIndexer();
  parts_->cache = std::make_unique<WatchCache>(parts_->metered.get(), cache_options);
  if (auto s = parts_->cache->Start(); !s.ok()) return s;
  parts_->admission = std::make_unique<SchemaAdmission>(api::BuiltinSchemas());
  parts_->storage = std::make_unique<ResourceStorage>(parts_->metered.get(), parts_->cache.get(),
                                                      &base::RealClock(), parts_->admission.get());
  // LimitRanger first (as kube-apiserver): later plug-ins see the pod with its defaulted resources.
  parts_->quota_sources = std::make_unique<QuotaSources>(parts_->cache.get());
  parts_->limit_ranger = std::make_unique<quota::LimitRanger>(parts_->quota_sources.get());
  parts_->storage->AddAdmissionPlugin(parts_->limit_ranger.get());
  if (options_.service_account_admission) {
    parts_->service_account_admission = std::make_unique<ServiceAccountAdmission>(parts_->storage.get());
    parts_->storage->AddAdmissionPlugin(parts_->service_account_admission.get());
  }
  auto allocations = ServiceAllocations::Create(
      {.service_cidr = options_.service_cidr, .node_port_range = options_.service_node_port_range});
  if (!allocations.ok()) return allocations.status();
  parts_->service_allocations = std::move(*allocations);
  parts_->service_allocations->Rebuild(StoredServices(parts_->cache.get()));
  parts_->storage->AddWriteHook(parts_->service_allocations.get());
  parts_->pod_security_sources = std::make_unique<PodSecuritySources>(parts_->cache.get());
  podsecurity::Options pod_security;
  if (!options_.pod_security_config.empty()) {
    auto loaded = podsecurity::LoadConfig(options_.pod_security_config);
    if (!loaded.ok()) return loaded.status();
    pod_security = std::move(*loaded);
  }
  parts_->pod_security = std::make_unique<podsecurity::PodSecurityPlugin>(parts_->pod_security_sources.get(),
                                                                         std::move(pod_security));
  parts_->storage->AddAdmissionPlugin(parts_->pod_security.get());
  parts_->csr_admission = std::make_unique<CsrAdmission>(&base::RealClock());
  parts_->storage->AddAdmissionPlugin(parts_->csr_admission.get());
  parts_->node_authorizer_sources = std::make_unique<NodeAuthorizerSources>(parts_->cache.get());
  if (options_.node_restriction_admission) {
    parts_->node_restriction =
        std::make_unique<node_authorizer::NodeRestriction>(parts_->node_authorizer_sources.get());
    parts_->storage->AddAdmissionPlugin(parts_->node_restriction.get());
  }
  // DefaultStorageClass and StorageObjectInUseProtection before ResourceQuota, which charges
  // claims per storage class.
  parts_->storage_class_admission = std::make_unique<StorageClassAdmission>(parts_->cache.get());
  parts_->storage->AddAdmissionPlugin(parts_->storage_class_admission.get());
  parts_->ingress_class_admission = std::make_unique<IngressClassAdmission>(parts_->cache.get());
  parts_->storage->AddAdmissionPlugin(parts_->ingress_class_admission.get());
  // ResourceQuota last (as kube-apiserver): it charges the object the other plug-ins let through.
  parts_->resource_quota = std::make_unique<quota::ResourceQuotaAdmission>(parts_->quota_sources.get(), &base::RealClock());
  parts_->storage->AddAdmissionPlugin(parts_->resource_quota.get());
  // Namespaces Kubernetes always has.
  const api::ResourceInfo* namespaces = api::FindResource("", "v1", "namespaces");
  for (const char* ns : {"default", "kube-system", "kube-public", "kube-node-lease"}) {
    if (parts_->storage->Get(*namespaces, "", ns).ok()) continue;
    boost::json::value obj = boost::json::object{{"metadata", boost::json::object{{"name", ns}}}};
    auto created = parts_->storage->Create(*namespaces, "", std::move(obj), WriteOptions{});
    if (!created.ok() && api::HttpCode(created.status()) != 409) return created.status();
  }

  if (auto s = SetUpAuthorization(); !s.ok()) return s;
  parts_->csr_authorization = std::make_unique<CsrAuthorization>(parts_->authorizer);
  parts_->storage->AddAdmissionPlugin(parts_->csr_authorization.get());
  // Dynamic admission webhooks last: mutating webhooks see what the built-in plug-ins made of the
  // object, validating webhooks the final object (kube-apiserver's order, less ResourceQuota).
  // ValidatingAdmissionPolicies before the webhooks: their Validate sees what the mutating
  // webhooks made of the object and runs before the validating webhooks (kube's order).
  parts_->policy_sources = std::make_unique<PolicySources>(parts_->cache.get());
  parts_->policy_admission =
      std::make_unique<admissionpolicy::PolicyAdmission>(parts_->policy_sources.get(), parts_->authorizer);
  parts_->storage->AddAdmissionPlugin(parts_->policy_admission.get());
  parts_->webhook_sources = std::make_unique<WebhookSources>(parts_->cache.get());
  const crd::Converter* converter = &parts_->storage->converter();
  parts_->webhook_admission = std::make_unique<admissionwebhook::WebhookAdmission>(
      parts_->webhook_sources.get(), parts_->authorizer,
      [converter](boost::json::value obj, const api::ResourceInfo& from, const api::ResourceInfo& to) {
        return converter->Convert(std::move(obj), from, to);
      });
  parts_->storage->AddAdmissionPlugin(parts_->webhook_admission.get());
  // Custom resources are served from here on, before any controller manager leads.
  parts_->crd_controller = std::make_unique<CrdController>(parts_->storage.get(), &base::RealClock());
  if (auto s = parts_->crd_controller->Start(); !s.ok()) return s;

  // Certificates need the real port in the kubeconfig, so bind first when the port is 0.
  // Pods reach the server at the kubernetes Service's ClusterIP (KUBERNETES_SERVICE_HOST), so the
  // serving certificate names it, as kube-apiserver's does.
  pki.extra_sans.push_back(base::NthAddress(parts_->service_allocations->cidr(), 1));
  http::HttpServerOptions http_options;
  http_options.listen_address = host;
  http_options.port = port;
  http_options.worker_threads = options_.worker_threads;
  http_options.max_requests_inflight = options_.max_requests_inflight;
  http_options.max_mutating_requests_inflight = options_.max_mutating_requests_inflight;
  http_options.serve_inline = [](const http::HttpRequest& req) { return ApiHandler::IsProbe(req.path); };
  if (!options_.cluster_token.empty()) {
    auto joined = FetchClusterIdentity(parts_->store.get(), options_.data_dir, options_.cluster_token,
                                       options_.etcd.prefix);
    if (!joined.ok()) return joined.status();
    if (*joined) spdlog::info("cluster identity (CA, ServiceAccount key, tokens) taken from the store");
  }
  auto creds = EnsureServerCredentials(options_.data_dir,
                                       absl::StrCat("https://", url_host, ":", port == 0 ? 1 : port), pki);
  if (!creds.ok()) return creds.status();
  parts_->credentials = *creds;
  http_options.cert_file = creds->paths.server_cert;
  http_options.key_file = creds->paths.server_key;
  http_options.client_ca_file = creds->paths.ca_cert;
  parts_->authenticator.AddToken(creds->admin_token, User{"admin", "admin", {"system:masters"}});
  // The join token of `skiff agent`: a bootstrap token, good only for asking for a node client
  // certificate through a CertificateSigningRequest (Kubernetes' TLS bootstrapping).
  parts_->authenticator.AddToken(creds->node_token,
                                 User{"system:bootstrap:skiff-node", "", {"system:bootstrappers"}});
  if (!options_.token_file.empty()) {
    if (auto s = parts_->authenticator.LoadTokenFile(options_.token_file); !s.ok()) return s;
  }
  ServiceAccountTokenOptions sa_options{
      .key_file = options_.service_account_key_file.empty() ? creds->paths.pki_dir + "/service-account.key"
                                                            : options_.service_account_key_file,
      .api_audiences = options_.api_audiences,
      .max_expiration_seconds = options_.service_account_max_token_expiration_seconds,
      .jwks_uri = options_.service_account_jwks_uri};
  if (!options_.service_account_issuers.empty()) sa_options.issuers = options_.service_account_issuers;
  auto sa_tokens = ServiceAccountTokens::Create(std::move(sa_options), parts_->storage.get(), &base::RealClock());
  if (!sa_tokens.ok()) return sa_tokens.status();
  parts_->service_account_tokens = std::move(*sa_tokens);
  if (!options_.cluster_token.empty() && options_.service_account_key_file.empty()) {
    if (auto s = PublishClusterIdentity(parts_->store.get(), options_.data_dir, options_.cluster_token,
                                        options_.etcd.prefix);
        !s.ok())
      return s;
  }
  parts_->authenticator.SetServiceAccountTokens(&parts_->service_account_tokens->verifier());
  parts_->handler =
      std::make_unique<ApiHandler>(parts_->storage.get(), &parts_->authenticator, parts_->authorizer,
                                   &parts_->metrics, &base::RealClock(), absl::StrCat(url_host, ":", port));
  parts_->pod_streams = std::make_unique<PodStreams>(
      parts_->storage.get(), PodStreamsOptions{.client_cert_file = creds->paths.kubelet_client_cert,
                                               .client_key_file = creds->paths.kubelet_client_key});
  parts_->handler->SetPodStreams(parts_->pod_streams.get());
  parts_->handler->SetServiceAccountTokens(parts_->service_account_tokens.get());
  parts_->handler->SetTokenRequestAdmission(parts_->node_restriction.get());
  parts_->handler->SetConnectAdmission(parts_->webhook_admission.get());
  parts_->handler->SetAuditor(parts_->auditor);
  parts_->metrics_api = std::make_unique<MetricsApi>(
      parts_->storage.get(), MetricsApiOptions{.client_cert_file = creds->paths.kubelet_client_cert,
                                               .client_key_file = creds->paths.kubelet_client_key});
  parts_->handler->SetMetricsApi(parts_->metrics_api.get());
  parts_->custom_metrics_api =
      std::make_unique<CustomMetricsApi>(parts_->storage.get(), parts_->metrics_api.get());
  parts_->handler->SetCustomMetricsApi(parts_->custom_metrics_api.get());
  if (auto s = StartAggregation(); !s.ok()) return s;
  ApiHandler* handler = parts_->handler.get();
  parts_->http_server = std::make_unique<http::HttpServer>(
      http_options, [handler](http::HttpRequest& req) { return handler->Handle(req); },
      [](int code, const std::string& message) {
        return http::ErrorResponse(http::TransportError(code, message));
      });
  if (auto s = parts_->http_server->Start(); !s.ok()) return s;
  int actual = parts_->http_server->port();
  if (actual != port) {
    auto again =
        EnsureServerCredentials(options_.data_dir, absl::StrCat("https://", url_host, ":", actual), pki);
    if (!again.ok()) return again.status();
  }
  parts_->kubeconfig = creds->paths.admin_kubeconfig;
  // Certificates are re-issued before they expire while the server runs, not only at start.
  parts_->credential_renewal = std::make_unique<CredentialRenewal>(
      CredentialRenewalOptions{.data_dir = options_.data_dir,
                               .server_url = absl::StrCat("https://", url_host, ":", actual),
                               .pki = pki},
      parts_->http_server.get());
  parts_->credential_renewal->Start();
  DefaultServicesOptions services;
  const base::Ipv4Cidr& cidr = parts_->service_allocations->cidr();
  services.kubernetes_ip = base::NthAddress(cidr, 1);
  services.dns_ip = base::NthAddress(cidr, 10);
  services.api_port = actual;
  services.advertise_ip = options_.advertise_address;
  if (services.advertise_ip.empty()) services.advertise_ip = (host == "0.0.0.0" || host == "::") ? "" : host;
  if (services.advertise_ip.empty()) services.advertise_ip = base::DefaultIpv4Address().value_or("127.0.0.1");
  advertise_address_ = services.advertise_ip;
  if (auto s = EnsureDefaultServices(parts_->storage.get(), services); !s.ok()) return s;
  if (auto s = EnsureDefaultStorageClass(parts_->storage.get()); !s.ok()) return s;
  if (auto s = EnsureDefaultIngressClass(parts_->storage.get()); !s.ok()) return s;
  handler->SetReady(true);
  return absl::OkStatus();
}

absl::Status Server::StartAggregation() {
  const http::PkiPaths& pki = parts_->credentials.paths;
  auto client_ca = base::ReadFile(pki.ca_cert);
  if (!client_ca.ok()) return client_ca.status();
  auto front_proxy_ca = base::ReadFile(pki.front_proxy_ca_cert);
  if (!front_proxy_ca.ok()) return front_proxy_ca.status();
  if (auto s = PublishExtensionAuthentication(parts_->storage.get(), {*client_ca, *front_proxy_ca}); !s.ok())
    return s;
  if (auto s = EnsureLocalApiServices(parts_->storage.get()); !s.ok()) return s;
  parts_->aggregator = std::make_unique<Aggregator>(
      parts_->storage.get(), AggregatorOptions{.front_proxy_client_cert = pki.front_proxy_client_cert,
                                               .front_proxy_client_key = pki.front_proxy_client_key});
  parts_->apiservice_availability = std::make_unique<ApiServiceAvailability>(
      parts_->storage.get(), parts_->aggregator.get(), &base::RealClock());
  ApiServiceAvailability* availability = parts_->apiservice_availability.get();
  parts_->aggregator->SetChangeCallback([availability] { availability->Wake(); });
  if (auto s = parts_->aggregator->Start(); !s.ok()) return s;
  parts_->handler->SetAggregator(parts_->aggregator.get());
  availability->Start();
  return absl::OkStatus();
}

absl::Status Server::SetUpAuthorization() {
  if (options_.authorization_mode == "AlwaysAllow") {
    parts_->authorizer = &parts_->allow_all;
    return absl::OkStatus();
  }
  bool with_node = options_.authorization_mode == "Node,RBAC";
  if (!with_node && options_.authorization_mode != "RBAC") {
    return absl::InvalidArgumentError(absl::StrCat("--authorization-mode must be Node,RBAC, RBAC or AlwaysAllow, got \"",
                                                   options_.authorization_mode, "\""));
  }
  if (auto s = EnsureBootstrapPolicy(parts_->storage.get()); !s.ok()) return s;
  parts_->rbac = std::make_unique<RbacAuthorizer>(parts_->cache.get());
  if (auto s = parts_->rbac->Start(); !s.ok()) return s;
  parts_->escalation_check = std::make_unique<RbacEscalationCheck>(parts_->rbac.get());
  parts_->storage->AddAdmissionPlugin(parts_->escalation_check.get());
  parts_->authorizer = parts_->rbac.get();
  if (with_node) {
    parts_->node_authorizer =
        std::make_unique<node_authorizer::NodeAuthorizer>(parts_->node_authorizer_sources.get());
    if (auto s = parts_->node_authorizer->Start(); !s.ok()) return s;
    parts_->node_and_rbac =
        std::make_unique<node_authorizer::NodeAndRbacAuthorizer>(parts_->node_authorizer.get(), parts_->rbac.get());
    parts_->authorizer = parts_->node_and_rbac.get();
  }
  return absl::OkStatus();
}

const Authorizer* Server::authorizer() const { return parts_->authorizer; }
std::shared_ptr<const audit::Auditor> Server::auditor() const { return parts_->auditor; }

const ServiceAccountTokens* Server::service_account_tokens() const {
  return parts_->service_account_tokens.get();
}

void Server::Stop() {
  if (parts_->credential_renewal) parts_->credential_renewal->Stop();
  parts_->credential_renewal.reset();
  if (parts_->http_server) parts_->http_server->Stop();
  parts_->http_server.reset();
  parts_->handler.reset();
  parts_->auditor.reset();  // writes what is queued (streams still running keep it alive)
  parts_->pod_streams.reset();
  parts_->custom_metrics_api.reset();
  parts_->metrics_api.reset();
  parts_->apiservice_availability.reset();
  parts_->aggregator.reset();
  parts_->service_account_tokens.reset();
  parts_->crd_controller.reset();
  parts_->storage.reset();
  parts_->webhook_admission.reset();
  parts_->webhook_sources.reset();
  parts_->escalation_check.reset();
  parts_->node_restriction.reset();
  parts_->node_and_rbac.reset();
  parts_->node_authorizer.reset();
  parts_->node_authorizer_sources.reset();
  parts_->rbac.reset();
  parts_->service_allocations.reset();
  parts_->cache.reset();
  parts_->metered.reset();
  parts_->store.reset();
}

int Server::port() const { return parts_->http_server ? parts_->http_server->port() : 0; }
std::string Server::kubeconfig_path() const { return parts_->kubeconfig; }
ResourceStorage* Server::storage() const { return parts_->storage.get(); }

}  // namespace skiff::apiserver
