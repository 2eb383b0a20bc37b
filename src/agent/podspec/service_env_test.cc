#include "agent/podspec/service_env.h"

#include <memory>

#include "base/json.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::podspec {
namespace {

using ::testing::ElementsAre;
using ::testing::IsEmpty;

client::Object Service(const char* json) {
  return std::make_shared<const boost::json::value>(*base::ParseJson(json));
}

const char kKubernetes[] = R"j({"metadata":{"name":"kubernetes","namespace":"default"},
  "spec":{"clusterIP":"10.43.0.1",
          "ports":[{"name":"https","port":443,"protocol":"TCP","targetPort":6443}]}})j";

TEST(ServiceEnvTest, MasterServiceLikeTheKubelet) {
  auto vars = ServiceEnvironment({Service(kKubernetes)}, "apps", true);
  EXPECT_THAT(vars, ElementsAre(EnvVar{"KUBERNETES_SERVICE_HOST", "10.43.0.1"},
                                EnvVar{"KUBERNETES_SERVICE_PORT", "443"},
                                EnvVar{"KUBERNETES_SERVICE_PORT_HTTPS", "443"},
                                EnvVar{"KUBERNETES_PORT", "tcp://10.43.0.1:443"},
                                EnvVar{"KUBERNETES_PORT_443_TCP", "tcp://10.43.0.1:443"},
                                EnvVar{"KUBERNETES_PORT_443_TCP_PROTO", "tcp"},
                                EnvVar{"KUBERNETES_PORT_443_TCP_PORT", "443"},
                                EnvVar{"KUBERNETES_PORT_443_TCP_ADDR", "10.43.0.1"}));
}

TEST(ServiceEnvTest, NamespaceServicesOnlyWithServiceLinks) {
  std::vector<client::Object> services = {Service(kKubernetes),
                                          Service(R"j({"metadata":{"name":"my-db","namespace":"apps"},
                   "spec":{"clusterIP":"10.43.5.6",
                           "ports":[{"port":5432},{"name":"metrics","port":9187,"protocol":"UDP"}]}})j"),
                                          Service(R"j({"metadata":{"name":"other","namespace":"elsewhere"},
                   "spec":{"clusterIP":"10.43.5.7","ports":[{"port":80}]}})j"),
                                          Service(R"j({"metadata":{"name":"headless","namespace":"apps"},
                   "spec":{"clusterIP":"None","ports":[{"port":80}]}})j"),
                                          Service(R"j({"metadata":{"name":"external","namespace":"apps"},
                   "spec":{"type":"ExternalName","externalName":"example.com"}})j")};
  auto with_links = ServiceEnvironment(services, "apps", true);
  std::vector<std::string> names;
  for (const auto& v : with_links) names.push_back(v.name + "=" + v.value);
  EXPECT_THAT(
      names, ::testing::IsSupersetOf({"MY_DB_SERVICE_HOST=10.43.5.6", "MY_DB_SERVICE_PORT=5432",
                                      "MY_DB_SERVICE_PORT_METRICS=9187", "MY_DB_PORT=tcp://10.43.5.6:5432",
                                      "MY_DB_PORT_9187_UDP=udp://10.43.5.6:9187",
                                      "MY_DB_PORT_9187_UDP_PROTO=udp", "KUBERNETES_SERVICE_HOST=10.43.0.1"}));
  for (const auto& v : with_links) {
    EXPECT_FALSE(v.name.starts_with("OTHER_") || v.name.starts_with("HEADLESS_") ||
                 v.name.starts_with("EXTERNAL_"))
        << v.name;
  }
  auto without = ServiceEnvironment(services, "apps", false);
  ASSERT_EQ(without.size(), 8u);  // only the master service's
  for (const auto& v : without) EXPECT_TRUE(v.name.starts_with("KUBERNETES_")) << v.name;
}

TEST(ServiceEnvTest, OwnNamespaceServiceNamedKubernetesWins) {
  auto own = Service(R"j({"metadata":{"name":"kubernetes","namespace":"apps"},
                          "spec":{"clusterIP":"10.43.9.9","ports":[{"port":80}]}})j");
  for (const auto& order : {std::vector<client::Object>{Service(kKubernetes), own},
                            std::vector<client::Object>{own, Service(kKubernetes)}}) {
    auto vars = ServiceEnvironment(order, "apps", true);
    ASSERT_FALSE(vars.empty());
    EXPECT_EQ(vars[0], (EnvVar{"KUBERNETES_SERVICE_HOST", "10.43.9.9"}));
  }
  EXPECT_THAT(ServiceEnvironment({}, "apps", true), IsEmpty());
}

}  // namespace
}  // namespace skiff::agent::podspec
