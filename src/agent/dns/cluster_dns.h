// ClusterDns: the node's cluster DNS server (what CoreDNS with the kubernetes and forward plugins
// is to Kubernetes). Services and EndpointSlices come from the agent's shared informers; every change rebuilds an
// immutable RecordTable in the background (changes arriving meanwhile coalesce into one more
// build) and swaps it in with a fresh reply cache. UDP is served by one thread per listen address
// (recvmmsg/sendmmsg batches); TCP (RFC 7766: length-prefixed, many queries per connection) and
// all upstream traffic run on one Boost.Asio thread.
//
// Thread-safety: Start/Stop from the owner's thread; the accessors from any thread.
// Ownership: borrows the shared informer set (must outlive the ClusterDns; its owner stops the
// informers, Stop() removes this server's handlers). Stop() (or the destructor) closes every
// socket and joins every thread it started. Failure: Start returns InvalidArgument for bad
// options and the bind error otherwise (nothing stays open then); at run time, list/watch
// errors are retried by the informers, and until the first table is built cluster names
// answer SERVFAIL.
#ifndef SKIFF_AGENT_DNS_CLUSTER_DNS_H_
#define SKIFF_AGENT_DNS_CLUSTER_DNS_H_

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "client/shared_informers.h"

namespace skiff::agent::dns {

struct ClusterDnsOptions {
  std::vector<std::string> listen = {"10.43.0.10:53"};  // "ip:port" ("[v6]:port"); port 0 = any
  std::string cluster_domain = "cluster.local";
  // "ip[:port]"; empty = the nameservers of resolv_conf, minus our own listen addresses.
  std::vector<std::string> upstreams;
  std::string resolv_conf = "/etc/resolv.conf";
  uint32_t ttl = 5;                                     // on every record we serve (CoreDNS's default)
  absl::Duration forward_timeout = absl::Seconds(2);    // per upstream attempt
  absl::Duration tcp_idle_timeout = absl::Seconds(10);  // a client connection with no query
  size_t cache_entries = 100000;                        // cached replies per table generation
  size_t max_concurrent_forwards = 1000;                // more get REFUSED (as CoreDNS's forward)
  size_t max_tcp_connections = 1000;                    // more are closed at once
};

class ClusterDns {
 public:
  ClusterDns(client::SharedInformers* informers, ClusterDnsOptions options);
  ~ClusterDns();
  ClusterDns(const ClusterDns&) = delete;
  ClusterDns& operator=(const ClusterDns&) = delete;

  // Binds UDP and TCP on every listen address and starts the informers it uses (when not yet started). Not restartable.
  absl::Status Start();
  void Stop();

  // Waits until a table built from synced informers serves queries.
  bool WaitForSync(absl::Duration timeout);
  // How many tables have been built (tests wait for a change to be served).
  uint64_t generation() const;

  // Actually bound ports, in the order of options.listen.
  std::vector<int> udp_ports() const;
  std::vector<int> tcp_ports() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::agent::dns

#endif  // SKIFF_AGENT_DNS_CLUSTER_DNS_H_
