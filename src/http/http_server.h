// HttpServer: the HTTPS/1.1 transport of the API server (Boost.Beast over OpenSSL), kept behind a
// small interface so the rest of skiff never includes Beast or Asio.
//
// Each connection does a TLS handshake (client certificates are requested and, when present,
// verified against the cluster CA), then reads requests with keep-alive. Handlers run on a worker
// pool, since they may block on durable storage; I/O runs on a few event-loop threads.
//
// Limits, so that no client can end or exhaust the process:
// - header fields over the per-field or total limit get 431, bodies over `max_body_bytes` 413;
//   both before the handler runs, and the rest of the request is read and discarded (up to a
//   bound) so clients see the answer rather than a broken pipe;
// - requests beyond the in-flight limits (queued or running, read-only and mutating counted apart,
//   as kube-apiserver's --max-requests-inflight/--max-mutating-requests-inflight) get 429;
// - requests `serve_inline` selects (health probes) run on the I/O thread, never behind workers;
// - open connections are capped (new ones are closed at accept, with a log line); failed accepts
//   (EMFILE) back off; a connection must finish its handshake and first request head within
//   `first_request_timeout`, and idle keep-alive connections close after `idle_timeout`;
// - a streaming response whose client lets more than `max_stream_queue_bytes` wait is cut off
//   (its `stream_overflow_tail` sent if the client still reads), as is one with a sizeable queue
//   while all streams together queue more than `max_stream_queue_total_bytes`; a stream's queue
//   is freed at once when its client goes away;
// - an exception from a handler becomes a 500; one escaping Beast on an I/O thread drops that
//   connection only.
// Thread-safety: Start/Stop from one thread; the handler is called concurrently from workers.
// Ownership: the server owns its threads and connections; the handler must outlive the server.
// Failure: Start returns a Status when the certificate files or the listen address are unusable.
#ifndef SKIFF_HTTP_HTTP_SERVER_H_
#define SKIFF_HTTP_HTTP_SERVER_H_

#include <chrono>
#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "http/http_types.h"

namespace skiff::http {

struct HttpServerOptions {
  std::string listen_address = "0.0.0.0";
  int port = 6443;  // 0 = pick a free port
  // When set, the listening socket takes connections arriving on this interface only (e.g. "lo":
  // any local address, never another machine), bound before it listens.
  std::string bind_device;
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  int io_threads = 2;
  int worker_threads = 64;
  size_t max_body_bytes = 3 * 1024 * 1024;
  size_t max_header_bytes = 1024 * 1024;
  // 0 = unlimited. Long-running requests (watches, streams) count only while their handler runs.
  int max_requests_inflight = 400;
  int max_mutating_requests_inflight = 200;
  int max_connections = 0;  // 0 = derived from RLIMIT_NOFILE at Start
  std::chrono::milliseconds first_request_timeout{10'000};
  std::chrono::milliseconds idle_timeout{90'000};
  size_t max_stream_queue_bytes = 4 * 1024 * 1024;
  size_t max_stream_queue_total_bytes = 256 * 1024 * 1024;  // all streams together
  // Requests answered on the I/O thread (the handler must not block for them); null = none.
  std::function<bool(const HttpRequest&)> serve_inline;
};

using HttpHandler = std::function<HttpResponse(HttpRequest&)>;
// Produces the transport's own error responses (a Kubernetes Status): 400 malformed request,
// 413 body too large, 429 too many requests in flight, 431 header fields too large, 500.
using ErrorResponder = std::function<HttpResponse(int status, const std::string& message)>;

class HttpServer {
 public:
  HttpServer(HttpServerOptions options, HttpHandler handler, ErrorResponder error_responder);
  ~HttpServer();
  HttpServer(const HttpServer&) = delete;
  HttpServer& operator=(const HttpServer&) = delete;

  absl::Status Start();
  void Stop();
  int port() const;
  // Re-reads cert_file/key_file (a renewed serving certificate): connections accepted from now on
  // present it, open ones keep theirs. On error (unreadable, mismatched) the old pair stays.
  absl::Status ReloadCertificate();

  class Impl;  // public only so the .cc's connection type can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::http

#endif  // SKIFF_HTTP_HTTP_SERVER_H_
