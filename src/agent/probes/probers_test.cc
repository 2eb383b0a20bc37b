#include "agent/probes/probers.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <functional>
#include <string>
#include <thread>

#include "absl/strings/match.h"
#include "gtest/gtest.h"

namespace skiff::agent::probes {
namespace {

// A loopback HTTP/1.1 server answering each request with respond(request head).
class TestServer {
 public:
  explicit TestServer(std::function<std::string(const std::string&)> respond) : respond_(std::move(respond)) {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr), 0);
    socklen_t len = sizeof addr;
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    listen(fd_, 16);
    thread_ = std::thread([this] { Serve(); });
  }
  ~TestServer() {
    stop_ = true;
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::string last_request() const { return last_; }

 private:
  void Serve() {
    while (!stop_) {
      int c = accept(fd_, nullptr, nullptr);
      if (c < 0) return;
      std::string head;
      char buf[4096];
      while (!absl::StrContains(head, "\r\n\r\n")) {
        ssize_t n = read(c, buf, sizeof buf);
        if (n <= 0) break;
        head.append(buf, n);
      }
      last_ = head;
      std::string resp = respond_(head);
      if (!resp.empty()) (void)!write(c, resp.data(), resp.size());
      close(c);
    }
  }

  std::function<std::string(const std::string&)> respond_;
  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  std::string last_;
};

std::string Answer(int code, const std::string& extra = "") {
  return "HTTP/1.1 " + std::to_string(code) + " X\r\nContent-Length: 2\r\n" + extra + "\r\nok";
}

HttpGetAction Action(int port, const std::string& path) {
  HttpGetAction a;
  a.port = port;
  a.path = path;
  return a;
}

TEST(HttpProbeTest, SuccessSendsKubeProbeHeaders) {
  TestServer server([](const std::string&) { return Answer(200); });
  HttpGetAction a = Action(server.port(), "/healthz");
  a.headers.emplace_back("X-Custom", "yes");
  ProbeOutcome out = HttpProbe(a, "127.0.0.1", absl::Seconds(2));
  EXPECT_TRUE(out.success) << out.message;
  EXPECT_TRUE(absl::StartsWith(server.last_request(), "GET /healthz HTTP/1.1")) << server.last_request();
  EXPECT_TRUE(absl::StrContains(server.last_request(), "kube-probe/1.32"));
  EXPECT_TRUE(absl::StrContains(server.last_request(), "X-Custom: yes"));
}

TEST(HttpProbeTest, StatusCodes) {
  TestServer server([](const std::string& req) {
    if (absl::StartsWith(req, "GET /bad ")) return Answer(500);
    if (absl::StartsWith(req, "GET /moved ")) return Answer(302, "Location: /fine\r\n");
    if (absl::StartsWith(req, "GET /away ")) return Answer(301, "Location: http://10.255.255.1:1/\r\n");
    if (absl::StartsWith(req, "GET /fine ")) return Answer(204);
    return Answer(399);
  });
  ProbeOutcome bad = HttpProbe(Action(server.port(), "/bad"), "127.0.0.1", absl::Seconds(2));
  EXPECT_FALSE(bad.success);
  EXPECT_EQ(bad.message, "HTTP probe failed with statuscode: 500");
  EXPECT_TRUE(HttpProbe(Action(server.port(), "/moved"), "127.0.0.1", absl::Seconds(2)).success);
  EXPECT_TRUE(absl::StartsWith(server.last_request(), "GET /fine "));
  // A redirect to another host is not followed and counts as success.
  EXPECT_TRUE(HttpProbe(Action(server.port(), "/away"), "127.0.0.1", absl::Seconds(2)).success);
  EXPECT_TRUE(HttpProbe(Action(server.port(), "/other"), "127.0.0.1", absl::Seconds(2)).success);
}

TEST(HttpProbeTest, TimeoutAndRefused) {
  TestServer slow([](const std::string&) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1500));
    return Answer(200);
  });
  absl::Time start = absl::Now();
  ProbeOutcome out = HttpProbe(Action(slow.port(), "/"), "127.0.0.1", absl::Milliseconds(300));
  EXPECT_FALSE(out.success);
  EXPECT_LT(absl::Now() - start, absl::Seconds(1));
  EXPECT_TRUE(absl::StrContains(out.message, "Client.Timeout exceeded")) << out.message;

  int port = 0;
  {
    TestServer gone([](const std::string&) { return Answer(200); });
    port = gone.port();
  }
  ProbeOutcome refused = HttpProbe(Action(port, "/"), "127.0.0.1", absl::Seconds(1));
  EXPECT_FALSE(refused.success);
  EXPECT_TRUE(absl::StrContains(refused.message, "connection refused")) << refused.message;
  EXPECT_TRUE(absl::StartsWith(refused.message, "Get \"http://127.0.0.1:")) << refused.message;
}

TEST(TcpProbeTest, OpenAndClosedPorts) {
  TestServer server([](const std::string&) { return std::string(); });
  EXPECT_TRUE(TcpProbe("127.0.0.1", server.port(), absl::Seconds(1)).success);
  int port = 0;
  {
    TestServer gone([](const std::string&) { return std::string(); });
    port = gone.port();
  }
  ProbeOutcome out = TcpProbe("127.0.0.1", port, absl::Seconds(1));
  EXPECT_FALSE(out.success);
  EXPECT_TRUE(absl::StrContains(out.message, "dial tcp 127.0.0.1:")) << out.message;
}

TEST(GrpcProbeTest, UnreachableFailsWithinTimeout) {
  int port = 0;
  {
    TestServer gone([](const std::string&) { return std::string(); });
    port = gone.port();
  }
  absl::Time start = absl::Now();
  ProbeOutcome out = GrpcProbe("127.0.0.1", port, "", absl::Milliseconds(500));
  EXPECT_FALSE(out.success);
  EXPECT_LT(absl::Now() - start, absl::Seconds(3));
  EXPECT_TRUE(absl::StrContains(out.message, "failed to connect service")) << out.message;
}

}  // namespace
}  // namespace skiff::agent::probes
