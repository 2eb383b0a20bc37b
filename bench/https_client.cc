#include "https_client.h"

#include <optional>
#include <utility>

#include "absl/strings/str_cat.h"
#include "bench_util.h"
#include "boost/asio/ip/address.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/post.hpp"
#include "boost/asio/redirect_error.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"

namespace skiff::bench {
namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = asio::ssl;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

struct HttpsClient::State {
  std::shared_ptr<ssl::context> tls;
  Endpoint endpoint;
  std::string authorization;
  std::string host_header;
  std::optional<TlsStream> stream;
  beast::flat_buffer buffer;
  bool cancelled = false;
};

namespace {

absl::Status NetError(std::string_view what, const beast::error_code& ec) {
  std::string message = absl::StrCat(Av(what), ": ", ec.message());
  if (ec == beast::error::timeout) return absl::DeadlineExceededError(message);
  return absl::UnavailableError(message);
}

auto Await(beast::error_code& ec) { return asio::redirect_error(asio::use_awaitable, ec); }

http::request<http::string_body> MakeRequest(std::string_view host, std::string_view authorization,
                                             http::verb verb, std::string_view target, std::string body) {
  http::request<http::string_body> req{verb, target, 11};
  req.set(http::field::host, host);
  if (!authorization.empty()) req.set(http::field::authorization, authorization);
  req.set(http::field::accept, "application/json");
  req.set(http::field::user_agent, "skiff-bench");
  if (!body.empty()) req.set(http::field::content_type, "application/json");
  req.body() = std::move(body);
  req.keep_alive(true);
  req.prepare_payload();
  return req;
}

}  // namespace

absl::StatusOr<std::shared_ptr<ssl::context>> MakeTlsContext(const std::string& ca_file) {
  auto tls = std::make_shared<ssl::context>(ssl::context::tls_client);
  beast::error_code ec;
  tls->load_verify_file(ca_file, ec);
  if (ec) return absl::FailedPreconditionError(absl::StrCat("load CA ", ca_file, ": ", ec.message()));
  tls->set_verify_mode(ssl::verify_peer, ec);
  if (ec) return absl::InternalError(absl::StrCat("set verify mode: ", ec.message()));
  return tls;
}

HttpsClient::HttpsClient(asio::io_context& context, std::shared_ptr<ssl::context> tls, Endpoint endpoint)
    : context_(context), state_(std::make_shared<State>()) {
  state_->tls = std::move(tls);
  // /readyz and friends are open; probes before the token exists send no credentials.
  if (!endpoint.token.empty()) state_->authorization = absl::StrCat("Bearer ", endpoint.token);
  state_->host_header = absl::StrCat(endpoint.host, ":", endpoint.port);
  state_->endpoint = std::move(endpoint);
}

HttpsClient::~HttpsClient() = default;

asio::awaitable<absl::Status> HttpsClient::Connect(Clock::duration timeout) {
  std::shared_ptr<State> state = state_;
  state->stream.reset();
  state->buffer.clear();
  beast::error_code ec;
  asio::ip::address address = asio::ip::make_address(state->endpoint.host, ec);
  if (ec) co_return absl::InvalidArgumentError(absl::StrCat("bad host ", state->endpoint.host));
  state->stream.emplace(context_.get_executor(), *state->tls);
  auto& tcp = beast::get_lowest_layer(*state->stream);
  tcp.expires_after(timeout);
  co_await tcp.async_connect(asio::ip::tcp::endpoint(address, state->endpoint.port), Await(ec));
  if (ec) {
    state->stream.reset();
    co_return NetError("connect", ec);
  }
  tcp.socket().set_option(asio::ip::tcp::no_delay(true), ec);
  state->stream->set_verify_callback(ssl::host_name_verification(state->endpoint.host));
  co_await state->stream->async_handshake(ssl::stream_base::client, Await(ec));
  if (ec) {
    state->stream.reset();
    co_return NetError("TLS handshake", ec);
  }
  co_return absl::OkStatus();
}

asio::awaitable<absl::StatusOr<HttpResponse>> HttpsClient::Send(std::string_view method,
                                                                std::string_view target, std::string body,
                                                                Clock::duration timeout,
                                                                Clock::time_point* headers_at) {
  std::shared_ptr<State> state = state_;
  if (!state->stream) {
    absl::Status connected = co_await Connect(timeout);
    if (!connected.ok()) co_return connected;
  }
  http::verb verb = http::string_to_verb(method);
  if (verb == http::verb::unknown)
    co_return absl::InvalidArgumentError(absl::StrCat("bad method ", Av(method)));
  auto req = MakeRequest(state->host_header, state->authorization, verb, target, std::move(body));
  beast::error_code ec;
  beast::get_lowest_layer(*state->stream).expires_after(timeout);
  co_await http::async_write(*state->stream, req, Await(ec));
  if (ec) {
    state->stream.reset();
    co_return NetError("write request", ec);
  }
  http::response_parser<http::string_body> parser;
  parser.body_limit(boost::none);
  co_await http::async_read_header(*state->stream, state->buffer, parser, Await(ec));
  if (headers_at != nullptr) *headers_at = Clock::now();
  if (!ec && !parser.is_done()) co_await http::async_read(*state->stream, state->buffer, parser, Await(ec));
  if (ec) {
    state->stream.reset();
    co_return NetError("read response", ec);
  }
  auto res = parser.release();
  if (!res.keep_alive()) state->stream.reset();
  co_return HttpResponse{static_cast<int>(res.result_int()), std::move(res.body())};
}

asio::awaitable<absl::Status> HttpsClient::Stream(std::string target, Clock::time_point deadline,
                                                  std::function<void()> on_open, LineHandler on_line) {
  std::shared_ptr<State> state = state_;
  auto timeout = deadline - Clock::now();
  if (!state->stream) {
    absl::Status connected = co_await Connect(timeout);
    if (!connected.ok()) co_return connected;
  }
  auto req = MakeRequest(state->host_header, state->authorization, http::verb::get, target, "");
  beast::error_code ec;
  beast::get_lowest_layer(*state->stream).expires_at(deadline);
  co_await http::async_write(*state->stream, req, Await(ec));
  if (ec) {
    state->stream.reset();
    co_return NetError("write watch request", ec);
  }
  // The body is consumed chunk by chunk through the callback, so the parser keeps none of it.
  http::response_parser<http::empty_body> parser;
  parser.body_limit(boost::none);
  co_await http::async_read_header(*state->stream, state->buffer, parser, Await(ec));
  if (ec) {
    state->stream.reset();
    co_return NetError("read watch header", ec);
  }
  if (parser.get().result_int() != 200) {
    int status = static_cast<int>(parser.get().result_int());
    state->stream.reset();
    co_return absl::UnavailableError(absl::StrCat("watch answered HTTP ", status));
  }
  if (on_open) on_open();
  std::string pending;
  auto on_chunk = [&pending, &on_line](std::uint64_t, std::string_view data,
                                       beast::error_code&) -> std::size_t {
    Clock::time_point arrival = Clock::now();
    pending.append(data);
    size_t start = 0;
    for (size_t nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n', start)) {
      on_line(std::string_view(pending).substr(start, nl - start), arrival);
      start = nl + 1;
    }
    pending.erase(0, start);
    return data.size();
  };
  parser.on_chunk_body(on_chunk);
  co_await http::async_read(*state->stream, state->buffer, parser, Await(ec));
  bool ended_on_purpose =
      state->cancelled || ec == beast::error::timeout || ec == asio::error::operation_aborted;
  state->stream.reset();
  if (ec && !ended_on_purpose) co_return NetError("read watch stream", ec);
  co_return absl::OkStatus();
}

void HttpsClient::Cancel() {
  asio::post(context_, [state = state_] {
    state->cancelled = true;
    if (state->stream) beast::get_lowest_layer(*state->stream).cancel();
  });
}

}  // namespace skiff::bench
