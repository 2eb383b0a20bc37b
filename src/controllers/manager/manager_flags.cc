#include "controllers/manager/manager_flags.h"

#include "CLI/CLI.hpp"
#include "absl/strings/str_cat.h"
#include "controllers/nodelifecycle/cidr_allocator.h"

namespace skiff::controllers {

void AddManagerFlags(CLI::App* command, ManagerFlags* flags) {
  command
      ->add_option("--cluster-cidr", flags->cluster_cidr,
                   "CIDR the nodes' pod CIDRs are carved from (IPv4 or IPv6; \"\" = do not allocate)")
      ->capture_default_str();
  command->add_option("--node-cidr-mask-size", flags->node_cidr_mask_size,
                      "Prefix length of each node's pod CIDR (default 24 for IPv4, 64 for IPv6)");
  command
      ->add_option("--node-monitor-grace-period", flags->node_monitor_grace_period,
                   "How long a node may stay silent before it is marked Unknown (e.g. 40s, 2m)")
      ->capture_default_str();
  command
      ->add_option("--cluster-signing-duration", flags->cluster_signing_duration,
                   "Longest validity of the certificates issued for CertificateSigningRequests")
      ->capture_default_str();
  command
      ->add_option("--leader-elect-lease-duration", flags->leader_elect_lease_duration,
                   "How long a candidate waits after the last renewal before taking the controller "
                   "manager's lease (default 15s; 3s on etcd, where several servers may compete; "
                   "with SQLite, giving any --leader-elect-* flag turns on the full protocol, "
                   "otherwise the only server renews its lease every 5m)");
  command
      ->add_option("--leader-elect-renew-deadline", flags->leader_elect_renew_deadline,
                   "How long the leader keeps trying to renew before it stops its controllers "
                   "(default 10s; 2s on etcd)");
  command
      ->add_option("--leader-elect-retry-period", flags->leader_elect_retry_period,
                   "Time between attempts to acquire or renew the lease (default 2s; 500ms on etcd)");
}

absl::StatusOr<absl::Duration> ParseFlagDuration(const std::string& flag, const std::string& text) {
  absl::Duration d;
  // absl's syntax is Go's (a sequence of decimal numbers with units ns, us, ms, s, m, h).
  if (!absl::ParseDuration(text, &d) || d == absl::InfiniteDuration() || d == -absl::InfiniteDuration()) {
    return absl::InvalidArgumentError(
        absl::StrCat(flag, ": \"", text, "\" is not a duration (examples: 40s, 2m, 1m30s, 500ms)"));
  }
  if (d <= absl::ZeroDuration()) {
    return absl::InvalidArgumentError(absl::StrCat(flag, ": \"", text, "\" must be positive"));
  }
  return d;
}

absl::StatusOr<ManagerOptions> ToManagerOptions(const ManagerFlags& flags) {
  ManagerOptions options;
  client::ControllerOptions& c = options.controllers;
  c.cluster_cidr = flags.cluster_cidr;
  if (flags.node_cidr_mask_size < 0) {
    return absl::InvalidArgumentError(
        absl::StrCat("--node-cidr-mask-size: ", flags.node_cidr_mask_size, " is negative"));
  }
  c.node_cidr_mask_size = flags.node_cidr_mask_size;
  if (!c.cluster_cidr.empty()) {
    if (auto s = CidrAllocator::Validate(c.cluster_cidr, c.node_cidr_mask_size); !s.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("--cluster-cidr/--node-cidr-mask-size: ", s.message()));
    }
  }
  auto grace = ParseFlagDuration("--node-monitor-grace-period", flags.node_monitor_grace_period);
  if (!grace.ok()) return grace.status();
  c.node_monitor_grace_period = *grace;
  auto signing = ParseFlagDuration("--cluster-signing-duration", flags.cluster_signing_duration);
  if (!signing.ok()) return signing.status();
  c.cluster_signing_duration = *signing;

  client::LeaderElectionConfig& le = options.leader_election;
  auto or_default = [&](const std::string& given, const char* shared, const char* alone) {
    return !given.empty() ? given : std::string(flags.shared_store ? shared : alone);
  };
  auto lease = ParseFlagDuration("--leader-elect-lease-duration",
                                 or_default(flags.leader_elect_lease_duration, "3s", "15s"));
  if (!lease.ok()) return lease.status();
  auto renew = ParseFlagDuration("--leader-elect-renew-deadline",
                                 or_default(flags.leader_elect_renew_deadline, "2s", "10s"));
  if (!renew.ok()) return renew.status();
  auto retry = ParseFlagDuration("--leader-elect-retry-period",
                                 or_default(flags.leader_elect_retry_period, "500ms", "2s"));
  if (!retry.ok()) return retry.status();
  // As client-go: the leader must give up before a candidate may take over, and must get more
  // than one attempt to renew in between.
  if (*lease <= *renew) {
    return absl::InvalidArgumentError(
        "--leader-elect-lease-duration must be greater than --leader-elect-renew-deadline");
  }
  if (*renew <= *retry * 1.2) {
    return absl::InvalidArgumentError(
        "--leader-elect-renew-deadline must be greater than 1.2 x --leader-elect-retry-period");
  }
  // The lease records whole seconds (leaseDurationSeconds).
  if (*lease < absl::Seconds(1)) {
    return absl::InvalidArgumentError("--leader-elect-lease-duration must be at least 1s");
  }
  le.lease_duration = *lease;
  le.renew_deadline = *renew;
  le.retry_period = *retry;
  // With the embedded store no other server can compete, so the Lease is written only for
  // observers, rarely. Any --leader-elect-* flag asks for the full protocol (tests use that).
  le.sole_candidate = !flags.shared_store && flags.leader_elect_lease_duration.empty() &&
                      flags.leader_elect_renew_deadline.empty() && flags.leader_elect_retry_period.empty();
  return options;
}

}  // namespace skiff::controllers
