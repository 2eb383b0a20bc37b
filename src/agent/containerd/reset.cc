#include "agent/containerd/reset.h"

#include <signal.h>
#include <sys/mount.h>

#include <filesystem>
#include <memory>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "agent/containerd/config.h"
#include "agent/containerd/mount_points.h"
#include "agent/containerd/supervisor.h"
#include "agent/cri/cri_runtime.h"
#include "base/file.h"
#include "base/process.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::containerd {
namespace {

namespace cri = ::skiff::agent::cri;

class FirstError {
 public:
  void Add(const absl::Status& status) {
    if (status.ok()) return;
    spdlog::warn("reset: {}", status.ToString());
    if (first_.ok()) first_ = status;
  }
  absl::Status status() const { return first_; }

 private:
  absl::Status first_;
};

bool ContainerdRunningFor(const ContainerdPaths& paths) {
  for (const base::ProcessInfo& process : base::ListProcesses()) {
    for (const std::string& arg : process.argv) {
      if (arg == paths.config) return true;
    }
  }
  return false;
}

// Stops and removes every sandbox (and with it its containers and network) through CRI.
absl::Status RemoveAllSandboxes(const std::string& endpoint, absl::Duration timeout) {
  absl::StatusOr<std::unique_ptr<cri::CriRuntime>> runtime = cri::CriRuntime::Create({.endpoint = endpoint});
  if (!runtime.ok()) return runtime.status();
  if (absl::Status ready = (*runtime)->WaitUntilReady(timeout); !ready.ok()) return ready;
  absl::StatusOr<cri::v1::ListPodSandboxResponse> sandboxes =
      (*runtime)->ListPodSandbox(cri::v1::ListPodSandboxRequest(), cri::kRpcDefault);
  if (!sandboxes.ok()) return sandboxes.status();
  FirstError errors;
  for (const cri::v1::PodSandbox& sandbox : sandboxes->items()) {
    cri::v1::StopPodSandboxRequest stop;
    stop.set_pod_sandbox_id(sandbox.id());
    errors.Add((*runtime)->StopPodSandbox(stop, cri::kRpcDefault).status());
    cri::v1::RemovePodSandboxRequest remove;
    remove.set_pod_sandbox_id(sandbox.id());
    errors.Add((*runtime)->RemovePodSandbox(remove, cri::kRpcDefault).status());
  }
  return errors.status();
}

// runc containers in any namespace of our runc root (created by shims of this DIR).
void DeleteRuncContainers(const ContainerdPaths& paths, const ResetOptions& options, FirstError& errors) {
  std::error_code error;
  if (!std::filesystem::is_directory(paths.runc_root, error)) return;
  for (const auto& ns : std::filesystem::directory_iterator(paths.runc_root, error)) {
    std::string root = ns.path().string();
    absl::StatusOr<base::CommandResult> list =
        base::RunCommand({options.runc_binary, "--root", root, "list", "-q"}, absl::Seconds(10));
    if (!list.ok()) {
      errors.Add(list.status());
      continue;
    }
    for (absl::string_view id : absl::StrSplit(list->output, '\n', absl::SkipWhitespace())) {
      absl::StatusOr<base::CommandResult> deleted = base::RunCommand(
          {options.runc_binary, "--root", root, "delete", "--force", std::string(id)}, absl::Seconds(10));
      if (!deleted.ok()) {
        errors.Add(deleted.status());
      } else if (deleted->exit_code != 0) {
        errors.Add(absl::InternalError(absl::StrCat("runc delete ", id, ": ", deleted->output)));
      }
    }
  }
}

void KillShims(const ContainerdPaths& paths) {
  for (const base::ProcessInfo& process : base::ListProcesses()) {
    if (process.argv.empty()) continue;
    std::string name = std::filesystem::path(process.argv[0]).filename().string();
    if (!absl::StartsWith(name, "containerd-shim")) continue;
    bool ours = PathIsUnder(process.cwd, paths.dir);
    for (const std::string& arg : process.argv) ours = ours || PathIsUnder(arg, paths.dir);
    if (!ours) continue;
    spdlog::info("reset: killing containerd shim pid {}", process.pid);
    base::SignalAndWait(process.pid, SIGKILL, absl::Seconds(5));
  }
}

absl::Status UnmountAll(const std::string& dir) {
  std::vector<std::string> mounts;
  for (int round = 0; round < 5; ++round) {
    mounts = MountPointsUnder(base::ReadFile("/proc/self/mountinfo").value_or(""), dir);
    if (mounts.empty()) return absl::OkStatus();
    for (const std::string& mount : mounts) {
      if (umount2(mount.c_str(), UMOUNT_NOFOLLOW) != 0) {
        umount2(mount.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW);
      }
    }
  }
  return absl::FailedPreconditionError(
      absl::StrCat("still mounted under ", dir, ": ", mounts.front(), " (and ", mounts.size() - 1, " more)"));
}

void MaybeDeleteBridge(FirstError& errors) {
  // Asked over netlink (`ip`), not /sys/class/net: an agent entered into a network namespace with
  // `nsenter --net` still sees the host's sysfs, which lists the host's interfaces.
  absl::StatusOr<base::CommandResult> shown =
      base::RunCommand({"ip", "-o", "link", "show", "dev", kBridgeName}, absl::Seconds(10));
  if (!shown.ok() || shown->exit_code != 0) return;  // no bridge
  // Interfaces still enslaved to it belong to pods of another agent: keep the bridge then.
  absl::StatusOr<base::CommandResult> ports =
      base::RunCommand({"ip", "-o", "link", "show", "master", kBridgeName}, absl::Seconds(10));
  if (!ports.ok() || ports->exit_code != 0 || !absl::StripAsciiWhitespace(ports->output).empty()) return;
  absl::StatusOr<base::CommandResult> deleted =
      base::RunCommand({"ip", "link", "delete", kBridgeName}, absl::Seconds(10));
  if (!deleted.ok()) {
    errors.Add(deleted.status());
  } else if (deleted->exit_code != 0) {
    errors.Add(absl::InternalError(absl::StrCat("ip link delete ", kBridgeName, ": ", deleted->output)));
  }
}

}  // namespace

absl::Status ResetAgentDir(const std::string& agent_dir, const ResetOptions& options) {
  ContainerdPaths paths(agent_dir);
  if (paths.agent_dir == "/" || paths.agent_dir.empty()) {
    return absl::InvalidArgumentError("refusing to reset /");
  }
  std::error_code error;
  if (!std::filesystem::exists(paths.agent_dir, error)) return absl::OkStatus();
  FirstError errors;

  // 1. Pods down through CRI, so CNI DEL runs for each sandbox.
  std::unique_ptr<ContainerdSupervisor> temporary;
  bool have_config = std::filesystem::exists(paths.config, error);
  if (have_config && !ContainerdRunningFor(paths) && options.start_containerd_for_cleanup) {
    temporary = std::make_unique<ContainerdSupervisor>(
        SupervisorOptions{.agent_dir = paths.agent_dir, .containerd_binary = options.containerd_binary});
    absl::Status started = temporary->Start();
    if (!started.ok()) {
      errors.Add(started);
      temporary.reset();
    }
  }
  if (have_config && (temporary != nullptr || ContainerdRunningFor(paths))) {
    errors.Add(RemoveAllSandboxes(paths.endpoint(), options.timeout));
  }

  // 2. containerd itself (ours and any left by a killed agent).
  if (temporary != nullptr) errors.Add(temporary->Stop());
  StopContainerdProcesses(paths.config, absl::Seconds(10));

  // 3. Whatever CRI could not remove: runc containers, then their shims.
  DeleteRuncContainers(paths, options, errors);
  KillShims(paths);

  // 4. Mounts (rootfs overlays, netns, shm, volumes), then the bridge, then the files.
  absl::Status unmounted = UnmountAll(paths.agent_dir);
  errors.Add(unmounted);
  if (options.delete_bridge) MaybeDeleteBridge(errors);
  if (options.remove_dir && unmounted.ok()) {
    std::filesystem::remove_all(paths.agent_dir, error);
    if (error) {
      errors.Add(absl::InternalError(absl::StrCat("remove ", paths.agent_dir, ": ", error.message())));
    }
  }
  return errors.status();
}

}  // namespace skiff::agent::containerd
