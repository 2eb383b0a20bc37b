#include "agent/proxy/activation_table.h"

#include <thread>

#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::proxy {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

ActivationEntry Web(std::vector<Backend> backends = {}) {
  return ActivationEntry{.ns = "default",
                         .name = "web",
                         .target = {"apps/v1", "Deployment", "web"},
                         .ips = {"10.96.0.10", "192.0.2.5"},
                         .ports = {{.name = "http", .port = 80, .node_port = 30080, .backends = backends},
                                   {.name = "admin", .port = 9000}}};
}

TEST(ActivationTableTest, ResolvesServiceAddressesAndNodePorts) {
  ActivationTable table;
  table.Set("default/web", Web());
  for (auto [ip, port, want] : std::vector<std::tuple<std::string, int, std::string>>{
           {"10.96.0.10", 80, "http"}, {"192.0.2.5", 9000, "admin"}, {"127.0.0.1", 30080, "http"},
           {"10.0.0.7", 30080, "http"}}) {
    std::optional<ActivationTable::Match> m = table.Resolve(ip, port);
    ASSERT_TRUE(m) << ip << ":" << port;
    EXPECT_EQ(m->key, "default/web");
    EXPECT_EQ(m->port_name, want);
    EXPECT_EQ(m->ns, "default");
    EXPECT_EQ(m->target, (ScaleTarget{"apps/v1", "Deployment", "web"}));
  }
  EXPECT_FALSE(table.Resolve("10.96.0.10", 81));
  EXPECT_FALSE(table.Resolve("10.96.0.11", 80));
  table.Set("default/web", std::nullopt);
  EXPECT_FALSE(table.Resolve("10.96.0.10", 80));
}

TEST(ActivationTableTest, ActivationAddressIsTheClusterIpPortOfAMarkedService) {
  ActivationTable table;
  table.Set("default/web", Web());
  EXPECT_EQ(table.ActivationAddress("default/web", "admin", 0), (Backend{"10.96.0.10", 9000}));
  EXPECT_EQ(table.ActivationAddress("default/web", "", 80), (Backend{"10.96.0.10", 80}));
  EXPECT_FALSE(table.ActivationAddress("default/web", "", 81));
  EXPECT_FALSE(table.ActivationAddress("default/other", "http", 0));
}

TEST(ActivationTableTest, WaitersWakeWhenBackendsArePublished) {
  ActivationTable table;
  table.Set("default/web", Web());
  std::vector<Backend> got;
  std::thread waiter([&] { got = table.WaitForBackends("default/web", "http", absl::Now() + absl::Seconds(10)); });
  absl::SleepFor(absl::Milliseconds(50));
  table.Set("default/web", Web({{"10.1.0.2", 8080}}));
  waiter.join();
  EXPECT_THAT(got, ElementsAre(Backend{"10.1.0.2", 8080}));
}

TEST(ActivationTableTest, WaitEndsEmptyAtTheDeadlineWhenTheServiceGoesOrOnClose) {
  ActivationTable table;
  table.Set("default/web", Web());
  const absl::Time start = absl::Now();
  EXPECT_THAT(table.WaitForBackends("default/web", "http", start + absl::Milliseconds(100)), IsEmpty());
  EXPECT_GE(absl::Now() - start, absl::Milliseconds(100));
  EXPECT_THAT(table.WaitForBackends("default/other", "http", absl::Now() + absl::Seconds(10)), IsEmpty());
  std::vector<Backend> got = {{"x", 1}};
  std::thread waiter([&] { got = table.WaitForBackends("default/web", "http", absl::Now() + absl::Seconds(10)); });
  absl::SleepFor(absl::Milliseconds(50));
  table.Set("default/web", std::nullopt);
  waiter.join();
  EXPECT_THAT(got, IsEmpty());
  table.Set("default/web", Web());
  std::thread closed([&] { got = table.WaitForBackends("default/web", "http", absl::Now() + absl::Seconds(10)); });
  absl::SleepFor(absl::Milliseconds(50));
  const absl::Time before_close = absl::Now();
  table.Close();
  closed.join();
  EXPECT_LT(absl::Now() - before_close, absl::Seconds(5));
}

}  // namespace
}  // namespace skiff::agent::proxy
