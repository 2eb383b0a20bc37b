// ConnectionRates: new connections per second of each Service, from samples of the proxy's
// per-Service nft counters (service_rules.h: "conns-…" on every dispatch and activate chain).
// The rate of a Service is the growth of its counter between the oldest sample within `window`
// and the newest, divided by the time between them; a counter that shrank (re-created with its
// Service) starts its history again. This is what the agent reports as requests-per-second
// (/stats/services); HTTP request counts of an ingress proxy are added there (RateSource).
// Thread-safety: Record and Rates may be called from any thread (one mutex). Ownership: values.
// Failure: none; ParseCounters skips what it cannot read.
#ifndef SKIFF_AGENT_PROXY_CONNECTION_RATES_H_
#define SKIFF_AGENT_PROXY_CONNECTION_RATES_H_

#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include "absl/time/clock.h"
#include "absl/time/time.h"

namespace skiff::agent::proxy {

// Per-Service rates ("namespace/name" -> per second): what a source of request counts reports.
using ServiceRates = std::map<std::string, double>;
using RateSource = std::function<ServiceRates()>;

// The packets of each Service counter in `nft list counters` output, by "namespace/name".
std::map<std::string, uint64_t> ParseCounters(const std::string& nft_output);

// The agent's GET /stats/services document: every Service's requests per second summed over
// `parts` (the proxy's connection rates, an ingress proxy's HTTP request rates, ...):
// {"windowSeconds":10,"services":[{"namespace":"default","name":"web","requestsPerSecond":0.5}]}
std::string ServiceStatsJson(const std::vector<ServiceRates>& parts, absl::Duration window);

class ConnectionRates {
 public:
  explicit ConnectionRates(absl::Duration window = absl::Seconds(10)) : window_(window) {}

  // One sample of every counter; services absent from `counts` are forgotten.
  void Record(absl::Time now, const std::map<std::string, uint64_t>& counts);
  ServiceRates Rates() const;
  // Whether anyone read Rates() since `since` (the sampler only reads the kernel's counters while
  // someone — the API server, for an HPA — asks: listing them costs with thousands of Services).
  bool ReadSince(absl::Time since) const;
  absl::Duration window() const { return window_; }

 private:
  const absl::Duration window_;
  mutable std::mutex mu_;
  std::map<std::string, std::deque<std::pair<absl::Time, uint64_t>>> samples_;
  mutable absl::Time last_read_ = absl::Now();  // counts as a read: sample for a while after start
};

}  // namespace skiff::agent::proxy

#endif  // SKIFF_AGENT_PROXY_CONNECTION_RATES_H_
