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

absl::StatusOr<std::vector<std::unique_ptr<EtcdTestServer>>> EtcdTestServer::StartCluster(
    const std::string& base_dir, int size) {
  std::string binary = BinaryPath();
  if (binary.empty()) return absl::NotFoundError("no etcd binary (install Debian's etcd-server)");
  std::vector<std::unique_ptr<EtcdTestServer>> members;
  std::string initial_cluster;
  for (int i = 0; i < size; ++i) {
    std::unique_ptr<EtcdTestServer> member(new EtcdTestServer());
    member->binary_ = binary;
    member->name_ = absl::StrCat("member", i);
    member->data_dir_ = absl::StrCat(base_dir, "/member", i);
    auto client_port = FreeLoopbackPort();
    if (!client_port.ok()) return client_port.status();
    auto peer_port = FreeLoopbackPort();
    if (!peer_port.ok()) return peer_port.status();
    member->client_url_ = absl::StrCat("http://127.0.0.1:", *client_port);
    member->peer_url_ = absl::StrCat("http://127.0.0.1:", *peer_port);
    absl::StrAppend(&initial_cluster, i ? "," : "", member->name_, "=", member->peer_url_);
    members.push_back(std::move(member));
  }
  // All members first: none serves clients before a quorum of them has elected a leader.
  for (auto& member : members) {
    member->initial_cluster_ = initial_cluster;
    if (absl::Status status = member->Spawn(); !status.ok()) return status;
  }
  for (auto& member : members) {
    if (absl::Status status = member->WaitServing(); !status.ok()) return status;
  }
  absl::Time deadline = absl::Now() + absl::Seconds(20);
  for (;;) {
    for (auto& member : members) {
      if (member->IsLeader()) return members;
    }
    if (absl::Now() > deadline) return absl::UnavailableError(absl::StrCat("no etcd leader; see ", base_dir));
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
}

bool EtcdTestServer::IsLeader() const {
  if (pid_ == 0) return false;
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) return false;
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  address.sin_port = htons(PortOf(client_url_));
  timeval timeout{2, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  std::string body;
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) == 0) {
    std::string request = "GET /metrics HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n";
    if (write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size())) {
      char buffer[65536];
      ssize_t n;
      while ((n = read(fd, buffer, sizeof(buffer))) > 0) body.append(buffer, n);
    }
  }
  close(fd);
  return body.find("\netcd_server_is_leader 1") != std::string::npos;
}

absl::Status EtcdTestServer::Launch() {
  if (absl::Status status = Spawn(); !status.ok()) return status;
  return WaitServing();
}

absl::Status EtcdTestServer::Spawn() {
  std::error_code error;
  std::filesystem::create_directories(data_dir_, error);
  std::vector<std::string> argv = {binary_,
                                   "--name",
                                   name_,
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
                                   initial_cluster_.empty() ? absl::StrCat(name_, "=", peer_url_)
                                                            : initial_cluster_,
                                   "--logger",
                                   "zap",
                                   "--log-outputs",
                                   "stderr"};
  if (tls_) {
    argv.insert(argv.end(), {"--cert-file", tls_->cert_file, "--key-file", tls_->key_file,
                             "--client-cert-auth", "--trusted-ca-file", tls_->client_ca_file});
  }
  if (!initial_cluster_.empty()) {
    argv.insert(argv.end(), {"--initial-cluster-token", "skiff-test-cluster", "--initial-cluster-state", "new"});
  }
  auto pid = base::SpawnDaemon(argv, data_dir_ + ".log");
  if (!pid.ok()) return pid.status();
  pid_ = *pid;
  return absl::OkStatus();
}

absl::Status EtcdTestServer::WaitServing() {
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
