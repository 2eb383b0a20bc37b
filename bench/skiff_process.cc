#include "skiff_process.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <optional>
#include <sstream>
#include <thread>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "bench_util.h"
#include "child_process.h"
#include "boost/asio/steady_timer.hpp"
#include "boost/asio/use_awaitable.hpp"
#include "io_pool.h"

extern char** environ;

namespace skiff::bench {
namespace asio = boost::asio;

namespace {

absl::Status Errno(std::string_view what) {
  return absl::InternalError(absl::StrCat(Av(what), ": ", std::strerror(errno)));
}

std::string ReadFileTrimmed(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return std::string(absl::StripAsciiWhitespace(text.str()));
}

// True (and reaps it) when the child has exited.
bool Exited(pid_t pid, int* wait_status) { return waitpid(pid, wait_status, WNOHANG) == pid; }

std::string DescribeExit(int wait_status) {
  if (WIFEXITED(wait_status)) return absl::StrCat("exited with status ", WEXITSTATUS(wait_status));
  if (WIFSIGNALED(wait_status)) return absl::StrCat("killed by signal ", WTERMSIG(wait_status));
  return "ended";
}

}  // namespace

absl::StatusOr<uint16_t> FreeLocalPort() {
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Errno("socket");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    absl::Status status = Errno("bind 127.0.0.1:0");
    close(fd);
    return status;
  }
  close(fd);
  return ntohs(addr.sin_port);
}

absl::StatusOr<std::unique_ptr<SkiffProcess>> SkiffProcess::Create(std::string binary, bool keep_files) {
  if (access(binary.c_str(), X_OK) != 0) {
    return absl::NotFoundError(absl::StrCat("skiff binary ", binary, " is not executable (use --skiff)"));
  }
  std::string templ = (std::filesystem::temp_directory_path() / "skiff-bench-XXXXXX").string();
  if (mkdtemp(templ.data()) == nullptr) return Errno("mkdtemp");
  return std::unique_ptr<SkiffProcess>(new SkiffProcess(std::move(binary), std::move(templ), keep_files));
}

SkiffProcess::SkiffProcess(std::string binary, std::string root, bool keep_files)
    : binary_(std::move(binary)),
      root_(std::move(root)),
      data_dir_(root_ + "/data"),
      log_path_(root_ + "/server.log"),
      keep_files_(keep_files) {}

SkiffProcess::~SkiffProcess() {
  (void)Stop();
  if (!keep_files_) {
    std::error_code ec;
    std::filesystem::remove_all(root_, ec);
  }
}

absl::Status SkiffProcess::Spawn(uint16_t port) {
  std::string listen = absl::StrCat("127.0.0.1:", port);
  std::vector<std::string> args = {binary_, "server", "--data-dir", data_dir_, "--listen", listen};
  if (!with_agent_) args.push_back("--disable-agent");
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (std::string& arg : args) argv.push_back(arg.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 1, log_path_.c_str(), O_WRONLY | O_CREAT | O_APPEND, 0644);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = 0;
    return absl::InternalError(absl::StrCat("spawn ", binary_, ": ", std::strerror(rc)));
  }
  return absl::OkStatus();
}

absl::StatusOr<Clock::duration> SkiffProcess::Start(Clock::duration ready_timeout) {
  if (pid_ != 0) return absl::FailedPreconditionError("server already running");
  auto port = FreeLocalPort();
  if (!port.ok()) return port.status();
  endpoint_ = Endpoint{.host = "127.0.0.1", .port = *port, .token = "", .ca_file = data_dir_ + "/pki/ca.crt"};
  Clock::time_point start = Clock::now();
  if (absl::Status spawned = Spawn(*port); !spawned.ok()) return spawned;
  absl::Status ready = WaitReady(start + ready_timeout);
  Clock::duration elapsed = Clock::now() - start;
  if (!ready.ok()) {
    (void)Stop();
    return absl::Status(ready.code(),
                        absl::StrCat(ready.message(), "\n--- server log tail ---\n", LogTail()));
  }
  endpoint_.token = ReadFileTrimmed(data_dir_ + "/admin.token");
  if (endpoint_.token.empty())
    return absl::FailedPreconditionError("no token in " + data_dir_ + "/admin.token");
  return elapsed;
}

namespace {

// Retries GET /readyz every 2 ms; the CA appears only once the server has written its PKI.
asio::awaitable<absl::Status> ProbeReady(asio::io_context& context, Endpoint endpoint, pid_t* pid,
                                         Clock::time_point deadline) {
  std::shared_ptr<asio::ssl::context> tls;
  std::optional<HttpsClient> client;
  asio::steady_timer timer(context);
  absl::Status last = absl::UnavailableError("no attempt");
  while (Clock::now() < deadline) {
    int wait_status = 0;
    if (Exited(*pid, &wait_status)) {
      *pid = 0;
      co_return absl::AbortedError(absl::StrCat("skiff server ", DescribeExit(wait_status), " before ready"));
    }
    if (!tls && access(endpoint.ca_file.c_str(), R_OK) == 0) {
      auto made = MakeTlsContext(endpoint.ca_file);  // may fail while the file is half written
      if (made.ok()) {
        tls = *made;
        client.emplace(context, tls, endpoint);
      }
    }
    if (client) {
      auto response = co_await client->Send("GET", "/readyz", "", std::chrono::seconds(1));
      if (response.ok() && response->status == 200) co_return absl::OkStatus();
      last = response.ok() ? absl::UnavailableError(absl::StrCat("/readyz answered ", response->status))
                           : response.status();
    }
    timer.expires_after(std::chrono::milliseconds(2));
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return absl::DeadlineExceededError(absl::StrCat("server not ready in time; last: ", last.ToString()));
}

}  // namespace

absl::Status SkiffProcess::WaitReady(Clock::time_point deadline) {
  asio::io_context context;
  return RunSync(context, ProbeReady(context, endpoint_, &pid_, deadline));
}

absl::Status SkiffProcess::Stop() {
  if (pid_ == 0) return absl::OkStatus();
  absl::Status stopped = StopServer();
  if (with_agent_) {
    // Containers, network state and containerd of the in-process agent (it leaves them running).
    RunLogged({binary_, "agent", "reset", "--data-dir", agent_dir()}, log_path_);
  }
  return stopped;
}

absl::Status SkiffProcess::StopServer() {
  pid_t pid = pid_;
  pid_ = 0;
  int wait_status = 0;
  if (kill(pid, SIGTERM) != 0 && errno != ESRCH) return Errno("kill SIGTERM");
  Clock::time_point deadline = Clock::now() + std::chrono::seconds(15);
  while (Clock::now() < deadline) {
    if (Exited(pid, &wait_status)) return absl::OkStatus();
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &wait_status, 0);
  return absl::DeadlineExceededError("server ignored SIGTERM for 15 s; killed it");
}

std::string SkiffProcess::LogTail() const {
  std::ifstream in(log_path_, std::ios::binary);
  std::stringstream text;
  text << in.rdbuf();
  std::string all = text.str();
  return all.size() > 2000 ? all.substr(all.size() - 2000) : all;
}

}  // namespace skiff::bench
