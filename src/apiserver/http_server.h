// HttpServer: the HTTPS/1.1 transport of the API server (Boost.Beast over OpenSSL), kept behind a
// small interface so the rest of skiff never includes Beast or Asio.
//
// Each connection does a TLS handshake (client certificates are requested and, when present,
// verified against the cluster CA), then reads requests with keep-alive. Handlers run on a worker
// pool, since they may block on durable storage; I/O runs on a few event-loop threads.
// Bodies above `max_body_bytes` get 413 without reaching the handler.
// Thread-safety: Start/Stop from one thread; the handler is called concurrently from workers.
// Ownership: the server owns its threads and connections; the handler must outlive the server.
// Failure: Start returns a Status when the certificate files or the listen address are unusable.
#ifndef SKIFF_APISERVER_HTTP_SERVER_H_
#define SKIFF_APISERVER_HTTP_SERVER_H_

#include <functional>
#include <memory>
#include <string>

#include "absl/status/status.h"
#include "apiserver/http_types.h"

namespace skiff::apiserver {

struct HttpServerOptions {
  std::string listen_address = "0.0.0.0";
  int port = 6443;  // 0 = pick a free port
  std::string cert_file;
  std::string key_file;
  std::string client_ca_file;
  int io_threads = 2;
  int worker_threads = 64;
  size_t max_body_bytes = 3 * 1024 * 1024;
};

using HttpHandler = std::function<HttpResponse(HttpRequest&)>;
// Produces the 413 response (a Kubernetes Status) for oversized bodies.
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

  class Impl;  // public only so the .cc's connection type can name it

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_HTTP_SERVER_H_
