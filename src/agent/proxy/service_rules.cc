#include "agent/proxy/service_rules.h"

#include <algorithm>
#include <cstdint>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"

namespace skiff::agent::proxy {
namespace {

// 8 base32 characters of FNV-1a: stable across processes (unlike absl::Hash), so names survive
// agent restarts, and long enough that distinct services do not collide in practice.
std::string ShortHash(const std::string& s) {
  uint64_t h = 14695981039346656037ull;
  for (unsigned char c : s) {
    h ^= c;
    h *= 1099511628211ull;
  }
  static constexpr char kAlphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  std::string out(8, 'A');
  for (char& c : out) {
    c = kAlphabet[h & 31];
    h >>= 5;
  }
  return out;
}

// Object names are validated by the API server, but a chain name that nft cannot parse would
// fail the whole transaction, so anything outside the identifier alphabet is replaced.
std::string Sanitize(std::string s) {
  for (char& c : s) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
                    c == '.' || c == '_' || c == '/';
    if (!ok) c = '_';
  }
  return s;
}

std::string PortId(const ServiceModel& service, const ServicePortModel& port) {
  return absl::StrCat(service.ns, "/", service.name, "/", port.protocol, "/", port.name);
}

std::string HashedName(const std::string& prefix, const std::string& id) {
  return absl::StrCat(prefix, "-", ShortHash(absl::StrCat(prefix, "|", id)), "-", Sanitize(id));
}

bool Contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

// kube-proxy's CategorizeEndpoints: the ready endpoints, else the serving+terminating ones (of
// this node only with `local_node`).
std::vector<const EndpointModel*> UsableEndpoints(const std::vector<EndpointModel>& all,
                                                  const std::string* local_node) {
  std::vector<const EndpointModel*> ready, terminating;
  for (const EndpointModel& e : all) {
    if (local_node != nullptr && (local_node->empty() || e.node_name != *local_node)) continue;
    if (e.ready) ready.push_back(&e);
    if (e.serving && e.terminating) terminating.push_back(&e);
  }
  return ready.empty() ? terminating : ready;
}

std::string AffinitySet(const std::string& endpoint_chain, int timeout_seconds) {
  // The timeout is part of the name: a changed timeout is a new set, not an in-place change.
  return absl::StrCat("affinity-", ShortHash(absl::StrCat(endpoint_chain, "|", timeout_seconds)));
}

// Rules that DNAT to one of `endpoints` (non-empty). Without session affinity the choice is one
// rule (`dnat to numgen ... map`), so a service port costs one chain however many endpoints it
// has: libnftables reads every chain of the table before each transaction, so chains are what
// makes an incremental sync slow. With affinity each endpoint needs its own chain (to record the
// client), and the lookups of the affinity sets come first.
void AddDispatch(const std::string& counter, const std::string& protocol, const std::vector<const EndpointModel*>& endpoints,
                 const std::vector<std::string>& endpoint_chains,
                 const std::vector<std::string>& affinity_sets, std::vector<std::string>& rules) {
  if (!counter.empty()) rules.push_back(absl::StrCat("counter name \"", counter, "\""));
  if (affinity_sets.empty()) {
    if (endpoints.size() == 1) {
      rules.push_back(
          absl::StrCat("meta l4proto ", protocol, " dnat to ", endpoints[0]->ip, ":", endpoints[0]->port));
      return;
    }
    std::vector<std::string> arms;
    for (size_t i = 0; i < endpoints.size(); ++i) {
      arms.push_back(absl::StrCat(i, " : ", endpoints[i]->ip, " . ", endpoints[i]->port));
    }
    rules.push_back(absl::StrCat("meta l4proto ", protocol, " dnat ip to numgen random mod ",
                                 endpoints.size(), " map { ", absl::StrJoin(arms, ", "), " }"));
    return;
  }
  for (size_t i = 0; i < affinity_sets.size(); ++i) {
    rules.push_back(absl::StrCat("ip saddr @", affinity_sets[i], " goto ", endpoint_chains[i]));
  }
  if (endpoint_chains.size() == 1) {
    rules.push_back(absl::StrCat("goto ", endpoint_chains[0]));
    return;
  }
  std::vector<std::string> arms;
  for (size_t i = 0; i < endpoint_chains.size(); ++i)
    arms.push_back(absl::StrCat(i, " : goto ", endpoint_chains[i]));
  rules.push_back(absl::StrCat("numgen random mod ", endpoint_chains.size(), " vmap { ",
                               absl::StrJoin(arms, ", "), " }"));
}

}  // namespace

std::string ServicePortChain(const std::string& kind, const ServiceModel& service,
                             const ServicePortModel& port) {
  return HashedName(kind, PortId(service, port));
}

std::string ServiceCounter(const std::string& ns, const std::string& name) {
  return HashedName("conns", absl::StrCat(ns, "/", name));
}

std::string EndpointChain(const ServiceModel& service, const ServicePortModel& port,
                          const EndpointModel& endpoint) {
  return HashedName("endpoint", absl::StrCat(PortId(service, port), "__", endpoint.ip, "/", endpoint.port));
}

ActivationEntry BuildActivationEntry(const ServiceModel& service, const EndpointsByPort& endpoints,
                                     const ScaleTarget& target) {
  ActivationEntry entry{.ns = service.ns, .name = service.name, .target = target, .ips = {service.cluster_ip}};
  entry.ips.insert(entry.ips.end(), service.external_ips.begin(), service.external_ips.end());
  for (const ServicePortModel& port : service.ports) {
    if (port.protocol != "tcp") continue;
    ActivationEntry::Port& out = entry.ports.emplace_back();
    out.name = port.name;
    out.port = port.port;
    out.node_port = port.node_port;
    auto found = endpoints.find(port.name);
    if (found == endpoints.end()) continue;
    for (const EndpointModel* e : UsableEndpoints(found->second, nullptr)) out.backends.push_back({e->ip, e->port});
  }
  return entry;
}

ServiceRules BuildServiceRules(const ServiceModel& service, const EndpointsByPort& endpoints,
                               const ProxyOptions& options) {
  ServiceRules out;
  const bool serve_cluster_ip = !Contains(options.local_service_ips, service.cluster_ip);
  std::vector<std::string> external_ips;
  for (const std::string& ip : service.external_ips) {
    if (!Contains(options.local_service_ips, ip)) external_ips.push_back(ip);
  }
  if (serve_cluster_ip) out.elements[kClusterIpsSet][service.cluster_ip] = "";
  const std::string counter = options.count_connections ? ServiceCounter(service.ns, service.name) : "";
  if (!counter.empty()) out.counters.insert(counter);

  for (const ServicePortModel& port : service.ports) {
    static const std::vector<EndpointModel> kNone;
    auto found = endpoints.find(port.name);
    const std::vector<EndpointModel>& all = found != endpoints.end() ? found->second : kNone;

    const std::vector<const EndpointModel*> cluster = UsableEndpoints(all, nullptr);
    const std::vector<const EndpointModel*> local = UsableEndpoints(all, &options.node_name);
    const bool has_externals = port.node_port != 0 || !external_ips.empty();
    const bool external_local = service.external_local && has_externals;
    const bool has_internal = service.internal_local ? !local.empty() : !cluster.empty();
    const bool has_external = external_local ? !local.empty() : !cluster.empty();

    std::string internal_verdict, external_verdict;  // "" = send to the service's chains
    const std::string activate_chain = ServicePortChain("activate", service, port);
    // Activated verdicts go into the service maps (the DNAT hooks), rejects into the no-endpoint maps.
    bool activating = false;
    if (cluster.empty() && local.empty()) {
      activating = service.activate && options.activator_port > 0 && port.protocol == "tcp";
      internal_verdict = external_verdict = activating ? "goto " + activate_chain : absl::StrCat("goto ", kRejectChain);
      if (activating) {
        std::vector<std::string>& rules = out.chains[activate_chain];
        if (!counter.empty()) rules.push_back(absl::StrCat("counter name \"", counter, "\""));
        rules.push_back(absl::StrCat("meta l4proto tcp redirect to :", options.activator_port));
      }
    } else {
      if (!has_internal) internal_verdict = "drop";
      if (!has_external) external_verdict = "drop";
    }

    const std::string cluster_chain = ServicePortChain("service", service, port);
    const std::string local_chain = ServicePortChain("local", service, port);
    const std::string external_chain = ServicePortChain("external", service, port);
    const std::string internal_chain = service.internal_local ? local_chain : cluster_chain;

    // Shared map elements.
    auto service_key = [&](const std::string& ip) {
      return absl::StrCat(ip, " . ", port.protocol, " . ", port.port);
    };
    const char* no_endpoint_services = activating ? kServiceIpsMap : kNoEndpointServicesMap;
    const char* no_endpoint_node_ports = activating ? kServiceNodePortsMap : kNoEndpointNodePortsMap;
    if (serve_cluster_ip) {
      if (internal_verdict.empty()) {
        out.elements[kServiceIpsMap][service_key(service.cluster_ip)] = "goto " + internal_chain;
      } else {
        out.elements[no_endpoint_services][service_key(service.cluster_ip)] = internal_verdict;
      }
    }
    for (const std::string& ip : external_ips) {
      if (external_verdict.empty()) {
        out.elements[kServiceIpsMap][service_key(ip)] = "goto " + external_chain;
      } else {
        out.elements[no_endpoint_services][service_key(ip)] = external_verdict;
      }
    }
    if (port.node_port != 0) {
      const std::string key = absl::StrCat(port.protocol, " . ", port.node_port);
      if (external_verdict.empty()) {
        out.elements[kServiceNodePortsMap][key] = "goto " + external_chain;
      } else {
        out.elements[no_endpoint_node_ports][key] = external_verdict;
      }
    }

    // A chain only exists when a map element or the external chain leads to it.
    const bool internal_used = serve_cluster_ip && internal_verdict.empty();
    const bool external_used = has_externals && external_verdict.empty();
    const bool need_cluster =
        !cluster.empty() && ((internal_used && !service.internal_local) || external_used);
    const bool need_local =
        !local.empty() && ((internal_used && service.internal_local) || (external_used && external_local));
    // Every endpoint is in the hairpin set: a pod reaching itself through the service is
    // masqueraded after DNAT (postrouting), or its reply would never come back through the node.
    for (const auto* list : {&cluster, &local}) {
      if (list == &cluster ? !need_cluster : !need_local) continue;
      for (const EndpointModel* e : *list) out.elements[kHairpinSet][absl::StrCat(e->ip, " . ", e->ip)] = "";
    }

    // With session affinity: endpoint chains (the union of both selections) and their sets.
    std::map<const EndpointModel*, std::pair<std::string, std::string>> names;  // chain, affinity set
    auto endpoint_names = [&](const std::vector<const EndpointModel*>& eps, std::vector<std::string>& chains,
                              std::vector<std::string>& sets) {
      if (service.affinity_timeout_seconds == 0) return;
      for (const EndpointModel* e : eps) {
        auto [it, added] = names.try_emplace(e);
        if (added) {
          it->second.first = EndpointChain(service, port, *e);
          it->second.second = AffinitySet(it->second.first, service.affinity_timeout_seconds);
        }
        chains.push_back(it->second.first);
        sets.push_back(it->second.second);
      }
    };
    std::vector<std::string> cluster_chains, cluster_sets, local_chains, local_sets;
    if (need_cluster) endpoint_names(cluster, cluster_chains, cluster_sets);
    if (need_local) endpoint_names(local, local_chains, local_sets);
    for (const auto& [e, name] : names) {
      out.sets[name.second] = absl::StrCat("type ipv4_addr; flags dynamic,timeout; timeout ",
                                           service.affinity_timeout_seconds, "s;");
      out.chains[name.first] = {
          absl::StrCat("update @", name.second, " { ip saddr }"),
          absl::StrCat("meta l4proto ", port.protocol, " dnat to ", e->ip, ":", e->port)};
    }

    if (need_cluster) {
      std::vector<std::string>& rules = out.chains[cluster_chain];
      if (serve_cluster_ip) {
        rules.push_back(absl::StrCat("ip daddr ", service.cluster_ip, " ", port.protocol, " dport ",
                                     port.port, " iifname != \"", options.pod_bridge, "\" jump ",
                                     kMarkForMasqueradeChain));
      }
      AddDispatch(counter, port.protocol, cluster, cluster_chains, cluster_sets, rules);
    }
    if (need_local) AddDispatch(counter, port.protocol, local, local_chains, local_sets, out.chains[local_chain]);
    if (external_used) {
      std::vector<std::string>& rules = out.chains[external_chain];
      if (!external_local) {
        rules.push_back(absl::StrCat("jump ", kMarkForMasqueradeChain));
        rules.push_back("goto " + cluster_chain);
      } else {
        // Pods and the node itself may use external addresses too; that traffic is internal, so
        // it goes to every endpoint (host traffic masqueraded), as kube-proxy does.
        rules.push_back(absl::StrCat("iifname \"", options.pod_bridge, "\" goto ", cluster_chain));
        rules.push_back(absl::StrCat("fib saddr type local jump ", kMarkForMasqueradeChain));
        rules.push_back(absl::StrCat("fib saddr type local goto ", cluster_chain));
        rules.push_back("goto " + local_chain);
      }
    }
  }
  return out;
}

}  // namespace skiff::agent::proxy
