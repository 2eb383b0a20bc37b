// Tables of networking.k8s.io/v1 kinds (kube's printIngress, printIngressClass, printNetworkPolicy).
#include <string>

#include "api/table.h"
#include "base/clock.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"

namespace skiff::api {
namespace {

namespace json = boost::json;

// Objects are created at 11:55 and printed at 12:00: AGE "5m".
json::value Table(const std::string& plural, const std::string& fields) {
  const ResourceInfo* r = FindResource("networking.k8s.io", "v1", plural);
  EXPECT_NE(r, nullptr) << plural;
  json::value obj = json::parse(R"({"metadata":{"name":"x","creationTimestamp":"2024-05-01T11:55:00Z"})" +
                                (fields.empty() ? "" : "," + fields) + "}");
  TableOptions options;
  EXPECT_TRUE(base::ParseRfc3339("2024-05-01T12:00:00Z", &options.now));
  return ToTable(*r, {&obj}, options);
}

std::string Columns(const json::value& table) {
  std::string out;
  for (const auto& c : table.at("columnDefinitions").as_array()) {
    out += (out.empty() ? "" : ",") + std::string(c.at("name").as_string());
  }
  return out;
}

json::value Cells(const json::value& table) { return table.at("rows").at(0).at("cells"); }

TEST(NetworkingTableTest, IngressShowsClassHostsAddressAndPorts) {
  json::value t = Table("ingresses", R"("spec":{"ingressClassName":"skiff","tls":[{"hosts":["a.com"]}],
      "rules":[{"host":"a.com"},{"host":"b.com"}]},
    "status":{"loadBalancer":{"ingress":[{"ip":"10.0.0.2"},{"hostname":"lb.example.com"},{"ip":"10.0.0.1"},
                                         {"ip":"10.0.0.2"}]}})");
  EXPECT_EQ(Columns(t), "Name,Class,Hosts,Address,Ports,Age");
  EXPECT_EQ(Cells(t),
            json::parse(R"(["x","skiff","a.com,b.com","10.0.0.1,10.0.0.2,lb.example.com","80, 443","5m"])"));
  // No class, no hosts, no address, no TLS.
  EXPECT_EQ(Cells(Table("ingresses", R"("spec":{"rules":[{"http":{}}]})")),
            json::parse(R"(["x","<none>","*","","80","5m"])"));
}

TEST(NetworkingTableTest, IngressHostsStopAtThreeAndCountTheRestOfTheRules) {
  json::value t =
      Table("ingresses", R"("spec":{"rules":[{"host":"a"},{},{"host":"b"},{"host":"c"},{"host":"d"},
      {"host":"e"}]})");
  // kube counts every rule past the third, including the one without a host.
  EXPECT_EQ(Cells(t).at(2), "a,b,c + 3 more...");
}

TEST(NetworkingTableTest, IngressClassShowsControllerAndParameters) {
  json::value t = Table("ingressclasses", R"("spec":{"controller":"skiff.dev/ingress",
      "parameters":{"apiGroup":"k8s.example.com","kind":"IngressParameters","name":"external-lb"}})");
  EXPECT_EQ(Columns(t), "Name,Controller,Parameters,Age");
  EXPECT_EQ(Cells(t),
            json::parse(R"(["x","skiff.dev/ingress","IngressParameters.k8s.example.com/external-lb","5m"])"));
  EXPECT_EQ(Cells(Table("ingressclasses", R"("spec":{"controller":"a.io/b","parameters":{"kind":"ConfigMap",
      "name":"c"}})"))
                .at(2),
            "ConfigMap/c");
  EXPECT_EQ(Cells(Table("ingressclasses", R"("spec":{"controller":"a.io/b"})")).at(2), "<none>");
}

TEST(NetworkingTableTest, NetworkPolicyShowsItsPodSelector) {
  json::value t = Table("networkpolicies", R"("spec":{"podSelector":{"matchLabels":{"app":"db"},
      "matchExpressions":[{"key":"tier","operator":"In","values":["a","b"]}]}})");
  EXPECT_EQ(Columns(t), "Name,Pod-Selector,Age");
  EXPECT_EQ(Cells(t), json::parse(R"j(["x","app=db,tier in (a,b)","5m"])j"));
  EXPECT_EQ(Cells(Table("networkpolicies", R"("spec":{"podSelector":{}})")).at(1), "<none>");
}

}  // namespace
}  // namespace skiff::api
