#include "apiserver/aggregator.h"

#include <string_view>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/errors.h"
#include "apiserver/key_layout.h"
#include "apiserver/watch_cache.h"
#include "boost/json.hpp"
#include "http/errors.h"
#include "spdlog/spdlog.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

std::string ApiServicesPrefix() { return ResourcePrefix(kApiRegistrationGroup, "apiservices"); }

// url.PathEscape's job for header names: unreserved characters stay, the rest become %XX.
std::string EscapeExtraKey(const std::string& key) {
  std::string out;
  for (unsigned char c : key) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out += static_cast<char>(c);
    } else {
      static constexpr char kHex[] = "0123456789ABCDEF";
      out += '%';
      out += kHex[c >> 4];
      out += kHex[c & 15];
    }
  }
  return out;
}

bool DroppedUpstream(const std::string& name, bool upgrade) {
  static const char* const kDropped[] = {"authorization", "host",  "content-length", "accept-encoding",
                                         "keep-alive",    "te",    "trailer",        "transfer-encoding",
                                         "proxy-authorization", "proxy-connection"};
  for (const char* d : kDropped) {
    if (name == d) return true;
  }
  if (!upgrade && (name == "connection" || name == "upgrade")) return true;
  return absl::StartsWith(name, "impersonate-") || absl::StartsWith(name, "x-remote-");
}

http::HttpResponse Unavailable(const std::string& message) {
  return http::ErrorResponse(api::ToStatus({503, "ServiceUnavailable", message}));
}

}  // namespace

class Aggregator::Listener : public WatchListener {
 public:
  explicit Listener(Aggregator* aggregator) : aggregator_(aggregator) {}
  bool OnEvent(EventType type, const ObjectPtr& object) override {
    if (type == EventType::kAdded || type == EventType::kModified || type == EventType::kDeleted)
      aggregator_->Apply(type == EventType::kDeleted, object->Parse());
    return true;
  }

 private:
  Aggregator* aggregator_;
};

std::vector<std::pair<std::string, std::string>> FrontProxyHeaders(const http::HttpRequest& request,
                                                                   const User& user) {
  bool upgrade = !request.Header("upgrade").empty();
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [name, value] : request.headers) {
    if (!DroppedUpstream(name, upgrade)) out.emplace_back(name, value);
  }
  out.emplace_back("X-Remote-User", user.name);
  for (const auto& group : user.groups) out.emplace_back("X-Remote-Group", group);
  for (const auto& [key, values] : user.extra) {
    for (const auto& value : values) out.emplace_back("X-Remote-Extra-" + EscapeExtraKey(key), value);
  }
  return out;
}

Aggregator::Aggregator(ResourceStorage* storage, AggregatorOptions options)
    : storage_(storage), options_(std::move(options)) {}

Aggregator::~Aggregator() {
  if (watch_id_ != 0) storage_->cache()->StopWatch(ApiServicesPrefix(), watch_id_);
}

absl::Status Aggregator::Start() {
  std::string prefix = ApiServicesPrefix();
  auto id = storage_->cache()->StartWatch(prefix, prefix, 0, nullptr, std::make_shared<Listener>(this));
  if (!id.ok()) return id.status();
  watch_id_ = *id;
  return absl::OkStatus();
}

void Aggregator::Apply(bool deleted, const json::value& object) {
  ApiServiceInfo info = ParseApiService(object);
  bool changed = true;
  {
    std::unique_lock<std::shared_mutex> lock(mu_);
    auto it = services_.find(info.name);
    if (deleted) {
      services_.erase(info.name);
      discovery_.erase(info.name);
    } else {
      changed = it == services_.end() || !it->second.SameSpec(info);
      if (changed) discovery_.erase(info.name);
      services_[info.name] = std::move(info);
    }
  }
  if (changed && on_change_) on_change_();
}

std::vector<ApiServiceInfo> Aggregator::ApiServices() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<ApiServiceInfo> out;
  for (const auto& [name, info] : services_) out.push_back(info);
  return out;
}

absl::StatusOr<http::UpstreamEndpoint> Aggregator::Upstream(const ApiServiceInfo& service) {
  auto endpoint =
      ResolveServiceEndpoint(storage_, service.service_namespace, service.service_name, service.service_port);
  if (!endpoint.ok()) return endpoint.status();
  http::UpstreamEndpoint upstream{.host = endpoint->host, .port = endpoint->port, .tls = true};
  upstream.client_cert_file = options_.front_proxy_client_cert;
  upstream.client_key_file = options_.front_proxy_client_key;
  if (!service.insecure_skip_tls_verify) {
    upstream.server_name = service.ServerName();
    upstream.ca_pem = service.ca_bundle;
    upstream.system_roots = service.ca_bundle.empty();  // kube: no caBundle = the system's roots
  }
  return upstream;
}

absl::StatusOr<http::HttpResponse> Aggregator::Send(const ApiServiceInfo& service,
                                                    const http::UpstreamRequest& request, absl::Duration timeout) {
  auto upstream = Upstream(service);
  if (!upstream.ok()) return upstream.status();
  return proxy_.Forward(*upstream, request, timeout);
}

std::optional<http::HttpResponse> Aggregator::Proxy(const http::HttpRequest& request, const User& user) {
  std::vector<absl::string_view> parts = absl::StrSplit(request.path, '/', absl::SkipEmpty());
  if (parts.size() < 3 || parts[0] != "apis") return std::nullopt;
  ApiServiceInfo service;
  {
    std::shared_lock<std::shared_mutex> lock(mu_);
    auto it = services_.find(absl::StrCat(parts[2], ".", parts[1]));
    if (it == services_.end() || it->second.local) return std::nullopt;
    service = it->second;
  }
  if (!service.available) return Unavailable("service unavailable");
  http::UpstreamRequest upstream;
  upstream.method = request.method;
  upstream.target = request.target;
  if (upstream.target.empty() || upstream.target.front() != '/') {
    upstream.target = request.path;
    std::string query = http::EncodeQuery(request.query);
    if (!query.empty()) absl::StrAppend(&upstream.target, "?", query);
  }
  upstream.headers = FrontProxyHeaders(request, user);
  upstream.body = request.body;
  auto response = Send(service, upstream, options_.dial_timeout);
  if (!response.ok()) {
    spdlog::warn("proxying {} {} to APIService {}: {}", request.method, request.path, service.name,
                 response.status().ToString());
    if (!ResolutionReason(response.status()).empty()) return Unavailable("service unavailable");
    return Unavailable(absl::StrCat("error trying to reach service: ", response.status().message()));
  }
  return *std::move(response);
}

void Aggregator::SetDiscovery(const std::string& name, json::value resources) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  if (!services_.count(name)) return;
  discovery_[name] = Discovery{std::move(resources), false};
}

void Aggregator::MarkDiscoveryStale(const std::string& name) {
  std::unique_lock<std::shared_mutex> lock(mu_);
  auto it = discovery_.find(name);
  if (it != discovery_.end()) it->second.stale = true;
}

std::vector<AggregatedGroupVersion> Aggregator::AggregatedGroupVersions() const {
  std::shared_lock<std::shared_mutex> lock(mu_);
  std::vector<AggregatedGroupVersion> out;
  for (const auto& [name, info] : services_) {
    if (info.local || !info.available) continue;
    AggregatedGroupVersion gv{info, nullptr, false};
    if (auto it = discovery_.find(name); it != discovery_.end()) {
      gv.resources = it->second.resources;
      gv.stale = it->second.stale;
    }
    out.push_back(std::move(gv));
  }
  return out;
}

}  // namespace skiff::apiserver
