// ServiceAllocations: the WriteHook of core/v1 Services — allocates spec.clusterIP(s) from the
// service CIDR (default 10.43.0.0/16), spec.ports[].nodePort (and healthCheckNodePort) from the
// NodePort range (default 30000-32767), as Kubernetes' Service REST storage does:
// - honours values the user asks for (422 "provided IP is already allocated" / "not in the valid
//   range"), keeps existing values on update when the request omits them (kubectl replace),
//   gives back values an update drops (type NodePort -> ClusterIP, -> ExternalName) and
//   everything when a Service is deleted;
// - fills the defaults that depend on allocation: clusterIPs, ipFamilies, ipFamilyPolicy,
//   internalTrafficPolicy, externalTrafficPolicy (NodePort/LoadBalancer),
//   allocateLoadBalancerNodePorts and the ClientIP affinity timeout (10800 s).
// Repair: Rebuild() re-reads every stored Service after a restart (the allocators live in memory);
// values that two stored Services claim are logged and left to the first.
//
// Thread-safety: safe for concurrent writes (one mutex around the allocators). Ownership: values;
// reservations refer back to the hook, which must outlive them.
// Failure: 422 Invalid with field causes for values out of range, taken, or a full range.
#ifndef SKIFF_APISERVER_SERVICE_ALLOCATIONS_H_
#define SKIFF_APISERVER_SERVICE_ALLOCATIONS_H_

#include <cstdint>
#include <mutex>
#include <string>
#include <vector>

#include "absl/status/statusor.h"
#include "apiserver/range_allocator.h"
#include "apiserver/resource_storage.h"
#include "base/ipv4.h"

namespace skiff::apiserver {

inline constexpr char kDefaultServiceCidr[] = "10.43.0.0/16";
inline constexpr char kDefaultNodePortRange[] = "30000-32767";

struct ServiceAllocationOptions {
  std::string service_cidr = kDefaultServiceCidr;       // IPv4 a.b.c.d/n, n in [8, 30]
  std::string node_port_range = kDefaultNodePortRange;  // "first-last"
};

class ServiceAllocations : public WriteHook {
 public:
  static absl::StatusOr<std::unique_ptr<ServiceAllocations>> Create(const ServiceAllocationOptions& options);

  bool Handles(const api::ResourceInfo& resource) const override;
  absl::StatusOr<std::unique_ptr<Reservation>> Prepare(const api::ResourceInfo& resource,
                                                       boost::json::value& obj,
                                                       const boost::json::value* old) override;
  void Deleted(const api::ResourceInfo& resource, const boost::json::value& obj) override;

  // Forgets everything and takes the values of `services` (stored Services, after a restart).
  void Rebuild(const std::vector<boost::json::value>& services);

  const base::Ipv4Cidr& cidr() const { return cidr_; }
  size_t ips_in_use() const;
  size_t node_ports_in_use() const;

 private:
  class ServiceReservation;
  ServiceAllocations(base::Ipv4Cidr cidr, uint32_t port_first, uint32_t port_last);
  void ReleaseLocked(const std::vector<uint32_t>& ips, const std::vector<uint32_t>& ports);

  base::Ipv4Cidr cidr_;
  uint32_t port_first_;
  uint32_t port_last_;
  mutable std::mutex mu_;
  RangeAllocator ips_;    // guarded by mu_
  RangeAllocator ports_;  // guarded by mu_
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_SERVICE_ALLOCATIONS_H_
