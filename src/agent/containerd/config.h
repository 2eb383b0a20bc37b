// containerd configuration for the agent: the directory layout under the agent's data dir and
// the config.toml (version 2) that keeps all of containerd's state there, plus registry host
// files (certs.d/<host>/hosts.toml) for insecure local registries.
//
// Thread-safety: plain values and pure functions; the Write* functions touch only the files named.
// Failures: Write* return the filesystem error as absl::Status (Internal/PermissionDenied...).
#ifndef SKIFF_AGENT_CONTAINERD_CONFIG_H_
#define SKIFF_AGENT_CONTAINERD_CONFIG_H_

#include <string>

#include "absl/status/status.h"

namespace skiff::agent::containerd {

inline constexpr char kPauseImage[] = "skiff.local/pause:3.10";
inline constexpr char kCriNamespace[] = "k8s.io";

// Paths of one agent's containerd, all below `agent_dir`/containerd (and `agent_dir`/cni).
struct ContainerdPaths {
  explicit ContainerdPaths(const std::string& agent_dir);
  std::string agent_dir;
  std::string dir;           // DIR/containerd
  std::string config;        // DIR/containerd/config.toml
  std::string root;          // DIR/containerd/root   (persistent: content, snapshots, metadata)
  std::string state;         // DIR/containerd/state  (runtime: tasks, sockets, netns)
  std::string socket;        // DIR/containerd/containerd.sock
  std::string log;           // DIR/containerd/containerd.log
  std::string certs_dir;     // DIR/containerd/certs.d
  std::string runc_root;     // DIR/containerd/runc   (runc's own state)
  std::string cni_conf_dir;  // DIR/cni/net.d
  std::string endpoint() const { return "unix://" + socket; }
};

struct ContainerdConfigOptions {
  std::string sandbox_image = kPauseImage;
  std::string cni_bin_dir = "/usr/lib/cni";
  std::string cni_conf_dir;  // empty: paths.cni_conf_dir
  std::string snapshotter = "overlayfs";
  bool systemd_cgroup = false;  // cgroupfs: there is no systemd on our nodes
  // Without CAP_SYS_RESOURCE (e.g. inside a VM sandbox or container) nothing may lower an
  // oom_score_adj; runc then fails to create any sandbox (CRI asks -998 for pause). false makes
  // containerd keep its own score and clamp containers' scores to it (restrict_oom_score_adj).
  bool can_lower_oom_score = true;
};

// Whether this process has CAP_SYS_RESOURCE in its effective set (read from /proc/self/status).
bool HasCapSysResource();

// The config.toml text.
std::string RenderContainerdConfig(const ContainerdPaths& paths, const ContainerdConfigOptions& options);

// Creates the directories and writes config.toml (atomically: temp file + rename).
absl::Status WriteContainerdConfig(const ContainerdPaths& paths, const ContainerdConfigOptions& options);

// Writes certs.d/<host>/hosts.toml so pulls from `host` (e.g. "127.0.0.1:5000") go to `server`
// (e.g. "http://127.0.0.1:5000"); `skip_verify` also accepts an untrusted TLS certificate.
absl::Status WriteRegistryHost(const ContainerdPaths& paths, const std::string& host,
                               const std::string& server, bool skip_verify);

}  // namespace skiff::agent::containerd

#endif  // SKIFF_AGENT_CONTAINERD_CONFIG_H_
