// HttpsClient: one keep-alive HTTPS/1.1 connection to a skiff API server, driven by C++20
// coroutines on an asio io_context. It verifies the server certificate against the cluster CA
// and sends the bearer token. Send() does one request/response; Stream() reads a chunked watch
// response and hands each newline-delimited event to a callback as it arrives.
// Thread-safety: one coroutine at a time per client, on the client's io_context; Cancel() may be
// called from any thread. Ownership: the client owns its socket; shared state outlives posted work.
// Failure: network, TLS and HTTP framing errors are absl::Status values (UNAVAILABLE or
// DEADLINE_EXCEEDED); nothing throws. After an error the next Send() reconnects.
#ifndef SKIFF_BENCH_HTTPS_CLIENT_H_
#define SKIFF_BENCH_HTTPS_CLIENT_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/io_context.hpp"

namespace boost::asio::ssl {
class context;
}  // namespace boost::asio::ssl

namespace skiff::bench {

using Clock = std::chrono::steady_clock;

struct Endpoint {
  std::string host = "127.0.0.1";
  uint16_t port = 0;
  std::string token;    // bearer token
  std::string ca_file;  // PEM bundle that must sign the server certificate
};

struct HttpResponse {
  int status = 0;
  std::string body;
};

// A TLS client context trusting only `ca_file`.
absl::StatusOr<std::shared_ptr<boost::asio::ssl::context>> MakeTlsContext(const std::string& ca_file);

class HttpsClient {
 public:
  // Called once per complete line of a streamed body, with the time its bytes were parsed.
  using LineHandler = std::function<void(std::string_view line, Clock::time_point arrival)>;

  HttpsClient(boost::asio::io_context& context, std::shared_ptr<boost::asio::ssl::context> tls,
              Endpoint endpoint);
  ~HttpsClient();
  HttpsClient(const HttpsClient&) = delete;
  HttpsClient& operator=(const HttpsClient&) = delete;

  boost::asio::io_context& context() { return context_; }

  // TCP connect and TLS handshake (closing any previous connection).
  boost::asio::awaitable<absl::Status> Connect(Clock::duration timeout);
  // One request; connects first if needed. `body` empty means no body. `headers_at`, if set,
  // receives the time the response header had been read (time to first byte, roughly).
  boost::asio::awaitable<absl::StatusOr<HttpResponse>> Send(std::string_view method, std::string_view target,
                                                            std::string body, Clock::duration timeout,
                                                            Clock::time_point* headers_at = nullptr);
  // GET `target` and stream the response body line by line until the server ends it, `deadline`
  // passes or Cancel() is called (those two end with OK). `on_open` runs after a 200 header.
  boost::asio::awaitable<absl::Status> Stream(std::string target, Clock::time_point deadline,
                                              std::function<void()> on_open, LineHandler on_line);
  // Aborts the pending operation, if any.
  void Cancel();

 private:
  struct State;
  boost::asio::io_context& context_;
  std::shared_ptr<State> state_;
};

}  // namespace skiff::bench

#endif  // SKIFF_BENCH_HTTPS_CLIENT_H_
