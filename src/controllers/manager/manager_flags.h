// The `skiff server` flags that configure the controller manager and its controllers
// (--cluster-cidr, --node-cidr-mask-size, --node-monitor-grace-period, --cluster-signing-duration,
// --leader-elect-*), and
// their conversion to ManagerOptions. Kept here so the binary's main.cc only wires them.
// Thread-safety: plain functions over values. Ownership: flags are plain values owned by the caller.
// Failure: ToManagerOptions answers InvalidArgument naming the flag and what is wrong with it
// (the binary prints it and exits with code 2).
#ifndef SKIFF_CONTROLLERS_MANAGER_MANAGER_FLAGS_H_
#define SKIFF_CONTROLLERS_MANAGER_MANAGER_FLAGS_H_

#include <string>

#include "absl/status/statusor.h"
#include "absl/time/time.h"
#include "controllers/manager/manager.h"

namespace CLI {
class App;
}

namespace skiff::controllers {

struct ManagerFlags {
  std::string cluster_cidr = "10.42.0.0/16";
  int node_cidr_mask_size = 0;  // 0 = 24 (IPv4) / 64 (IPv6)
  std::string node_monitor_grace_period = "40s";
  std::string cluster_signing_duration = "8760h";  // longest certificate csrsigning issues
  // Empty = chosen by the store. With etcd several servers may share it, and skiff shortens
  // Kubernetes' 15s/10s/2s to 3s/2s/500ms: after kill -9 of the leading server another takes over
  // within 2.5-4 s (Kubernetes' defaults take 13-19 s), at the cost of a Lease write per 500 ms per
  // lease. With the embedded SQLite store only one server exists: unless one of these flags is
  // given (then Kubernetes' defaults fill the others and the full protocol runs), the leader takes
  // the Lease at once and renews it every 5 minutes, for observers only (sole_candidate).
  std::string leader_elect_lease_duration;
  std::string leader_elect_renew_deadline;
  std::string leader_elect_retry_period;
  // Not a flag: set by the binary when the store is shared by several servers (etcd).
  bool shared_store = false;
};

void AddManagerFlags(CLI::App* command, ManagerFlags* flags);

// A Go-style duration ("40s", "2m", "1m30s", "500ms"), which must be positive and finite.
absl::StatusOr<absl::Duration> ParseFlagDuration(const std::string& flag, const std::string& text);

// Validates the flags (cluster CIDR and mask, durations, lease > renew deadline > retry period)
// and fills the matching fields of a default ManagerOptions.
absl::StatusOr<ManagerOptions> ToManagerOptions(const ManagerFlags& flags);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_MANAGER_MANAGER_FLAGS_H_
