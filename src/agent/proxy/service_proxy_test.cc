// ServiceProxy end to end: a real in-process API server, real nftables rules in a fresh network
// namespace ("the node"), and real TCP connections from the node and from a second namespace
// ("a pod", joined to the node by a veth pair whose node end is the pod bridge skiff0).
#include "agent/proxy/service_proxy.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <set>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/proxy/activator.h"
#include "agent/proxy/netns.h"
#include "agent/proxy/nft.h"
#include "base/json.h"
#include "boost/json/parse.hpp"
#include "client/testing/test_api_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::proxy {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

// A TCP server in a namespace: answers every connection with "<peer address> <local port>".
class EchoServer {
 public:
  EchoServer(Netns& ns, int port) : port_(port) {
    EXPECT_TRUE(
        ns.Run([&] {
            fd_ = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            int one = 1;
            setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
            sockaddr_in addr{.sin_family = AF_INET, .sin_port = htons(port), .sin_addr = {INADDR_ANY}};
            EXPECT_EQ(bind(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0) << strerror(errno);
            EXPECT_EQ(listen(fd_, 64), 0);
          }).ok());
    thread_ = std::thread([this] {
      while (true) {
        sockaddr_in peer{};
        socklen_t len = sizeof(peer);
        int c = accept(fd_, reinterpret_cast<sockaddr*>(&peer), &len);
        if (c < 0) return;  // shut down
        char ip[INET_ADDRSTRLEN] = {};
        inet_ntop(AF_INET, &peer.sin_addr, ip, sizeof(ip));
        std::string reply = absl::StrCat(ip, " ", port_);
        (void)!write(c, reply.data(), reply.size());
        close(c);
      }
    });
  }
  ~EchoServer() {
    shutdown(fd_, SHUT_RDWR);
    thread_.join();
    close(fd_);
  }

 private:
  int port_;
  int fd_ = -1;
  std::thread thread_;
};

// Connects from inside `ns`; returns the server's reply, or the errno text ("Connection refused").
std::string Connect(Netns& ns, const std::string& ip, int port, absl::Duration timeout = absl::Seconds(2)) {
  std::string result;
  EXPECT_TRUE(ns.Run([&] {
                  int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
                  sockaddr_in addr{.sin_family = AF_INET, .sin_port = htons(port)};
                  inet_pton(AF_INET, ip.c_str(), &addr.sin_addr);
                  int rc = connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr));
                  pollfd p{.fd = fd, .events = POLLIN};
                  if (rc != 0 && errno != EINPROGRESS) {
                    result = strerror(errno);
                  } else if (poll(&p, 1, static_cast<int>(absl::ToInt64Milliseconds(timeout))) != 1) {
                    result = "timeout";
                  } else {
                    int err = 0;
                    socklen_t len = sizeof(err);
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len);
                    char buf[64] = {};
                    ssize_t n = err == 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
                    result = err != 0 ? strerror(err) : n > 0 ? std::string(buf, n) : "empty reply";
                  }
                  close(fd);
                }).ok());
  return result;
}

class ServiceProxyTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto node = Netns::Create();
    ASSERT_TRUE(node.ok()) << "network namespaces need root: " << node.status();
    node_ = std::move(*node);
    pod_ = std::move(*Netns::Create());
    ASSERT_TRUE(
        node_
            ->Exec(absl::StrCat("ip link set lo up && ip link add skiff0 type veth peer name eth0 netns ",
                                pod_->path(),
                                " && ip addr add 10.1.0.1/24 dev skiff0 && ip link set skiff0 up"
                                // An uplink with the default route, as every node has (the
                                // route lookup precedes DNAT for the node's own traffic).
                                // Its far end sits unconfigured in the pod namespace.
                                " && ip link add uplink type veth peer name up0 netns ",
                                pod_->path(),
                                " && ip link set uplink up"
                                " && ip addr add 192.0.2.1/24 dev uplink && ip route add default dev uplink"
                                " && echo 1 > /proc/sys/net/ipv4/ip_forward"))
            .ok());
    ASSERT_TRUE(pod_->Exec("ip link set lo up && ip addr add 10.1.0.2/24 dev eth0 && ip link set eth0 up"
                           " && ip route add default via 10.1.0.1")
                    .ok());
    options_.node_name = "n1";
    options_.node_ips = {"10.1.0.1"};
    options_.sync_delay = absl::Milliseconds(2);
    Create(services_, R"({"metadata":{"name":"web"},"spec":{"type":"NodePort","clusterIP":"10.96.0.10",
        "ports":[{"port":80,"targetPort":8080,"nodePort":30080,"protocol":"TCP"}]}})");
    Create(services_, R"({"metadata":{"name":"empty"},"spec":{"clusterIP":"10.96.0.11",
        "ports":[{"port":80,"protocol":"TCP"}]}})");
    Create(slices_, Slice(8080));
  }
  void TearDown() override {
    if (proxy_) proxy_->Stop();
  }

  static std::string Slice(int port) {
    return absl::StrCat(R"({"metadata":{"name":"web-1","labels":{"kubernetes.io/service-name":"web"}},
        "addressType":"IPv4","ports":[{"name":"","port":)",
                        port, R"(,"protocol":"TCP"}],
        "endpoints":[{"addresses":["10.1.0.2"],"conditions":{"ready":true},"nodeName":"n1"}]})");
  }
  void Create(const api::ResourceInfo& r, const std::string& json) {
    auto created = api_.client()->Create(r, "default", boost::json::parse(json));
    ASSERT_TRUE(created.ok()) << created.status();
  }
  void StartProxy() {
    proxy_ = std::make_unique<ServiceProxy>(&informers_, options_);
    absl::Status started;
    ASSERT_TRUE(node_->Run([&] { started = proxy_->Start(); }).ok());
    ASSERT_TRUE(started.ok()) << started;
    ASSERT_TRUE(proxy_->WaitForFirstSync(absl::Seconds(10)));
  }
  // Polls until a connection gives `want` (rules apply asynchronously after a write).
  std::string ConnectUntil(Netns& ns, const std::string& ip, int port, const std::string& want) {
    std::string got;
    for (absl::Time deadline = absl::Now() + absl::Seconds(5); absl::Now() < deadline;) {
      got = Connect(ns, ip, port, absl::Milliseconds(300));
      if (got == want) break;
      absl::SleepFor(absl::Milliseconds(20));
    }
    return got;
  }

  client::testing::TestApiServer api_;
  client::SharedInformers informers_{api_.client()};
  const api::ResourceInfo& services_ = client::Resource("", "v1", "services");
  const api::ResourceInfo& slices_ = client::Resource("discovery.k8s.io", "v1", "endpointslices");
  std::unique_ptr<Netns> node_, pod_;
  ProxyOptions options_;
  std::unique_ptr<ServiceProxy> proxy_;
};

TEST_F(ServiceProxyTest, ClusterIpFromTheNodeAndHairpinFromThePod) {
  EchoServer server(*pod_, 8080);
  StartProxy();
  // The node's own traffic is masqueraded to the bridge address.
  EXPECT_EQ(Connect(*node_, "10.96.0.10", 80), "10.1.0.1 8080");
  // The pod reaches itself through its service: hairpin traffic is masqueraded too (without it the
  // pod would drop a packet carrying its own source address).
  EXPECT_EQ(Connect(*pod_, "10.96.0.10", 80), "10.1.0.1 8080");
  SyncStats stats = proxy_->stats();
  EXPECT_EQ(stats.full_syncs, 1);
  EXPECT_EQ(stats.services, 2u);
  EXPECT_EQ(stats.failed_syncs, 0);
}

TEST_F(ServiceProxyTest, ServicesWithoutEndpointsRefuseAtOnce) {
  EchoServer server(*pod_, 8080);
  StartProxy();
  for (Netns* from : {node_.get(), pod_.get()}) {
    const absl::Time start = absl::Now();
    EXPECT_EQ(Connect(*from, "10.96.0.11", 80), "Connection refused");
    EXPECT_EQ(Connect(*from, "10.96.0.10", 81), "Connection refused");  // a port the ClusterIP does not serve
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
  }
}

// Without the service CIDR rule these connections would follow the default route (the uplink)
// and time out unanswered.
TEST_F(ServiceProxyTest, UnallocatedServiceAddressesRefuseAtOnce) {
  EchoServer server(*pod_, 8080);
  EchoServer dns(*node_, 5353);  // a VIP the node serves itself (as the cluster DNS)
  ASSERT_TRUE(node_->Exec("ip addr add 10.96.0.53/32 dev lo").ok());
  options_.service_cidrs = {"10.96.0.0/16"};
  options_.local_service_ips = {"10.96.0.53"};
  StartProxy();
  for (Netns* from : {node_.get(), pod_.get()}) {  // the output and the forward path
    const absl::Time start = absl::Now();
    EXPECT_EQ(Connect(*from, "10.96.200.1", 80), "Connection refused");
    EXPECT_EQ(Connect(*from, "10.96.0.10", 81), "Connection refused");  // a port the ClusterIP lacks
    EXPECT_LT(absl::Now() - start, absl::Milliseconds(500));
    EXPECT_EQ(Connect(*from, "10.96.0.10", 80), "10.1.0.1 8080");  // allocated: served
  }
  EXPECT_THAT(Connect(*node_, "10.96.0.53", 5353), HasSubstr(" 5353"));
  EXPECT_EQ(Connect(*node_, "10.97.0.1", 80, absl::Milliseconds(300)), "timeout");  // outside the CIDR
  // The address is served once a Service holds it, and refused again when it goes.
  Create(services_, R"({"metadata":{"name":"late"},"spec":{"clusterIP":"10.96.200.1",
      "ports":[{"port":80,"targetPort":8080,"protocol":"TCP"}]}})");
  Create(slices_, R"({"metadata":{"name":"late-1","labels":{"kubernetes.io/service-name":"late"}},
      "addressType":"IPv4","ports":[{"name":"","port":8080,"protocol":"TCP"}],
      "endpoints":[{"addresses":["10.1.0.2"],"conditions":{"ready":true},"nodeName":"n1"}]})");
  EXPECT_EQ(ConnectUntil(*pod_, "10.96.200.1", 80, "10.1.0.1 8080"), "10.1.0.1 8080");
  ASSERT_TRUE(api_.client()->Delete(services_, "default", "late").ok());
  EXPECT_EQ(ConnectUntil(*pod_, "10.96.200.1", 80, "Connection refused"), "Connection refused");
  EXPECT_EQ(proxy_->stats().failed_syncs, 0);
}

TEST_F(ServiceProxyTest, StartRefusesAnInvalidServiceCidr) {
  options_.service_cidrs = {"10.96.0.0"};
  ServiceProxy proxy(&informers_, options_);
  absl::Status started;
  ASSERT_TRUE(node_->Run([&] { started = proxy.Start(); }).ok());
  EXPECT_EQ(started.code(), absl::StatusCode::kInvalidArgument) << started;
  EXPECT_THAT(std::string(started.message()), HasSubstr("10.96.0.0"));
}

TEST_F(ServiceProxyTest, NodePortsOnNodeIpAndLocalhost) {
  EchoServer server(*pod_, 8080);
  StartProxy();
  EXPECT_EQ(Connect(*node_, "127.0.0.1", 30080), "10.1.0.1 8080");
  EXPECT_EQ(Connect(*pod_, "10.1.0.1", 30080), "10.1.0.1 8080");
  EXPECT_EQ(Connect(*node_, "127.0.0.1", 30081), "Connection refused");  // nothing there
}

TEST_F(ServiceProxyTest, EndpointChangesApplyIncrementally) {
  EchoServer a(*pod_, 8080);
  EchoServer b(*pod_, 8081);
  StartProxy();
  ASSERT_EQ(Connect(*node_, "10.96.0.10", 80), "10.1.0.1 8080");
  auto slice = api_.client()->Get(slices_, "default", "web-1");
  ASSERT_TRUE(slice.ok());
  boost::json::value moved = boost::json::parse(Slice(8081));
  moved.as_object()["metadata"].as_object()["resourceVersion"] =
      (**slice).at("metadata").at("resourceVersion");
  ASSERT_TRUE(api_.client()->Update(slices_, "default", moved).ok());
  EXPECT_EQ(ConnectUntil(*node_, "10.96.0.10", 80, "10.1.0.1 8081"), "10.1.0.1 8081");
  SyncStats stats = proxy_->stats();
  EXPECT_EQ(stats.full_syncs, 1);
  EXPECT_GE(stats.partial_syncs, 1);
  EXPECT_EQ(stats.last_changed_services, 1u);

  ASSERT_TRUE(api_.client()->Delete(slices_, "default", "web-1").ok());
  EXPECT_EQ(ConnectUntil(*node_, "10.96.0.10", 80, "Connection refused"), "Connection refused");
  ASSERT_TRUE(api_.client()->Delete(services_, "default", "web").ok());
  // Deleted service: no rules at all (packets to the address leave through the uplink, unanswered).
  EXPECT_EQ(ConnectUntil(*node_, "10.96.0.10", 80, "timeout"), "timeout");
  EXPECT_EQ(proxy_->stats().failed_syncs, 0);
}

TEST_F(ServiceProxyTest, SessionAffinityKeepsAClientOnOneEndpoint) {
  EchoServer a(*pod_, 8080);
  EchoServer b(*pod_, 8081);
  Create(services_,
         R"({"metadata":{"name":"sticky"},"spec":{"clusterIP":"10.96.0.12","sessionAffinity":"ClientIP",
      "ports":[{"name":"a","port":80,"protocol":"TCP"}]}})");
  // Two endpoints (one pod, two ports); "spread" has the same pair without affinity, to show that
  // the balancing itself does spread connections.
  Create(slices_, R"({"metadata":{"name":"sticky-1","labels":{"kubernetes.io/service-name":"sticky"}},
      "addressType":"IPv4","ports":[{"name":"a","port":8080,"protocol":"TCP"}],
      "endpoints":[{"addresses":["10.1.0.2"]}]})");
  Create(slices_, R"({"metadata":{"name":"sticky-2","labels":{"kubernetes.io/service-name":"sticky"}},
      "addressType":"IPv4","ports":[{"name":"a","port":8081,"protocol":"TCP"}],
      "endpoints":[{"addresses":["10.1.0.2"]}]})");
  Create(services_, R"({"metadata":{"name":"spread"},"spec":{"clusterIP":"10.96.0.13",
      "ports":[{"name":"a","port":80,"protocol":"TCP"}]}})");
  Create(slices_, R"({"metadata":{"name":"spread-1","labels":{"kubernetes.io/service-name":"spread"}},
      "addressType":"IPv4","ports":[{"name":"a","port":8080,"protocol":"TCP"}],
      "endpoints":[{"addresses":["10.1.0.2"]}]})");
  Create(slices_, R"({"metadata":{"name":"spread-2","labels":{"kubernetes.io/service-name":"spread"}},
      "addressType":"IPv4","ports":[{"name":"a","port":8081,"protocol":"TCP"}],
      "endpoints":[{"addresses":["10.1.0.2"]}]})");
  StartProxy();
  std::set<std::string> sticky, spread;
  for (int i = 0; i < 16; ++i) {
    sticky.insert(Connect(*pod_, "10.96.0.12", 80));
    spread.insert(Connect(*pod_, "10.96.0.13", 80));
  }
  EXPECT_EQ(sticky.size(), 1u) << *sticky.begin();
  EXPECT_EQ(spread.size(), 2u);  // fails with probability 2^-15
  EXPECT_THAT(*sticky.begin(), HasSubstr("10.1.0.1 808"));
}

TEST_F(ServiceProxyTest, StopLeavesRulesAndRestartResyncs) {
  EchoServer server(*pod_, 8080);
  StartProxy();
  proxy_->Stop();
  EXPECT_EQ(Connect(*node_, "10.96.0.10", 80), "10.1.0.1 8080");
  // A stale chain left by a previous run disappears with the restart's full sync.
  std::string listing;
  ASSERT_TRUE(node_
                  ->Run([&] {
                    auto nft = Nft::Create();
                    ASSERT_TRUE(nft.ok());
                    ASSERT_TRUE((*nft)->Run("add chain ip skiff-proxy service-STALE-default/old/tcp/").ok());
                  })
                  .ok());
  StartProxy();
  EXPECT_EQ(Connect(*node_, "10.96.0.10", 80), "10.1.0.1 8080");
  absl::Status deleted;
  ASSERT_TRUE(node_
                  ->Run([&] {
                    auto nft = Nft::Create();
                    ASSERT_TRUE(nft.ok());
                    listing = *(*nft)->Run("list table ip skiff-proxy");
                    proxy_->Stop();
                    deleted = DeleteProxyTable("skiff-proxy");
                  })
                  .ok());
  EXPECT_THAT(listing, Not(HasSubstr("STALE")));
  EXPECT_THAT(listing, HasSubstr("dnat to 10.1.0.2:8080"));
  EXPECT_TRUE(deleted.ok()) << deleted;
  EXPECT_EQ(Connect(*node_, "10.96.0.10", 80, absl::Milliseconds(300)), "timeout");
}

// Scale to zero on real sockets and nftables: the "empty" Service, described by an HPA with
// minReplicas 0, is redirected to the activator; a held connection scales the Deployment to 1 and
// is spliced to the endpoint once the proxy programmed it, after which the rules lead straight to
// the pod again.
class ActivatorTest : public ServiceProxyTest {
 protected:
  void SetUp() override {
    ServiceProxyTest::SetUp();
    if (HasFatalFailure()) return;
    Create(client::Resource("apps", "v1", "deployments"), R"({"metadata":{"name":"app"},"spec":{"replicas":0,
        "selector":{"matchLabels":{"app":"a"}},"template":{"metadata":{"labels":{"app":"a"}},
        "spec":{"containers":[{"name":"c","image":"busybox"}]}}}})");
    Create(client::Resource("autoscaling", "v2", "horizontalpodautoscalers"), R"({"metadata":{"name":"app"},
        "spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"app"},
        "minReplicas":0,"maxReplicas":2,"metrics":[{"type":"Object","object":{
          "metric":{"name":"requests-per-second"},"describedObject":{"apiVersion":"v1","kind":"Service","name":"empty"},
          "target":{"type":"AverageValue","averageValue":"1"}}}]}})");
  }
  void TearDown() override {
    if (activator_) activator_->Stop();
    ServiceProxyTest::TearDown();
  }
  void StartWithActivator(ActivatorOptions activator_options) {
    activator_ = std::make_unique<Activator>(api_.client(), &table_, activator_options);
    absl::Status started;
    ASSERT_TRUE(node_->Run([&] { started = activator_->Start(); }).ok());
    ASSERT_TRUE(started.ok()) << started;
    options_.activator_port = activator_->port();
    options_.count_connections = true;
    options_.rate_sample_period = absl::Milliseconds(100);
    proxy_ = std::make_unique<ServiceProxy>(&informers_, options_, &table_);
    ASSERT_TRUE(node_->Run([&] { started = proxy_->Start(); }).ok());
    ASSERT_TRUE(started.ok()) << started;
    ASSERT_TRUE(proxy_->WaitForFirstSync(absl::Seconds(10)));
  }
  int64_t Replicas() {
    auto d = api_.client()->Get(client::Resource("apps", "v1", "deployments"), "default", "app");
    return d.ok() ? base::GetInt(**d, {"spec", "replicas"}, -1) : -1;
  }
  std::string Table() {
    std::string text;
    EXPECT_TRUE(node_->Run([&] {
                       auto nft = Nft::Create();  // its netlink socket must be the node's
                       if (nft.ok()) text = (*nft)->Run("list table ip skiff-proxy").value_or("");
                     }).ok());
    return text;
  }

  ActivationTable table_;
  std::unique_ptr<Activator> activator_;
};

TEST_F(ActivatorTest, HeldConnectionsScaleOnceAndReachTheFirstEndpoint) {
  EchoServer server(*pod_, 8080);
  StartWithActivator({.timeout = absl::Seconds(8)});
  EXPECT_THAT(Table(), HasSubstr("redirect to :" + std::to_string(activator_->port())));
  std::string from_pod, from_node;
  std::thread a([&] { from_pod = Connect(*pod_, "10.96.0.11", 80, absl::Seconds(8)); });
  std::thread b([&] { from_node = Connect(*node_, "10.96.0.11", 80, absl::Seconds(8)); });
  for (absl::Time deadline = absl::Now() + absl::Seconds(5); Replicas() != 1 && absl::Now() < deadline;)
    absl::SleepFor(absl::Milliseconds(20));
  ASSERT_EQ(Replicas(), 1);
  absl::SleepFor(absl::Milliseconds(200));  // both connections are held by now
  EXPECT_EQ(activator_->stats().held, 2);
  Create(slices_, R"({"metadata":{"name":"empty-1","labels":{"kubernetes.io/service-name":"empty"}},
      "addressType":"IPv4","ports":[{"name":"","port":8080,"protocol":"TCP"}],
      "endpoints":[{"addresses":["10.1.0.2"],"conditions":{"ready":true},"nodeName":"n1"}]})");
  a.join();
  b.join();
  // The activator connects from the node (its bridge address) to the pod.
  EXPECT_EQ(from_pod, "10.1.0.1 8080");
  EXPECT_EQ(from_node, "10.1.0.1 8080");
  ActivatorStats stats = activator_->stats();
  EXPECT_EQ(stats.scale_writes, 1);  // one write however many connections waited
  EXPECT_EQ(stats.spliced, 2);
  EXPECT_EQ(stats.held, 0);
  // Endpoints exist: no activate chain, the next connection goes to the pod directly.
  EXPECT_THAT(Table(), Not(HasSubstr("activate-")));
  EXPECT_EQ(Connect(*pod_, "10.96.0.11", 80), "10.1.0.1 8080");
  EXPECT_EQ(activator_->stats().accepted, 2);
  // Every connection was counted on the Service, held or not.
  for (absl::Time deadline = absl::Now() + absl::Seconds(3);
       proxy_->connection_rates().Rates()["default/empty"] <= 0 && absl::Now() < deadline;) {
    absl::SleepFor(absl::Milliseconds(50));
  }
  EXPECT_GT(proxy_->connection_rates().Rates()["default/empty"], 0);
  EXPECT_THAT(Table(), HasSubstr("packets 3 "));
}

TEST_F(ActivatorTest, OverflowIsResetAndTimeoutsEndHeldConnections) {
  EchoServer server(*pod_, 8080);
  StartWithActivator({.timeout = absl::Seconds(1), .max_held = 1});
  std::string first;
  const absl::Time start = absl::Now();
  std::thread held([&] { first = Connect(*pod_, "10.96.0.11", 80, absl::Seconds(5)); });
  for (absl::Time deadline = absl::Now() + absl::Seconds(2); activator_->stats().held != 1 && absl::Now() < deadline;)
    absl::SleepFor(absl::Milliseconds(10));
  EXPECT_EQ(Connect(*pod_, "10.96.0.11", 80), "Connection reset by peer");  // over the bound: at once
  held.join();
  // No endpoint within the timeout: the held connection is reset (it sent nothing HTTP-like).
  EXPECT_EQ(first, "Connection reset by peer");
  EXPECT_GE(absl::Now() - start, absl::Seconds(1));
  ActivatorStats stats = activator_->stats();
  EXPECT_EQ(stats.rejected, 1);
  EXPECT_EQ(stats.timed_out, 1);
  EXPECT_EQ(Replicas(), 1);
}

TEST(ActivatorHttpTest, RecognizesHttpRequestLines) {
  EXPECT_TRUE(LooksLikeHttp("GET / HTTP/1.1\r\n"));
  EXPECT_TRUE(LooksLikeHttp("POST /x"));
  EXPECT_FALSE(LooksLikeHttp("\x16\x03\x01"));  // a TLS client hello
  EXPECT_FALSE(LooksLikeHttp("GE"));
  EXPECT_FALSE(LooksLikeHttp(""));
}

}  // namespace
}  // namespace skiff::agent::proxy
