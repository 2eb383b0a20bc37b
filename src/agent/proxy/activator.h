// Activator: the node's receiver of connections to Services scaled to zero. While such a Service
// has no endpoints the proxy redirects its TCP connections (ClusterIP, external/load balancer IPs,
// NodePorts) to this listener (service_rules.h: "activate-…"). For each connection the activator
//  1. recovers the original destination (SO_ORIGINAL_DST) and finds the Service port it belongs to
//     (ActivationTable::Resolve); anything else is reset;
//  2. holds it — at most `max_held` at once, beyond that new ones are reset;
//  3. scales the Service's target (the marking HPA's scaleTargetRef) from 0 to 1 through the scale
//     subresource: once per Service however many connections wait (the first waiter writes, the
//     others only wait; a write that finds replicas > 0 does nothing);
//  4. waits until the proxy has programmed a usable endpoint (ActivationTable::WaitForBackends),
//     connects to it directly and splices both directions until both sides closed;
//  5. after `timeout` without an endpoint answers HTTP 503 when the first bytes the client sent
//     look like an HTTP/1 request, and resets the connection otherwise.
// Once endpoints exist the rules no longer lead here, so only the connections of a cold start
// pass through the activator.
// Thread-safety: Start/Stop from one owner thread; stats() from any. One accept thread and one
// thread per held or spliced connection. Ownership: borrows the client and the table (both must
// outlive the activator); owns the listener and the connections, all closed by Stop(), which
// also closes the table (its waiters return at once).
// Failure: Start fails when the port cannot be bound; per-connection errors (scale write refused,
// backend unreachable) are logged and end that connection (503/reset).
#ifndef SKIFF_AGENT_PROXY_ACTIVATOR_H_
#define SKIFF_AGENT_PROXY_ACTIVATOR_H_

#include <atomic>
#include <cstdint>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <thread>

#include "absl/status/status.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"
#include "agent/proxy/activation_table.h"
#include "client/client.h"

namespace skiff::agent::proxy {

struct ActivatorOptions {
  std::string listen_address = "0.0.0.0";  // the proxy redirects to the receiving interface's address
  int port = 0;                             // 0 = any free port (then read port())
  absl::Duration timeout = absl::Seconds(30);  // a held connection's wait for a ready endpoint
  int max_held = 1024;                         // connections waiting at once
  absl::Duration connect_timeout = absl::Seconds(2);  // to a backend, per attempt
};

struct ActivatorStats {
  int64_t accepted = 0;
  int64_t held = 0;         // waiting now
  int64_t scale_writes = 0;  // scale subresource writes that set 1 replica
  int64_t spliced = 0;
  int64_t timed_out = 0;
  int64_t rejected = 0;  // unknown destination or over max_held
};

// True when `prefix` (the first bytes a client sent) starts like an HTTP/1 request line.
bool LooksLikeHttp(absl::string_view prefix);

class Activator {
 public:
  Activator(client::Client* client, ActivationTable* table, ActivatorOptions options);
  ~Activator();
  Activator(const Activator&) = delete;
  Activator& operator=(const Activator&) = delete;

  absl::Status Start();
  void Stop();
  int port() const { return port_; }
  ActivatorStats stats() const;

 private:
  struct Connection;
  void AcceptLoop();
  void Serve(Connection* connection);
  // Sets the target's replicas to 1 when they are 0.
  absl::Status ScaleFromZero(const std::string& ns, const ScaleTarget& target);
  // True for the first caller of a Service's activation (until EndActivation).
  bool BeginActivation(const std::string& key);
  void EndActivation(const std::string& key);
  void Reap();  // joins finished connection threads

  client::Client* client_;
  ActivationTable* table_;
  const ActivatorOptions options_;
  int listen_fd_ = -1;
  int port_ = 0;
  std::thread accept_thread_;
  std::atomic<bool> stopping_{false};

  mutable std::mutex mu_;
  std::list<std::unique_ptr<Connection>> connections_;
  std::set<std::string> activating_;  // Services whose scale-up one waiter is writing or awaiting
  ActivatorStats stats_;
};

}  // namespace skiff::agent::proxy

#endif  // SKIFF_AGENT_PROXY_ACTIVATOR_H_
