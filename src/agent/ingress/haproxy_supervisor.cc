#include "agent/ingress/haproxy_supervisor.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <utility>

#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "base/file.h"
#include "base/process.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::ingress {
namespace {

std::string LogTail(const std::string& path, size_t max_bytes) {
  std::string content = base::ReadFile(path).value_or("");
  return content.size() > max_bytes ? content.substr(content.size() - max_bytes) : content;
}

// Writes a configuration's certificate files and crt-list into cert_dir (created fresh).
absl::Status WriteCertificates(const RenderedConfig& config, const std::string& cert_dir) {
  std::error_code error;
  std::filesystem::remove_all(cert_dir, error);
  std::filesystem::create_directories(cert_dir, error);
  if (error) return base::ErrnoStatus(error.value(), absl::StrCat("mkdir ", cert_dir));
  std::filesystem::permissions(cert_dir, std::filesystem::perms::owner_all, error);
  for (const auto& [name, pem] : config.certificate_files) {
    if (absl::Status s = base::WriteFileAtomically(cert_dir + "/" + name, pem, 0600); !s.ok()) return s;
  }
  return base::WriteFileAtomically(cert_dir + "/" + kCrtListFile, config.crt_list, 0600);
}

}  // namespace

int CountWorkers(const std::string& show_proc) {
  int workers = 0;
  for (absl::string_view line : absl::StrSplit(show_proc, '\n')) {
    if (line.empty() || line[0] == '#') continue;
    std::vector<absl::string_view> fields = absl::StrSplit(line, absl::ByAnyChar(" \t"), absl::SkipEmpty());
    if (fields.size() >= 2 && fields[1] == "worker") ++workers;
  }
  return workers;
}

absl::StatusOr<std::string> HaproxyCommand(const std::string& socket_path, const std::string& command,
                                           absl::Duration timeout) {
  base::UniqueFd fd(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
  if (!fd.valid()) return base::ErrnoStatus(errno, "socket");
  sockaddr_un address{};
  address.sun_family = AF_UNIX;
  if (socket_path.size() >= sizeof(address.sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("socket path too long: ", socket_path));
  }
  socket_path.copy(address.sun_path, sizeof(address.sun_path) - 1);
  if (connect(fd.get(), reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    return absl::UnavailableError(absl::StrCat("connect ", socket_path, ": ", strerror(errno)));
  }
  const std::string line = command + "\n";
  if (send(fd.get(), line.data(), line.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(line.size())) {
    return absl::UnavailableError(absl::StrCat("send to ", socket_path, ": ", strerror(errno)));
  }
  // The end of our side tells the CLI there is no further command: it answers and closes.
  shutdown(fd.get(), SHUT_WR);
  std::string answer;
  const absl::Time deadline = absl::Now() + timeout;
  char buffer[4096];
  while (true) {
    const int wait_ms = static_cast<int>(std::max<int64_t>(0, absl::ToInt64Milliseconds(deadline - absl::Now())));
    pollfd p{fd.get(), POLLIN, 0};
    const int ready = poll(&p, 1, wait_ms);
    if (ready == 0) return absl::DeadlineExceededError(absl::StrCat("no answer to \"", command, "\" from ", socket_path));
    if (ready < 0 && errno == EINTR) continue;
    const ssize_t n = recv(fd.get(), buffer, sizeof(buffer), 0);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    answer.append(buffer, static_cast<size_t>(n));
  }
  return answer;
}

int StopHaproxyProcesses(const std::string& dir, absl::Duration timeout) {
  const std::string config = dir + "/haproxy.cfg";
  int found = 0;
  for (const base::ProcessInfo& process : base::ListProcesses()) {
    if (process.pid == getpid()) continue;
    auto flag = std::find(process.argv.begin(), process.argv.end(), "-f");
    if (flag == process.argv.end() || flag + 1 == process.argv.end() || *(flag + 1) != config) continue;
    ++found;
    spdlog::info("stopping leftover haproxy pid {} ({})", process.pid, config);
    if (!base::SignalAndWait(process.pid, SIGTERM, timeout)) base::SignalAndWait(process.pid, SIGKILL, absl::Seconds(5));
  }
  return found;
}

HaproxySupervisor::HaproxySupervisor(HaproxySupervisorOptions options) : options_(std::move(options)) {}

HaproxySupervisor::~HaproxySupervisor() { Stop(); }

std::string HaproxySupervisor::NextCertDir() const {
  absl::MutexLock lock(&mu_);
  return absl::StrCat(options_.dir, "/certs/", generation_ + 1);
}

pid_t HaproxySupervisor::pid() const {
  absl::MutexLock lock(&mu_);
  return alive_ ? pid_ : 0;
}

int64_t HaproxySupervisor::reloads() const {
  absl::MutexLock lock(&mu_);
  return reloads_;
}

int64_t HaproxySupervisor::restarts() const {
  absl::MutexLock lock(&mu_);
  return restarts_;
}

absl::Status HaproxySupervisor::WriteAndCheck(const RenderedConfig& config, const std::string& cert_dir) {
  if (absl::Status s = WriteCertificates(config, cert_dir); !s.ok()) return s;
  const std::string candidate = config_path() + ".new";
  if (absl::Status s = base::WriteFileAtomically(candidate, config.haproxy_cfg, 0600); !s.ok()) return s;
  absl::StatusOr<base::CommandResult> check =
      base::RunCommand({options_.binary, "-c", "-q", "-f", candidate}, absl::Seconds(30));
  if (!check.ok()) return check.status();
  if (check->exit_code != 0) {
    std::error_code ignored;
    std::filesystem::remove_all(cert_dir, ignored);
    return absl::InvalidArgumentError(absl::StrCat("haproxy rejected the configuration: ", check->output));
  }
  std::error_code error;
  std::filesystem::rename(candidate, config_path(), error);
  if (error) return base::ErrnoStatus(error.value(), absl::StrCat("rename ", candidate));
  ++generation_;
  return absl::OkStatus();
}

void HaproxySupervisor::RemoveOldCertDirs(const std::string& keep) {
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(options_.dir + "/certs", error)) {
    if (entry.path().string() != keep) std::filesystem::remove_all(entry.path(), error);
  }
}

absl::Status HaproxySupervisor::SpawnLocked() {
  std::error_code ignored;
  std::filesystem::remove(master_socket(), ignored);
  // -W: master-worker; -db: the master stays in the foreground (our child); -S: the master CLI.
  absl::StatusOr<pid_t> pid = base::SpawnDaemon(
      {options_.binary, "-W", "-db", "-S", absl::StrCat(master_socket(), ",mode,600"), "-f", config_path()},
      log_path());
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  alive_ = true;
  started_at_ = absl::Now();
  return absl::OkStatus();
}

absl::Status HaproxySupervisor::WaitForMaster(pid_t pid) {
  const absl::Time deadline = absl::Now() + options_.start_timeout;
  while (absl::Now() < deadline) {
    // The master answers once its first worker is up.
    absl::StatusOr<std::string> procs = HaproxyCommand(master_socket(), "show proc", absl::Seconds(1));
    if (procs.ok() && CountWorkers(*procs) > 0) return absl::OkStatus();
    int status = 0;
    if (waitpid(pid, &status, WNOHANG) == pid) {
      absl::MutexLock lock(&mu_);
      alive_ = false;
      return absl::FailedPreconditionError(
          absl::StrCat("haproxy exited during startup (status ", status, "); log tail:\n", LogTail(log_path(), 2000)));
    }
    absl::SleepFor(absl::Milliseconds(20));
  }
  return absl::FailedPreconditionError(absl::StrCat("haproxy master socket ", master_socket(), " not ready after ",
                                                    absl::FormatDuration(options_.start_timeout), "; log tail:\n",
                                                    LogTail(log_path(), 2000)));
}

absl::Status HaproxySupervisor::Start(const RenderedConfig& initial) {
  {
    absl::MutexLock lock(&mu_);
    if (!monitor_done_ || alive_) return absl::FailedPreconditionError("haproxy supervisor already started");
  }
  if (master_socket().size() >= sizeof(sockaddr_un::sun_path)) {
    return absl::InvalidArgumentError(absl::StrCat("haproxy socket path too long: ", master_socket()));
  }
  std::error_code error;
  std::filesystem::create_directories(options_.dir + "/certs", error);
  if (error) return base::ErrnoStatus(error.value(), absl::StrCat("mkdir ", options_.dir));
  std::filesystem::permissions(options_.dir, std::filesystem::perms::owner_all, error);
  StopHaproxyProcesses(options_.dir, options_.stop_timeout);
  std::filesystem::remove(log_path(), error);
  pid_t pid = 0;
  {
    absl::MutexLock lock(&mu_);
    const std::string cert_dir = absl::StrCat(options_.dir, "/certs/", generation_ + 1);
    if (absl::Status s = WriteAndCheck(initial, cert_dir); !s.ok()) return s;
    RemoveOldCertDirs(cert_dir);
    stopping_ = false;
    reloads_ = 0;
    restarts_ = 0;
    if (absl::Status s = SpawnLocked(); !s.ok()) return s;
    pid = pid_;
  }
  if (absl::Status ready = WaitForMaster(pid); !ready.ok()) {
    absl::MutexLock lock(&mu_);
    if (alive_) {
      kill(-pid_, SIGKILL);
      waitpid(pid_, nullptr, 0);
      alive_ = false;
    }
    return ready;
  }
  spdlog::info("ingress: haproxy master pid {} running {}", pid, config_path());
  {
    absl::MutexLock lock(&mu_);
    monitor_done_ = false;
  }
  monitor_ = std::thread([this] { Monitor(); });
  return absl::OkStatus();
}

absl::Status HaproxySupervisor::Apply(const RenderedConfig& config) {
  absl::MutexLock lock(&mu_);
  if (stopping_ || monitor_done_) return absl::FailedPreconditionError("haproxy is not running");
  const std::string cert_dir = absl::StrCat(options_.dir, "/certs/", generation_ + 1);
  if (absl::Status s = WriteAndCheck(config, cert_dir); !s.ok()) return s;
  if (!alive_) return absl::OkStatus();  // the monitor's restart picks the new file up
  // The master re-executes itself with the new file; new workers inherit the listening sockets
  // (no connection refused) and the old ones soft-stop. The connection closes when it is done.
  absl::StatusOr<std::string> answer = HaproxyCommand(master_socket(), "reload", absl::Seconds(10));
  if (!answer.ok()) {
    // A signal does the same when the CLI is unreachable.
    spdlog::warn("ingress: haproxy master CLI: {}; reloading by SIGUSR2", answer.status().ToString());
    kill(pid_, SIGUSR2);
  }
  ++reloads_;
  // Workers load their certificates when they start; only the current files are read again.
  RemoveOldCertDirs(cert_dir);
  return absl::OkStatus();
}

void HaproxySupervisor::Monitor() {
  absl::Duration backoff = options_.initial_backoff;
  while (true) {
    pid_t pid;
    {
      absl::MutexLock lock(&mu_);
      pid = pid_;
    }
    // Wait without reaping, so pid_ (and its group) cannot be reused while Stop() signals it.
    siginfo_t info{};
    while (waitid(P_PID, static_cast<id_t>(pid), &info, WEXITED | WNOWAIT) < 0 && errno == EINTR) {
    }
    absl::MutexLock lock(&mu_);
    if (!stopping_) kill(-pid, SIGKILL);  // workers orphaned by a crashed master
    waitpid(pid, nullptr, 0);
    alive_ = false;
    if (stopping_) {
      monitor_done_ = true;
      return;
    }
    if (absl::Now() - started_at_ > absl::Minutes(1)) backoff = options_.initial_backoff;
    spdlog::warn("ingress: haproxy master pid {} exited (code {}, signal {}); restarting in {}; log tail:\n{}", pid,
                 info.si_code == CLD_EXITED ? info.si_status : -1, info.si_code == CLD_EXITED ? 0 : info.si_status,
                 absl::FormatDuration(backoff), LogTail(log_path(), 1000));
    bool spawned = false;
    while (!spawned) {
      auto stop_requested = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return stopping_; };
      mu_.AwaitWithTimeout(absl::Condition(&stop_requested), backoff);
      if (stopping_) break;
      backoff = std::min(backoff * 2, options_.max_backoff);
      if (absl::Status s = SpawnLocked(); s.ok()) {
        ++restarts_;
        spawned = true;
      } else {
        spdlog::error("ingress: restarting haproxy: {}", s.ToString());
      }
    }
    if (stopping_) {
      monitor_done_ = true;
      return;
    }
  }
}

void HaproxySupervisor::Stop() {
  {
    absl::MutexLock lock(&mu_);
    if (monitor_done_) return;
    stopping_ = true;
    if (alive_) kill(-pid_, SIGTERM);
    auto finished = [this]() ABSL_EXCLUSIVE_LOCKS_REQUIRED(mu_) { return monitor_done_; };
    if (!mu_.AwaitWithTimeout(absl::Condition(&finished), options_.stop_timeout)) {
      spdlog::warn("ingress: haproxy pid {} ignored SIGTERM; killing its group", pid_);
      if (alive_) kill(-pid_, SIGKILL);
      mu_.Await(absl::Condition(&finished));
    }
    // Old workers of the group that outlived the master.
    kill(-pid_, SIGKILL);
  }
  if (monitor_.joinable()) monitor_.join();
}

}  // namespace skiff::agent::ingress
