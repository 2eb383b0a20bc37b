// EtcdOptions: how skiff reaches an etcd v3 cluster (the `--etcd-*` flags of `skiff server`).
// A plain struct: copy freely. Validation happens when a client is created from it.
#ifndef SKIFF_STORAGE_ETCD_ETCD_OPTIONS_H_
#define SKIFF_STORAGE_ETCD_ETCD_OPTIONS_H_

#include <string>
#include <vector>

#include "absl/time/time.h"

namespace skiff::storage {

struct EtcdOptions {
  // "http://host:port" or "https://host:port"; several members of one cluster for failover.
  std::vector<std::string> endpoints;
  // TLS (for https endpoints): the CA that signed etcd's serving certificate ("" = system roots),
  // and an optional client certificate and key for etcd's --client-cert-auth.
  std::string ca_file;
  std::string cert_file;
  std::string key_file;
  // kube-apiserver's --etcd-prefix: where the Store's "/registry" root lives in etcd. Keys under
  // "/registry" are stored under this prefix instead; other keys are stored as they are.
  std::string prefix = "/registry";
  // Deadline of one unary call; a stream reconnects after failures with this as its upper backoff.
  absl::Duration request_timeout = absl::Seconds(10);
  absl::Duration dial_timeout = absl::Seconds(5);
  // gRPC channels (TCP connections) per endpoint for unary calls, used round-robin. One is the
  // default: on the 2-core bench machine 4 channels gave no more creates than one (bench create
  // --compare-etcd measures both against etcd directly); more may help where one connection's
  // polling thread is the limit.
  int channels_per_endpoint = 1;
  // As SqliteStore (and kube-apiserver's --etcd-compaction-interval): every `compaction_interval`
  // the store compacts to the newest revision it saw at least `compaction_retention` ago.
  // <= 0 disables background compaction.
  absl::Duration compaction_interval = absl::Seconds(60);
  absl::Duration compaction_retention = absl::Minutes(5);
};

}  // namespace skiff::storage

#endif  // SKIFF_STORAGE_ETCD_ETCD_OPTIONS_H_
