#include "agent/containerd/config.h"

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <system_error>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_replace.h"
#include "base/file.h"

namespace skiff::agent::containerd {
namespace {

// TOML basic string: quote and escape backslashes and quotes (paths are the only input).
std::string Quote(const std::string& value) {
  return absl::StrCat("\"", absl::StrReplaceAll(value, {{"\\", "\\\\"}, {"\"", "\\\""}}), "\"");
}

absl::Status WriteFileAtomically(const std::string& path, const std::string& content) {
  return base::WriteFileAtomically(path, content, 0644, base::ParentDirs::kCreate);
}

std::string NormalizeDir(const std::string& dir) {
  std::string normal = std::filesystem::absolute(dir).lexically_normal().string();
  while (normal.size() > 1 && normal.back() == '/') normal.pop_back();
  return normal;
}

}  // namespace

bool HasCapSysResource() {
  constexpr int kCapSysResource = 24;
  std::ifstream status("/proc/self/status");
  std::string line;
  while (std::getline(status, line)) {
    if (line.rfind("CapEff:", 0) != 0) continue;
    uint64_t effective = std::strtoull(line.c_str() + 7, nullptr, 16);
    return (effective >> kCapSysResource) & 1;
  }
  return false;
}

ContainerdPaths::ContainerdPaths(const std::string& agent_dir_in)
    : agent_dir(NormalizeDir(agent_dir_in)),
      dir(agent_dir + "/containerd"),
      config(dir + "/config.toml"),
      root(dir + "/root"),
      state(dir + "/state"),
      socket(dir + "/containerd.sock"),
      log(dir + "/containerd.log"),
      certs_dir(dir + "/certs.d"),
      runc_root(dir + "/runc"),
      cni_conf_dir(agent_dir + "/cni/net.d") {}

std::string RenderContainerdConfig(const ContainerdPaths& paths, const ContainerdConfigOptions& options) {
  const std::string& conf_dir = options.cni_conf_dir.empty() ? paths.cni_conf_dir : options.cni_conf_dir;
  std::string cri = R"("io.containerd.grpc.v1.cri")";
  return absl::StrCat(
      "# Written by the skiff agent; rewritten at every start.\n", "version = 2\n",
      "root = ", Quote(paths.root), "\n", "state = ", Quote(paths.state), "\n",
      // Snapshotters we never use only slow startup down (and log errors).
      "disabled_plugins = [\"io.containerd.snapshotter.v1.aufs\", "
      "\"io.containerd.snapshotter.v1.btrfs\", \"io.containerd.snapshotter.v1.devmapper\", "
      "\"io.containerd.snapshotter.v1.zfs\", \"io.containerd.tracing.processor.v1.otlp\", "
      "\"io.containerd.internal.v1.tracing\"]\n",
      "oom_score = ", options.can_lower_oom_score ? "-999" : "0", "\n\n",
      "[grpc]\n  address = ", Quote(paths.socket), "\n",
      "  max_recv_message_size = 67108864\n  max_send_message_size = 67108864\n\n",
      "[ttrpc]\n  address = \"\"\n\n", "[debug]\n  address = \"\"\n  level = \"info\"\n\n",
      "[metrics]\n  address = \"\"\n\n",
      // Fail fast instead of hanging when another containerd holds this root's database.
      "[timeouts]\n  \"io.containerd.timeout.bolt.open\" = \"10s\"\n\n", "[plugins]\n",
      "  [plugins.\"io.containerd.internal.v1.opt\"]\n    path = ", Quote(paths.dir + "/opt"), "\n",
      "  [plugins.", cri, "]\n", "    sandbox_image = ", Quote(options.sandbox_image), "\n",
      "    stream_server_address = \"127.0.0.1\"\n", "    stream_server_port = \"0\"\n",
      "    enable_tls_streaming = false\n", "    enable_unprivileged_ports = true\n",
      "    enable_unprivileged_icmp = true\n",
      // Network namespaces under our state dir (not /var/run/netns), so Reset finds them.
      "    netns_mounts_under_state_dir = true\n", "    tolerate_missing_hugetlb_controller = true\n",
      "    restrict_oom_score_adj = ", options.can_lower_oom_score ? "false" : "true", "\n",
      "    disable_apparmor = true\n", "    max_container_log_line_size = 16384\n", "    [plugins.", cri,
      ".cni]\n", "      bin_dir = ", Quote(options.cni_bin_dir), "\n", "      conf_dir = ", Quote(conf_dir),
      "\n", "      max_conf_num = 1\n", "    [plugins.", cri, ".containerd]\n",
      "      snapshotter = ", Quote(options.snapshotter), "\n", "      default_runtime_name = \"runc\"\n",
      "      [plugins.", cri, ".containerd.runtimes.runc]\n",
      "        runtime_type = \"io.containerd.runc.v2\"\n", "        [plugins.", cri,
      ".containerd.runtimes.runc.options]\n",
      "          SystemdCgroup = ", options.systemd_cgroup ? "true" : "false", "\n",
      // runc's state defaults to /run/containerd/runc, shared by every containerd on the host.
      "          Root = ", Quote(paths.runc_root), "\n", "    [plugins.", cri, ".registry]\n",
      "      config_path = ", Quote(paths.certs_dir), "\n");
}

absl::Status WriteContainerdConfig(const ContainerdPaths& paths, const ContainerdConfigOptions& options) {
  std::error_code error;
  for (const std::string& dir :
       {paths.dir, paths.root, paths.state, paths.certs_dir, paths.runc_root, paths.cni_conf_dir}) {
    std::filesystem::create_directories(dir, error);
    if (error) return absl::InternalError(absl::StrCat("mkdir ", dir, ": ", error.message()));
  }
  return WriteFileAtomically(paths.config, RenderContainerdConfig(paths, options));
}

absl::Status WriteRegistryHost(const ContainerdPaths& paths, const std::string& host,
                               const std::string& server, bool skip_verify) {
  if (host.empty() || host.find('/') != std::string::npos || host.find("..") != std::string::npos) {
    return absl::InvalidArgumentError(absl::StrCat("bad registry host \"", host, "\""));
  }
  std::string content = absl::StrCat("server = ", Quote(server), "\n\n[host.", Quote(server), "]\n",
                                     "  capabilities = [\"pull\", \"resolve\"]\n",
                                     "  skip_verify = ", skip_verify ? "true" : "false", "\n");
  return WriteFileAtomically(paths.certs_dir + "/" + host + "/hosts.toml", content);
}

}  // namespace skiff::agent::containerd
