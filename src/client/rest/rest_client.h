// RestClient: the Client interface over the Kubernetes REST API (HTTPS/1.1), for processes outside
// the API server (`skiff sim`, node agents). It speaks only the public wire protocol, so it works
// against any Kubernetes API server.
//
// Given several server URLs (one cluster's API servers), the client keeps to one server while it
// accepts connections and fails over to the next when a connection to it fails, like k3s's agent
// load balancer: new requests and re-established watches then go to a live server.
//
// Requests share a small pool of keep-alive TLS connections (a request blocks its calling thread
// while it holds one connection; callers wanting more concurrency call from more threads, up to
// RestConfig::max_connections in flight). Each watch gets its own connection and thread, reading the
// chunked stream of line-delimited JSON events (with allowWatchBookmarks=true).
//
// Thread-safety: every method may be called concurrently (SetClientCertificate too). Watch handlers run on
// the watch's own thread, one event at a time. Ownership: the client owns its connections; a WatchHandle must
// be destroyed before its client. Failure: API errors become absl::Status values carrying the server's
// metav1.Status (HTTP code, reason, details), so HttpCode() and api::StatusObject() see exactly what the
// server said; transport failures (connect, TLS, timeouts) are Unavailable / DeadlineExceeded. A watch whose
// resourceVersion is too old ends with OutOfRange (HTTP 410) through its WatchEndHandler.
#ifndef SKIFF_CLIENT_REST_REST_CLIENT_H_
#define SKIFF_CLIENT_REST_REST_CLIENT_H_

#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "client/client.h"

namespace skiff::client {

// Where the API server is and how to authenticate to it.
struct RestConfig {
  // "https://127.0.0.1:6443" (an optional path prefix is kept), or several servers of one cluster
  // separated by commas: connections go to one of them and move to another when it fails
  // (ServerBalancer).
  std::string server_url;
  std::string ca_pem;      // trusted CA certificates; empty = the system trust store
  std::string client_cert_pem;
  std::string client_key_pem;
  std::string token;  // bearer token, used when set (alongside or instead of a client certificate)
  bool insecure_skip_tls_verify = false;
  std::string user_agent = "skiff-client";
  std::string field_manager = "skiff";  // used when WriteOptions/PatchOptions name none
  int max_connections = 8;
  absl::Duration request_timeout = absl::Seconds(60);
  absl::Duration connect_timeout = absl::Seconds(10);
};

// Reads a kubeconfig file (the current context, or `context` when given): the cluster's server,
// certificate-authority(-data), insecure-skip-tls-verify, and the user's client-certificate(-data),
// client-key(-data), token or tokenFile. Relative file paths are relative to the kubeconfig's folder.
absl::StatusOr<RestConfig> LoadKubeconfig(const std::string& path, const std::string& context = "");
// The same from the YAML text (`base_dir` resolves relative paths).
absl::StatusOr<RestConfig> ParseKubeconfig(const std::string& yaml, const std::string& context,
                                           const std::string& base_dir);
// A config from a server URL, a bearer token and a CA file (empty ca_file = system trust store).
absl::StatusOr<RestConfig> MakeRestConfig(const std::string& url, const std::string& token,
                                          const std::string& ca_file);

// One HTTP exchange, for requests the Client interface does not cover (/version, /healthz ...).
struct RawResponse {
  int code = 0;
  std::string content_type;
  std::string body;
};

class RestClient : public Client {
 public:
  // Validates the config (URL, PEM data) without connecting.
  static absl::StatusOr<std::unique_ptr<RestClient>> New(RestConfig config);
  ~RestClient() override;
  RestClient(const RestClient&) = delete;
  RestClient& operator=(const RestClient&) = delete;

  absl::StatusOr<Object> Get(const api::ResourceInfo& r, const std::string& ns,
                             const std::string& name) override;
  absl::StatusOr<ObjectList> List(const api::ResourceInfo& r, const std::string& ns,
                                  const ListOptions& options) override;
  absl::StatusOr<Object> Create(const api::ResourceInfo& r, const std::string& ns, boost::json::value obj,
                                const WriteOptions& options = {}) override;
  absl::StatusOr<Object> Update(const api::ResourceInfo& r, const std::string& ns, boost::json::value obj,
                                const std::string& subresource = "",
                                const WriteOptions& options = {}) override;
  absl::StatusOr<Object> Patch(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                               PatchType type, const boost::json::value& patch,
                               const PatchOptions& options = {}) override;
  absl::Status Delete(const api::ResourceInfo& r, const std::string& ns, const std::string& name,
                      const DeleteOptions& options = {}) override;
  absl::StatusOr<boost::json::value> CreateSubresource(const api::ResourceInfo& r, const std::string& ns,
                                                       const std::string& name,
                                                       const std::string& subresource,
                                                       boost::json::value body) override;
  // Connects and reads the response header before returning: connection failures and HTTP errors
  // other than 410 are returned here; 410 (here or as an ERROR event later) reaches on_end as
  // OutOfRange. on_end(OK) follows a normal end: the server closing the stream, timeoutSeconds,
  // or on_event returning false. Destroying the handle stops the watch without calling on_end.
  absl::StatusOr<std::unique_ptr<WatchHandle>> Watch(const api::ResourceInfo& r, const std::string& ns,
                                                     const WatchOptions& options, WatchEventHandler on_event,
                                                     WatchEndHandler on_end) override;

  // Sends one request over the pool. `target` is the path plus query ("/version"). Non-2xx answers
  // are returned as responses, not errors; only transport failures are errors.
  absl::StatusOr<RawResponse> Request(std::string_view method, const std::string& target,
                                      std::string body = "", const std::string& content_type = "");

  // Replaces the client certificate and key (PEM) for every connection opened from now on, and
  // closes idle ones so the next requests use it; requests and watches in flight finish on the
  // connection they have. InvalidArgument when the PEM does not parse or the key does not match.
  // (Certificate rotation: the agent switches to a renewed certificate without restarting.)
  absl::Status SetClientCertificate(const std::string& cert_pem, const std::string& key_pem);

  const RestConfig& config() const;

  class Impl;  // public only so the .cc's helpers can name it

 private:
  explicit RestClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

// ---- Wire details, exposed for tests and for callers building their own requests. ----

// "/api/v1/namespaces/ns/pods/name/status", "/apis/apps/v1/deployments" (ns "" = all namespaces;
// ignored for cluster-scoped resources). Path segments are percent-encoded.
std::string ResourcePath(const api::ResourceInfo& r, const std::string& ns, const std::string& name = "",
                         const std::string& subresource = "");
// "?a=1&b=x%3Dy" from ordered pairs ("" when empty); keys and values percent-encoded.
std::string EncodeQuery(const std::vector<std::pair<std::string, std::string>>& params);
std::string PercentEncode(std::string_view text);
// Query parameters Kubernetes clients send for each operation.
std::vector<std::pair<std::string, std::string>> ListQueryParams(const ListOptions& options);
std::vector<std::pair<std::string, std::string>> WatchQueryParams(const WatchOptions& options);
// The Content-Type of each patch type.
std::string PatchContentType(PatchType type);
// The metav1.DeleteOptions body for `options`.
boost::json::value DeleteOptionsBody(const DeleteOptions& options);
// The Status for an HTTP answer (OK for 2xx). A metav1.Status body is kept whole (reason, details,
// causes); any other body becomes the message of a Status with the code's usual reason.
absl::Status StatusFromResponse(int http_code, std::string_view body);
// The Status for a metav1.Status object (as found in watch ERROR events).
absl::Status StatusFromStatusObject(const boost::json::value& status, int fallback_code);

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_REST_REST_CLIENT_H_
