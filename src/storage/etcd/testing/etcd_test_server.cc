#include "storage/etcd/testing/etcd_test_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <thread>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/time/clock.h"
#include "base/process.h"

namespace skiff::storage {
namespace {

// A loopback port nobody listens on now (the kernel's pick for an ephemeral bind).
absl::StatusOr<int> FreeLoopbackPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return absl::UnavailableError("socket");
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t length = sizeof(address);
  if (bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length) != 0) {
    close(fd);
    return absl::UnavailableError("bind an ephemeral loopback port");
  }
  close(fd);
  return ntohs(address.sin_port);
}

bool Accepts(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(port);
  bool ok = connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0;
  close(fd);
  return ok;
}

int PortOf(const std::string& url) { return std::stoi(url.substr(url.rfind(':') + 1)); }

}  // namespace

std::string EtcdTestServer::BinaryPath() {
  for (const char* candidate : {"/usr/bin/etcd", "/usr/local/bin/etcd"}) {
    if (access(candidate, X_OK) == 0) return candidate;
  }
  return "";
}

absl::StatusOr<std::unique_ptr<EtcdTestServer>> EtcdTestServer::Start(const std::string& data_dir,
                                                                      const EtcdTestTls* tls) {
  std::unique_ptr<EtcdTestServer> server(new EtcdTestServer());
  server->binary_ = BinaryPath();
  if (server->binary_.empty()) return absl::NotFoundError("no etcd binary (install Debian's etcd-server)");
  server->data_dir_ = data_dir;
  auto client_port = FreeLoopbackPort();
  if (!client_port.ok()) return client_port.status();
  auto peer_port = FreeLoopbackPort();
  if (!peer_port.ok()) return peer_port.status();
  if (tls != nullptr) server->tls_ = std::make_unique<EtcdTestTls>(*tls);
  server->client_url_ = absl::StrCat(tls ? "https" : "http", "://127.0.0.1:", *client_port);
  server->peer_url_ = absl::StrCat("http://127.0.0.1:", *peer_port);
  if (absl::Status status = server->Launch(); !status.ok()) return status;
  return server;
}

absl::Status EtcdTestServer::Launch() {
  std::error_code error;
  std::filesystem::create_directories(data_dir_, error);
  std::vector<std::string> argv = {binary_,
                                   "--name",
                                   "skiff-test",
                                   "--data-dir",
                                   data_dir_,
                                   "--listen-client-urls",
                                   client_url_,
                                   "--advertise-client-urls",
                                   client_url_,
                                   "--listen-peer-urls",
                                   peer_url_,
                                   "--initial-advertise-peer-urls",
                                   peer_url_,
                                   "--initial-cluster",
                                   absl::StrCat("skiff-test=", peer_url_),
                                   "--logger",
                                   "zap",
                                   "--log-outputs",
                                   "stderr"};
  if (tls_) {
    argv.insert(argv.end(), {"--cert-file", tls_->cert_file, "--key-file", tls_->key_file,
                             "--client-cert-auth", "--trusted-ca-file", tls_->client_ca_file});
  }
  auto pid = base::SpawnDaemon(argv, data_dir_ + ".log");
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  while (absl::Now() < deadline) {
    if (Accepts(PortOf(client_url_))) return absl::OkStatus();
    int status = 0;
    if (waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = 0;
      return absl::UnavailableError(absl::StrCat("etcd exited at start; see ", data_dir_, ".log"));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return absl::UnavailableError(
      absl::StrCat("etcd did not listen on ", client_url_, "; see ", data_dir_, ".log"));
}

absl::Status EtcdTestServer::Signal(int signal) {
  if (pid_ == 0) return absl::OkStatus();
  kill(pid_, signal);
  absl::Time deadline = absl::Now() + absl::Seconds(10);
  int status = 0;
  while (waitpid(pid_, &status, WNOHANG) == 0) {
    if (absl::Now() > deadline) {
      kill(pid_, SIGKILL);
      waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  pid_ = 0;
  return absl::OkStatus();
}

absl::Status EtcdTestServer::Kill() { return Signal(SIGKILL); }
absl::Status EtcdTestServer::Stop() { return Signal(SIGTERM); }

absl::Status EtcdTestServer::Restart() {
  if (pid_ != 0) return absl::FailedPreconditionError("etcd is still running");
  return Launch();
}

EtcdTestServer::~EtcdTestServer() { Stop().IgnoreError(); }

}  // namespace skiff::storage
