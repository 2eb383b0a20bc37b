#include "http/https_client.h"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <chrono>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"
#include "boost/url/parse.hpp"

namespace skiff::http {
namespace {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace bhttp = beast::http;
using tcp = asio::ip::tcp;

// Runs the context until the operation `start` began has completed; returns its error.
template <typename Start>
boost::system::error_code Await(asio::io_context& io, Start start) {
  boost::system::error_code result = asio::error::would_block;
  start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

struct Target {
  std::string host;  // without brackets
  std::string port;
  std::string path_and_query;
};

absl::StatusOr<Target> ParseUrl(const std::string& url) {
  auto parsed = boost::urls::parse_uri(url);
  if (!parsed) return absl::InvalidArgumentError(absl::StrCat("parse \"", url, "\": ", parsed.error().message()));
  if (absl::AsciiStrToLower(std::string(parsed->scheme())) != "https")
    return absl::InvalidArgumentError(absl::StrCat("unsupported protocol scheme in \"", url, "\""));
  Target t;
  t.host = std::string(parsed->host_name().empty() ? parsed->encoded_host_address() : parsed->host_name());
  if (t.host.size() > 2 && t.host.front() == '[') t.host = t.host.substr(1, t.host.size() - 2);
  if (t.host.empty()) return absl::InvalidArgumentError(absl::StrCat("no host in \"", url, "\""));
  t.port = parsed->has_port() ? std::string(parsed->port()) : "443";
  t.path_and_query = std::string(parsed->encoded_path());
  if (t.path_and_query.empty()) t.path_and_query = "/";
  if (parsed->has_query()) absl::StrAppend(&t.path_and_query, "?", std::string(parsed->encoded_query()));
  return t;
}

bool IsIpAddress(const std::string& host) {
  boost::system::error_code ec;
  asio::ip::make_address(host, ec);
  return !ec;
}

// The verification failure in Go's words where they are well known.
std::string VerifyError(long result, const std::string& server_name) {
  switch (result) {
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY:
    case X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT:
    case X509_V_ERR_SELF_SIGNED_CERT_IN_CHAIN:
    case X509_V_ERR_DEPTH_ZERO_SELF_SIGNED_CERT:
    case X509_V_ERR_UNABLE_TO_VERIFY_LEAF_SIGNATURE:
      return "tls: failed to verify certificate: x509: certificate signed by unknown authority";
    case X509_V_ERR_HOSTNAME_MISMATCH:
    case X509_V_ERR_IP_ADDRESS_MISMATCH:
      return absl::StrCat("tls: failed to verify certificate: x509: certificate is not valid for ", server_name);
    case X509_V_ERR_CERT_HAS_EXPIRED:
    case X509_V_ERR_CERT_NOT_YET_VALID:
      return "tls: failed to verify certificate: x509: certificate has expired or is not yet valid";
    default:
      return absl::StrCat("tls: failed to verify certificate: x509: ", X509_verify_cert_error_string(result));
  }
}

absl::Status ConfigureContext(const HttpsRequest& request, asio::ssl::context& ctx) {
  ctx.set_options(asio::ssl::context::default_workarounds | asio::ssl::context::no_sslv2 |
                  asio::ssl::context::no_sslv3 | asio::ssl::context::no_tlsv1 | asio::ssl::context::no_tlsv1_1);
  boost::system::error_code ec;
  if (request.ca_bundle_pem.empty()) {
    ctx.set_default_verify_paths(ec);
  } else {
    ctx.add_certificate_authority(asio::buffer(request.ca_bundle_pem), ec);
  }
  if (ec) return absl::InvalidArgumentError(absl::StrCat("unable to load CA bundle: ", ec.message()));
  ctx.set_verify_mode(asio::ssl::verify_peer);
  if (request.client_cert_pem.empty() != request.client_key_pem.empty())
    return absl::InvalidArgumentError("a client certificate needs its key, and a key its certificate");
  if (!request.client_cert_pem.empty()) {
    ctx.use_certificate_chain(asio::buffer(request.client_cert_pem), ec);
    if (!ec) ctx.use_private_key(asio::buffer(request.client_key_pem), asio::ssl::context::pem, ec);
    if (ec) return absl::InvalidArgumentError(absl::StrCat("unable to load client certificate: ", ec.message()));
  }
  return absl::OkStatus();
}

}  // namespace

std::string HttpsResponse::Header(std::string_view name) const {
  for (const auto& [k, v] : headers) {
    if (absl::EqualsIgnoreCase(k, absl::string_view(name.data(), name.size()))) return v;
  }
  return "";
}

absl::StatusOr<HttpsResponse> HttpsCall(const HttpsRequest& request) {
  auto deadline = std::chrono::steady_clock::now() + absl::ToChronoNanoseconds(request.timeout);
  std::string what = absl::StrCat(absl::AsciiStrToUpper(request.method.substr(0, 1)),
                                  absl::AsciiStrToLower(request.method.substr(1)), " \"", request.url, "\": ");
  auto target = ParseUrl(request.url);
  if (!target.ok()) return absl::InvalidArgumentError(absl::StrCat(what, target.status().message()));
  std::string server_name = request.server_name.empty() ? target->host : request.server_name;
  std::string dial_host = target->host, dial_port = target->port;
  if (!request.dial_address.empty()) {
    size_t colon = request.dial_address.rfind(':');
    if (colon == std::string::npos) return absl::InvalidArgumentError(absl::StrCat(what, "dial address without port"));
    dial_host = request.dial_address.substr(0, colon);
    dial_port = request.dial_address.substr(colon + 1);
    if (dial_host.size() > 2 && dial_host.front() == '[') dial_host = dial_host.substr(1, dial_host.size() - 2);
  }
  std::string dial_shown = absl::StrContains(dial_host, ':') ? absl::StrCat("[", dial_host, "]:", dial_port)
                                                             : absl::StrCat(dial_host, ":", dial_port);
  auto timed_out = [&] { return absl::DeadlineExceededError(absl::StrCat(what, "context deadline exceeded")); };

  asio::ssl::context ctx(asio::ssl::context::tls_client);
  if (auto s = ConfigureContext(request, ctx); !s.ok()) return absl::InvalidArgumentError(absl::StrCat(what, s.message()));

  asio::io_context io;
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(dial_host, dial_port, ec);
  if (ec) return absl::UnavailableError(absl::StrCat(what, "dial tcp: lookup ", dial_host, ": ", ec.message()));
  beast::ssl_stream<beast::tcp_stream> stream(io, ctx);
  auto& lowest = beast::get_lowest_layer(stream);
  lowest.expires_at(deadline);
  ec = Await(io, [&](auto handler) { lowest.async_connect(endpoints, handler); });
  if (ec == beast::error::timeout) return timed_out();
  if (ec) {
    return absl::UnavailableError(
        absl::StrCat(what, "dial tcp ", dial_shown, ": connect: ", absl::AsciiStrToLower(ec.message())));
  }

  // Name checks: a DNS name against the SANs (and SNI), an IP address against the IP SANs.
  SSL* ssl = stream.native_handle();
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  if (IsIpAddress(server_name)) {
    X509_VERIFY_PARAM_set1_ip_asc(param, server_name.c_str());
  } else {
    X509_VERIFY_PARAM_set_hostflags(param, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
    X509_VERIFY_PARAM_set1_host(param, server_name.c_str(), server_name.size());
    SSL_set_tlsext_host_name(ssl, server_name.c_str());
  }
  ec = Await(io, [&](auto handler) { stream.async_handshake(asio::ssl::stream_base::client, handler); });
  if (ec == beast::error::timeout) return timed_out();
  if (ec) {
    long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) return absl::UnavailableError(absl::StrCat(what, VerifyError(verify, server_name)));
    return absl::UnavailableError(absl::StrCat(what, "remote error: tls: ", ec.message()));
  }

  bhttp::request<bhttp::string_body> req;
  req.method_string(request.method);
  req.target(target->path_and_query);
  req.version(11);
  bool has_host = false;
  for (const auto& [k, v] : request.headers) {
    has_host |= absl::EqualsIgnoreCase(k, "host");
    req.insert(k, v);
  }
  if (!has_host) {
    std::string host = absl::StrContains(target->host, ':') ? absl::StrCat("[", target->host, "]") : target->host;
    req.set(bhttp::field::host, target->port == "443" ? host : absl::StrCat(host, ":", target->port));
  }
  req.set(bhttp::field::connection, "close");
  req.body() = request.body;
  req.prepare_payload();
  ec = Await(io, [&](auto handler) { bhttp::async_write(stream, req, handler); });
  if (ec == beast::error::timeout) return timed_out();
  if (ec) return absl::UnavailableError(absl::StrCat(what, "write: ", ec.message()));

  beast::flat_buffer buffer;
  bhttp::response_parser<bhttp::string_body> parser;
  parser.body_limit(request.max_response_bytes);
  ec = Await(io, [&](auto handler) { bhttp::async_read(stream, buffer, parser, handler); });
  if (ec == beast::error::timeout) return timed_out();
  if (ec == bhttp::error::body_limit) {
    return absl::ResourceExhaustedError(
        absl::StrCat(what, "response body larger than ", request.max_response_bytes, " bytes"));
  }
  if (ec) return absl::UnavailableError(absl::StrCat(what, "read: ", ec.message()));

  HttpsResponse out;
  const auto& msg = parser.get();
  out.status = static_cast<int>(msg.result_int());
  for (const auto& field : msg) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = msg.body();
  // No TLS shutdown handshake: the answer is complete, and waiting for the server's close_notify
  // would only add latency to a connection that is closed anyway.
  return out;
}

}  // namespace skiff::http
