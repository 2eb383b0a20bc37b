// The pieces of the aggregation layer that read objects: an APIService as the proxy needs it
// (ApiServiceInfo), and the Service endpoint an aggregated request goes to, resolved as
// kube-apiserver does with --enable-aggregator-routing: the Service's port whose `port` is the
// APIService's spec.service.port, then a ready address of the Service's EndpointSlices serving
// that port (by port name). An ExternalName Service resolves to its external name.
// Thread-safety: stateless functions; safe from any thread. Ownership: borrows the storage.
// Failure: ResolveServiceEndpoint returns FailedPrecondition with the availability condition's
// reason (ServiceNotFound, ServicePortError, EndpointsNotFound, MissingEndpoints) and kube's
// message; ParseApiService never fails (missing fields keep their defaults).
#ifndef SKIFF_APISERVER_APISERVICE_ENDPOINT_H_
#define SKIFF_APISERVER_APISERVICE_ENDPOINT_H_

#include <cstdint>
#include <string>

#include "absl/status/statusor.h"
#include "apiserver/resource_storage.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver {

inline constexpr char kApiRegistrationGroup[] = "apiregistration.k8s.io";

struct ApiServiceInfo {
  std::string name;  // <version>.<group>
  std::string group;
  std::string version;
  bool local = true;  // no spec.service: served by this server
  std::string service_namespace;
  std::string service_name;
  int service_port = 443;
  std::string ca_bundle;  // PEM (decoded from spec.caBundle)
  bool insecure_skip_tls_verify = false;
  int64_t group_priority_minimum = 0;
  int64_t version_priority = 0;
  bool available = false;  // status condition Available is True
  std::string available_reason;

  // What the proxy and the availability check depend on (everything but the status).
  bool SameSpec(const ApiServiceInfo& other) const;
  // The DNS name the extension server's certificate must carry: <service>.<namespace>.svc.
  std::string ServerName() const { return service_name + "." + service_namespace + ".svc"; }
};

ApiServiceInfo ParseApiService(const boost::json::value& obj);

struct ServiceEndpoint {
  std::string host;
  int port = 0;
};

// Resolves `port` of Service `ns`/`name` to one ready endpoint (chosen at random among the ready
// ones, to spread requests as kube-apiserver does).
absl::StatusOr<ServiceEndpoint> ResolveServiceEndpoint(ResourceStorage* storage, const std::string& ns,
                                                       const std::string& name, int port);

// The availability reason a ResolveServiceEndpoint error carries ("" for other errors).
std::string ResolutionReason(const absl::Status& status);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_APISERVICE_ENDPOINT_H_
