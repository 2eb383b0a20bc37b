// Server: `skiff server` assembled — credentials, store (SQLite, or etcd), watch cache, object storage with
// schema admission, the API handler and the HTTPS transport — plus the bootstrap namespaces.
// Thread-safety: Start/Stop from one thread. Ownership: owns every component it creates.
// Failure: Start returns a Status when the data dir, store or listen address is unusable.
#ifndef SKIFF_APISERVER_SERVER_H_
#define SKIFF_APISERVER_SERVER_H_

#include <memory>
#include <string>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "apiserver/audit/options.h"
#include "storage/etcd/etcd_options.h"

namespace skiff::apiserver {

class Authorizer;
class ResourceStorage;
class ServiceAllocations;
class ServiceAccountTokens;

struct ServerOptions {
  std::string data_dir = "/var/lib/skiff";
  std::string listen = "0.0.0.0:6443";
  std::string token_file;  // optional static token file (token,user,uid,"groups")
  std::string authorization_mode = "Node,RBAC";  // "Node,RBAC", "RBAC" or "AlwaysAllow"
  int worker_threads = 64;
  // As kube-apiserver's flags of these names; 0 = unlimited.
  int max_requests_inflight = 400;
  int max_mutating_requests_inflight = 200;
  std::string service_cidr = "10.43.0.0/16";  // ClusterIPs; .1 = kubernetes, .10 = kube-dns
  std::string service_node_port_range = "30000-32767";
  // Shared secret of the servers of one cluster (`--token`): the first publishes the cluster
  // identity (CA, ServiceAccount key, tokens) in the store encrypted with it, the others fetch it
  // (cluster_identity.h). "" = this server keeps its identity to itself.
  std::string cluster_token;
  std::string advertise_address;  // "" = the listen address, or this host's main IPv4 address
  // PodSecurityConfiguration file (apiserver/podsecurity/config.h); "" = privileged defaults, no exemptions.
  std::string pod_security_config;
  // ServiceAccount tokens, as kube-apiserver's flags of these names. Empty issuers: the default
  // https://kubernetes.default.svc.cluster.local; empty audiences: the first issuer; empty key
  // file: DATA_DIR/pki/service-account.key (created on first start).
  std::vector<std::string> service_account_issuers;
  std::vector<std::string> api_audiences;
  int64_t service_account_max_token_expiration_seconds = 0;  // 0 = no maximum
  std::string service_account_jwks_uri;
  std::string service_account_key_file;
  // The ServiceAccount admission plugin (default SA, kube-api-access token volume). It needs the
  // namespaces' "default" ServiceAccounts, which only the controller manager creates.
  bool service_account_admission = true;
  // The NodeRestriction admission plugin (what nodes may write: their own Node, Lease, pods' status).
  bool node_restriction_admission = true;
  audit::AuditOptions audit;  // the audit log (off unless audit.log_path is set)
  // The store: SQLite in data_dir unless etcd.endpoints is set (kube-apiserver's --etcd-servers,
  // --etcd-cafile/certfile/keyfile, --etcd-prefix). The data dir keeps the PKI either way.
  storage::EtcdOptions etcd;
  // With etcd: copy the objects of this SQLite data dir into the (empty) etcd keyspace first.
  std::string import_from;
};

// The cluster DNS address of a service CIDR (its tenth address, 10.43.0.10 by default).
absl::StatusOr<std::string> ClusterDnsAddress(const std::string& service_cidr);

class Server {
 public:
  explicit Server(ServerOptions options);
  ~Server();
  absl::Status Start();
  void Stop();
  int port() const;
  std::string kubeconfig_path() const;
  // The address the kubernetes Service's endpoints list for this server (after Start).
  std::string advertise_address() const { return advertise_address_; }
  // The object storage every write goes through (for in-process clients); null before Start.
  ResourceStorage* storage() const;
  // What decides every request (RBAC or AlwaysAllow), for in-process clients; null before Start.
  const Authorizer* authorizer() const;
  // The ServiceAccount token issuer and verifier (TokenRequest for in-process clients such as the
  // node agent); null before Start.
  const ServiceAccountTokens* service_account_tokens() const;
  // The audit log, for in-process clients to record their writes in; null when auditing is off.
  std::shared_ptr<const audit::Auditor> auditor() const;

 private:
  absl::Status SetUpAuthorization();
  // The aggregation layer: front-proxy ConfigMap, Local APIServices, proxy and availability checks.
  absl::Status StartAggregation();
  struct Parts;
  ServerOptions options_;
  std::string advertise_address_;
  std::unique_ptr<Parts> parts_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_SERVER_H_
