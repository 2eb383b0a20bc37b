// PeerRouter against an in-process API server, programming a fresh network namespace in which a
// veth "eth0" holds this node's IP: routes follow the Nodes (added, moved to VXLAN, removed with
// their Node), and the node publishes its VXLAN endpoint.
#include <chrono>
#include <memory>
#include <thread>

#include "absl/strings/match.h"
#include "agent/node/peer_network.h"
#include "agent/node/peer_router.h"
#include "agent/node/pod_masquerade.h"
#include "agent/proxy/netns.h"
#include "base/json.h"
#include "base/process.h"
#include "boost/json.hpp"
#include "client/testing/test_api_server.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::node {
namespace {

namespace json = boost::json;
using ::testing::HasSubstr;
using ::testing::Not;

const api::ResourceInfo& Nodes() { return client::Resource("", "v1", "nodes"); }

class PeerRouterNetnsTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto ns = proxy::Netns::Create();
    ASSERT_TRUE(ns.ok()) << "network namespaces need root: " << ns.status();
    ns_ = std::move(*ns);
    absl::Status made = ns_->Exec(
        "ip link set lo up && ip link add eth0 type veth peer name eth0p && ip link set eth0p up && "
        "ip addr add 10.199.0.10/24 dev eth0 && ip link set eth0 up");
    ASSERT_TRUE(made.ok()) << made;
    AddNode("self", "10.199.0.10", "10.42.0.0/24", "");
    AddNode("near", "10.199.0.11", "10.42.1.0/24", "");
    AddNode("far", "192.0.2.7", "10.42.2.0/24", "02:00:00:00:00:07");
  }

  void TearDown() override {
    if (router_) {
      ASSERT_TRUE(ns_->Run([&] { router_->Stop(); }).ok());
    }
    router_.reset();
    informers_.reset();
  }

  void AddNode(const std::string& name, const std::string& ip, const std::string& cidr,
               const std::string& mac) {
    json::object meta{{"name", name}};
    if (!mac.empty()) {
      meta["annotations"] =
          json::object{{kBackendDataAnnotation, base::ToJson(json::object{{"VNI", 1}, {"VtepMAC", mac}})}};
    }
    ASSERT_TRUE(server_.client()
                    ->Create(Nodes(), "", json::object{{"metadata", meta}, {"spec", {{"podCIDR", cidr}}}})
                    .ok());
    SetIp(name, ip);
  }

  void SetIp(const std::string& name, const std::string& ip) {
    json::value status = json::object{
        {"status", {{"addresses", json::array{json::object{{"type", "InternalIP"}, {"address", ip}}}}}}};
    ASSERT_TRUE(server_.client()
                    ->Patch(Nodes(), "", name, client::PatchType::kMerge, status, {.subresource = "status"})
                    .ok());
  }

  void StartRouter(Backend backend) {
    informers_ = std::make_unique<client::SharedInformers>(server_.client());
    informers_->Start();
    router_ = std::make_unique<PeerRouter>(
        server_.client(), informers_.get(),
        PeerRouterOptions{.node_name = "self", .node_ip = "10.199.0.10", .backend = backend});
    absl::Status started;
    // The router's thread is created inside the namespace and stays there.
    ASSERT_TRUE(ns_->Run([&] { started = router_->Start(); }).ok());
    ASSERT_TRUE(started.ok()) << started;
  }

  std::string In(const std::vector<std::string>& command) {
    std::string out;
    EXPECT_TRUE(ns_->Run([&] {
                     auto r = base::RunCommand(command, absl::Seconds(10));
                     if (r.ok()) out = r->output;
                   })
                    .ok());
    return out;
  }

  // Waits up to 10 s for the output of `command` to satisfy `ok`; returns the last output.
  std::string WaitOutput(const std::vector<std::string>& command,
                         const std::function<bool(const std::string&)>& ok) {
    std::string out;
    for (int i = 0; i < 200; ++i) {
      out = In(command);
      if (ok(out)) break;
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return out;
  }
  std::string WaitRoutes(const std::function<bool(const std::string&)>& ok) {
    return WaitOutput({"ip", "route", "show", "proto", "157"}, ok);
  }

  client::testing::TestApiServer server_;
  std::unique_ptr<proxy::Netns> ns_;
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<PeerRouter> router_;
};

TEST_F(PeerRouterNetnsTest, AutoRoutesPeersAndFollowsNodeChanges) {
  StartRouter(Backend::kAuto);
  std::string routes = WaitRoutes([](const std::string& r) {
    return absl::StrContains(r, "10.42.1.0/24 via 10.199.0.11") && absl::StrContains(r, "10.42.2.0/24");
  });
  EXPECT_THAT(routes, HasSubstr("10.42.1.0/24 via 10.199.0.11 dev eth0"));
  EXPECT_THAT(routes, HasSubstr("10.42.2.0/24 via 10.42.2.0 dev skiff.1 onlink"));
  EXPECT_THAT(In({"bridge", "fdb", "show", "dev", kVxlanDevice}),
              HasSubstr("02:00:00:00:00:07 dst 192.0.2.7"));
  EXPECT_THAT(In({"nft", "list", "table", "ip", kMasqueradeTable}), HasSubstr("masquerade"));

  // The node publishes its own VXLAN endpoint (the device's MAC) and public IP.
  std::string mac;
  for (int i = 0; i < 200 && mac.empty(); ++i) {
    auto self = server_.client()->Get(Nodes(), "", "self");
    ASSERT_TRUE(self.ok());
    const json::value* data = base::FindPath(**self, {"metadata", "annotations", kBackendDataAnnotation});
    if (data != nullptr) mac = base::GetString(json::parse(data->as_string()), {"VtepMAC"});
    if (mac.empty()) std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_FALSE(mac.empty());
  EXPECT_THAT(In({"ip", "link", "show", "dev", kVxlanDevice}), HasSubstr(mac));

  // "near" moves off the segment (and has no vtep MAC): no route until it publishes one.
  SetIp("near", "198.51.100.4");
  routes = WaitRoutes([](const std::string& r) { return !absl::StrContains(r, "10.42.1.0/24"); });
  EXPECT_THAT(routes, Not(HasSubstr("10.42.1.0/24")));
  // "far" is deleted: its route, neighbour and FDB entries go.
  ASSERT_TRUE(server_.client()->Delete(Nodes(), "", "far").ok());
  routes = WaitRoutes([](const std::string& r) { return !absl::StrContains(r, "10.42.2.0/24"); });
  EXPECT_THAT(routes, Not(HasSubstr("10.42.2.0/24")));
  // (Entries go after the route, in the same pass.)
  EXPECT_THAT(WaitOutput({"bridge", "fdb", "show", "dev", kVxlanDevice},
                         [](const std::string& fdb) { return !absl::StrContains(fdb, "02:00:00:00:00:07"); }),
              Not(HasSubstr("02:00:00:00:00:07")));
}

TEST_F(PeerRouterNetnsTest, HostGwRoutesOnlyPeersOnTheSegmentAndMakesNoDevice) {
  StartRouter(Backend::kHostGw);
  std::string routes = WaitRoutes([](const std::string& r) { return absl::StrContains(r, "10.42.1.0/24"); });
  EXPECT_THAT(routes, HasSubstr("10.42.1.0/24 via 10.199.0.11"));
  EXPECT_THAT(routes, Not(HasSubstr("10.42.2.0/24")));
  EXPECT_THAT(In({"ip", "link", "show"}), Not(HasSubstr(kVxlanDevice)));
}

}  // namespace
}  // namespace skiff::agent::node
