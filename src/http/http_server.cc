#include "http/http_server.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <sys/resource.h>
#include <sys/socket.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "base/thread_pool.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "http/http_request_parser.h"
#include "spdlog/spdlog.h"

namespace skiff::http {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;
using Clock = std::chrono::steady_clock;

namespace {

constexpr auto kBodyTimeout = std::chrono::seconds(60);
constexpr auto kAcceptBackoff = std::chrono::milliseconds(100);
// After an error answer (413, 431, 400) the rest of the request is read and dropped, so the client
// gets to read the answer instead of a reset; bounded in bytes and time.
constexpr size_t kMaxDrainBytes = 16 * 1024 * 1024;
constexpr auto kDrainTimeout = std::chrono::seconds(5);
// How long a cut-off slow stream may take to take its last bytes before the socket is closed.
constexpr auto kSlowStreamGrace = std::chrono::seconds(10);
// A stream copies small queued pieces (events) into one chunk of at most kStreamSliceBytes per
// write; larger pieces are written from the shared bytes, so a watcher holds no private copy of
// them (1,000 watchers of one big object must not hold 1,000 copies).
constexpr size_t kStreamSliceBytes = 64 * 1024;
constexpr size_t kStreamCopyLimit = 16 * 1024;
// Once all streams together queue more than max_stream_queue_total_bytes, a stream that lets this
// much wait is cut off too (a healthy watcher's queue is near empty).
constexpr size_t kStreamFairShareBytes = 256 * 1024;
// File descriptors kept free for the store, the agent and outgoing connections.
constexpr rlim_t kReservedDescriptors = 256;

// Logs at most once per interval per call site, so a flood cannot flood the log too.
class RateLimitedLog {
 public:
  bool Allow() {
    int64_t now = Clock::now().time_since_epoch() / std::chrono::milliseconds(1);
    int64_t last = last_ms_.load();
    return now - last >= 5000 && last_ms_.compare_exchange_strong(last, now);
  }

 private:
  std::atomic<int64_t> last_ms_{-1'000'000};
};

std::optional<PeerCertificate> PeerFromSsl(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (!cert || SSL_get_verify_result(ssl) != X509_V_OK) return std::nullopt;
  PeerCertificate peer;
  X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = 0; i < X509_NAME_entry_count(subject); ++i) {
    X509_NAME_ENTRY* entry = X509_NAME_get_entry(subject, i);
    int nid = OBJ_obj2nid(X509_NAME_ENTRY_get_object(entry));
    if (nid != NID_commonName && nid != NID_organizationName) continue;
    unsigned char* utf8 = nullptr;
    int len = ASN1_STRING_to_UTF8(&utf8, X509_NAME_ENTRY_get_data(entry));
    if (len < 0) continue;
    std::string value(reinterpret_cast<char*>(utf8), len);
    OPENSSL_free(utf8);
    if (nid == NID_commonName) {
      peer.common_name = value;
    } else {
      peer.organizations.push_back(value);
    }
  }
  return peer;
}

// A parse error the client should be told about (as opposed to a closed or timed-out socket).
bool IsProtocolError(const beast::error_code& ec) {
  return ec.category() == bhttp::make_error_code(bhttp::error::header_limit).category() &&
         ec != bhttp::error::end_of_stream && ec != bhttp::error::partial_message;
}

bool IsMutating(const std::string& method) { return method != "GET" && method != "HEAD" && method != "OPTIONS"; }

int DefaultMaxConnections() {
  rlimit limit{};
  if (getrlimit(RLIMIT_NOFILE, &limit) != 0 || limit.rlim_cur == RLIM_INFINITY) return 65536;
  rlim_t usable = limit.rlim_cur > 2 * kReservedDescriptors ? limit.rlim_cur - kReservedDescriptors
                                                              : limit.rlim_cur / 2;
  return static_cast<int>(std::min<rlim_t>(usable, 65536));
}

RateLimitedLog connection_cap_log;
RateLimitedLog accept_error_log;
RateLimitedLog inflight_log;
RateLimitedLog slow_stream_log;

}  // namespace

class Session;

class HttpServer::Impl {
 public:
  Impl(HttpServerOptions options, HttpHandler handler, ErrorResponder error_responder)
      : options_(std::move(options)),
        handler_(std::move(handler)),
        error_responder_(std::move(error_responder)),
        ssl_ctx_(ssl::context::tls_server),
        acceptor_(ioc_),
        accept_timer_(ioc_),
        workers_(options_.worker_threads) {
    limits_.max_header_bytes = options_.max_header_bytes;
    limits_.max_body_bytes = options_.max_body_bytes;
  }

  absl::Status Start();
  void Stop();
  void Accept();
  void RunIoThread();

  // The handler, with any exception turned into a 500: one request never ends the process.
  HttpResponse Call(HttpRequest& req) {
    try {
      return handler_(req);
    } catch (const std::exception& e) {
      spdlog::error("{} {}: handler failed: {}", req.method, req.path, e.what());
    } catch (...) {
      spdlog::error("{} {}: handler failed with an unknown exception", req.method, req.path);
    }
    return error_responder_(500, "an internal error occurred while handling the request");
  }

  // A TLS stream for an accepted connection; it takes the serving certificate the context holds
  // now (SSL_new copies it), so ReloadCertificate never changes a connection midway.
  beast::ssl_stream<beast::tcp_stream> MakeTlsStream(tcp::socket socket) {
    std::lock_guard lock(ssl_mu_);
    return beast::ssl_stream<beast::tcp_stream>(std::move(socket), ssl_ctx_);
  }

  absl::Status ReloadCertificate() {
    try {
      // Checked on a scratch context first: a bad pair must not reach the live one.
      ssl::context scratch(ssl::context::tls_server);
      scratch.use_certificate_chain_file(options_.cert_file);
      scratch.use_private_key_file(options_.key_file, ssl::context::pem);
      if (SSL_CTX_check_private_key(scratch.native_handle()) != 1) {
        ERR_clear_error();
        return absl::InvalidArgumentError(
            absl::StrCat(options_.key_file, " does not match ", options_.cert_file));
      }
      std::lock_guard lock(ssl_mu_);
      ssl_ctx_.use_certificate_chain_file(options_.cert_file);
      ssl_ctx_.use_private_key_file(options_.key_file, ssl::context::pem);
    } catch (const std::exception& e) {
      return absl::InvalidArgumentError(absl::StrCat("reloading the serving certificate: ", e.what()));
    }
    return absl::OkStatus();
  }

  HttpServerOptions options_;
  HttpHandler handler_;
  ErrorResponder error_responder_;
  HttpRequestLimits limits_;
  net::io_context ioc_;
  std::mutex ssl_mu_;  // guards ssl_ctx_'s certificate between MakeTlsStream and ReloadCertificate
  ssl::context ssl_ctx_;
  tcp::acceptor acceptor_;
  net::steady_timer accept_timer_;
  base::ThreadPool workers_;
  std::vector<std::thread> io_threads_;
  std::atomic<bool> stopped_{false};
  int port_ = 0;
  int max_connections_ = 0;
  std::atomic<int> connections_{0};
  std::atomic<int> readonly_inflight_{0};
  std::atomic<int> mutating_inflight_{0};
  // Bytes queued by all streams, shared bytes counted once per stream (an upper bound).
  std::atomic<int64_t> stream_queued_bytes_{0};

  std::mutex sessions_mu_;
  std::set<std::shared_ptr<Session>> streaming_;
};

// One TLS connection: reads requests one at a time, hands them to the worker pool, writes the
// response, and for streaming responses writes chunks as the StreamSource produces them.
class Session : public std::enable_shared_from_this<Session>, public StreamSink {
 public:
  Session(tcp::socket socket, HttpServer::Impl* server)
      : stream_(server->MakeTlsStream(std::move(socket))),
        server_(server),
        slow_timer_(stream_.get_executor()) {
    server_->connections_.fetch_add(1);
  }
  ~Session() override {
    server_->connections_.fetch_sub(1);
    server_->stream_queued_bytes_.fetch_sub(accounted_bytes_);
  }

  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      self->first_request_deadline_ = Clock::now() + self->server_->options_.first_request_timeout;
      beast::get_lowest_layer(self->stream_).expires_at(self->first_request_deadline_);
      self->stream_.async_handshake(ssl::stream_base::server,
                                    [self](beast::error_code ec) { self->OnHandshake(ec); });
    });
  }

  // StreamSink
  bool Write(std::shared_ptr<const std::string> data) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (stream_closed_) return false;
    size_t queued = pending_bytes_ + inflight_bytes_;
    // An event larger than the budget still passes a client that has taken everything before it.
    bool over_own = queued > 0 && queued + data->size() > server_->options_.max_stream_queue_bytes;
    bool over_total = queued >= kStreamFairShareBytes &&
                      server_->stream_queued_bytes_.load() > static_cast<int64_t>(server_->options_.max_stream_queue_total_bytes);
    if (over_own || over_total) {
      CutOffSlowStreamLocked();
      return false;
    }
    pending_bytes_ += data->size();
    pending_.push_back(std::move(data));
    SyncQueuedLocked();
    ScheduleFlushLocked();
    return true;
  }

  void Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    if (stream_closed_) return;
    stream_closed_ = true;
    ScheduleFlushLocked();
  }

  void ForceClose() {
    if (tunnel_) tunnel_->Stop();
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Shutdown(); });
  }

 private:
  void OnHandshake(beast::error_code ec) {
    if (ec) return;
    peer_ = PeerFromSsl(stream_.native_handle());
    beast::error_code remote_ec;
    auto remote = beast::get_lowest_layer(stream_).socket().remote_endpoint(remote_ec);
    if (!remote_ec) {
      net::ip::address address = remote.address();
      if (address.is_v6() && address.to_v6().is_v4_mapped())
        address = net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6());
      remote_address_ = address.to_string();
    }
    ReadHeader();
  }

  void ReadHeader() {
    parser_.emplace(server_->limits_);
    auto& socket = beast::get_lowest_layer(stream_);
    if (first_request_) {
      socket.expires_at(first_request_deadline_);
    } else {
      socket.expires_after(server_->options_.idle_timeout);
    }
    bhttp::async_read_header(stream_, buffer_, *parser_,
                            [self = shared_from_this()](beast::error_code ec, size_t) { self->OnHeader(ec); });
  }

  void OnHeader(beast::error_code ec) {
    if (ec) {
      OnReadError(ec);
      return;
    }
    first_request_ = false;
    if (parser_->is_done()) {
      Dispatch();
      return;
    }
    beast::get_lowest_layer(stream_).expires_after(kBodyTimeout);
    if (beast::iequals(parser_->get()[bhttp::field::expect], "100-continue")) {
      // The body is within limits: tell clients that wait for it (curl does above 1 MiB) to send it.
      auto cont = std::make_shared<std::string>("HTTP/1.1 100 Continue\r\n\r\n");
      net::async_write(stream_, net::buffer(*cont), [self = shared_from_this(), cont](beast::error_code ec, size_t) {
        if (ec) {
          self->Shutdown();
          return;
        }
        self->ReadBody();
      });
      return;
    }
    ReadBody();
  }

  void ReadBody() {
    bhttp::async_read(stream_, buffer_, *parser_, [self = shared_from_this()](beast::error_code ec, size_t) {
      if (ec) {
        self->OnReadError(ec);
        return;
      }
      self->Dispatch();
    });
  }

  void OnReadError(beast::error_code ec) {
    if (!IsProtocolError(ec)) {
      Shutdown();  // closed, reset or timed out: nobody to answer
      return;
    }
    int status = ParseErrorStatus(ec);
    std::string message;
    if (status == 413) {
      message = absl::StrCat("the request body is larger than the limit of ", server_->options_.max_body_bytes,
                             " bytes");
    } else if (status == 431) {
      message = absl::StrCat("request header fields too large: each field is limited to ",
                             server_->limits_.max_field_bytes, " bytes and all together to ",
                             server_->limits_.max_header_bytes, " bytes");
    } else {
      message = absl::StrCat("malformed HTTP request: ", ec.message());
    }
    keep_alive_ = false;
    drain_after_write_ = true;
    WriteResponse(server_->error_responder_(status, message));
  }

  // Reads and drops what the client still sends, then closes (see kMaxDrainBytes).
  void Drain() {
    drained_bytes_ += buffer_.size();
    buffer_.consume(buffer_.size());
    if (drained_bytes_ > kMaxDrainBytes || Clock::now() > drain_deadline_) {
      Shutdown();
      return;
    }
    beast::get_lowest_layer(stream_).expires_at(drain_deadline_);
    auto scratch = std::make_shared<std::array<char, 16384>>();
    stream_.async_read_some(net::buffer(*scratch), [self = shared_from_this(), scratch](beast::error_code ec, size_t n) {
      if (ec) {
        self->Shutdown();
        return;
      }
      self->drained_bytes_ += n;
      self->Drain();
    });
  }

  void Dispatch() {
    auto req = std::make_shared<HttpRequest>();
    ToHttpRequest(parser_->get(), req.get());
    req->peer = peer_;
    req->remote_address = remote_address_;
    keep_alive_ = parser_->get().keep_alive();
    parser_.reset();
    const HttpServerOptions& options = server_->options_;
    if (options.serve_inline && options.serve_inline(*req)) {
      WriteResponse(server_->Call(*req));
      return;
    }
    bool mutating = IsMutating(req->method);
    std::atomic<int>& inflight = mutating ? server_->mutating_inflight_ : server_->readonly_inflight_;
    int limit = mutating ? options.max_mutating_requests_inflight : options.max_requests_inflight;
    if (inflight.fetch_add(1) >= limit && limit > 0) {
      inflight.fetch_sub(1);
      if (inflight_log.Allow()) {
        spdlog::warn("{} requests in flight reached the limit of {}: answering 429",
                     mutating ? "mutating" : "read-only", limit);
      }
      WriteResponse(server_->error_responder_(429, "Too many requests, please try again later."));
      return;
    }
    server_->workers_.Submit([self = shared_from_this(), req, &inflight] {
      HttpResponse resp = self->server_->Call(*req);
      inflight.fetch_sub(1);
      net::post(self->stream_.get_executor(),
                [self, resp = std::move(resp)]() mutable { self->WriteResponse(std::move(resp)); });
    });
  }

  void WriteResponse(HttpResponse resp) {
    if (resp.tunnel) {
      StartTunnel(std::move(resp));
      return;
    }
    if (resp.stream) {
      StartStream(std::move(resp));
      return;
    }
    if (resp.producer) {
      StartProduced(std::move(resp));
      return;
    }
    auto res = std::make_shared<bhttp::response<bhttp::string_body>>(static_cast<bhttp::status>(resp.status), 11);
    res->set(bhttp::field::content_type, resp.content_type);
    for (const auto& [name, value] : resp.headers) res->insert(name, value);
    res->keep_alive(keep_alive_);
    res->body() = std::move(resp.body);
    res->prepare_payload();
    beast::get_lowest_layer(stream_).expires_after(server_->options_.idle_timeout);
    bhttp::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (!ec && self->drain_after_write_) {
        self->drain_deadline_ = Clock::now() + kDrainTimeout;
        self->Drain();
        return;
      }
      if (ec || !self->keep_alive_) {
        self->Shutdown();
        return;
      }
      self->ReadHeader();
    });
  }
  // A protocol switch: the 101 head, then the connection belongs to the tunnel (raw bytes).
  void StartTunnel(HttpResponse resp) {
    tunnel_ = resp.tunnel;
    std::string head = absl::StrCat("HTTP/1.1 ", resp.status, " Switching Protocols\r\n");
    for (const auto& [name, value] : resp.headers) absl::StrAppend(&head, name, ": ", value, "\r\n");
    head += "\r\n";
    beast::get_lowest_layer(stream_).expires_never();
    {
      std::lock_guard<std::mutex> lock(server_->sessions_mu_);
      server_->streaming_.insert(shared_from_this());
    }
    auto buf = std::make_shared<std::string>(std::move(head));
    net::async_write(stream_, net::buffer(*buf), [self = shared_from_this(), buf](beast::error_code ec, size_t) {
      if (ec) {
        self->EndTunnel();
        return;
      }
      self->tunnel_->Start(std::make_shared<SessionTunnelEnd>(self));
    });
  }

  // TunnelEnd operations, posted onto the connection's strand.
  void TunnelSend(std::shared_ptr<const std::string> data, std::function<void(bool)> done) {
    net::post(stream_.get_executor(), [self = shared_from_this(), data, done = std::move(done)]() mutable {
      net::async_write(self->stream_, net::buffer(*data),
                       [self, data, done = std::move(done)](beast::error_code ec, size_t) { done(!ec); });
    });
  }

  void TunnelReceive(std::function<void(std::string, bool)> done) {
    net::post(stream_.get_executor(), [self = shared_from_this(), done = std::move(done)]() mutable {
      // Bytes read past the request head belong to the new protocol.
      if (self->buffer_.size() > 0) {
        std::string data = beast::buffers_to_string(self->buffer_.data());
        self->buffer_.consume(self->buffer_.size());
        done(std::move(data), true);
        return;
      }
      auto scratch = std::make_shared<std::array<char, 16384>>();
      self->stream_.async_read_some(net::buffer(*scratch),
                                    [self, scratch, done = std::move(done)](beast::error_code ec, size_t n) {
                                      if (ec) {
                                        done(std::string(), false);
                                      } else {
                                        done(std::string(scratch->data(), n), true);
                                      }
                                    });
    });
  }

  void EndTunnel() {
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      if (self->tunnel_ended_) return;
      self->tunnel_ended_ = true;
      if (self->tunnel_) self->tunnel_->Stop();
      {
        std::lock_guard<std::mutex> lock(self->server_->sessions_mu_);
        self->server_->streaming_.erase(self);
      }
      self->Shutdown();
    });
  }

  class SessionTunnelEnd : public TunnelEnd {
   public:
    explicit SessionTunnelEnd(std::shared_ptr<Session> session) : session_(std::move(session)) {}
    void Send(std::shared_ptr<const std::string> data, std::function<void(bool)> done) override {
      session_->TunnelSend(std::move(data), std::move(done));
    }
    void Receive(std::function<void(std::string, bool)> done) override { session_->TunnelReceive(std::move(done)); }
    void Close() override { session_->EndTunnel(); }

   private:
    std::shared_ptr<Session> session_;
  };

  // A pulled body: the header, then one chunk per completed write, then the terminating chunk;
  // the connection stays usable afterwards.
  void StartProduced(HttpResponse resp) {
    std::string head = absl::StrCat("HTTP/1.1 ", resp.status, " OK\r\nContent-Type: ", resp.content_type,
                                    "\r\nTransfer-Encoding: chunked\r\n");
    for (const auto& [name, value] : resp.headers) absl::StrAppend(&head, name, ": ", value, "\r\n");
    if (!keep_alive_) head += "Connection: close\r\n";
    head += "\r\n";
    WriteProduced(std::move(resp.producer), std::move(head));
  }

  // Each part is appended to `produced_` right after a fixed-width chunk-size line (leading zeros
  // are valid HTTP), which is filled in afterwards: the part is not copied again, and the buffer
  // is reused for every chunk of the body (large bodies would otherwise fault in fresh pages for
  // each chunk). Only one write is in flight, so the buffer is free when the next part is made.
  void WriteProduced(std::shared_ptr<BodyProducer> producer, std::string prefix) {
    constexpr size_t kChunk = 256 * 1024;
    constexpr size_t kSizeDigits = 8;  // chunks stay far below 16^8 bytes
    std::string& buf = produced_;
    buf.assign(prefix);
    const size_t size_at = buf.size();
    buf.append(kSizeDigits, '0');
    buf += "\r\n";
    const size_t part_at = buf.size();
    bool more = producer->Next(&buf, kChunk);
    const size_t part = buf.size() - part_at;
    if (part == 0) {
      buf.resize(size_at);
    } else {
      static constexpr char kHex[] = "0123456789abcdef";
      for (size_t i = 0; i < kSizeDigits; ++i) buf[size_at + i] = kHex[(part >> (4 * (kSizeDigits - 1 - i))) & 0xf];
      buf += "\r\n";
    }
    if (!more) buf += "0\r\n\r\n";
    net::async_write(stream_, net::buffer(buf), [self = shared_from_this(), producer, more](beast::error_code ec, size_t) {
      if (!more || ec) self->produced_ = std::string();  // do not keep the buffer past the body
      if (ec) {
        self->Shutdown();
      } else if (more) {
        self->WriteProduced(producer, std::string());
      } else if (self->keep_alive_) {
        self->ReadHeader();
      } else {
        self->Shutdown();
      }
    });
  }

  void StartStream(HttpResponse resp) {
    source_ = resp.stream;
    overflow_tail_ = std::move(resp.stream_overflow_tail);
    std::string head = absl::StrCat("HTTP/1.1 ", resp.status, " OK\r\nContent-Type: ", resp.content_type,
                                    "\r\nTransfer-Encoding: chunked\r\nCache-Control: no-cache, private\r\n"
                                    // The connection ends with the stream, so clients must not reuse it.
                                    "Connection: close\r\n");
    for (const auto& [name, value] : resp.headers) absl::StrAppend(&head, name, ": ", value, "\r\n");
    head += "\r\n";
    beast::get_lowest_layer(stream_).expires_never();
    {
      std::lock_guard<std::mutex> lock(server_->sessions_mu_);
      server_->streaming_.insert(shared_from_this());
    }
    {
      std::lock_guard<std::mutex> lock(mu_);
      stream_closed_ = false;
      writing_ = true;  // the head write below is in flight
    }
    auto buf = std::make_shared<std::string>(std::move(head));
    net::async_write(stream_, net::buffer(*buf), [self = shared_from_this(), buf](beast::error_code ec, size_t) {
      if (ec) {
        self->EndStream();
        return;
      }
      self->WatchForDisconnect();
      self->source_->Start(self);
      std::lock_guard<std::mutex> lock(self->mu_);
      self->writing_ = false;
      self->ScheduleFlushLocked();
    });
  }

  // Clients send nothing while a stream is open; a read that completes means they hung up. Their
  // queue is dropped at once rather than when a blocked write finally fails.
  void WatchForDisconnect() {
    auto scratch = std::make_shared<std::array<char, 512>>();
    stream_.async_read_some(net::buffer(*scratch), [self = shared_from_this(), scratch](beast::error_code ec, size_t) {
      if (!ec) {
        self->WatchForDisconnect();
        return;
      }
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->stream_closed_ = true;
        self->pending_.clear();
        self->pending_bytes_ = 0;
        self->SyncQueuedLocked();
      }
      self->EndStream();
    });
  }

  // The client let too much wait: drop what it has not taken, queue the tail and the end, and
  // close the socket if it does not take those either within the grace period.
  void CutOffSlowStreamLocked() {
    if (slow_stream_log.Allow()) {
      spdlog::warn("closing a streaming response: its client read too slowly ({} bytes waiting, limit {})",
                   pending_bytes_ + inflight_bytes_, server_->options_.max_stream_queue_bytes);
    }
    pending_.clear();
    pending_bytes_ = 0;
    if (!overflow_tail_.empty()) {
      pending_bytes_ = overflow_tail_.size();
      pending_.push_back(std::make_shared<const std::string>(std::move(overflow_tail_)));
    }
    SyncQueuedLocked();
    stream_closed_ = true;
    ScheduleFlushLocked();
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      self->slow_timer_.expires_after(kSlowStreamGrace);
      self->slow_timer_.async_wait([self](beast::error_code ec) {
        if (!ec) self->Shutdown();
      });
    });
  }

  // Keeps the server-wide sum of queued stream bytes in step with this stream's.
  void SyncQueuedLocked() {
    int64_t now = static_cast<int64_t>(pending_bytes_ + inflight_bytes_);
    server_->stream_queued_bytes_.fetch_add(now - accounted_bytes_);
    accounted_bytes_ = now;
  }

  void ScheduleFlushLocked() {
    if (writing_ || flush_scheduled_) return;
    flush_scheduled_ = true;
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Flush(); });
  }

  // The bytes of one stream write and what keeps them alive until it completes.
  struct StreamWrite {
    std::string head;                          // chunk size line, or the coalesced small pieces
    std::shared_ptr<const std::string> piece;  // a large piece, written from the shared bytes
    std::string tail;                          // CRLF after it and/or the terminating chunk
    std::vector<net::const_buffer> Buffers() const {
      std::vector<net::const_buffer> out;
      if (!head.empty()) out.push_back(net::buffer(head));
      if (piece) out.push_back(net::buffer(*piece));
      if (!tail.empty()) out.push_back(net::buffer(tail));
      return out;
    }
  };

  // Writes the next chunk from the queue (plus the terminating chunk once the stream is closed
  // and drained): one large piece, or small pieces coalesced up to kStreamSliceBytes.
  void Flush() {
    auto write = std::make_shared<StreamWrite>();
    bool finish = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      flush_scheduled_ = false;
      if (writing_ || finished_) return;
      size_t body = 0;
      if (!pending_.empty() && pending_.front()->size() > kStreamCopyLimit) {
        write->piece = std::move(pending_.front());
        pending_.pop_front();
        body = write->piece->size();
        write->head = absl::StrCat(absl::Hex(body), "\r\n");
        write->tail = "\r\n";
      } else {
        size_t items = 0;
        for (const auto& piece : pending_) {
          if (piece->size() > kStreamCopyLimit || body + piece->size() > kStreamSliceBytes) break;
          body += piece->size();
          ++items;
        }
        if (body > 0) {
          write->head.reserve(body + 32);
          absl::StrAppend(&write->head, absl::Hex(body), "\r\n");
          for (size_t i = 0; i < items; ++i) write->head += *pending_[i];
          write->head += "\r\n";
        }
        pending_.erase(pending_.begin(), pending_.begin() + items);
      }
      pending_bytes_ -= body;
      if (pending_.empty() && stream_closed_) {
        write->tail += "0\r\n\r\n";
        finish = true;
        finished_ = true;
      }
      if (write->head.empty() && write->tail.empty()) return;
      inflight_bytes_ = body;
      SyncQueuedLocked();
      writing_ = true;
    }
    net::async_write(stream_, write->Buffers(), [self = shared_from_this(), write, finish](beast::error_code ec, size_t) {
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->writing_ = false;
        self->inflight_bytes_ = 0;
        self->SyncQueuedLocked();
      }
      if (ec || finish) {
        self->EndStream();
        return;
      }
      std::lock_guard<std::mutex> lock(self->mu_);
      if (!self->pending_.empty() || self->stream_closed_) self->ScheduleFlushLocked();
    });
  }

  // Idempotent; on the connection's strand.
  void EndStream() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      finished_ = true;
      pending_.clear();
      pending_bytes_ = 0;
      SyncQueuedLocked();
    }
    if (source_) {
      source_->Stop();
      source_.reset();
    }
    {
      std::lock_guard<std::mutex> lock(server_->sessions_mu_);
      server_->streaming_.erase(shared_from_this());
    }
    slow_timer_.cancel();
    Shutdown();
  }

  void Shutdown() {
    beast::error_code ec;
    beast::get_lowest_layer(stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
    beast::get_lowest_layer(stream_).close();
  }

  beast::ssl_stream<beast::tcp_stream> stream_;
  HttpServer::Impl* server_;
  beast::flat_buffer buffer_;
  std::optional<LimitedRequestParser> parser_;
  std::optional<PeerCertificate> peer_;
  std::string remote_address_;
  bool keep_alive_ = true;
  bool first_request_ = true;
  Clock::time_point first_request_deadline_;
  bool drain_after_write_ = false;
  std::string produced_;  // the chunk of a pulled body being written (WriteProduced)
  size_t drained_bytes_ = 0;
  Clock::time_point drain_deadline_;
  net::steady_timer slow_timer_;  // on the strand

  // Streaming state, guarded by mu_.
  std::mutex mu_;
  std::shared_ptr<StreamSource> source_;
  std::string overflow_tail_;
  std::shared_ptr<Tunnel> tunnel_;  // set once, before the tunnel starts
  bool tunnel_ended_ = false;       // on the strand
  std::deque<std::shared_ptr<const std::string>> pending_;
  size_t pending_bytes_ = 0;   // queued, not yet taken by a write
  size_t inflight_bytes_ = 0;  // of the write in progress
  int64_t accounted_bytes_ = 0;  // this stream's part of server_->stream_queued_bytes_
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool stream_closed_ = false;
  bool finished_ = false;
};

absl::Status HttpServer::Impl::Start() {
  try {
    ssl_ctx_.set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                         ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    ssl_ctx_.use_certificate_chain_file(options_.cert_file);
    ssl_ctx_.use_private_key_file(options_.key_file, ssl::context::pem);
    if (!options_.client_ca_file.empty()) {
      ssl_ctx_.load_verify_file(options_.client_ca_file);
      SSL_CTX_set_client_CA_list(ssl_ctx_.native_handle(), SSL_load_client_CA_file(options_.client_ca_file.c_str()));
      // Ask for a certificate but let token-authenticated clients connect without one.
      ssl_ctx_.set_verify_mode(ssl::verify_peer);
    }
    // HTTP/1.1 only: advertise it through ALPN so clients don't try h2.
    SSL_CTX_set_alpn_select_cb(
        ssl_ctx_.native_handle(),
        [](SSL*, const unsigned char** out, unsigned char* outlen, const unsigned char* in, unsigned int inlen,
           void*) -> int {
          static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
          unsigned char* selected = nullptr;
          if (SSL_select_next_proto(&selected, outlen, kHttp11, sizeof(kHttp11), in, inlen) ==
              OPENSSL_NPN_NEGOTIATED) {
            *out = selected;
            return SSL_TLSEXT_ERR_OK;
          }
          return SSL_TLSEXT_ERR_NOACK;
        },
        nullptr);
  } catch (const std::exception& e) {
    return absl::InvalidArgumentError(absl::StrCat("loading TLS certificates: ", e.what()));
  }
  beast::error_code ec;
  auto address = net::ip::make_address(options_.listen_address, ec);
  if (ec) return absl::InvalidArgumentError(absl::StrCat("bad listen address ", options_.listen_address));
  tcp::endpoint endpoint(address, static_cast<unsigned short>(options_.port));
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec && !options_.bind_device.empty() &&
      setsockopt(acceptor_.native_handle(), SOL_SOCKET, SO_BINDTODEVICE, options_.bind_device.data(),
                 static_cast<socklen_t>(options_.bind_device.size())) != 0) {
    ec.assign(errno, boost::system::system_category());
  }
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen_address, ":", options_.port, ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  max_connections_ = options_.max_connections > 0 ? options_.max_connections : DefaultMaxConnections();
  Accept();
  for (int i = 0; i < options_.io_threads; ++i) {
    io_threads_.emplace_back([this] { RunIoThread(); });
  }
  return absl::OkStatus();
}

void HttpServer::Impl::RunIoThread() {
  for (;;) {
    try {
      ioc_.run();
      return;
    } catch (const std::exception& e) {
      // The handler that threw is gone with its connection's last reference; the others go on.
      spdlog::error("I/O thread: a connection failed with an exception and was dropped: {}", e.what());
    } catch (...) {
      spdlog::error("I/O thread: a connection failed with an unknown exception and was dropped");
    }
    if (stopped_) return;
  }
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (stopped_ || ec == net::error::operation_aborted) return;
    if (ec) {
      // EMFILE/ENFILE and the like: retrying at once would spin; the condition clears as
      // connections close.
      if (accept_error_log.Allow()) spdlog::warn("accepting connections failed: {}; retrying", ec.message());
      accept_timer_.expires_after(kAcceptBackoff);
      accept_timer_.async_wait([this](beast::error_code ec) {
        if (!ec && !stopped_) Accept();
      });
      return;
    }
    if (connections_.load() >= max_connections_) {
      if (connection_cap_log.Allow()) {
        spdlog::warn("{} connections open, the limit: closing new connections until some end", max_connections_);
      }
      socket.close(ec);
    } else {
      socket.set_option(tcp::no_delay(true), ec);
      std::make_shared<Session>(std::move(socket), this)->Run();
    }
    Accept();
  });
}

void HttpServer::Impl::Stop() {
  if (stopped_.exchange(true)) return;
  net::post(ioc_, [this] {
    beast::error_code ec;
    acceptor_.close(ec);
    accept_timer_.cancel();
  });
  std::set<std::shared_ptr<Session>> streaming;
  {
    std::lock_guard<std::mutex> lock(sessions_mu_);
    streaming = streaming_;
  }
  for (const auto& s : streaming) s->ForceClose();  // tunnels see their client end fail
  ioc_.stop();
  for (auto& t : io_threads_) t.join();
  io_threads_.clear();
}

HttpServer::HttpServer(HttpServerOptions options, HttpHandler handler, ErrorResponder error_responder)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(handler), std::move(error_responder))) {}

HttpServer::~HttpServer() { Stop(); }

absl::Status HttpServer::Start() { return impl_->Start(); }
void HttpServer::Stop() { impl_->Stop(); }
int HttpServer::port() const { return impl_->port_; }
absl::Status HttpServer::ReloadCertificate() { return impl_->ReloadCertificate(); }

}  // namespace skiff::http
