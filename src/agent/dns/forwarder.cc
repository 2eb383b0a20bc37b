#include "agent/dns/forwarder.h"

#include <array>
#include <chrono>
#include <tuple>
#include <utility>
#include <variant>

#include "absl/strings/str_cat.h"
#include "boost/asio/as_tuple.hpp"
#include "boost/asio/experimental/awaitable_operators.hpp"
#include "boost/asio/ip/tcp.hpp"
#include "boost/asio/read.hpp"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "boost/asio/write.hpp"

namespace skiff::agent::dns {
namespace {

namespace asio = boost::asio;
using asio::ip::tcp;
using asio::ip::udp;
using namespace asio::experimental::awaitable_operators;
constexpr auto kNoThrow = asio::as_tuple(asio::use_awaitable);

uint16_t IdOf(const std::string& m) {
  return static_cast<uint16_t>((static_cast<uint8_t>(m[0]) << 8) | static_cast<uint8_t>(m[1]));
}
void SetId(std::string* m, uint16_t id) {
  (*m)[0] = static_cast<char>(id >> 8);
  (*m)[1] = static_cast<char>(id & 0xff);
}
bool IsReplyTo(const std::string& reply, uint16_t id) {
  return reply.size() >= 12 && IdOf(reply) == id && (static_cast<uint8_t>(reply[2]) & 0x80);
}

std::chrono::steady_clock::duration ToChrono(absl::Duration d) { return absl::ToChronoNanoseconds(d); }

// One TCP exchange: connect, send the length-prefixed query, read one length-prefixed reply.
asio::awaitable<absl::StatusOr<std::string>> TcpExchange(const tcp::endpoint& upstream,
                                                         const std::string& query) {
  tcp::socket socket(co_await asio::this_coro::executor);
  auto [connect_ec] = co_await socket.async_connect(upstream, kNoThrow);
  if (connect_ec) co_return absl::UnavailableError(absl::StrCat("connect: ", connect_ec.message()));
  std::string framed(2, '\0');
  framed[0] = static_cast<char>(query.size() >> 8);
  framed[1] = static_cast<char>(query.size() & 0xff);
  framed += query;
  auto [write_ec, written] = co_await asio::async_write(socket, asio::buffer(framed), kNoThrow);
  if (write_ec) co_return absl::UnavailableError(absl::StrCat("write: ", write_ec.message()));
  std::array<uint8_t, 2> len{};
  auto [len_ec, n] = co_await asio::async_read(socket, asio::buffer(len), kNoThrow);
  if (len_ec) co_return absl::UnavailableError(absl::StrCat("read: ", len_ec.message()));
  std::string reply((len[0] << 8) | len[1], '\0');
  auto [body_ec, m] = co_await asio::async_read(socket, asio::buffer(reply), kNoThrow);
  if (body_ec) co_return absl::UnavailableError(absl::StrCat("read: ", body_ec.message()));
  co_return reply;
}

}  // namespace

Forwarder::Forwarder(asio::any_io_executor executor, std::vector<udp::endpoint> upstreams,
                     absl::Duration timeout)
    : executor_(std::move(executor)),
      upstreams_(std::move(upstreams)),
      timeout_(timeout),
      rng_(std::random_device{}()) {}

asio::awaitable<absl::StatusOr<std::string>> Forwarder::Resolve(const std::string& query, bool tcp) {
  if (query.size() < 12) co_return absl::InvalidArgumentError("query shorter than a DNS header");
  const uint16_t client_id = IdOf(query);
  absl::Status last = absl::UnavailableError("no upstream nameservers");
  for (const udp::endpoint& upstream : upstreams_) {
    // Plain statements around co_await: GCC 12 miscompiles co_await inside ?: expressions.
    absl::StatusOr<std::string> reply = absl::UnknownError("unset");
    if (tcp) {
      reply = co_await Tcp(upstream, query);
    } else {
      reply = co_await Udp(upstream, query);
      if (reply.ok() && (static_cast<uint8_t>((*reply)[2]) & 0x02)) {
        reply = co_await Tcp(upstream, query);  // truncated: the whole answer over TCP
      }
    }
    if (!reply.ok()) {
      last = reply.status();
      continue;
    }
    SetId(&*reply, client_id);
    co_return reply;
  }
  co_return last;
}

asio::awaitable<absl::StatusOr<std::string>> Forwarder::Udp(const udp::endpoint& upstream,
                                                            const std::string& query) {
  udp::socket socket(executor_);
  boost::system::error_code ec;
  socket.open(upstream.protocol(), ec);
  if (!ec) socket.connect(upstream, ec);  // the kernel then drops datagrams from anyone else
  if (ec) co_return absl::UnavailableError(absl::StrCat("upstream socket: ", ec.message()));
  std::string ours = query;
  const uint16_t id = static_cast<uint16_t>(rng_());
  SetId(&ours, id);
  auto [send_ec, sent] = co_await socket.async_send(asio::buffer(ours), kNoThrow);
  if (send_ec) co_return absl::UnavailableError(absl::StrCat("send to upstream: ", send_ec.message()));
  asio::steady_timer deadline(executor_);
  deadline.expires_after(ToChrono(timeout_));
  std::string reply(65535, '\0');
  for (;;) {  // skip stray or spoofed datagrams until the deadline
    auto result =
        co_await (socket.async_receive(asio::buffer(reply), kNoThrow) || deadline.async_wait(kNoThrow));
    if (result.index() == 1) co_return absl::DeadlineExceededError("upstream timed out");
    auto [recv_ec, n] = std::get<0>(result);
    if (recv_ec) co_return absl::UnavailableError(absl::StrCat("upstream: ", recv_ec.message()));
    std::string got = reply.substr(0, n);
    if (IsReplyTo(got, id)) co_return got;
  }
}

asio::awaitable<absl::StatusOr<std::string>> Forwarder::Tcp(const udp::endpoint& upstream,
                                                            const std::string& query) {
  std::string ours = query;
  const uint16_t id = static_cast<uint16_t>(rng_());
  SetId(&ours, id);
  asio::steady_timer deadline(executor_);
  deadline.expires_after(ToChrono(timeout_));
  const tcp::endpoint target(upstream.address(), upstream.port());
  auto result = co_await (TcpExchange(target, ours) || deadline.async_wait(kNoThrow));
  if (result.index() == 1) co_return absl::DeadlineExceededError("upstream timed out (TCP)");
  absl::StatusOr<std::string> reply = std::move(std::get<0>(result));
  if (reply.ok() && !IsReplyTo(*reply, id)) co_return absl::UnavailableError("upstream reply does not match");
  co_return reply;
}

}  // namespace skiff::agent::dns
