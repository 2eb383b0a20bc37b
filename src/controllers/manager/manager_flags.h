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
  // Shorter than Kubernetes' 15s/10s/2s: after kill -9 of the leading server another takes over
  // within 2.5-4 s (lease duration minus one retry period, up to lease duration plus two), where
  // Kubernetes' defaults take 13-19 s. The cost is a Lease read and write per 500 ms per lease.
  std::string leader_elect_lease_duration = "3s";
  std::string leader_elect_renew_deadline = "2s";
  std::string leader_elect_retry_period = "500ms";
};

void AddManagerFlags(CLI::App* command, ManagerFlags* flags);

// A Go-style duration ("40s", "2m", "1m30s", "500ms"), which must be positive and finite.
absl::StatusOr<absl::Duration> ParseFlagDuration(const std::string& flag, const std::string& text);

// Validates the flags (cluster CIDR and mask, durations, lease > renew deadline > retry period)
// and fills the matching fields of a default ManagerOptions.
absl::StatusOr<ManagerOptions> ToManagerOptions(const ManagerFlags& flags);

}  // namespace skiff::controllers

#endif  // SKIFF_CONTROLLERS_MANAGER_MANAGER_FLAGS_H_
