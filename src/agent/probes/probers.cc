#include "agent/probes/probers.h"

#include <grpcpp/generic/generic_stub.h>
#include <grpcpp/grpcpp.h>

#include <chrono>
#include <optional>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "boost/asio/connect.hpp"
#include "boost/asio/io_context.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/ssl.hpp"
#include "boost/beast/core.hpp"
#include "boost/beast/http.hpp"
#include "boost/beast/ssl.hpp"

namespace skiff::agent::probes {

namespace asio = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = asio::ip::tcp;

namespace {

constexpr int kMaxRedirects = 10;
constexpr char kUserAgent[] = "kube-probe/1.32";

std::chrono::steady_clock::duration Chrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

std::string HostPort(const std::string& host, int port) {
  return absl::StrContains(host, ':') ? absl::StrCat("[", host, "]:", port) : absl::StrCat(host, ":", port);
}

// Runs the io_context until the started operation completes; returns its error.
template <typename Start>
boost::system::error_code Await(asio::io_context& io, Start start) {
  boost::system::error_code result = asio::error::would_block;
  start([&result](boost::system::error_code ec, auto&&...) { result = ec; });
  io.restart();
  io.run();
  return result;
}

// The Go-like wording of a dial error: "dial tcp 10.0.0.1:80: connect: connection refused".
std::string DialError(const std::string& address, const boost::system::error_code& ec) {
  if (ec == beast::error::timeout) return absl::StrCat("dial tcp ", address, ": i/o timeout");
  return absl::StrCat("dial tcp ", address, ": connect: ", absl::AsciiStrToLower(ec.message()));
}

struct HttpAnswer {
  int status = 0;
  std::string location;
};

// One GET; an error string on transport failure.
std::optional<std::string> HttpGetOnce(const std::string& scheme, const std::string& host, int port,
                                       const std::string& target, const HttpGetAction& action,
                                       absl::Time deadline, HttpAnswer* answer) {
  asio::io_context io;
  std::string address = HostPort(host, port);
  absl::Duration left = deadline - absl::Now();
  if (left <= absl::ZeroDuration()) return "context deadline exceeded";
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return absl::StrCat("dial tcp: lookup ", host, ": ", ec.message());
  beast::tcp_stream stream(io);
  stream.expires_after(Chrono(left));
  ec = Await(io, [&](auto handler) { stream.async_connect(endpoints, handler); });
  if (ec) return DialError(address, ec);

  http::request<http::empty_body> req{http::verb::get, target, 11};
  bool host_set = false, agent_set = false, accept_set = false;
  for (const auto& [name, value] : action.headers) {
    std::string lower = absl::AsciiStrToLower(name);
    host_set |= lower == "host";
    agent_set |= lower == "user-agent";
    accept_set |= lower == "accept";
    req.insert(name, value);
  }
  if (!host_set) req.set(http::field::host, port == 80 || port == 443 ? host : address);
  if (!agent_set) req.set(http::field::user_agent, kUserAgent);
  if (!accept_set) req.set(http::field::accept, "*/*");
  req.set(http::field::connection, "close");

  beast::flat_buffer buffer;
  http::response_parser<http::string_body> parser;
  parser.body_limit(10 * 1024 * 1024);
  std::string timeout_error = "context deadline exceeded (Client.Timeout exceeded while awaiting headers)";
  if (absl::AsciiStrToUpper(scheme) == "HTTPS") {
    asio::ssl::context ctx(asio::ssl::context::tls_client);
    ctx.set_verify_mode(asio::ssl::verify_none);
    beast::ssl_stream<beast::tcp_stream> tls(std::move(stream), ctx);
    SSL_set_tlsext_host_name(tls.native_handle(), host.c_str());
    ec = Await(io, [&](auto handler) { tls.async_handshake(asio::ssl::stream_base::client, handler); });
    if (ec) return ec == beast::error::timeout ? timeout_error : absl::StrCat("tls: ", ec.message());
    ec = Await(io, [&](auto handler) { http::async_write(tls, req, handler); });
    if (!ec) ec = Await(io, [&](auto handler) { http::async_read_header(tls, buffer, parser, handler); });
  } else {
    ec = Await(io, [&](auto handler) { http::async_write(stream, req, handler); });
    if (!ec) ec = Await(io, [&](auto handler) { http::async_read_header(stream, buffer, parser, handler); });
  }
  if (ec) return ec == beast::error::timeout ? timeout_error : ec.message();
  answer->status = static_cast<int>(parser.get().result_int());
  answer->location = std::string(parser.get()[http::field::location]);
  return std::nullopt;
}

// Splits an absolute http(s) URL; false when `url` is relative.
bool SplitUrl(const std::string& url, std::string* scheme, std::string* host, int* port,
              std::string* target) {
  size_t sep = url.find("://");
  if (sep == std::string::npos) return false;
  *scheme = absl::AsciiStrToUpper(url.substr(0, sep));
  std::string rest = url.substr(sep + 3);
  size_t slash = rest.find('/');
  std::string authority = rest.substr(0, slash);
  *target = slash == std::string::npos ? "/" : rest.substr(slash);
  *port = *scheme == "HTTPS" ? 443 : 80;
  size_t colon = authority.rfind(':');
  if (colon != std::string::npos && authority.find(']', colon) == std::string::npos) {
    (void)absl::SimpleAtoi(authority.substr(colon + 1), port);
    authority = authority.substr(0, colon);
  }
  if (authority.size() > 1 && authority.front() == '[') authority = authority.substr(1, authority.size() - 2);
  *host = authority;
  return true;
}

// grpc.health.v1.HealthCheckRequest{service} in protobuf wire format.
std::string EncodeHealthRequest(const std::string& service) {
  std::string out;
  if (service.empty()) return out;
  out.push_back(0x0a);  // field 1, length-delimited
  size_t n = service.size();
  while (n >= 0x80) {
    out.push_back(static_cast<char>((n & 0x7f) | 0x80));
    n >>= 7;
  }
  out.push_back(static_cast<char>(n));
  return out + service;
}

// HealthCheckResponse.status (field 1, varint); 0 (UNKNOWN) when absent.
int DecodeHealthStatus(const std::string& bytes) {
  size_t i = 0;
  while (i < bytes.size()) {
    uint8_t key = static_cast<uint8_t>(bytes[i++]);
    int wire = key & 7;
    uint64_t value = 0;
    int shift = 0;
    if (wire == 0) {
      while (i < bytes.size()) {
        uint8_t b = static_cast<uint8_t>(bytes[i++]);
        value |= static_cast<uint64_t>(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
      }
      if ((key >> 3) == 1) return static_cast<int>(value);
    } else if (wire == 2) {
      while (i < bytes.size()) {
        uint8_t b = static_cast<uint8_t>(bytes[i++]);
        value |= static_cast<uint64_t>(b & 0x7f) << shift;
        shift += 7;
        if (!(b & 0x80)) break;
      }
      i += value;
    } else {
      return 0;
    }
  }
  return 0;
}

const char* ServingStatusName(int s) {
  switch (s) {
    case 1:
      return "SERVING";
    case 2:
      return "NOT_SERVING";
    case 3:
      return "SERVICE_UNKNOWN";
    default:
      return "UNKNOWN";
  }
}

}  // namespace

ProbeOutcome HttpProbe(const HttpGetAction& action, const std::string& default_host, absl::Duration timeout) {
  std::string scheme = absl::AsciiStrToUpper(action.scheme);
  std::string host = action.host.empty() ? default_host : action.host;
  int port = action.port;
  std::string target = action.path.empty() ? "/" : action.path;
  absl::Time deadline = absl::Now() + timeout;
  for (int redirects = 0;; ++redirects) {
    std::string url = absl::StrCat(absl::AsciiStrToLower(scheme), "://", HostPort(host, port), target);
    HttpAnswer answer;
    if (auto err = HttpGetOnce(scheme, host, port, target, action, deadline, &answer)) {
      return {false, absl::StrCat("Get \"", url, "\": ", *err)};
    }
    bool redirect =
        answer.status >= 300 && answer.status < 400 && !answer.location.empty() && answer.status != 304;
    if (redirect && redirects < kMaxRedirects) {
      std::string next_scheme = scheme, next_host = host, next_target = answer.location;
      int next_port = port;
      if (!SplitUrl(answer.location, &next_scheme, &next_host, &next_port, &next_target)) {
        if (next_target.empty() || next_target[0] != '/') next_target = "/" + next_target;
      }
      if (next_host != host) {
        // The kubelet does not follow redirects to other hosts; it treats them as success.
        return {true, absl::StrCat("Probe terminated redirects, Response: ", answer.status)};
      }
      scheme = next_scheme;
      port = next_port;
      target = next_target;
      continue;
    }
    if (answer.status >= 200 && answer.status < 400) return {true, ""};
    return {false, absl::StrCat("HTTP probe failed with statuscode: ", answer.status)};
  }
}

ProbeOutcome TcpProbe(const std::string& host, int port, absl::Duration timeout) {
  asio::io_context io;
  std::string address = HostPort(host, port);
  tcp::resolver resolver(io);
  boost::system::error_code ec;
  auto endpoints = resolver.resolve(host, std::to_string(port), ec);
  if (ec) return {false, absl::StrCat("dial tcp: lookup ", host, ": ", ec.message())};
  beast::tcp_stream stream(io);
  stream.expires_after(Chrono(timeout));
  ec = Await(io, [&](auto handler) { stream.async_connect(endpoints, handler); });
  if (ec) return {false, DialError(address, ec)};
  return {true, ""};
}

ProbeOutcome GrpcProbe(const std::string& host, int port, const std::string& service,
                       absl::Duration timeout) {
  std::string address = HostPort(host, port);
  auto channel = grpc::CreateChannel(address, grpc::InsecureChannelCredentials());
  grpc::GenericStub stub(channel);
  grpc::ClientContext ctx;
  ctx.set_deadline(std::chrono::system_clock::now() + absl::ToChronoNanoseconds(timeout));
  grpc::CompletionQueue cq;
  std::string request = EncodeHealthRequest(service);
  grpc::Slice slice(request);
  grpc::ByteBuffer request_buffer(&slice, 1);
  auto call = stub.PrepareUnaryCall(&ctx, "/grpc.health.v1.Health/Check", request_buffer, &cq);
  if (!call) return {false, absl::StrCat("failed to connect service \"", address, "\"")};
  call->StartCall();
  grpc::ByteBuffer response;
  grpc::Status status;
  call->Finish(&response, &status, reinterpret_cast<void*>(1));
  void* tag = nullptr;
  bool ok = false;
  cq.Next(&tag, &ok);
  cq.Shutdown();
  while (cq.Next(&tag, &ok)) {
  }
  if (!status.ok()) {
    if (status.error_code() == grpc::StatusCode::DEADLINE_EXCEEDED ||
        status.error_code() == grpc::StatusCode::UNAVAILABLE) {
      return {false, absl::StrCat("timeout: failed to connect service \"", address, "\" within ",
                                  absl::FormatDuration(timeout))};
    }
    return {false, absl::StrCat("rpc error: code = ", static_cast<int>(status.error_code()),
                                " desc = ", status.error_message())};
  }
  std::vector<grpc::Slice> slices;
  std::string bytes;
  if (response.Dump(&slices).ok()) {
    for (const auto& s : slices) bytes.append(reinterpret_cast<const char*>(s.begin()), s.size());
  }
  int serving = DecodeHealthStatus(bytes);
  if (serving == 1) return {true, ""};
  return {false, absl::StrCat("service unhealthy (responded with \"", ServingStatusName(serving), "\")")};
}

ProbeOutcome ExecProbe(cri::Runtime* runtime, const std::string& container_id,
                       const std::vector<std::string>& command, absl::Duration timeout) {
  cri::v1::ExecSyncRequest req;
  req.set_container_id(container_id);
  for (const auto& a : command) req.add_cmd(a);
  req.set_timeout(absl::ToInt64Seconds(timeout));
  auto resp = runtime->ExecSync(req, cri::kRpcDefault);
  if (!resp.ok()) {
    if (resp.status().code() == absl::StatusCode::kDeadlineExceeded ||
        absl::StrContains(resp.status().message(), "timeout")) {
      return {false, absl::StrCat("command \"", absl::StrJoin(command, " "), "\" timed out")};
    }
    return {false, std::string(resp.status().message())};
  }
  std::string output = resp->stdout() + resp->stderr();
  if (resp->exit_code() == 0) return {true, ""};
  return {false, output};
}

ProbeOutcome RealProber::Run(const ProbeHandler& handler, const ProbeTarget& target, absl::Duration timeout) {
  switch (handler.type) {
    case HandlerType::kExec:
      return ExecProbe(runtime_, target.container_id, handler.command, timeout);
    case HandlerType::kHttpGet:
      return HttpProbe(handler.http, target.pod_ip, timeout);
    case HandlerType::kTcpSocket:
      return TcpProbe(handler.host.empty() ? target.pod_ip : handler.host, handler.port, timeout);
    case HandlerType::kGrpc:
      return GrpcProbe(target.pod_ip, handler.port, handler.grpc_service, timeout);
  }
  return {false, "unknown probe handler"};
}

}  // namespace skiff::agent::probes
