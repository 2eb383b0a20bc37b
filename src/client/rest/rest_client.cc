#include "client/rest/rest_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/cord.h"
#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/errors.h"
#include "api/object_meta.h"
#include "base/file.h"
#include "base/json.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/ip/address.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "boost/json.hpp"
#include "boost/url/parse.hpp"
#include "client/rest/server_balancer.h"
#include "spdlog/spdlog.h"
#include "yaml-cpp/yaml.h"

namespace skiff::client {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;
namespace json = boost::json;
using tcp = asio::ip::tcp;
using boost::system::error_code;

namespace {

constexpr size_t kWatchReadChunk = 64 * 1024;
constexpr size_t kMaxErrorBody = 1 << 20;
// Without timeoutSeconds a quiet watch is ended (normally) after this long; the caller re-watches.
constexpr absl::Duration kWatchIdleLimit = absl::Minutes(10);

struct Endpoint {
  std::string url;          // as configured, for messages
  std::string host;         // name or address, without IPv6 brackets
  std::string port;         // "443" when the URL names none
  std::string path_prefix;  // "" or "/prefix" (no trailing slash)
  bool host_is_ip = false;
};

absl::StatusOr<Endpoint> ParseServerUrl(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return absl::InvalidArgumentError(absl::StrCat("invalid server URL \"", url, "\""));
  if (parsed->scheme() != "https") {
    return absl::InvalidArgumentError(absl::StrCat("server URL \"", url, "\" must use https"));
  }
  Endpoint ep;
  ep.url = url;
  ep.host = std::string(parsed->host_address());
  if (ep.host.empty())
    return absl::InvalidArgumentError(absl::StrCat("server URL \"", url, "\" has no host"));
  ep.port = parsed->has_port() ? std::string(parsed->port()) : "443";
  ep.path_prefix = std::string(parsed->encoded_path());
  while (!ep.path_prefix.empty() && ep.path_prefix.back() == '/') ep.path_prefix.pop_back();
  error_code ec;
  asio::ip::make_address(ep.host, ec);
  ep.host_is_ip = !ec;
  return ep;
}

absl::Status TransportError(const std::string& what, const error_code& ec) {
  if (ec == beast::error::timeout) return absl::DeadlineExceededError(absl::StrCat(what, ": timed out"));
  return absl::UnavailableError(absl::StrCat(what, ": ", ec.message()));
}

// One TLS connection with its own io_context. Asynchronous operations are run to completion on
// the calling thread ("sync over async"), which gives every operation a deadline. Used by one
// thread at a time; Cancel() may be posted to ioc() from anywhere.
class Connection {
 public:
  explicit Connection(ssl::context& ctx) : stream_(ioc_, ctx) {}

  // Starts an operation with a completion handler and runs the io_context until it completes.
  template <typename Start>
  error_code Run(absl::Duration timeout, Start&& start) {
    auto& lowest = beast::get_lowest_layer(stream_);
    if (timeout == absl::InfiniteDuration()) {
      lowest.expires_never();
    } else {
      lowest.expires_after(absl::ToChronoMicroseconds(timeout));
    }
    error_code result = asio::error::would_block;
    start([&result](error_code ec, auto&&...) { result = ec; });
    ioc_.restart();
    ioc_.run();
    return result;
  }

  absl::Status Connect(const Endpoint& ep, absl::Duration timeout, bool verify) {
    // Synchronous: asio's asynchronous resolver keeps a thread per io_context alive.
    tcp::resolver resolver(ioc_);
    error_code ec;
    tcp::resolver::results_type results = resolver.resolve(ep.host, ep.port, ec);
    if (ec) return TransportError(absl::StrCat("resolving ", ep.host), ec);
    ec =
        Run(timeout, [&](auto handler) { beast::get_lowest_layer(stream_).async_connect(results, handler); });
    if (ec) return TransportError(absl::StrCat("connecting to ", ep.host, ":", ep.port), ec);
    beast::get_lowest_layer(stream_).socket().set_option(tcp::no_delay(true), ec);
    if (!ep.host_is_ip) SSL_set_tlsext_host_name(stream_.native_handle(), ep.host.c_str());
    if (verify) {
      stream_.set_verify_mode(ssl::verify_peer);
      stream_.set_verify_callback(ssl::host_name_verification(ep.host));
    } else {
      stream_.set_verify_mode(ssl::verify_none);
    }
    ec = Run(timeout, [&](auto handler) { stream_.async_handshake(ssl::stream_base::client, handler); });
    if (ec) return TransportError(absl::StrCat("TLS handshake with ", ep.host, ":", ep.port), ec);
    return absl::OkStatus();
  }

  // Which of the client's servers this connection was opened to (set by whoever connects it).
  size_t server() const { return server_; }
  void set_server(size_t server) { server_ = server; }

  void Cancel() {
    error_code ec;
    beast::get_lowest_layer(stream_).socket().close(ec);
  }

  asio::io_context& ioc() { return ioc_; }
  beast::ssl_stream<beast::tcp_stream>& stream() { return stream_; }
  beast::flat_buffer& buffer() { return buffer_; }

 private:
  asio::io_context ioc_{1};
  beast::ssl_stream<beast::tcp_stream> stream_;
  beast::flat_buffer buffer_;
  size_t server_ = 0;
};

// Keep-alive connections shared by requests; at most `max` open at once (callers wait for one).
class ConnectionPool {
 public:
  // Opens a new connected connection (to whichever server the balancer picks).
  using Factory = std::function<absl::StatusOr<std::unique_ptr<Connection>>()>;
  ConnectionPool(Factory factory, const RestConfig* config) : factory_(std::move(factory)), config_(config) {}

  // A connection for one request. `fresh` forces a new connection (after a stale one failed).
  absl::StatusOr<std::unique_ptr<Connection>> Acquire(bool fresh, bool* reused) {
    std::unique_ptr<Connection> dropped;
    {
      std::unique_lock lock(mu_);
      cv_.wait(lock, [&] { return !idle_.empty() || open_ < Max(); });
      if (!fresh && !idle_.empty()) {
        auto conn = std::move(idle_.back());
        idle_.pop_back();
        *reused = true;
        return conn;
      }
      if (open_ >= Max()) {  // make room by closing an idle connection
        dropped = std::move(idle_.back());
        idle_.pop_back();
        --open_;
      }
      ++open_;
    }
    dropped.reset();
    *reused = false;
    auto conn = factory_();
    if (!conn.ok()) Discard();
    return conn;
  }

  void Release(std::unique_ptr<Connection> conn) {
    std::lock_guard lock(mu_);
    idle_.push_back(std::move(conn));
    cv_.notify_one();
  }

  void Discard() {
    std::lock_guard lock(mu_);
    --open_;
    cv_.notify_one();
  }

  // Closes every idle connection (after a credential change).
  void DropIdle() {
    std::vector<std::unique_ptr<Connection>> dropped;
    {
      std::lock_guard lock(mu_);
      open_ -= static_cast<int>(idle_.size());
      dropped.swap(idle_);
      cv_.notify_all();
    }
  }

 private:
  int Max() const { return std::max(1, config_->max_connections); }

  Factory factory_;
  const RestConfig* config_;
  std::mutex mu_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<Connection>> idle_;
  int open_ = 0;
};

std::string ReasonForCode(int code) {
  switch (code) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 406:
      return "NotAcceptable";
    case 409:
      return "Conflict";
    case 410:
      return "Expired";
    case 413:
      return "RequestEntityTooLarge";
    case 415:
      return "UnsupportedMediaType";
    case 422:
      return "Invalid";
    case 429:
      return "TooManyRequests";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return code >= 500 ? "InternalError" : "Unknown";
  }
}

absl::StatusOr<Object> ParseObject(const std::string& body) {
  error_code ec;
  json::value v = json::parse(body, ec);
  if (ec || !v.is_object()) {
    return absl::InternalError(
        absl::StrCat("the server returned a body that is not a JSON object: ", body.substr(0, 200)));
  }
  return std::make_shared<const json::value>(std::move(v));
}

std::string Resolve(const std::string& base_dir, const std::string& path) {
  if (path.empty() || path[0] == '/' || base_dir.empty()) return path;
  return absl::StrCat(base_dir, "/", path);
}

// A kubeconfig PEM field: the *-data form (base64) or a file named by the plain form.
absl::StatusOr<std::string> PemField(const YAML::Node& node, const std::string& key,
                                     const std::string& base_dir) {
  if (const auto data = node[key + "-data"]; data && data.IsScalar()) {
    std::string decoded;
    if (!absl::Base64Unescape(data.as<std::string>(), &decoded)) {
      return absl::InvalidArgumentError(absl::StrCat("kubeconfig: ", key, "-data is not valid base64"));
    }
    return decoded;
  }
  if (const auto file = node[key]; file && file.IsScalar())
    return base::ReadFile(Resolve(base_dir, file.as<std::string>()));
  return std::string();
}

YAML::Node FindNamed(const YAML::Node& list, const std::string& name, const char* inner) {
  if (!list || !list.IsSequence()) return YAML::Node();
  for (const auto& entry : list) {
    if (entry["name"] && entry["name"].as<std::string>() == name) return entry[inner];
  }
  return YAML::Node();
}

}  // namespace

// ---- Wire helpers ----

std::string PercentEncode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  out.reserve(text.size());
  for (unsigned char c : text) {
    if (absl::ascii_isalnum(c) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(static_cast<char>(c));
    } else {
      out.push_back('%');
      out.push_back(kHex[c >> 4]);
      out.push_back(kHex[c & 15]);
    }
  }
  return out;
}

std::string ResourcePath(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                         const std::string& subresource) {
  std::string path =
      r.group.empty() ? absl::StrCat("/api/", r.version) : absl::StrCat("/apis/", r.group, "/", r.version);
  if (r.namespaced && !ns.empty()) absl::StrAppend(&path, "/namespaces/", PercentEncode(ns));
  absl::StrAppend(&path, "/", r.plural);
  if (!name.empty()) {
    absl::StrAppend(&path, "/", PercentEncode(name));
    if (!subresource.empty()) absl::StrAppend(&path, "/", subresource);
  }
  return path;
}

std::string EncodeQuery(const std::vector<std::pair<std::string, std::string>>& params) {
  std::string out;
  for (const auto& [key, value] : params) {
    absl::StrAppend(&out, out.empty() ? "?" : "&", PercentEncode(key), "=", PercentEncode(value));
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> ListQueryParams(const ListOptions& options) {
  std::vector<std::pair<std::string, std::string>> q;
  if (!options.label_selector.empty()) q.emplace_back("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) q.emplace_back("fieldSelector", options.field_selector);
  if (options.limit > 0) q.emplace_back("limit", std::to_string(options.limit));
  if (!options.continue_token.empty()) q.emplace_back("continue", options.continue_token);
  if (!options.resource_version.empty()) q.emplace_back("resourceVersion", options.resource_version);
  return q;
}

std::vector<std::pair<std::string, std::string>> WatchQueryParams(const WatchOptions& options) {
  std::vector<std::pair<std::string, std::string>> q = {{"watch", "true"}};
  if (options.bookmarks) q.emplace_back("allowWatchBookmarks", "true");
  if (!options.label_selector.empty()) q.emplace_back("labelSelector", options.label_selector);
  if (!options.field_selector.empty()) q.emplace_back("fieldSelector", options.field_selector);
  if (!options.resource_version.empty()) q.emplace_back("resourceVersion", options.resource_version);
  if (options.timeout_seconds > 0) q.emplace_back("timeoutSeconds", std::to_string(options.timeout_seconds));
  return q;
}

std::string PatchContentType(PatchType type) {
  switch (type) {
    case PatchType::kJson:
      return "application/json-patch+json";
    case PatchType::kMerge:
      return "application/merge-patch+json";
    case PatchType::kStrategicMerge:
      return "application/strategic-merge-patch+json";
    case PatchType::kApply:
      return "application/apply-patch+yaml";
  }
  return "application/merge-patch+json";
}

json::value DeleteOptionsBody(const DeleteOptions& options) {
  json::object body{{"kind", "DeleteOptions"}, {"apiVersion", "v1"}};
  if (options.grace_period_seconds) body["gracePeriodSeconds"] = *options.grace_period_seconds;
  if (!options.propagation_policy.empty()) body["propagationPolicy"] = options.propagation_policy;
  if (!options.precondition_uid.empty() || !options.precondition_resource_version.empty()) {
    json::object pre;
    if (!options.precondition_uid.empty()) pre["uid"] = options.precondition_uid;
    if (!options.precondition_resource_version.empty())
      pre["resourceVersion"] = options.precondition_resource_version;
    body["preconditions"] = std::move(pre);
  }
  return body;
}

absl::Status StatusFromStatusObject(const json::value& status, int fallback_code) {
  api::ApiError e;
  e.code = static_cast<int>(base::GetInt(status, {"code"}, fallback_code));
  if (e.code < 400) e.code = fallback_code >= 400 ? fallback_code : 500;
  e.reason = base::GetString(status, {"reason"}, ReasonForCode(e.code));
  e.message = base::GetString(status, {"message"});
  if (e.message.empty()) e.message = absl::StrCat("the server responded with status ", e.code, " ", e.reason);
  e.name = base::GetString(status, {"details", "name"});
  e.group = base::GetString(status, {"details", "group"});
  e.kind = base::GetString(status, {"details", "kind"});
  e.retry_after_seconds = static_cast<int>(base::GetInt(status, {"details", "retryAfterSeconds"}));
  if (const auto* causes = base::FindPath(status, {"details", "causes"}); causes && causes->is_array()) {
    for (const auto& c : causes->get_array()) {
      e.causes.push_back(
          {base::GetString(c, {"reason"}), base::GetString(c, {"message"}), base::GetString(c, {"field"})});
    }
  }
  absl::Status result = api::ToStatus(e);
  if (e.code == 409 && e.reason == "AlreadyExists") {
    // Same payload (HTTP 409, reason AlreadyExists) but a code absl::IsAlreadyExists recognises.
    absl::Status exists(absl::StatusCode::kAlreadyExists, result.message());
    result.ForEachPayload(
        [&](absl::string_view url, const absl::Cord& payload) { exists.SetPayload(url, payload); });
    return exists;
  }
  return result;
}

absl::Status StatusFromResponse(int http_code, std::string_view body) {
  if (http_code >= 200 && http_code < 300) return absl::OkStatus();
  error_code ec;
  json::value v = json::parse(json::string_view(body.data(), body.size()), ec);
  if (!ec && v.is_object() && base::GetString(v, {"kind"}) == "Status")
    return StatusFromStatusObject(v, http_code);
  api::ApiError e;
  e.code = http_code;
  e.reason = ReasonForCode(http_code);
  std::string text(absl::StripAsciiWhitespace(std::string(body.substr(0, 512))));
  e.message = text.empty() ? absl::StrCat("the server responded with status ", http_code, " ", e.reason)
                           : absl::StrCat("the server responded with status ", http_code, ": ", text);
  return api::ToStatus(e);
}

// ---- Configuration ----

absl::StatusOr<RestConfig> ParseKubeconfig(const std::string& yaml, const std::string& context,
                                           const std::string& base_dir) {
  try {
    YAML::Node root = YAML::Load(yaml);
    if (!root.IsMap()) return absl::InvalidArgumentError("kubeconfig: not a YAML mapping");
    std::string name = context;
    if (name.empty() && root["current-context"]) name = root["current-context"].as<std::string>();
    YAML::Node ctx;
    if (name.empty()) {
      const auto contexts = root["contexts"];
      if (contexts && contexts.IsSequence() && contexts.size() == 1) ctx = contexts[0]["context"];
    } else {
      ctx = FindNamed(root["contexts"], name, "context");
    }
    if (!ctx || !ctx.IsMap())
      return absl::InvalidArgumentError(absl::StrCat("kubeconfig: no context \"", name, "\""));
    std::string cluster_name = ctx["cluster"] ? ctx["cluster"].as<std::string>() : "";
    std::string user_name = ctx["user"] ? ctx["user"].as<std::string>() : "";
    YAML::Node cluster = FindNamed(root["clusters"], cluster_name, "cluster");
    if (!cluster || !cluster.IsMap()) {
      return absl::InvalidArgumentError(absl::StrCat("kubeconfig: no cluster \"", cluster_name, "\""));
    }
    RestConfig config;
    config.server_url = cluster["server"] ? cluster["server"].as<std::string>() : "";
    if (config.server_url.empty()) return absl::InvalidArgumentError("kubeconfig: the cluster has no server");
    if (cluster["insecure-skip-tls-verify"])
      config.insecure_skip_tls_verify = cluster["insecure-skip-tls-verify"].as<bool>();
    auto ca = PemField(cluster, "certificate-authority", base_dir);
    if (!ca.ok()) return ca.status();
    config.ca_pem = std::move(*ca);
    YAML::Node user = FindNamed(root["users"], user_name, "user");
    if (user && user.IsMap()) {
      auto cert = PemField(user, "client-certificate", base_dir);
      if (!cert.ok()) return cert.status();
      auto key = PemField(user, "client-key", base_dir);
      if (!key.ok()) return key.status();
      config.client_cert_pem = std::move(*cert);
      config.client_key_pem = std::move(*key);
      if (user["token"]) {
        config.token = user["token"].as<std::string>();
      } else if (user["tokenFile"]) {
        auto token = base::ReadFile(Resolve(base_dir, user["tokenFile"].as<std::string>()));
        if (!token.ok()) return token.status();
        config.token = std::string(absl::StripAsciiWhitespace(*token));
      }
    }
    return config;
  } catch (const YAML::Exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("kubeconfig: ", e.what()));
  }
}

absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path, const std::string& context) {
  auto text = base::ReadFile(path);
  if (!text.ok()) return text.status();
  auto slash = path.rfind('/');
  return ParseKubeconfig(*text, context, slash == std::string::npos ? "" : path.substr(0, slash));
}

absl::StatusOr<RestConfig> MakeRestConfig(const std::string& url, const std::string& token,
                                          const std::string& ca_file) {
  RestConfig config;
  config.server_url = url;
  config.token = token;
  if (!ca_file.empty()) {
    auto ca = base::ReadFile(ca_file);
    if (!ca.ok()) return ca.status();
    config.ca_pem = std::move(*ca);
  }
  return config;
}

// ---- The client ----

namespace {
// Loads a client certificate chain and its key into `ctx`; fails if either does not parse or they
// do not belong together.
absl::Status UseClientCertificate(ssl::context& ctx, const std::string& cert_pem,
                                  const std::string& key_pem) {
  error_code ec;
  ctx.use_certificate_chain(asio::buffer(cert_pem), ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("client certificate: ", ec.message()));
  ctx.use_private_key(asio::buffer(key_pem), ssl::context::pem, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("client key: ", ec.message()));
  if (SSL_CTX_check_private_key(ctx.native_handle()) != 1) {
    ERR_clear_error();
    return absl::InvalidArgumentError("client key does not match the client certificate");
  }
  return absl::OkStatus();
}
}  // namespace

class RestClient::Impl {
 public:
  explicit Impl(RestConfig config) : config_(std::move(config)), ctx_(ssl::context::tls_client) {}

  absl::Status Init() {
    // Several servers of one cluster: "https://a:6443,https://b:6443".
    for (absl::string_view url : absl::StrSplit(config_.server_url, ',', absl::SkipWhitespace())) {
      auto ep = ParseServerUrl(std::string(absl::StripAsciiWhitespace(url)));
      if (!ep.ok()) return ep.status();
      endpoints_.push_back(std::move(*ep));
    }
    if (endpoints_.empty()) return absl::InvalidArgumentError("no server URL");
    balancer_ = std::make_unique<ServerBalancer>(endpoints_.size());
    ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3);
    error_code ec;
    if (!config_.ca_pem.empty()) {
      ctx_.add_certificate_authority(asio::buffer(config_.ca_pem), ec);
      if (ec) return absl::InvalidArgumentError(absl::StrCat("CA certificate: ", ec.message()));
    } else {
      ctx_.set_default_verify_paths(ec);
    }
    if (!config_.client_cert_pem.empty() || !config_.client_key_pem.empty()) {
      if (auto s = UseClientCertificate(ctx_, config_.client_cert_pem, config_.client_key_pem); !s.ok())
        return s;
    }
    if (!config_.token.empty()) authorization_ = absl::StrCat("Bearer ", config_.token);
    pool_ = std::make_unique<ConnectionPool>([this] { return Connect(); }, &config_);
    return absl::OkStatus();
  }

  // A connection whose TLS session takes the context's current client certificate (SSL_new
  // copies it, so later changes to the context do not affect it).
  std::unique_ptr<Connection> NewConnection() {
    std::lock_guard lock(ctx_mu_);
    return std::make_unique<Connection>(ctx_);
  }

  // A new connection to the first server of the balancer's order that accepts one; the last
  // server's error when none does.
  absl::StatusOr<std::unique_ptr<Connection>> Connect() {
    absl::Status last;
    for (size_t server : balancer_->Order()) {
      auto conn = NewConnection();
      last = conn->Connect(endpoints_[server], config_.connect_timeout, !config_.insecure_skip_tls_verify);
      if (last.ok()) {
        balancer_->ReportSuccess(server);
        conn->set_server(server);
        return conn;
      }
      if (endpoints_.size() > 1)
        spdlog::warn("API server {}: {}", endpoints_[server].url, std::string(last.message()));
      balancer_->ReportFailure(server);
    }
    return last;
  }

  // The exchange on a connection failed in transport (not a timeout): prefer another server.
  void ReportTransportFailure(const Connection& conn) { balancer_->ReportFailure(conn.server()); }

  absl::Status SetClientCertificate(const std::string& cert_pem, const std::string& key_pem) {
    // Checked on a scratch context first, so a bad pair never reaches the live one.
    ssl::context scratch(ssl::context::tls_client);
    if (auto s = UseClientCertificate(scratch, cert_pem, key_pem); !s.ok()) return s;
    {
      std::lock_guard lock(ctx_mu_);
      if (auto s = UseClientCertificate(ctx_, cert_pem, key_pem); !s.ok()) return s;
    }
    pool_->DropIdle();
    return absl::OkStatus();
  }

  // The request, addressed (target prefix, Host) with Address() once its connection is known.
  http::request<http::string_body> MakeRequest(http::verb verb, std::string body,
                                               const std::string& content_type) const {
    http::request<http::string_body> req;
    req.method(verb);
    req.version(11);
    req.set(http::field::user_agent, config_.user_agent);
    req.set(http::field::accept, "application/json");
    if (!authorization_.empty()) req.set(http::field::authorization, authorization_);
    if (!content_type.empty()) req.set(http::field::content_type, content_type);
    req.keep_alive(true);
    req.body() = std::move(body);
    req.prepare_payload();
    return req;
  }

  // Points `req` at `target` on the server `conn` is connected to.
  void Address(http::request<http::string_body>& req, const Connection& conn,
               const std::string& target) const {
    const Endpoint& ep = endpoints_[conn.server()];
    req.target(ep.path_prefix + target);
    req.set(http::field::host,
            ep.host_is_ip || ep.port == "443" ? ep.host : absl::StrCat(ep.host, ":", ep.port));
  }

  absl::StatusOr<RawResponse> Do(http::verb verb, const std::string& target, std::string body,
                                 const std::string& content_type) {
    auto req = MakeRequest(verb, std::move(body), content_type);
    for (int attempt = 0;; ++attempt) {
      bool reused = false;
      auto conn = pool_->Acquire(attempt > 0, &reused);
      if (!conn.ok()) return conn.status();
      Address(req, **conn, target);
      http::response_parser<http::string_body> parser;
      parser.body_limit(boost::none);
      error_code ec = (*conn)->Run(config_.request_timeout,
                                   [&](auto handler) { http::async_write((*conn)->stream(), req, handler); });
      if (!ec) {
        ec = (*conn)->Run(config_.request_timeout, [&](auto handler) {
          http::async_read((*conn)->stream(), (*conn)->buffer(), parser, handler);
        });
      }
      if (ec) {
        pool_->Discard();
        // A kept-alive connection the server has since closed fails before any answer: retry once on
        // a new connection (servers close idle connections between requests, never mid-request).
        if (reused && attempt == 0 && !parser.got_some() && ec != beast::error::timeout) continue;
        if (ec != beast::error::timeout) ReportTransportFailure(**conn);
        return TransportError(absl::StrCat(std::string(http::to_string(verb)), " ", target), ec);
      }
      auto response = parser.release();
      if (response.keep_alive()) {
        pool_->Release(std::move(*conn));
      } else {
        pool_->Discard();
      }
      RawResponse out;
      out.code = response.result_int();
      out.content_type = std::string(response[http::field::content_type]);
      out.body = std::move(response.body());
      return out;
    }
  }

  // A request whose 2xx answer is an object.
  absl::StatusOr<Object> DoObject(http::verb verb, const std::string& target, std::string body,
                                  const std::string& content_type) {
    auto response = Do(verb, target, std::move(body), content_type);
    if (!response.ok()) return response.status();
    if (auto s = StatusFromResponse(response->code, response->body); !s.ok()) return s;
    return ParseObject(response->body);
  }

  std::string FieldManager(const std::string& requested) const {
    return requested.empty() ? config_.field_manager : requested;
  }

  const RestConfig& config() const { return config_; }

 private:
  RestConfig config_;
  std::vector<Endpoint> endpoints_;  // the cluster's API servers, as listed in server_url
  std::unique_ptr<ServerBalancer> balancer_;
  ssl::context ctx_;
  std::string authorization_;
  std::mutex ctx_mu_;  // guards ctx_'s certificate against SSL_new in NewConnection
  std::unique_ptr<ConnectionPool> pool_;
};

namespace {

std::vector<std::pair<std::string, std::string>> WriteQueryParams(const std::string& field_manager,
                                                                  bool dry_run) {
  std::vector<std::pair<std::string, std::string>> q;
  if (!field_manager.empty()) q.emplace_back("fieldManager", field_manager);
  if (dry_run) q.emplace_back("dryRun", "All");
  return q;
}

// A running watch: its connection, parser and handlers, shared by the handle and its thread.
struct WatchState {
  std::unique_ptr<Connection> conn;
  http::response_parser<http::buffer_body> parser;
  std::atomic<bool> stopped{false};
  WatchEventHandler on_event;
  WatchEndHandler on_end;
  absl::Duration idle_timeout;
  std::optional<absl::Status> immediate_end;  // set when the server refused with 410
};

// Handles one event line; returns a value when the watch must end with it.
std::optional<absl::Status> DeliverLine(WatchState& s, std::string_view line) {
  error_code ec;
  json::value event = json::parse(json::string_view(line.data(), line.size()), ec);
  if (ec || !event.is_object()) {
    return absl::InternalError(absl::StrCat("malformed watch event: ", std::string(line.substr(0, 200))));
  }
  std::string type = base::GetString(event, {"type"});
  json::value* object = event.as_object().if_contains("object");
  if (!object)
    return absl::InternalError(
        absl::StrCat("watch event without an object: ", std::string(line.substr(0, 200))));
  WatchEvent out;
  if (type == "ADDED") {
    out.type = WatchEventType::kAdded;
  } else if (type == "MODIFIED") {
    out.type = WatchEventType::kModified;
  } else if (type == "DELETED") {
    out.type = WatchEventType::kDeleted;
  } else if (type == "BOOKMARK") {
    out.type = WatchEventType::kBookmark;
  } else if (type == "ERROR") {
    return StatusFromStatusObject(*object, 500);
  } else {
    return absl::InternalError(absl::StrCat("unknown watch event type \"", type, "\""));
  }
  out.object = std::make_shared<const json::value>(std::move(*object));
  if (s.stopped.load()) return absl::OkStatus();
  if (!s.on_event(out)) return absl::OkStatus();
  return std::nullopt;
}

absl::Status ReadWatch(WatchState& s) {
  if (s.immediate_end) return *s.immediate_end;
  std::string pending;
  std::vector<char> chunk(kWatchReadChunk);
  std::optional<absl::Status> ending;
  while (true) {
    size_t start = 0;
    for (size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string_view line(pending.data() + start, nl - start);
      if (absl::StripAsciiWhitespace(absl::string_view(line.data(), line.size())).empty()) continue;
      if (auto end = DeliverLine(s, line)) return *end;
    }
    pending.erase(0, start);
    if (s.stopped.load()) return absl::OkStatus();
    if (ending) return *ending;
    if (s.parser.is_done()) {
      if (!absl::StripAsciiWhitespace(pending).empty()) {
        if (auto end = DeliverLine(s, pending)) return *end;
      }
      return absl::OkStatus();
    }
    s.parser.get().body().data = chunk.data();
    s.parser.get().body().size = chunk.size();
    error_code ec = s.conn->Run(s.idle_timeout, [&](auto handler) {
      http::async_read_some(s.conn->stream(), s.conn->buffer(), s.parser, handler);
    });
    if (ec == http::error::need_buffer) ec = {};
    pending.append(chunk.data(), chunk.size() - s.parser.get().body().size);
    if (ec) {
      // The server closing the stream or a quiet stream timing out is a normal end: re-watch.
      bool normal = ec == beast::error::timeout || ec == http::error::end_of_stream ||
                    ec == asio::error::eof || ec == ssl::error::stream_truncated ||
                    ec == http::error::partial_message || ec == asio::error::operation_aborted;
      ending = normal ? absl::OkStatus() : TransportError("watch", ec);
    }
  }
}

class RestWatch : public WatchHandle {
 public:
  explicit RestWatch(std::shared_ptr<WatchState> state) : state_(std::move(state)) {
    thread_ = std::thread([s = state_] {
      absl::Status end = ReadWatch(*s);
      if (!s->stopped.load()) s->on_end(end);
    });
  }

  ~RestWatch() override {
    state_->stopped.store(true);
    Connection* conn = state_->conn.get();
    asio::post(conn->ioc(), [conn] { conn->Cancel(); });
    if (thread_.get_id() == std::this_thread::get_id()) {
      thread_.detach();  // destroyed from its own handler: the thread exits on its own
    } else {
      thread_.join();
    }
  }

 private:
  std::shared_ptr<WatchState> state_;
  std::thread thread_;
};

}  // namespace

RestClient::RestClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RestClient::~RestClient() = default;

absl::StatusOr<std::unique_ptr<RestClient>> RestClient::New(RestConfig config) {
  auto impl = std::make_unique<Impl>(std::move(config));
  if (auto s = impl->Init(); !s.ok()) return s;
  return std::unique_ptr<RestClient>(new RestClient(std::move(impl)));
}

const RestConfig& RestClient::config() const { return impl_->config(); }

absl::Status RestClient::SetClientCertificate(const std::string& cert_pem, const std::string& key_pem) {
  return impl_->SetClientCertificate(cert_pem, key_pem);
}

absl::StatusOr<RawResponse> RestClient::Request(std::string_view method, const std::string& target,
                                                std::string body, const std::string& content_type) {
  http::verb verb = http::string_to_verb(beast::string_view(method.data(), method.size()));
  if (verb == http::verb::unknown)
    return absl::InvalidArgumentError(absl::StrCat("unknown HTTP method ", std::string(method)));
  return impl_->Do(verb, target, std::move(body), content_type);
}

absl::StatusOr<Object> RestClient::Get(const api::ResourceInfo& r, const std::string& ns,
                                       const std::string& name) {
  return impl_->DoObject(http::verb::get, ResourcePath(r, ns, name), "", "");
}

absl::StatusOr<ObjectList> RestClient::List(const api::ResourceInfo& r, const std::string& ns,
                                            const ListOptions& options) {
  auto response =
      impl_->Do(http::verb::get, ResourcePath(r, ns) + EncodeQuery(ListQueryParams(options)), "", "");
  if (!response.ok()) return response.status();
  if (auto s = StatusFromResponse(response->code, response->body); !s.ok()) return s;
  error_code ec;
  json::value v = json::parse(response->body, ec);
  if (ec || !v.is_object())
    return absl::InternalError("the server returned a list that is not a JSON object");
  ObjectList list;
  list.resource_version = api::ResourceVersion(v);
  list.continue_token = base::GetString(v, {"metadata", "continue"});
  if (auto* items = v.as_object().if_contains("items"); items && items->is_array()) {
    list.items.reserve(items->get_array().size());
    const std::string api_version = r.GroupVersion();
    for (auto& item : items->get_array()) {
      if (!item.is_object()) continue;
      // Lists omit each item's kind and apiVersion; fill them so items look like Get results.
      item.as_object()["apiVersion"] = api_version;
      item.as_object()["kind"] = r.kind;
      list.items.push_back(std::make_shared<const json::value>(std::move(item)));
    }
  }
  return list;
}

absl::StatusOr<Object> RestClient::Create(const api::ResourceInfo& r, const std::string& ns, json::value obj,
                                          const WriteOptions& options) {
  std::string target_ns = ns;
  if (r.namespaced && target_ns.empty()) target_ns = api::Namespace(obj);
  if (r.namespaced && target_ns.empty()) return absl::InvalidArgumentError("Create: a namespace is required");
  std::string target =
      ResourcePath(r, target_ns) +
      EncodeQuery(WriteQueryParams(impl_->FieldManager(options.field_manager), options.dry_run));
  return impl_->DoObject(http::verb::post, target, base::ToJson(obj), "application/json");
}

absl::StatusOr<Object> RestClient::Update(const api::ResourceInfo& r, const std::string& ns, json::value obj,
                                          const std::string& subresource, const WriteOptions& options) {
  std::string name = api::Name(obj);
  if (name.empty()) return absl::InvalidArgumentError("Update: metadata.name is required");
  std::string target_ns = ns.empty() ? api::Namespace(obj) : ns;
  std::string target =
      ResourcePath(r, target_ns, name, subresource) +
      EncodeQuery(WriteQueryParams(impl_->FieldManager(options.field_manager), options.dry_run));
  return impl_->DoObject(http::verb::put, target, base::ToJson(obj), "application/json");
}

absl::StatusOr<Object> RestClient::Patch(const api::ResourceInfo& r, const std::string& ns,
                                         const std::string& name, PatchType type, const json::value& patch,
                                         const PatchOptions& options) {
  auto q = WriteQueryParams(impl_->FieldManager(options.field_manager), false);
  if (type == PatchType::kApply && options.force) q.emplace_back("force", "true");
  std::string target = ResourcePath(r, ns, name, options.subresource) + EncodeQuery(q);
  return impl_->DoObject(http::verb::patch, target, base::ToJson(patch), PatchContentType(type));
}

absl::Status RestClient::Delete(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                                const DeleteOptions& options) {
  auto response = impl_->Do(http::verb::delete_, ResourcePath(r, ns, name),
                            base::ToJson(DeleteOptionsBody(options)), "application/json");
  if (!response.ok()) return response.status();
  return StatusFromResponse(response->code, response->body);
}

absl::StatusOr<json::value> RestClient::CreateSubresource(const api::ResourceInfo& r, const std::string& ns,
                                                          const std::string& name,
                                                          const std::string& subresource, json::value body) {
  auto response = impl_->Do(http::verb::post, ResourcePath(r, ns, name, subresource), base::ToJson(body),
                            "application/json");
  if (!response.ok()) return response.status();
  if (auto s = StatusFromResponse(response->code, response->body); !s.ok()) return s;
  if (absl::StripAsciiWhitespace(response->body).empty()) return json::value(json::object());
  error_code ec;
  json::value v = json::parse(response->body, ec);
  if (ec) return absl::InternalError("the server returned a body that is not JSON");
  return v;
}

absl::StatusOr<std::unique_ptr<WatchHandle>> RestClient::Watch(const api::ResourceInfo& r,
                                                               const std::string& ns,
                                                               const WatchOptions& options,
                                                               WatchEventHandler on_event,
                                                               WatchEndHandler on_end) {
  const RestConfig& config = impl_->config();
  auto state = std::make_shared<WatchState>();
  state->on_event = std::move(on_event);
  state->on_end = std::move(on_end);
  state->idle_timeout = options.timeout_seconds > 0
                            ? absl::Seconds(options.timeout_seconds) + absl::Seconds(30)
                            : kWatchIdleLimit;
  auto connected = impl_->Connect();
  if (!connected.ok()) return connected.status();
  state->conn = *std::move(connected);
  Connection& conn = *state->conn;
  std::string target = ResourcePath(r, ns) + EncodeQuery(WatchQueryParams(options));
  auto req = impl_->MakeRequest(http::verb::get, "", "");
  impl_->Address(req, conn, target);
  error_code ec =
      conn.Run(config.request_timeout, [&](auto handler) { http::async_write(conn.stream(), req, handler); });
  if (ec) return TransportError(absl::StrCat("watch ", target), ec);
  state->parser.body_limit(boost::none);
  ec = conn.Run(config.request_timeout, [&](auto handler) {
    http::async_read_header(conn.stream(), conn.buffer(), state->parser, handler);
  });
  if (ec) return TransportError(absl::StrCat("watch ", target), ec);
  int code = state->parser.get().result_int();
  if (code != 200) {
    // Read the (small) error body, then report it.
    std::string body;
    std::vector<char> chunk(kWatchReadChunk);
    while (!state->parser.is_done() && body.size() < kMaxErrorBody) {
      state->parser.get().body().data = chunk.data();
      state->parser.get().body().size = chunk.size();
      ec = conn.Run(config.request_timeout, [&](auto handler) {
        http::async_read_some(conn.stream(), conn.buffer(), state->parser, handler);
      });
      if (ec == http::error::need_buffer) ec = {};
      body.append(chunk.data(), chunk.size() - state->parser.get().body().size);
      if (ec) break;
    }
    absl::Status status = StatusFromResponse(code, body);
    if (code != 410) return status;
    state->immediate_end = status;
  }
  return std::unique_ptr<WatchHandle>(new RestWatch(std::move(state)));
}

}  // namespace skiff::client
