// ServiceProxy: skiff's kube-proxy (nftables mode). It watches Services and EndpointSlices in all
// namespaces and keeps one nftables table (`ip <options.table>`) equal to what they ask for:
// ClusterIPs, externalIPs, LoadBalancer ingress IPs and NodePorts DNAT'd to usable endpoints,
// rejects for services without endpoints, traffic policies, session affinity and masquerading
// (see service_rules.h for the policy, ruleset.h for the transactions).
// The first sync after Start() (once both caches are synced) replaces the whole table in one
// transaction; later syncs are incremental: events are coalesced for options.sync_delay and only
// the changed services' chains and elements are rewritten, again in one transaction. A failed
// transaction is retried (with backoff) as a full sync.
// Scale to zero: with options.activator_port set the proxy also watches HPAs (autoscaling/v2);
// the Services they mark (ParseActivationMark) get activate rules while they have no endpoints,
// and after each commit their entries in activations() say what is now programmed. With
// options.count_connections a sampler thread reads the per-Service counters every
// `rate_sample_period` into connection_rates() — while they are read (ConnectionRates::ReadSince),
// so a node nobody asks for requests-per-second does not list its counters every second.
// Thread-safety: Start/Stop from one owner thread; stats(), WaitForFirstSync(), activations()
// and connection_rates() from any thread.
// Informer handlers only record keys; one sync thread does all nftables work. The sync thread
// (and its netlink socket) lives in the network namespace of the thread calling Start().
// Ownership: borrows the shared informer set (must outlive the proxy): the proxy uses its
// Services and EndpointSlices informers (starting them if need be) and removes its handlers on
// Stop(); the set's owner stops the informers. Stop() (or the destructor) leaves the
// rules in place: a restarted agent re-syncs without dropping established flows (conntrack keeps
// them); DeleteProxyTable removes them.
// Failure: Start() fails when nftables is unusable (no CAP_NET_ADMIN, no libnftables context) or
// an entry of options.service_cidrs is not an IPv4 CIDR;
// later errors are logged, counted in stats() and retried.
#ifndef SKIFF_AGENT_PROXY_SERVICE_PROXY_H_
#define SKIFF_AGENT_PROXY_SERVICE_PROXY_H_

#include <condition_variable>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/time/time.h"
#include "agent/proxy/activation_table.h"
#include "agent/proxy/connection_rates.h"
#include "agent/proxy/nft.h"
#include "agent/proxy/proxy_options.h"
#include "agent/proxy/service_rules.h"
#include "agent/proxy/shared_elements.h"
#include "base/ipv4.h"
#include "client/client.h"
#include "client/informer.h"
#include "client/shared_informers.h"

namespace skiff::agent::proxy {

struct SyncStats {
  int64_t full_syncs = 0;     // committed full transactions
  int64_t partial_syncs = 0;  // committed incremental transactions
  int64_t failed_syncs = 0;
  absl::Duration last_full_sync = absl::ZeroDuration();  // compute + commit
  absl::Duration last_partial_sync = absl::ZeroDuration();
  absl::Time last_commit = absl::InfinitePast();  // when the last transaction was committed
  size_t last_changed_services = 0;               // services rewritten by the last transaction
  size_t services = 0;                            // services with rules
  size_t chains = 0;                              // per-service chains in the table
  std::string last_error;                         // of the last failed sync ("" after a success)
};

class ServiceProxy {
 public:
  // `activations` (may be null: the proxy keeps its own) receives the activation entries; it is
  // borrowed and must outlive the proxy.
  ServiceProxy(client::SharedInformers* informers, ProxyOptions options, ActivationTable* activations = nullptr);
  ~ServiceProxy();
  ServiceProxy(const ServiceProxy&) = delete;
  ServiceProxy& operator=(const ServiceProxy&) = delete;

  absl::Status Start();
  void Stop();
  SyncStats stats() const;
  // Blocks until the first full sync committed (true) or the timeout passed (false).
  bool WaitForFirstSync(absl::Duration timeout) const;
  // The programmed state of Services marked for activation (the activator reads it).
  ActivationTable& activations() { return *activations_; }
  // New connections per second of each Service (empty without options.count_connections).
  const ConnectionRates& connection_rates() const { return rates_; }

 private:
  void MarkService(const std::string& key);
  void MarkSlice(const client::Object& slice);
  void SyncLoop();
  // Both run on the sync thread only and return the number of services rewritten.
  absl::StatusOr<size_t> SyncFull();
  absl::StatusOr<size_t> SyncPartial(const std::set<std::string>& keys);
  // The rules of one Service and, when it is marked for activation, its activation entry.
  ServiceRules Compute(const std::string& key, std::optional<ActivationEntry>* activation) const;
  void SampleCounters();
  // Logs once when a ClusterIP lies outside options.service_cidrs (a misconfigured agent).
  void WarnOutsideServiceCidrs(const std::string& key, const std::string& cluster_ip) const;
  void RecordSuccess(bool full, absl::Duration took, size_t changed);

  const ProxyOptions options_;
  std::unique_ptr<Nft> nft_;
  client::Informer* services_;
  client::Informer* slices_;
  client::Informer::HandlerId service_handlers_ = 0;
  client::Informer::HandlerId slice_handlers_ = 0;
  client::Informer* hpas_ = nullptr;  // only with options_.activator_port
  client::Informer::HandlerId hpa_handlers_ = 0;
  ActivationTable own_activations_;
  ActivationTable* activations_;
  ConnectionRates rates_;
  std::thread sampler_;
  std::thread thread_;

  mutable std::mutex mu_;
  mutable std::condition_variable cv_;
  bool started_ = false;
  bool stop_ = false;
  std::set<std::string> dirty_;  // service keys with events since the last sync
  SyncStats stats_;

  std::vector<base::Ipv4Cidr> service_cidrs_;       // options_.service_cidrs parsed by Start()
  mutable bool warned_outside_cidrs_ = false;       // sync thread only

  // Sync thread only: what the kernel holds, by service key, and who claims each shared element.
  bool need_full_ = true;
  absl::Time last_full_ = absl::InfinitePast();
  std::map<std::string, ServiceRules> applied_;
  SharedElements shared_;
};

// Removes the proxy's table (all its rules); OK when it does not exist. For `skiff agent reset`.
absl::Status DeleteProxyTable(const std::string& table = "skiff-proxy");

// Writes 1 to <proc_root>/proc/sys/net/ipv4/conf/all/route_localnet unless it already says 1.
absl::Status EnableRouteLocalnet(const std::string& proc_root = "");

}  // namespace skiff::agent::proxy

#endif  // SKIFF_AGENT_PROXY_SERVICE_PROXY_H_
