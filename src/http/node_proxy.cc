#include "http/node_proxy.h"

#include <array>
#include <future>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/strings/strip.h"
#include "boost/asio/executor_work_guard.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/strand.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "boost/url/encode.hpp"
#include "boost/url/rfc/unreserved_chars.hpp"

namespace skiff::http {

namespace net = boost::asio;
namespace ssl = boost::asio::ssl;
namespace beast = boost::beast;
namespace bhttp = boost::beast::http;
using tcp = boost::asio::ip::tcp;

namespace {

// Bodies with a Content-Length up to this size are returned whole (errors, short answers).
constexpr uint64_t kWholeBodyLimit = 1 << 20;

bool IsIpAddress(const std::string& host) {
  beast::error_code ec;
  net::ip::make_address(host, ec);
  return !ec;
}

struct HeadResult {
  absl::Status status;
  HttpResponse response;
};

using Strand = net::strand<net::io_context::executor_type>;
using SslStream = beast::ssl_stream<beast::tcp_stream>;

template <class Stream>
struct StreamFactory;
template <>
struct StreamFactory<beast::tcp_stream> {
  static beast::tcp_stream Make(Strand strand, ssl::context*) { return beast::tcp_stream(strand); }
};
template <>
struct StreamFactory<SslStream> {
  static SslStream Make(Strand strand, ssl::context* ctx) { return SslStream(strand, *ctx); }
};

// One upstream exchange: connect, send the request, read the head; afterwards it is the response's
// StreamSource (body as it arrives) or Tunnel (after a 101). Every operation runs on `strand`.
template <class Stream>
class Exchange : public std::enable_shared_from_this<Exchange<Stream>>, public Tunnel, public StreamSource {
 public:
  Exchange(Strand strand, std::shared_ptr<ssl::context> ssl_ctx)
      : strand_(strand),
        ssl_ctx_(std::move(ssl_ctx)),
        resolver_(strand),
        stream_(StreamFactory<Stream>::Make(strand, ssl_ctx_.get())) {}

  std::future<HeadResult> Begin(UpstreamEndpoint endpoint, UpstreamRequest request, absl::Duration timeout) {
    auto future = head_promise_.get_future();
    net::post(strand_, [self = this->shared_from_this(), endpoint = std::move(endpoint),
                        request = std::move(request), timeout]() mutable {
      self->endpoint_ = std::move(endpoint);
      self->BuildRequest(std::move(request));
      self->Lowest().expires_after(absl::ToChronoMilliseconds(timeout));
      self->resolver_.async_resolve(self->endpoint_.host, std::to_string(self->endpoint_.port),
                                    [self](beast::error_code ec, tcp::resolver::results_type results) {
                                      self->OnResolve(ec, results);
                                    });
    });
    return future;
  }

  // StreamSource
  void Start(std::shared_ptr<StreamSink> sink) override {
    net::post(strand_, [self = this->shared_from_this(), sink] {
      self->sink_ = sink;
      if (self->finished_) {
        sink->Close();
        return;
      }
      self->ReadBody();
    });
  }

  // Tunnel
  void Start(std::shared_ptr<TunnelEnd> client) override {
    net::post(strand_, [self = this->shared_from_this(), client] {
      self->client_ = client;
      if (self->finished_) {
        client->Close();
        return;
      }
      self->PumpFromClient();
      // Bytes the upstream sent right behind its 101 head go first.
      if (self->buffer_.size() > 0) {
        auto early = std::make_shared<std::string>(beast::buffers_to_string(self->buffer_.data()));
        self->buffer_.consume(self->buffer_.size());
        self->SendToClient(std::move(early));
      } else {
        self->PumpFromUpstream();
      }
    });
  }

  // Both: close the upstream connection and end the client's side.
  void Stop() override {
    net::post(strand_, [self = this->shared_from_this()] { self->Finish(); });
  }

 private:
  beast::tcp_stream& Lowest() { return beast::get_lowest_layer(stream_); }

  void BuildRequest(UpstreamRequest request) {
    request_.method_string(request.method);
    request_.target(request.target);
    request_.version(11);
    for (auto& [name, value] : request.headers) request_.insert(name, value);
    std::string host = endpoint_.host.find(':') != std::string::npos ? absl::StrCat("[", endpoint_.host, "]")
                                                                     : endpoint_.host;
    request_.set(bhttp::field::host, absl::StrCat(host, ":", endpoint_.port));
    request_.body() = std::move(request.body);
    if (!request_.body().empty() || request.method == "POST" || request.method == "PUT")
      request_.prepare_payload();
  }

  void Fail(absl::Status status) {
    if (!head_sent_) {
      head_sent_ = true;
      head_promise_.set_value(HeadResult{std::move(status), {}});
    }
    Finish();
  }

  static absl::Status NetError(const std::string& what, const UpstreamEndpoint& e, beast::error_code ec) {
    std::string message = absl::StrCat(what, " ", e.host, ":", e.port, ": ", ec.message());
    if (ec == beast::error::timeout) return absl::DeadlineExceededError(message);
    return absl::UnavailableError(message);
  }

  void OnResolve(beast::error_code ec, tcp::resolver::results_type results) {
    if (ec) return Fail(NetError("resolving", endpoint_, ec));
    Lowest().async_connect(results,
                           [self = this->shared_from_this()](beast::error_code ec, const tcp::endpoint&) {
                             if (ec) return self->Fail(NetError("dialing", self->endpoint_, ec));
                             beast::error_code ignored;
                             self->Lowest().socket().set_option(tcp::no_delay(true), ignored);
                             self->Handshake();
                           });
  }

  void Handshake() {
    if constexpr (std::is_same_v<Stream, beast::tcp_stream>) {
      WriteRequest();
    } else {
      const std::string& name = endpoint_.server_name.empty() ? endpoint_.host : endpoint_.server_name;
      if (!IsIpAddress(name)) SSL_set_tlsext_host_name(stream_.native_handle(), name.c_str());
      if (!endpoint_.server_name.empty()) SSL_set1_host(stream_.native_handle(), endpoint_.server_name.c_str());
      stream_.async_handshake(ssl::stream_base::client,
                              [self = this->shared_from_this()](beast::error_code ec) {
                                if (ec)
                                  return self->Fail(NetError("TLS handshake with", self->endpoint_, ec));
                                self->WriteRequest();
                              });
    }
  }

  void WriteRequest() {
    bhttp::async_write(stream_, request_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
      if (ec) return self->Fail(NetError("sending the request to", self->endpoint_, ec));
      self->parser_.body_limit(boost::none);
      bhttp::async_read_header(self->stream_, self->buffer_, self->parser_,
                              [self](beast::error_code ec, size_t) { self->OnHead(ec); });
    });
  }

  void OnHead(beast::error_code ec) {
    if (ec) return Fail(NetError("reading the response of", endpoint_, ec));
    const auto& msg = parser_.get();
    HttpResponse& resp = head_.response;
    resp.status = static_cast<int>(msg.result_int());
    resp.content_type = "text/plain";
    bool upgrade = resp.status == 101;
    for (const auto& field : msg) {
      std::string name(field.name_string());
      std::string lower = absl::AsciiStrToLower(name);
      if (lower == "content-type") {
        resp.content_type = std::string(field.value());
        continue;
      }
      // Framing is ours to decide, except for the head of a protocol switch.
      if (lower == "content-length" || lower == "transfer-encoding" || lower == "keep-alive") continue;
      if (!upgrade && (lower == "connection" || lower == "upgrade")) continue;
      resp.headers.emplace_back(std::move(name), std::string(field.value()));
    }
    if (upgrade) {
      Lowest().expires_never();
      resp.tunnel = this->shared_from_this();
      return SendHead();
    }
    if (parser_.is_done()) return SendHead();
    auto length = parser_.content_length();
    if (length && *length <= kWholeBodyLimit) {
      whole_ = true;
      return ReadBody();
    }
    Lowest().expires_never();
    resp.stream = this->shared_from_this();
    SendHead();
  }

  void SendHead() {
    if (head_sent_) return;
    head_sent_ = true;
    head_promise_.set_value(std::move(head_));
  }

  void ReadBody() {
    parser_.get().body().data = chunk_.data();
    parser_.get().body().size = chunk_.size();
    bhttp::async_read_some(
        stream_, buffer_, parser_, [self = this->shared_from_this()](beast::error_code ec, size_t) {
          size_t got = self->chunk_.size() - self->parser_.get().body().size;
          if (ec == bhttp::error::need_buffer) ec = {};
          if (got > 0) self->DeliverBody(std::string(self->chunk_.data(), got));
          if (ec || self->parser_.is_done()) {
            if (self->whole_) {
              if (ec) return self->Fail(NetError("reading the response body of", self->endpoint_, ec));
              self->head_.response.body = std::move(self->body_);
              self->SendHead();
            }
            return self->Finish();
          }
          self->ReadBody();
        });
  }

  void DeliverBody(std::string data) {
    if (whole_) {
      body_ += data;
    } else if (sink_ && !sink_->Write(std::make_shared<const std::string>(std::move(data)))) {
      Finish();
    }
  }

  void PumpFromUpstream() {
    stream_.async_read_some(net::buffer(down_),
                            [self = this->shared_from_this()](beast::error_code ec, size_t n) {
                              if (ec || self->finished_) return self->Finish();
                              self->SendToClient(std::make_shared<std::string>(self->down_.data(), n));
                            });
  }

  void SendToClient(std::shared_ptr<std::string> data) {
    if (!client_) return Finish();
    client_->Send(std::move(data), [self = this->shared_from_this()](bool ok) {
      net::post(self->strand_, [self, ok] {
        if (!ok || self->finished_) return self->Finish();
        self->PumpFromUpstream();
      });
    });
  }

  void PumpFromClient() {
    client_->Receive([self = this->shared_from_this()](std::string data, bool ok) {
      net::post(self->strand_, [self, data = std::move(data), ok]() mutable {
        if (!ok || self->finished_) return self->Finish();
        auto buf = std::make_shared<std::string>(std::move(data));
        net::async_write(self->stream_, net::buffer(*buf), [self, buf](beast::error_code ec, size_t) {
          if (ec || self->finished_) return self->Finish();
          self->PumpFromClient();
        });
      });
    });
  }

  void Finish() {
    if (finished_) return;
    finished_ = true;
    beast::error_code ec;
    resolver_.cancel();
    Lowest().socket().shutdown(tcp::socket::shutdown_both, ec);
    Lowest().close();
    if (client_) client_->Close();
    client_.reset();
    if (sink_) sink_->Close();
    sink_.reset();
  }

  Strand strand_;
  std::shared_ptr<ssl::context> ssl_ctx_;
  tcp::resolver resolver_;
  Stream stream_;
  UpstreamEndpoint endpoint_;
  bhttp::request<bhttp::string_body> request_;
  beast::flat_buffer buffer_;
  bhttp::response_parser<bhttp::buffer_body> parser_;
  std::promise<HeadResult> head_promise_;
  HeadResult head_;
  bool head_sent_ = false;
  bool whole_ = false;
  std::string body_;
  std::array<char, 32 * 1024> chunk_;
  std::array<char, 32 * 1024> down_;
  bool finished_ = false;
  std::shared_ptr<StreamSink> sink_;
  std::shared_ptr<TunnelEnd> client_;
};

absl::StatusOr<std::shared_ptr<ssl::context>> ClientContext(const UpstreamEndpoint& e) {
  try {
    auto ctx = std::make_shared<ssl::context>(ssl::context::tls_client);
    ctx->set_options(ssl::context::default_workarounds | ssl::context::no_sslv2 | ssl::context::no_sslv3 |
                     ssl::context::no_tlsv1 | ssl::context::no_tlsv1_1);
    if (!e.client_cert_file.empty()) {
      ctx->use_certificate_chain_file(e.client_cert_file);
      ctx->use_private_key_file(e.client_key_file, ssl::context::pem);
    }
    if (!e.ca_file.empty() || !e.ca_pem.empty()) {
      if (!e.ca_file.empty()) ctx->load_verify_file(e.ca_file);
      if (!e.ca_pem.empty()) ctx->add_certificate_authority(net::buffer(e.ca_pem));
      ctx->set_verify_mode(ssl::verify_peer);
    } else if (e.system_roots) {
      ctx->set_default_verify_paths();
      ctx->set_verify_mode(ssl::verify_peer);
    } else {
      ctx->set_verify_mode(ssl::verify_none);
    }
    // We speak HTTP/1.1 only (upgrades do not exist in h2).
    static const unsigned char kHttp11[] = {8, 'h', 't', 't', 'p', '/', '1', '.', '1'};
    SSL_CTX_set_alpn_protos(ctx->native_handle(), kHttp11, sizeof(kHttp11));
    return ctx;
  } catch (const std::exception& ex) {
    return absl::InvalidArgumentError(
        absl::StrCat("loading the TLS credentials for ", e.host, ": ", ex.what()));
  }
}

}  // namespace

class NodeProxy::Impl {
 public:
  Impl() : work_(net::make_work_guard(ioc_)), thread_([this] { ioc_.run(); }) {}
  ~Impl() {
    work_.reset();
    ioc_.stop();
    thread_.join();
  }

  net::io_context ioc_;
  net::executor_work_guard<net::io_context::executor_type> work_;
  std::thread thread_;
};

NodeProxy::NodeProxy() : impl_(std::make_unique<Impl>()) {}
NodeProxy::~NodeProxy() = default;

absl::StatusOr<HttpResponse> NodeProxy::Forward(const UpstreamEndpoint& endpoint,
                                                const UpstreamRequest& request, absl::Duration timeout) {
  std::future<HeadResult> head;
  auto strand = net::make_strand(impl_->ioc_);
  if (endpoint.tls) {
    auto ctx = ClientContext(endpoint);
    if (!ctx.ok()) return ctx.status();
    auto exchange = std::make_shared<Exchange<SslStream>>(strand, *ctx);
    head = exchange->Begin(endpoint, request, timeout);
  } else {
    auto exchange = std::make_shared<Exchange<beast::tcp_stream>>(strand, nullptr);
    head = exchange->Begin(endpoint, request, timeout);
  }
  // The exchange's own timer ends it at `timeout`; the margin only guards against a stuck loop.
  if (head.wait_for(absl::ToChronoMilliseconds(timeout + absl::Seconds(5))) != std::future_status::ready) {
    return absl::DeadlineExceededError(absl::StrCat("no answer from ", endpoint.host, ":", endpoint.port));
  }
  HeadResult result = head.get();
  if (!result.status.ok()) return result.status;
  return std::move(result.response);
}

std::string EncodeQuery(const std::multimap<std::string, std::string>& query) {
  std::string out;
  for (const auto& [key, value] : query) {
    if (!out.empty()) out += '&';
    out += boost::urls::encode(key, boost::urls::unreserved_chars);
    out += '=';
    out += boost::urls::encode(value, boost::urls::unreserved_chars);
  }
  return out;
}

std::vector<std::pair<std::string, std::string>> StreamingRequestHeaders(const HttpRequest& request) {
  static const char* const kCanonical[][2] = {
      {"upgrade", "Upgrade"},
      {"connection", "Connection"},
      {"sec-websocket-key", "Sec-WebSocket-Key"},
      {"sec-websocket-version", "Sec-WebSocket-Version"},
      {"sec-websocket-protocol", "Sec-WebSocket-Protocol"},
      {"sec-websocket-extensions", "Sec-WebSocket-Extensions"},
      {"origin", "Origin"},
      {"accept", "Accept"},
      {"content-type", "Content-Type"},
      {"user-agent", "User-Agent"},
  };
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [lower, canonical] : kCanonical) {
    std::string value = request.Header(lower);
    if (!value.empty()) out.emplace_back(canonical, value);
  }
  // The transport joined repeated headers with ","; Go's httpstream negotiates per header line.
  for (absl::string_view p :
       absl::StrSplit(request.Header("x-stream-protocol-version"), ',', absl::SkipEmpty())) {
    out.emplace_back("X-Stream-Protocol-Version", std::string(absl::StripAsciiWhitespace(p)));
  }
  return out;
}

}  // namespace skiff::http
