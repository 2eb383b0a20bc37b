// Forwarder: relays a DNS query to the upstream resolvers (CoreDNS "forward" behaviour): over UDP
// with a fresh random ID and source port per attempt, retried over TCP when the reply is
// truncated, straight over TCP when the client used TCP; each upstream is tried in order with
// `timeout` per attempt. The reply is checked (ID, QR, source) and returned with the client's ID.
//
// Thread-safety: use from the io_context's thread (one Forwarder per io_context).
// Ownership: borrows the executor's io_context; owns nothing across calls.
// Failure: Resolve yields Unavailable when every upstream failed or timed out (the caller
// answers SERVFAIL), InvalidArgument for a packet too short to be a query.
#ifndef SKIFF_AGENT_DNS_FORWARDER_H_
#define SKIFF_AGENT_DNS_FORWARDER_H_

#include <random>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "boost/asio/any_io_executor.hpp"
#include "boost/asio/awaitable.hpp"
#include "boost/asio/ip/udp.hpp"

namespace skiff::agent::dns {

class Forwarder {
 public:
  Forwarder(boost::asio::any_io_executor executor, std::vector<boost::asio::ip::udp::endpoint> upstreams,
            absl::Duration timeout);

  // `query` must stay alive until the returned awaitable completes.
  boost::asio::awaitable<absl::StatusOr<std::string>> Resolve(const std::string& query, bool tcp);
  bool has_upstreams() const { return !upstreams_.empty(); }

 private:
  boost::asio::awaitable<absl::StatusOr<std::string>> Udp(const boost::asio::ip::udp::endpoint& upstream,
                                                          const std::string& query);
  boost::asio::awaitable<absl::StatusOr<std::string>> Tcp(const boost::asio::ip::udp::endpoint& upstream,
                                                          const std::string& query);

  boost::asio::any_io_executor executor_;
  std::vector<boost::asio::ip::udp::endpoint> upstreams_;
  absl::Duration timeout_;
  std::mt19937 rng_;
};

}  // namespace skiff::agent::dns

#endif  // SKIFF_AGENT_DNS_FORWARDER_H_
