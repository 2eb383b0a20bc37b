#include "agent/ingress/haproxy_supervisor.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "agent/server/serving_cert.h"
#include "base/file.h"
#include "base/testing/host.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::ingress {
namespace {

using ::testing::HasSubstr;

int FreePort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address));
  socklen_t length = sizeof(address);
  getsockname(fd, reinterpret_cast<sockaddr*>(&address), &length);
  close(fd);
  return ntohs(address.sin_port);
}

int Connect(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(static_cast<uint16_t>(port));
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&address), sizeof(address)) != 0) {
    close(fd);
    return -1;
  }
  timeval timeout{.tv_sec = 5, .tv_usec = 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  return fd;
}

// A loopback HTTP/1.1 server answering every request with `body` (keep-alive).
class TestServer {
 public:
  explicit TestServer(std::string body) : body_(std::move(body)) {
    listener_ = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(listener_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(listener_, reinterpret_cast<sockaddr*>(&address), sizeof(address));
    socklen_t length = sizeof(address);
    getsockname(listener_, reinterpret_cast<sockaddr*>(&address), &length);
    port_ = ntohs(address.sin_port);
    listen(listener_, 64);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestServer() {
    shutdown(listener_, SHUT_RDWR);
    close(listener_);
    thread_.join();
  }
  int port() const { return port_; }

 private:
  void Serve() {
    while (true) {
      int fd = accept(listener_, nullptr, nullptr);
      if (fd < 0) return;
      std::thread([this, fd] {
        std::string buffer;
        char chunk[4096];
        while (true) {
          ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
          if (n <= 0) break;
          buffer.append(chunk, static_cast<size_t>(n));
          size_t end;
          while ((end = buffer.find("\r\n\r\n")) != std::string::npos) {
            buffer.erase(0, end + 4);
            const std::string response =
                absl::StrCat("HTTP/1.1 200 OK\r\nContent-Length: ", body_.size(), "\r\n\r\n", body_);
            send(fd, response.data(), response.size(), MSG_NOSIGNAL);
          }
        }
        close(fd);
      }).detach();
    }
  }

  std::string body_;
  int listener_ = -1;
  int port_ = 0;
  std::thread thread_;
};

// Sends one request on fd and reads one response (Content-Length framed); "" on failure.
std::string Exchange(int fd, const std::string& host) {
  const std::string request = absl::StrCat("GET / HTTP/1.1\r\nHost: ", host, "\r\n\r\n");
  if (send(fd, request.data(), request.size(), MSG_NOSIGNAL) < 0) return "";
  std::string response;
  char chunk[4096];
  while (true) {
    size_t end = response.find("\r\n\r\n");
    if (end != std::string::npos) {
      // HAProxy sends header names in lower case.
      size_t length_at = absl::AsciiStrToLower(response.substr(0, end)).find("content-length: ");
      if (length_at != std::string::npos) {
        size_t length = std::stoul(response.substr(length_at + 16));
        if (response.size() >= end + 4 + length) return response.substr(0, end + 4 + length);
      }
    }
    ssize_t n = recv(fd, chunk, sizeof(chunk), 0);
    if (n <= 0) return response;
    response.append(chunk, static_cast<size_t>(n));
  }
}

std::string Get(int port, const std::string& host) {
  int fd = Connect(port);
  if (fd < 0) return "";
  std::string response = Exchange(fd, host);
  close(fd);
  return response;
}

class HaproxySupervisorTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_TRUE(base::testing::OnPath("haproxy")) << "haproxy is not on PATH (scripts/install-deps.sh installs it)";
    dir_ = absl::StrCat(::testing::TempDir(), "/skiff-haproxy-sup-", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_);
    ASSERT_TRUE(server::EnsureSelfSignedCertificate(dir_ + "/d.crt", dir_ + "/d.key", {"default"}).ok());
    ASSERT_TRUE(base::WriteFileAtomically(dir_ + "/default.pem",
                                          *base::ReadFile(dir_ + "/d.crt") + *base::ReadFile(dir_ + "/d.key"), 0600)
                    .ok());
    supervisor_ = std::make_unique<HaproxySupervisor>(HaproxySupervisorOptions{.dir = dir_ + "/haproxy"});
    options_.http_port = FreePort();
    options_.https_port = FreePort();
    options_.default_certificate = dir_ + "/default.pem";
    options_.stats_socket = supervisor_->stats_socket();
  }
  void TearDown() override {
    supervisor_.reset();
    std::filesystem::remove_all(dir_);
  }

  RenderedConfig Render(const RouteTable& table) {
    options_.cert_dir = supervisor_->NextCertDir();
    absl::StatusOr<RenderedConfig> rendered = RenderHaproxyConfig(table, options_);
    EXPECT_TRUE(rendered.ok()) << rendered.status();
    return rendered.value_or(RenderedConfig{});
  }

  static RouteTable HostTo(const std::string& host, int port) {
    RouteTable table;
    VirtualHost vhost{.hostname = host};
    vhost.routes.push_back(Route{.source = host,
                                 .backends = {Backend{.ns = "t", .service = host, .port_number = 80,
                                                      .endpoints = {{"127.0.0.1", port}}}}});
    table.hosts.push_back(vhost);
    return table;
  }

  std::string dir_;
  HaproxyOptions options_;
  std::unique_ptr<HaproxySupervisor> supervisor_;
};

TEST_F(HaproxySupervisorTest, ServesReloadsWithoutDroppingKeepAliveAndStopsItsGroup) {
  TestServer a("from-a"), b("from-b");
  const absl::Status started = supervisor_->Start(Render(HostTo("a.test", a.port())));
  ASSERT_TRUE(started.ok()) << started;
  const pid_t pid = supervisor_->pid();
  ASSERT_GT(pid, 0);
  EXPECT_THAT(Get(options_.http_port, "a.test"), HasSubstr("from-a"));
  EXPECT_THAT(Get(options_.http_port, "b.test"), HasSubstr("404"));

  // A keep-alive connection opened before the reload.
  int kept = Connect(options_.http_port);
  ASSERT_GE(kept, 0);
  EXPECT_THAT(Exchange(kept, "a.test"), HasSubstr("from-a"));

  RouteTable both = HostTo("a.test", a.port());
  both.hosts.push_back(HostTo("b.test", b.port()).hosts[0]);
  ASSERT_TRUE(supervisor_->Apply(Render(both)).ok());
  EXPECT_EQ(supervisor_->reloads(), 1);
  std::string answer;
  for (int i = 0; i < 200 && answer.find("from-b") == std::string::npos; ++i) {
    answer = Get(options_.http_port, "b.test");
    absl::SleepFor(absl::Milliseconds(20));
  }
  EXPECT_THAT(answer, HasSubstr("from-b"));
  EXPECT_EQ(supervisor_->pid(), pid);  // the master re-executed itself
  // The old worker answers the next request on the old connection (then closes it).
  EXPECT_THAT(Exchange(kept, "a.test"), HasSubstr("from-a")) << *base::ReadFile(supervisor_->log_path());
  close(kept);

  // A configuration haproxy rejects is not applied; the running one keeps serving.
  RenderedConfig bad = Render(both);
  bad.haproxy_cfg += "backend broken\n  no-such-keyword\n";
  absl::Status rejected = supervisor_->Apply(bad);
  EXPECT_EQ(rejected.code(), absl::StatusCode::kInvalidArgument) << rejected;
  EXPECT_THAT(Get(options_.http_port, "b.test"), HasSubstr("from-b"));

  supervisor_->Stop();
  EXPECT_EQ(supervisor_->pid(), 0);
  EXPECT_NE(kill(-pid, 0), 0);  // no process of the group is left
  EXPECT_EQ(Connect(options_.http_port), -1);
}

TEST_F(HaproxySupervisorTest, RestartsAfterTheMasterDies) {
  TestServer a("from-a");
  const absl::Status started = supervisor_->Start(Render(HostTo("a.test", a.port())));
  ASSERT_TRUE(started.ok()) << started;
  const pid_t pid = supervisor_->pid();
  kill(-pid, SIGKILL);
  std::string answer;
  for (int i = 0; i < 300 && answer.find("from-a") == std::string::npos; ++i) {
    absl::SleepFor(absl::Milliseconds(20));
    answer = Get(options_.http_port, "a.test");
  }
  EXPECT_THAT(answer, HasSubstr("from-a"));
  EXPECT_EQ(supervisor_->restarts(), 1);
  EXPECT_NE(supervisor_->pid(), pid);
}

TEST(StopHaproxyProcessesTest, FindsNothingForAnUnusedDir) {
  EXPECT_EQ(StopHaproxyProcesses("/nonexistent/skiff-ingress", absl::Seconds(1)), 0);
}

TEST(CountWorkersTest, ParsesShowProc) {
  EXPECT_EQ(CountWorkers("#<PID>          <type>          <reloads>       <uptime>        <version>\n"
                         "100             master          1 [failed: 0]   0d00h00m05s     2.6.12\n"
                         "# workers\n"
                         "120             worker          0               0d00h00m02s     2.6.12\n"
                         "# old workers\n"
                         "101             worker          1               0d00h00m05s     2.6.12\n"),
            2);
  EXPECT_EQ(CountWorkers("#<PID> <type>\n100 master 0\n# workers\n"), 0);
}

}  // namespace
}  // namespace skiff::agent::ingress
