// The Services every cluster has, written by the API server at start (as kube-apiserver's
// bootstrap controllers and k3s do):
// - default/kubernetes: ClusterIP = first address of the service CIDR, port 443 "https" to the API
//   server's own port, with the Endpoints and EndpointSlice "kubernetes" pointing at the address
//   the server advertises (rewritten when that address or port changes). A server listening on
//   127.0.0.1 only advertises 127.0.0.1: it never listens anywhere the user did not ask for, and
//   the node agents' service proxy on this host DNATs pods' connections to the ClusterIP to that
//   loopback listener (route_localnet, with a guard that admits only those DNAT'd connections),
//   so pods of this host reach it; remote nodes cannot reach such a server at all anyway;
// - kube-system/kube-dns: ClusterIP = tenth address (10.43.0.10 by default), ports dns/53 UDP,
//   and dns-tcp/53 TCP, labelled like CoreDNS's Service. Every node agent serves
//   cluster DNS on that address itself, so the Service has no selector and no endpoints.
// Thread-safety: call once at start, before serving. Ownership: borrows the storage.
// Failure: the first write error (the server does not start without them).
#ifndef SKIFF_APISERVER_DEFAULT_SERVICES_H_
#define SKIFF_APISERVER_DEFAULT_SERVICES_H_

#include <string>

#include "absl/status/status.h"
#include "apiserver/resource_storage.h"

namespace skiff::apiserver {

struct DefaultServicesOptions {
  std::string kubernetes_ip;  // "10.43.0.1"
  std::string dns_ip;         // "10.43.0.10"
  std::string advertise_ip;   // where pods reach the API server
  int api_port = 6443;
};

absl::Status EnsureDefaultServices(ResourceStorage* storage, const DefaultServicesOptions& options);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_DEFAULT_SERVICES_H_
