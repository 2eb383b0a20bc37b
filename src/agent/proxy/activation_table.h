// ActivationTable: what the activator (activator.h) needs to know about the Services marked for
// scale to zero, as the service proxy last programmed them: their frontends (ClusterIP, external
// and load balancer IPs, NodePorts), the workload to scale, and the usable endpoints of each TCP
// port. The proxy publishes an entry only after the nftables transaction that contains it
// committed, so "the table lists endpoints" means "new connections already go to the pods".
// Thread-safety: every method may be called from any thread. Ownership: values.
// Failure: none; lookups return nullopt / empty results.
#ifndef SKIFF_AGENT_PROXY_ACTIVATION_TABLE_H_
#define SKIFF_AGENT_PROXY_ACTIVATION_TABLE_H_

#include <condition_variable>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace skiff::agent::proxy {

// The workload an HPA scales (its spec.scaleTargetRef).
struct ScaleTarget {
  std::string api_version;
  std::string kind;
  std::string name;
  bool operator==(const ScaleTarget&) const = default;
};

struct Backend {
  std::string ip;
  int port = 0;
  bool operator==(const Backend&) const = default;
};

struct ActivationEntry {
  std::string ns;  // of the Service (and of the target)
  std::string name;
  ScaleTarget target;
  std::vector<std::string> ips;  // ClusterIP, external and load balancer IPs
  struct Port {
    std::string name;
    int port = 0;
    int node_port = 0;              // 0 = none
    std::vector<Backend> backends;  // usable endpoints as programmed; empty = at zero
    bool operator==(const Port&) const = default;
  };
  std::vector<Port> ports;  // TCP only
  bool operator==(const ActivationEntry&) const = default;
};

class ActivationTable {
 public:
  // Replaces (nullopt: removes) the entry of service `key` ("namespace/name").
  void Set(const std::string& key, std::optional<ActivationEntry> entry);
  void Clear();

  struct Match {
    std::string key;        // the Service
    std::string port_name;  // its port the connection was addressed to
    std::string ns;
    ScaleTarget target;
  };
  // The Service port a connection originally addressed to ip:port belongs to: an exact ClusterIP
  // or external IP match first, else a NodePort (which any node address answers).
  std::optional<Match> Resolve(const std::string& ip, int port) const;

  // For other proxies on the node (the ingress): where to send a connection for Service `key`'s
  // port (by name, or by number when `port_name` is "") so that it is activated — the Service's
  // ClusterIP and port, which the nftables rules redirect to the activator while the Service has
  // no endpoints (and to its pods once it has). nullopt when the Service is not marked for
  // activation. An HAProxy backend uses it as its "backup" server.
  std::optional<Backend> ActivationAddress(const std::string& key, const std::string& port_name,
                                           int port_number) const;

  // The backends of `key`'s port once it has some; empty when `deadline` passed, the service left
  // the table, or Close() was called.
  std::vector<Backend> WaitForBackends(const std::string& key, const std::string& port_name, absl::Time deadline);
  // Wakes every waiter for good (shutdown).
  void Close();

 private:
  const ActivationEntry::Port* FindPort(const std::string& key, const std::string& port_name) const;

  mutable std::mutex mu_;
  std::condition_variable cv_;
  bool closed_ = false;
  std::map<std::string, ActivationEntry> entries_;
};

}  // namespace skiff::agent::proxy

#endif  // SKIFF_AGENT_PROXY_ACTIVATION_TABLE_H_
