// The Endpoints and EndpointSlice controllers against a real in-process API server: their objects
// pass schema admission, server defaults do not make them rewrite, and pod churn converges.
#include "base/json.h"
#include "base/testing/wait_for.h"
#include "client/shared_informers.h"
#include "client/testing/test_api_server.h"
#include "controllers/endpoints/endpoints_controller.h"
#include "controllers/endpointslice/endpointslice_controller.h"
#include "gtest/gtest.h"

namespace skiff::controllers::endpointslice {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;

TEST(ServiceControllersApiServerTest, EndpointsAndSlicesConvergeAndStayQuiet) {
  client::testing::TestApiServer server;
  client::Client* c = server.client();
  const auto& services = client::Resource("", "v1", "services");
  const auto& pods = client::Resource("", "v1", "pods");
  const auto& eps = client::Resource("", "v1", "endpoints");
  const auto& slices = client::Resource("discovery.k8s.io", "v1", "endpointslices");
  client::SharedInformers informers(c);
  client::ControllerContext context{c, &informers, nullptr};
  endpoints::EndpointsController endpoints_controller(context);
  EndpointSliceController slice_controller(context);
  endpoints_controller.Start();
  slice_controller.Start();
  informers.Start();
  ASSERT_TRUE(informers.WaitForSync(absl::Seconds(10)));

  auto svc = base::ParseJson(R"({"apiVersion":"v1","kind":"Service","metadata":{"name":"web"},
      "spec":{"selector":{"app":"web"},"ports":[{"name":"http","port":80,"targetPort":"http"}]}})");
  ASSERT_TRUE(c->Create(services, "default", *svc).ok());
  for (int i = 0; i < 3; ++i) {
    std::string n = std::to_string(i);
    auto pod = base::ParseJson(R"({"apiVersion":"v1","kind":"Pod","metadata":{"name":"p)" + n +
                               R"(","labels":{"app":"web"}},"spec":{"containers":[{"name":"c","image":"x",
        "ports":[{"name":"http","containerPort":808)" +
                               n + R"(}]}]}})");
    ASSERT_TRUE(pod.ok());
    auto created = c->Create(pods, "default", *pod);
    ASSERT_TRUE(created.ok()) << created.status();
    json::value status = **created;
    status.as_object()["status"] = *base::ParseJson(R"({"phase":"Running","podIP":"10.1.0.)" + n +
                                                    R"(","conditions":[{"type":"Ready","status":"True"}]})");
    ASSERT_TRUE(c->Update(pods, "default", status, "status").ok());
  }
  auto slice_count = [&] {
    auto list = c->List(slices, "default", {.label_selector = "kubernetes.io/service-name=web"});
    size_t n = 0;
    if (list.ok()) {
      for (const auto& s : list->items) {
        const json::value* e = base::Find(*s, "endpoints");
        if (e && e->is_array()) n += e->get_array().size();
      }
    }
    return n;
  };
  auto subsets = [&] {
    auto ep = c->Get(eps, "default", "web");
    const json::value* s = ep.ok() ? base::Find(**ep, "subsets") : nullptr;
    return s && s->is_array() ? s->get_array().size() : 0;
  };
  ASSERT_TRUE(WaitFor([&] { return slice_count() == 3 && subsets() == 3; }, absl::Seconds(10)));

  // Settled: the stored objects do not change any more (no write loop against server defaults).
  absl::SleepFor(absl::Milliseconds(500));
  auto rv = [&] {
    std::string out = base::GetString(**c->Get(eps, "default", "web"), {"metadata", "resourceVersion"});
    auto list = c->List(slices, "default", {.label_selector = "kubernetes.io/service-name=web"});
    for (const auto& s : list->items) out += "," + base::GetString(*s, {"metadata", "resourceVersion"});
    return out;
  };
  std::string before = rv();
  absl::SleepFor(absl::Milliseconds(700));
  EXPECT_EQ(rv(), before);

  ASSERT_TRUE(c->Delete(pods, "default", "p0", {.grace_period_seconds = 0}).ok());
  EXPECT_TRUE(WaitFor([&] { return slice_count() == 2 && subsets() == 2; }, absl::Seconds(10)));
  slice_controller.Stop();
  endpoints_controller.Stop();
  informers.Stop();
}

}  // namespace
}  // namespace skiff::controllers::endpointslice
