#include "agent/node/pod_cidr_watcher.h"

#include <mutex>
#include <thread>
#include <vector>

#include "boost/json.hpp"
#include "client/testing/test_api_server.h"
#include "gtest/gtest.h"

namespace skiff::agent::node {
namespace {

namespace json = boost::json;

TEST(PodCidrWatcher, ReportsThePodCidrOfItsOwnNodeOnceAndOnChange) {
  client::testing::TestApiServer server;
  const auto& nodes = client::Resource("", "v1", "nodes");
  for (const char* name : {"node-a", "node-b"}) {
    json::value node = json::object{{"metadata", json::object{{"name", name}}}};
    ASSERT_TRUE(server.client()->Create(nodes, "", node).ok());
  }
  std::mutex mu;
  std::vector<std::string> seen;
  client::SharedInformers informers(server.client());
  PodCidrWatcher watcher(&informers, "node-a", [&](const std::string& cidr) {
    std::lock_guard lock(mu);
    seen.push_back(cidr);
  });
  watcher.Start();
  auto set_cidr = [&](const char* name, const char* cidr) {
    json::value patch = json::object{{"spec", json::object{{"podCIDR", cidr}}}};
    ASSERT_TRUE(server.client()->Patch(nodes, "", name, client::PatchType::kMerge, patch).ok());
  };
  auto wait_for = [&](size_t n) {
    for (int i = 0; i < 300; ++i) {
      {
        std::lock_guard lock(mu);
        if (seen.size() >= n) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
  };
  set_cidr("node-b", "10.42.9.0/24");  // not ours
  set_cidr("node-a", "10.42.1.0/24");
  wait_for(1);
  // An unrelated change of our node reports nothing new.
  json::value label = json::object{{"metadata", json::object{{"labels", json::object{{"a", "b"}}}}}};
  ASSERT_TRUE(server.client()->Patch(nodes, "", "node-a", client::PatchType::kMerge, label).ok());
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  {
    std::lock_guard lock(mu);
    EXPECT_EQ(seen, std::vector<std::string>{"10.42.1.0/24"});
  }
  EXPECT_EQ(watcher.current(), "10.42.1.0/24");
  watcher.Stop();
}

}  // namespace
}  // namespace skiff::agent::node
