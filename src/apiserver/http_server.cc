#include "apiserver/http_server.h"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <atomic>
#include <deque>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "base/thread_pool.h"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "boost/url/parse.hpp"
#include "spdlog/spdlog.h"

namespace skiff::apiserver {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace http = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

constexpr auto kIdleTimeout = std::chrono::minutes(5);
constexpr size_t kMaxQueuedStreamBytes = 64 * 1024 * 1024;

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

void ParseTarget(std::string_view target, HttpRequest& req) {
  auto q = target.find('?');
  std::string_view path = target.substr(0, q);
  auto decoded = boost::urls::parse_origin_form(target);
  if (decoded) {
    req.path = std::string(decoded->path());
    for (auto param : decoded->params()) {
      req.query.emplace(std::string(param.key), std::string(param.value));
    }
  } else {
    req.path = std::string(path);
  }
}

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
        workers_(options_.worker_threads) {}

  absl::Status Start();
  void Stop();
  void Accept();

  HttpServerOptions options_;
  HttpHandler handler_;
  ErrorResponder error_responder_;
  net::io_context ioc_;
  ssl::context ssl_ctx_;
  tcp::acceptor acceptor_;
  base::ThreadPool workers_;
  std::vector<std::thread> io_threads_;
  std::atomic<bool> stopped_{false};
  int port_ = 0;

  std::mutex sessions_mu_;
  std::set<std::shared_ptr<Session>> streaming_;
};

// One TLS connection: reads requests one at a time, hands them to the worker pool, writes the
// response, and for streaming responses writes chunks as the StreamSource produces them.
class Session : public std::enable_shared_from_this<Session>, public StreamSink {
 public:
  Session(tcp::socket socket, HttpServer::Impl* server)
      : stream_(std::move(socket), server->ssl_ctx_), server_(server) {}

  void Run() {
    net::dispatch(stream_.get_executor(), [self = shared_from_this()] {
      beast::get_lowest_layer(self->stream_).expires_after(std::chrono::seconds(30));
      self->stream_.async_handshake(ssl::stream_base::server,
                                    [self](beast::error_code ec) { self->OnHandshake(ec); });
    });
  }

  // StreamSink
  bool Write(std::shared_ptr<const std::string> data) override {
    std::lock_guard<std::mutex> lock(mu_);
    if (stream_closed_) return false;
    queued_bytes_ += data->size();
    if (queued_bytes_ > kMaxQueuedStreamBytes) {
      spdlog::warn("dropping slow stream client");
      stream_closed_ = true;
      abort_ = true;
      pending_.clear();
      ScheduleFlushLocked();
      return false;
    }
    pending_.push_back(std::move(data));
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
    net::post(stream_.get_executor(), [self = shared_from_this()] {
      beast::error_code ec;
      beast::get_lowest_layer(self->stream_).socket().shutdown(tcp::socket::shutdown_both, ec);
      beast::get_lowest_layer(self->stream_).close();
    });
  }

 private:
  void OnHandshake(beast::error_code ec) {
    if (ec) return;
    peer_ = PeerFromSsl(stream_.native_handle());
    DoRead();
  }

  void DoRead() {
    parser_.emplace();
    parser_->body_limit(server_->options_.max_body_bytes);
    parser_->header_limit(1024 * 1024);
    beast::get_lowest_layer(stream_).expires_after(kIdleTimeout);
    http::async_read(stream_, buffer_, *parser_,
                     [self = shared_from_this()](beast::error_code ec, size_t) { self->OnRead(ec); });
  }

  void OnRead(beast::error_code ec) {
    if (ec == http::error::body_limit) {
      HttpResponse resp = server_->error_responder_(
          413, absl::StrCat("the request body is larger than the limit of ", server_->options_.max_body_bytes,
                            " bytes"));
      keep_alive_ = false;
      WriteResponse(std::move(resp));
      return;
    }
    if (ec) {
      Shutdown();
      return;
    }
    auto& msg = parser_->get();
    auto req = std::make_shared<HttpRequest>();
    req->method = std::string(msg.method_string());
    ParseTarget(msg.target(), *req);
    for (const auto& field : msg) {
      std::string name = absl::AsciiStrToLower(std::string(field.name_string()));
      auto [it, inserted] = req->headers.emplace(name, std::string(field.value()));
      if (!inserted) absl::StrAppend(&it->second, ",", std::string(field.value()));
    }
    req->body = std::move(msg.body());
    req->peer = peer_;
    keep_alive_ = msg.keep_alive();
    server_->workers_.Submit([self = shared_from_this(), req] {
      HttpResponse resp = self->server_->handler_(*req);
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
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(resp.status), 11);
    res->set(http::field::content_type, resp.content_type);
    for (const auto& [name, value] : resp.headers) res->insert(name, value);
    res->keep_alive(keep_alive_);
    res->body() = std::move(resp.body);
    res->prepare_payload();
    http::async_write(stream_, *res, [self = shared_from_this(), res](beast::error_code ec, size_t) {
      if (ec || !self->keep_alive_) {
        self->Shutdown();
        return;
      }
      self->DoRead();
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

  void WriteProduced(std::shared_ptr<BodyProducer> producer, std::string prefix) {
    constexpr size_t kChunk = 256 * 1024;
    auto buf = std::make_shared<std::string>(std::move(prefix));
    std::string part;
    part.reserve(kChunk + 4096);
    bool more = producer->Next(&part, kChunk);
    if (!part.empty()) absl::StrAppend(buf.get(), absl::Hex(part.size()), "\r\n", part, "\r\n");
    if (!more) *buf += "0\r\n\r\n";
    net::async_write(stream_, net::buffer(*buf),
                     [self = shared_from_this(), buf, producer, more](beast::error_code ec, size_t) {
                       if (ec) {
                         self->Shutdown();
                       } else if (more) {
                         self->WriteProduced(producer, std::string());
                       } else if (self->keep_alive_) {
                         self->DoRead();
                       } else {
                         self->Shutdown();
                       }
                     });
  }

  void StartStream(HttpResponse resp) {
    source_ = resp.stream;
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
        self->EndStream(false);
        return;
      }
      self->WatchForDisconnect();
      self->source_->Start(self);
      std::lock_guard<std::mutex> lock(self->mu_);
      self->writing_ = false;
      self->ScheduleFlushLocked();
    });
  }

  // Clients send nothing while a stream is open; a read that completes means they hung up.
  void WatchForDisconnect() {
    auto scratch = std::make_shared<std::array<char, 512>>();
    stream_.async_read_some(net::buffer(*scratch), [self = shared_from_this(), scratch](beast::error_code ec, size_t) {
      if (ec) {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->peer_gone_ = true;
        self->stream_closed_ = true;
        self->abort_ = true;
        self->ScheduleFlushLocked();
      } else {
        self->WatchForDisconnect();
      }
    });
  }

  void ScheduleFlushLocked() {
    if (writing_ || flush_scheduled_) return;
    flush_scheduled_ = true;
    net::post(stream_.get_executor(), [self = shared_from_this()] { self->Flush(); });
  }

  void Flush() {
    std::string out;
    bool finish = false;
    bool abort = false;
    {
      std::lock_guard<std::mutex> lock(mu_);
      flush_scheduled_ = false;
      if (writing_ || finished_) return;
      abort = abort_;
      if (!abort) {
        size_t total = 0;
        for (const auto& p : pending_) total += p->size();
        if (total > 0) {
          out.reserve(total + 32);
          absl::StrAppend(&out, absl::Hex(total), "\r\n");
          for (const auto& p : pending_) out += *p;
          out += "\r\n";
        }
        pending_.clear();
        queued_bytes_ = 0;
        if (stream_closed_) {
          out += "0\r\n\r\n";
          finish = true;
        }
      }
      if (abort || finish) finished_ = true;
      if (!out.empty()) writing_ = true;
    }
    if (abort) {
      EndStream(false);
      return;
    }
    if (out.empty()) return;
    auto buf = std::make_shared<std::string>(std::move(out));
    net::async_write(stream_, net::buffer(*buf), [self = shared_from_this(), buf, finish](beast::error_code ec, size_t) {
      {
        std::lock_guard<std::mutex> lock(self->mu_);
        self->writing_ = false;
      }
      if (ec) {
        self->EndStream(false);
        return;
      }
      if (finish) {
        self->EndStream(true);
        return;
      }
      std::lock_guard<std::mutex> lock(self->mu_);
      if (!self->pending_.empty() || self->stream_closed_) self->ScheduleFlushLocked();
    });
  }

  void EndStream(bool clean) {
    if (source_) {
      source_->Stop();
      source_.reset();
    }
    {
      std::lock_guard<std::mutex> lock(server_->sessions_mu_);
      server_->streaming_.erase(shared_from_this());
    }
    // The disconnect watcher owns the read side; closing keeps the logic simple and correct.
    (void)clean;
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
  std::optional<http::request_parser<http::string_body>> parser_;
  std::optional<PeerCertificate> peer_;
  bool keep_alive_ = true;

  // Streaming state, guarded by mu_.
  std::mutex mu_;
  std::shared_ptr<StreamSource> source_;
  std::shared_ptr<Tunnel> tunnel_;  // set once, before the tunnel starts
  bool tunnel_ended_ = false;       // on the strand
  std::deque<std::shared_ptr<const std::string>> pending_;
  size_t queued_bytes_ = 0;
  bool writing_ = false;
  bool flush_scheduled_ = false;
  bool stream_closed_ = false;
  bool finished_ = false;
  bool abort_ = false;
  bool peer_gone_ = false;
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
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat("cannot listen on ", options_.listen_address, ":", options_.port, ": ", ec.message()));
  }
  port_ = acceptor_.local_endpoint().port();
  Accept();
  for (int i = 0; i < options_.io_threads; ++i) {
    io_threads_.emplace_back([this] { ioc_.run(); });
  }
  return absl::OkStatus();
}

void HttpServer::Impl::Accept() {
  acceptor_.async_accept(net::make_strand(ioc_), [this](beast::error_code ec, tcp::socket socket) {
    if (stopped_) return;
    if (!ec) {
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

}  // namespace skiff::apiserver
