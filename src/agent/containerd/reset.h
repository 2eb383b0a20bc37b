// ResetAgentDir: removes everything one agent data dir created on the host, for tests and for
// `skiff agent reset`. In order: every pod sandbox is stopped and removed through CRI (so CNI
// teardown releases IPs, veths and port mappings; a temporary containerd is started for it if
// none is running), containerd is stopped, leftover runc containers and containerd shims that
// belong to this DIR are killed, mounts under DIR are unmounted (deepest first), the `skiff0`
// bridge is deleted if no interface is attached to it any more, and DIR is removed.
// Only processes whose command line or cwd points into DIR, and only mounts under DIR, are
// touched; other agents' and the host's are left alone.
//
// Thread-safety: do not run two resets, or a reset and a live agent, on the same DIR at once.
// Failures: best effort — every step runs; the first error is returned (and the others logged).
// DIR is not removed while anything is still mounted under it (FailedPrecondition).
#ifndef SKIFF_AGENT_CONTAINERD_RESET_H_
#define SKIFF_AGENT_CONTAINERD_RESET_H_

#include <string>

#include "absl/status/status.h"
#include "absl/time/time.h"

namespace skiff::agent::containerd {

inline constexpr char kBridgeName[] = "skiff0";

struct ResetOptions {
  std::string containerd_binary = "containerd";
  std::string runc_binary = "runc";
  // Start a temporary containerd to tear pods down through CRI when none is running.
  bool start_containerd_for_cleanup = true;
  bool delete_bridge = true;
  bool remove_dir = true;
  absl::Duration timeout = absl::Seconds(30);
};

absl::Status ResetAgentDir(const std::string& agent_dir, const ResetOptions& options = {});

}  // namespace skiff::agent::containerd

#endif  // SKIFF_AGENT_CONTAINERD_RESET_H_
