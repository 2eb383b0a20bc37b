// Masquerading of pod traffic that leaves the cluster network: one nftables table, `ip
// skiff-masq`, whose postrouting chain source-NATs packets from the cluster CIDR to anything
// outside it (multicast excepted), so pod-to-pod traffic across nodes keeps the pods' own
// addresses (flannel's rule). The CNI bridge's own ipMasq is off then: it would also rewrite
// traffic to other nodes' pods.
// Thread-safety: the functions act on the calling thread's network namespace; each applies one
// atomic nftables transaction. Ownership: the table outlives the process until
// RemovePodMasquerade. Failure: InvalidArgument for a cluster CIDR that is not IPv4 a.b.c.d/n;
// PermissionDenied/InvalidArgument from nftables (nothing of a refused transaction is applied).
#ifndef SKIFF_AGENT_NODE_POD_MASQUERADE_H_
#define SKIFF_AGENT_NODE_POD_MASQUERADE_H_

#include <string>

#include "absl/status/statusor.h"

namespace skiff::agent::node {

inline constexpr char kMasqueradeTable[] = "skiff-masq";

// The nftables transaction (re)creating the table for `cluster_cidr`.
absl::StatusOr<std::string> PodMasqueradeCommands(const std::string& cluster_cidr);
absl::Status EnsurePodMasquerade(const std::string& cluster_cidr);
// Deletes the table; OK when it does not exist.
absl::Status RemovePodMasquerade();

}  // namespace skiff::agent::node

#endif  // SKIFF_AGENT_NODE_POD_MASQUERADE_H_
