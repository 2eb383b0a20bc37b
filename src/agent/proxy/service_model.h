// The proxy's view of a Service and its endpoints: just what the rules need, parsed from the API
// objects (core/v1 Service, discovery.k8s.io/v1 EndpointSlice) so that rule generation is a pure
// function over plain values. IPv4 only: other addresses are ignored.
// Thread-safety: pure functions over values. Ownership: values.
// Failure: malformed or unsupported input never fails — fields that are missing, of the wrong
// type or out of range are skipped (a Service the proxy cannot serve yields nullopt).
#ifndef SKIFF_AGENT_PROXY_SERVICE_MODEL_H_
#define SKIFF_AGENT_PROXY_SERVICE_MODEL_H_

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "agent/proxy/activation_table.h"
#include "boost/json/value.hpp"

namespace skiff::agent::proxy {

struct ServicePortModel {
  std::string name;      // spec.ports[].name ("" for an unnamed single port)
  std::string protocol;  // nft spelling: "tcp", "udp" or "sctp"
  int port = 0;
  int node_port = 0;  // 0 = none (only NodePort and LoadBalancer services have one)
};

struct ServiceModel {
  std::string ns;
  std::string name;
  std::string cluster_ip;
  // spec.externalIPs and status.loadBalancer.ingress[].ip: both are "external" destinations.
  std::vector<std::string> external_ips;
  std::vector<ServicePortModel> ports;
  bool external_local = false;       // externalTrafficPolicy: Local (only with external destinations)
  bool internal_local = false;       // internalTrafficPolicy: Local
  int affinity_timeout_seconds = 0;  // sessionAffinity ClientIP; 0 = none
  // Scale to zero: without usable endpoints, TCP connections go to the activator instead of being
  // rejected. Not read from the Service itself: the proxy sets it for the describedObject of an
  // HPA with minReplicas 0 (activation_marks.h).
  bool activate = false;
};

struct EndpointModel {
  std::string ip;
  int port = 0;
  std::string node_name;
  bool ready = true;
  bool serving = true;
  bool terminating = false;
  bool operator==(const EndpointModel&) const = default;
};

// Endpoints of one service, by service port name; each list sorted by (ip, port), no duplicates.
using EndpointsByPort = std::map<std::string, std::vector<EndpointModel>>;

// True for an IPv4 dotted quad ("10.0.0.1").
bool IsIpv4(const std::string& ip);

// nullopt when the Service gets no rules: ExternalName, headless (clusterIP None), no IPv4
// ClusterIP, or no usable port.
std::optional<ServiceModel> ParseService(const boost::json::value& service);

// Merges the IPv4 EndpointSlices of one service. An endpoint's port for service port P is the
// slice port with P's name and protocol; conditions follow the API: ready unset = true, serving
// unset = ready, terminating unset = false. An address listed by several slices counts as ready
// when any of them says so.
EndpointsByPort ParseEndpointSlices(const std::vector<const boost::json::value*>& slices,
                                    const ServiceModel& service);

// The mark of scale to zero: an autoscaling/v2 HPA with minReplicas 0 whose metrics include an
// Object metric described by a core/v1 Service (as `requests-per-second` is) marks that Service
// ("namespace/name") for activation, with the HPA's scaleTargetRef as what to scale. nullopt for
// any other HPA.
struct ActivationMark {
  std::string service_key;
  ScaleTarget target;
};
std::optional<ActivationMark> ParseActivationMark(const boost::json::value& hpa);

}  // namespace skiff::agent::proxy

#endif  // SKIFF_AGENT_PROXY_SERVICE_MODEL_H_
