#include "agent/server/agent_server.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <condition_variable>
#include <filesystem>
#include <fstream>
#include <future>
#include <mutex>
#include <thread>

#include "agent/pods/fake_runtime_for_test.h"
#include "gtest/gtest.h"

namespace skiff::agent::server {
namespace {

using pods::testing::FakeClock;
using pods::testing::FakeRuntime;

// Collects a stream's output.
class CollectingSink : public http::StreamSink {
 public:
  bool Write(std::shared_ptr<const std::string> data) override {
    std::lock_guard<std::mutex> lock(mu_);
    out_ += *data;
    cv_.notify_all();
    return true;
  }
  void Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  bool WaitFor(const std::string& want) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return out_ == want; });
  }
  std::string WaitClosed() {
    std::unique_lock<std::mutex> lock(mu_);
    EXPECT_TRUE(cv_.wait_for(lock, std::chrono::seconds(5), [this] { return closed_; }));
    return out_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string out_;
  bool closed_ = false;
};

// The client end of a relayed connection, driven by hand.
class FakeTunnelEnd : public http::TunnelEnd {
 public:
  void Send(std::shared_ptr<const std::string> data, std::function<void(bool)> done) override {
    {
      std::lock_guard<std::mutex> lock(mu_);
      received_ += *data;
      cv_.notify_all();
    }
    done(true);
  }
  void Receive(std::function<void(std::string, bool)> done) override {
    std::lock_guard<std::mutex> lock(mu_);
    pending_receive_ = std::move(done);
    cv_.notify_all();
  }
  void Close() override {
    std::lock_guard<std::mutex> lock(mu_);
    closed_ = true;
    cv_.notify_all();
  }
  // Delivers client bytes once the relay asks for them.
  void Type(const std::string& data) {
    std::function<void(std::string, bool)> done;
    {
      std::unique_lock<std::mutex> lock(mu_);
      ASSERT_TRUE(
          cv_.wait_for(lock, std::chrono::seconds(5), [this] { return pending_receive_ != nullptr; }));
      done = std::move(pending_receive_);
      pending_receive_ = nullptr;
    }
    done(data, true);
  }
  bool WaitReceived(const std::string& want) {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return received_ == want; });
  }
  bool WaitClosed() {
    std::unique_lock<std::mutex> lock(mu_);
    return cv_.wait_for(lock, std::chrono::seconds(5), [&] { return closed_; });
  }
  std::string received() {
    std::lock_guard<std::mutex> lock(mu_);
    return received_;
  }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::string received_;
  std::function<void(std::string, bool)> pending_receive_;
  bool closed_ = false;
};

// A plain-HTTP "streaming server": answers one request with 101 plus early bytes, then echoes
// upper-cased input until the peer closes. Records the request head.
class FakeStreamingServer {
 public:
  FakeStreamingServer() {
    fd_ = socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
    listen(fd_, 4);
    socklen_t len = sizeof(addr);
    getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    thread_ = std::thread([this] { Serve(); });
  }
  ~FakeStreamingServer() {
    shutdown(fd_, SHUT_RDWR);
    close(fd_);
    thread_.join();
  }
  int port() const { return port_; }
  std::string head() { return head_.get_future().get(); }

 private:
  void Serve() {
    int c = accept(fd_, nullptr, nullptr);
    if (c < 0) return;
    std::string in;
    char buf[4096];
    while (in.find("\r\n\r\n") == std::string::npos) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) break;
      in.append(buf, n);
    }
    head_.set_value(in.substr(0, in.find("\r\n\r\n")));
    std::string answer =
        "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\n"
        "X-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\nEARLY";
    (void)!write(c, answer.data(), answer.size());
    while (true) {
      ssize_t n = read(c, buf, sizeof(buf));
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i) buf[i] = static_cast<char>(toupper(buf[i]));
      if (std::string(buf, n) == "QUIT") break;
      (void)!write(c, buf, n);
    }
    close(c);
  }

  int fd_;
  int port_ = 0;
  std::thread thread_;
  std::promise<std::string> head_;
};

class ExecRuntime : public FakeRuntime {
 public:
  using FakeRuntime::FakeRuntime;
  absl::StatusOr<cri::v1::ExecResponse> Exec(const cri::v1::ExecRequest& req, absl::Duration) override {
    last_exec = req;
    cri::v1::ExecResponse r;
    r.set_url(absl::StrCat("http://127.0.0.1:", port, "/exec/token123"));
    return r;
  }
  cri::v1::ExecRequest last_exec;
  int port = 0;
};

class AgentServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/agent_server_test.XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    server_ = std::make_unique<AgentServer>(&runtime_, AgentServerOptions{.port = 0, .data_dir = dir_});
  }
  void TearDown() override {
    server_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string StartPod(const std::string& ns, const std::string& name, const std::string& uid) {
    cri::v1::RunPodSandboxRequest req;
    req.mutable_config()->mutable_metadata()->set_name(name);
    auto& labels = *req.mutable_config()->mutable_labels();
    labels["io.kubernetes.pod.namespace"] = ns;
    labels["io.kubernetes.pod.name"] = name;
    labels["io.kubernetes.pod.uid"] = uid;
    return runtime_.RunPodSandbox(req, absl::Seconds(1))->pod_sandbox_id();
  }

  std::string StartContainer(const std::string& sandbox, const std::string& uid, const std::string& name,
                             uint32_t attempt, const std::string& log) {
    cri::v1::CreateContainerRequest req;
    req.set_pod_sandbox_id(sandbox);
    req.mutable_config()->mutable_metadata()->set_name(name);
    req.mutable_config()->mutable_metadata()->set_attempt(attempt);
    auto& labels = *req.mutable_config()->mutable_labels();
    labels["io.kubernetes.pod.uid"] = uid;
    labels["io.kubernetes.container.name"] = name;
    std::string id = runtime_.CreateContainer(req, absl::Seconds(1))->container_id();
    cri::v1::StartContainerRequest start;
    start.set_container_id(id);
    EXPECT_TRUE(runtime_.StartContainer(start, absl::Seconds(1)).ok());
    std::string log_dir = absl::StrCat(dir_, "/pods/", uid, "/logs/", name);
    std::filesystem::create_directories(log_dir);
    std::ofstream(absl::StrCat(log_dir, "/", attempt, ".log")) << log;
    return id;
  }

  http::HttpRequest Request(const std::string& method, const std::string& path,
                            std::multimap<std::string, std::string> query = {}) {
    http::HttpRequest req;
    req.method = method;
    req.path = path;
    req.query = std::move(query);
    req.peer = http::PeerCertificate{http::kKubeletClientCommonName, {"system:masters"}};
    return req;
  }

  std::string Body(http::HttpResponse resp) {
    EXPECT_EQ(resp.status, 200) << resp.body;
    if (!resp.stream) return resp.body;
    auto sink = std::make_shared<CollectingSink>();
    resp.stream->Start(sink);
    return sink->WaitClosed();
  }

  FakeClock clock_;
  ExecRuntime runtime_{&clock_};
  std::string dir_;
  std::unique_ptr<AgentServer> server_;
};

TEST(ParseAgentRouteTest, KubeletPaths) {
  auto r = ParseAgentRoute("/containerLogs/default/web-0/nginx");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, "containerLogs");
  EXPECT_EQ(r->ns, "default");
  EXPECT_EQ(r->pod, "web-0");
  EXPECT_EQ(r->container, "nginx");
  r = ParseAgentRoute("/portForward/ns1/p");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->kind, "portForward");
  EXPECT_EQ(r->container, "");
  r = ParseAgentRoute("/exec/ns1/p/uid-1/c");
  ASSERT_TRUE(r);
  EXPECT_EQ(r->container, "c");
  EXPECT_FALSE(ParseAgentRoute("/exec/ns1/p"));
  EXPECT_FALSE(ParseAgentRoute("/containerLogs/ns/p"));
  EXPECT_FALSE(ParseAgentRoute("/pods"));
  EXPECT_FALSE(ParseAgentRoute("/"));
}

TEST_F(AgentServerTest, HealthzIsOpenEverythingElseNeedsTheKubeletClient) {
  http::HttpRequest health;
  health.method = "GET";
  health.path = "/healthz";
  EXPECT_EQ(server_->Handle(health).status, 200);
  http::HttpRequest anonymous = Request("GET", "/containerLogs/default/p/c");
  anonymous.peer.reset();
  EXPECT_EQ(server_->Handle(anonymous).status, 401);
  http::HttpRequest admin = Request("GET", "/containerLogs/default/p/c");
  admin.peer->common_name = "admin";
  http::HttpResponse resp = server_->Handle(admin);
  EXPECT_EQ(resp.status, 403);
  EXPECT_NE(resp.body.find("user=admin"), std::string::npos);
  EXPECT_EQ(server_->Handle(Request("GET", "/nope")).status, 404);
}

TEST_F(AgentServerTest, LogsOfTheCurrentAndPreviousAttempt) {
  std::string sb = StartPod("default", "web", "uid-1");
  std::string first = StartContainer(sb, "uid-1", "app", 0, "2024-05-01T10:00:00Z stdout F attempt zero\n");
  runtime_.Exit(first, 1);
  StartContainer(sb, "uid-1", "app", 1,
                 "2024-05-01T10:00:05Z stdout F attempt one\n2024-05-01T10:00:06Z stderr F more\n");
  EXPECT_EQ(Body(server_->Handle(Request("GET", "/containerLogs/default/web/app"))), "attempt one\nmore\n");
  EXPECT_EQ(Body(server_->Handle(Request("GET", "/containerLogs/default/web/app", {{"previous", "true"}}))),
            "attempt zero\n");
  EXPECT_EQ(Body(server_->Handle(Request("GET", "/containerLogs/default/web/app",
                                         {{"tailLines", "1"}, {"timestamps", "true"}}))),
            "2024-05-01T10:00:06Z more\n");
}

TEST_F(AgentServerTest, LogErrorsAreKubernetesStatuses) {
  std::string sb = StartPod("default", "web", "uid-1");
  StartContainer(sb, "uid-1", "app", 0, "2024-05-01T10:00:00Z stdout F only\n");
  http::HttpResponse resp =
      server_->Handle(Request("GET", "/containerLogs/default/web/app", {{"previous", "1"}}));
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find(R"(previous terminated container \"app\" in pod \"web\" not found)"),
            std::string::npos)
      << resp.body;
  resp = server_->Handle(Request("GET", "/containerLogs/default/web/sidecar"));
  EXPECT_EQ(resp.status, 400);
  EXPECT_NE(resp.body.find("is waiting to start"), std::string::npos) << resp.body;
  resp = server_->Handle(Request("GET", "/containerLogs/default/other/app"));
  EXPECT_EQ(resp.status, 404) << resp.body;
  resp = server_->Handle(Request("GET", "/containerLogs/default/web/app", {{"tailLines", "many"}}));
  EXPECT_EQ(resp.status, 400) << resp.body;
}

TEST_F(AgentServerTest, FollowEndsWhenTheContainerExits) {
  std::string sb = StartPod("default", "web", "uid-1");
  std::string id = StartContainer(sb, "uid-1", "app", 0, "2024-05-01T10:00:00Z stdout F before\n");
  http::HttpResponse resp =
      server_->Handle(Request("GET", "/containerLogs/default/web/app", {{"follow", "true"}}));
  ASSERT_TRUE(resp.stream);
  auto sink = std::make_shared<CollectingSink>();
  resp.stream->Start(sink);
  std::this_thread::sleep_for(std::chrono::milliseconds(200));
  std::ofstream(absl::StrCat(dir_, "/pods/uid-1/logs/app/0.log"), std::ios::app)
      << "2024-05-01T10:00:01Z stdout F after\n";
  runtime_.Exit(id, 0);
  EXPECT_EQ(sink->WaitClosed(), "before\nafter\n");
}

TEST_F(AgentServerTest, StopEndsFollowers) {
  std::string sb = StartPod("default", "web", "uid-1");
  StartContainer(sb, "uid-1", "app", 0, "2024-05-01T10:00:00Z stdout F x\n");
  http::HttpResponse resp =
      server_->Handle(Request("GET", "/containerLogs/default/web/app", {{"follow", "true"}}));
  ASSERT_TRUE(resp.stream);
  auto sink = std::make_shared<CollectingSink>();
  resp.stream->Start(sink);
  ASSERT_TRUE(sink->WaitFor("x\n"));
  ASSERT_TRUE(server_->Start().ok());  // Stop needs a started server
  server_->Stop();
  EXPECT_EQ(sink->WaitClosed(), "x\n");
}

TEST_F(AgentServerTest, ExecIsRelayedToTheStreamingServer) {
  FakeStreamingServer streaming;
  runtime_.port = streaming.port();
  std::string sb = StartPod("default", "web", "uid-1");
  std::string id = StartContainer(sb, "uid-1", "app", 0, "");
  http::HttpRequest req = Request("POST", "/exec/default/web/app",
                                  {{"command", "sh"},
                                   {"command", "-c"},
                                   {"command", "echo hi"},
                                   {"stdin", "true"},
                                   {"stdout", "true"},
                                   {"tty", "false"}});
  req.headers["connection"] = "Upgrade";
  req.headers["upgrade"] = "SPDY/3.1";
  req.headers["x-stream-protocol-version"] = "v4.channel.k8s.io,v3.channel.k8s.io";
  req.headers["authorization"] = "Bearer secret";
  http::HttpResponse resp = server_->Handle(req);
  ASSERT_EQ(resp.status, 101) << resp.body;
  ASSERT_TRUE(resp.tunnel);
  EXPECT_EQ(runtime_.last_exec.container_id(), id);
  ASSERT_EQ(runtime_.last_exec.cmd_size(), 3);
  EXPECT_EQ(runtime_.last_exec.cmd(2), "echo hi");
  EXPECT_TRUE(runtime_.last_exec.stdin());
  EXPECT_TRUE(runtime_.last_exec.stdout());
  EXPECT_FALSE(runtime_.last_exec.stderr());
  std::string head = streaming.head();
  EXPECT_NE(head.find("POST /exec/token123 HTTP/1.1"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Stream-Protocol-Version: v4.channel.k8s.io\r\n"), std::string::npos) << head;
  EXPECT_NE(head.find("X-Stream-Protocol-Version: v3.channel.k8s.io"), std::string::npos) << head;
  EXPECT_EQ(head.find("secret"), std::string::npos) << head;
  bool upgrade_header = false;
  for (const auto& [name, value] : resp.headers) upgrade_header |= name == "Upgrade" && value == "SPDY/3.1";
  EXPECT_TRUE(upgrade_header);

  auto client = std::make_shared<FakeTunnelEnd>();
  resp.tunnel->Start(client);
  EXPECT_TRUE(client->WaitReceived("EARLY")) << client->received();
  client->Type("hello");
  EXPECT_TRUE(client->WaitReceived("EARLYHELLO")) << client->received();
  client->Type("quit");  // the upstream hangs up: the client side is closed too
  EXPECT_TRUE(client->WaitClosed());
}

}  // namespace
}  // namespace skiff::agent::server
