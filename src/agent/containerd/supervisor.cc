#include "agent/containerd/supervisor.h"

#include <errno.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/file.h"
#include "base/process.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::containerd {
namespace {

bool SocketAccepts(const std::string& path) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  path.copy(address.sun_path, sizeof(address.sun_path) - 1);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

}  // namespace

std::string LogTail(const std::string& path, size_t max_bytes) {
  std::string content = base::ReadFile(path).value_or("");
  return content.size() > max_bytes ? content.substr(content.size() - max_bytes) : content;
}

int StopContainerdProcesses(const std::string& config_path, absl::Duration timeout) {
  int found = 0;
  for (const base::ProcessInfo& process : base::ListProcesses()) {
    if (process.pid == getpid()) continue;
    // "--config <our config.toml>" identifies a containerd of this DIR (whatever its binary).
    auto config_flag = std::find(process.argv.begin(), process.argv.end(), "--config");
    if (config_flag == process.argv.end() || config_flag + 1 == process.argv.end() ||
        *(config_flag + 1) != config_path) {
      continue;
    }
    ++found;
    spdlog::info("stopping leftover containerd pid {} ({})", process.pid, config_path);
    if (!base::SignalAndWait(process.pid, SIGTERM, timeout)) {
      base::SignalAndWait(process.pid, SIGKILL, absl::Seconds(5));
    }
  }
  return found;
}

ContainerdSupervisor::ContainerdSupervisor(SupervisorOptions options)
    : options_(std::move(options)), paths_(options_.agent_dir) {}

ContainerdSupervisor::~ContainerdSupervisor() { Stop().IgnoreError(); }

std::string ContainerdSupervisor::endpoint() const {
  return supervising() ? paths_.endpoint() : options_.existing_endpoint;
}

pid_t ContainerdSupervisor::pid() const {
  absl::MutexLock lock(&mu_);
  return child_alive_ ? pid_ : 0;
}

int ContainerdSupervisor::restarts() const {
  absl::MutexLock lock(&mu_);
  return restarts_;
}

absl::Status ContainerdSupervisor::SpawnLocked() {
  absl::StatusOr<pid_t> pid =
      base::SpawnDaemon({options_.containerd_binary, "--config", paths_.config}, paths_.log);
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  child_alive_ = true;
  started_at_ = absl::Now();
  return absl::OkStatus();
}

absl::Status ContainerdSupervisor::Start() {
  if (!supervising()) return absl::OkStatus();
  if (paths_.socket.size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(
        absl::StrCat("containerd socket path too long for a unix socket: ", paths_.socket));
  }
  {
    absl::MutexLock lock(&mu_);
    if (!monitor_done_ || child_alive_) {
      return absl::FailedPreconditionError("containerd supervisor already started");
    }
  }
  ContainerdConfigOptions config = options_.config;
  if (config.can_lower_oom_score && !HasCapSysResource()) {
    spdlog::warn("no CAP_SYS_RESOURCE: containerd will clamp oom_score_adj to its own score");
    config.can_lower_oom_score = false;
  }
  if (absl::Status written = WriteContainerdConfig(paths_, config); !written.ok()) {
    return written;
  }
  // An agent killed with -9 leaves its containerd running on our root; it must go first.
  StopContainerdProcesses(paths_.config, options_.stop_timeout);
  std::error_code ignored;
  std::filesystem::remove(paths_.socket, ignored);

  pid_t pid = 0;
  {
    absl::MutexLock lock(&mu_);
    stopping_ = false;
    restarts_ = 0;
    if (absl::Status spawned = SpawnLocked(); !spawned.ok()) return spawned;
    pid = pid_;
  }
  absl::Time start = absl::Now();
  absl::Status ready = WaitForSocket(pid, options_.start_timeout);
  if (!ready.ok()) {
    {
      absl::MutexLock lock(&mu_);
      if (child_alive_) {
        kill(pid_, SIGKILL);
        waitpid(pid_, nullptr, 0);
        child_alive_ = false;
      }
    }
    return ready;
  }
  spdlog::info("containerd pid {} ready at {} after {}", pid, paths_.socket,
               absl::FormatDuration(absl::Now() - start));
  {
    absl::MutexLock lock(&mu_);
    monitor_done_ = false;
  }
  monitor_ = std::thread([this] { Monitor(); });
  return absl::OkStatus();
}

absl::Status ContainerdSupervisor::WaitForSocket(pid_t pid, absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  while (absl::Now() < deadline) {
    if (SocketAccepts(paths_.socket)) return absl::OkStatus();
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      absl::MutexLock lock(&mu_);
      child_alive_ = false;
      return absl::FailedPreconditionError(absl::StrCat("containerd exited during startup (status ", status,
                                                        "); log tail:\n", LogTail(paths_.log, 2000)));
    }
    absl::SleepFor(absl::Milliseconds(10));
  }
  return absl::DeadlineExceededError(absl::StrCat("containerd socket ", paths_.socket, " not ready after ",
                                                  absl::FormatDuration(timeout), "; log tail:\n",
                                                  LogTail(paths_.log, 2000)));
}

void ContainerdSupervisor::Monitor() {
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    pid_t pid;
    {
      absl::MutexLock lock(&mu_);
      pid = pid_;
    }
    // Wait without reaping, so pid_ cannot be reused while Stop() may still signal it.
    siginfo_t info{};
    while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    absl::MutexLock lock(&mu_);
    waitpid(pid, nullptr, 0);
    child_alive_ = false;
    if (stopping_) {
      monitor_done_ = true;  // under mu_, so Stop()'s Await sees it at once
      return;
    }
    if (absl::Now() - started_at_ > absl::Minutes(1)) backoff = options_.initial_backoff;
    spdlog::warn("containerd pid {} exited (code {}, signal {}); restarting in {}", pid,
                 info.si_code == CLD_EXITED ? info.si_status : -1,
                 info.si_code == CLD_EXITED ? 0 : info.si_status, absl::FormatDuration(backoff));
    bool spawned = false;
    while (!spawned) {
      auto stop_requested = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop_requested), backoff);
      if (stopping_) break;
      backoff = std::min(backoff * 2, options_.max_backoff);
      std::error_code ignored;
      std::filesystem::remove(paths_.socket, ignored);
      absl::Status status = SpawnLocked();
      if (status.ok()) {
        ++restarts_;
        spawned = true;
      } else {
        spdlog::error("restarting containerd: {}", status.ToString());
      }
    }
    if (stopping_) {
      monitor_done_ = true;
      return;
    }
  }
}

absl::Status ContainerdSupervisor::Stop() {
  if (!supervising()) return absl::OkStatus();
  {
    absl::MutexLock lock(&mu_);
    if (monitor_done_) return absl::OkStatus();
    stopping_ = true;
    if (child_alive_) kill(pid_, SIGTERM);
    auto finished = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return monitor_done_; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&finished), options_.stop_timeout)) {
      spdlog::warn("containerd pid {} ignored SIGTERM for {}; killing it", pid_,
                   absl::FormatDuration(options_.stop_timeout));
      if (child_alive_) kill(pid_, SIGKILL);
      mu_.Await(absl::Condition(&finished));
    }
  }
  if (monitor_.joinable()) monitor_.join();
  return absl::OkStatus();
}

}  // namespace skiff::agent::containerd
