#include "sim/sim_kubelet.h"

#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_split.h"
#include "gtest/gtest.h"
#include "http/node_proxy.h"
#include "http/pki.h"
#include "sim/sim_objects.h"

namespace skiff::sim {
namespace {

const absl::Time kT0 = absl::FromUnixSeconds(1767225600);  // 2026-01-01T00:00:00Z

// web runs on sim-2, new (not started yet) on sim-2, far on sim-0.
std::optional<SimPod> Lookup(const std::string& ns, const std::string& name) {
  static const std::map<std::string, SimPod> kPods = {
      {"web", {.node = 2, .node_name = "sim-2", .started = true, .started_at = kT0}},
      {"new", {.node = 2, .node_name = "sim-2"}},
      {"far", {.node = 0, .node_name = "sim-0", .started = true, .started_at = kT0}},
  };
  auto it = kPods.find(name);
  if (ns != "default" || it == kPods.end()) return std::nullopt;
  return it->second;
}

http::HttpRequest Request(const std::string& path, std::multimap<std::string, std::string> query = {},
                          const std::string& host = "127.64.0.3:10250") {
  http::HttpRequest req;
  req.method = "GET";
  req.path = path;
  req.query = std::move(query);
  req.headers["host"] = host;
  req.peer = http::PeerCertificate{.common_name = http::kKubeletClientCommonName, .organizations = {}};
  return req;
}

TEST(SimContainerLogTest, NamesContainerPodAndNode) {
  std::vector<std::string> lines =
      SimContainerLog("default", "web", "app", {.node = 2, .node_name = "sim-2", .started_at = kT0});
  ASSERT_EQ(lines.size(), 3u);
  EXPECT_EQ(lines[0],
            "2026-01-01T00:00:00.000000000Z stdout F skiff sim: container \"app\" of pod default/web started "
            "on simulated node sim-2");
  EXPECT_EQ(SimContainerLog("default", "web", "app", {.finished = true}).size(), 4u);
}

TEST(SimKubeletTest, ServesGeneratedLogsWithKubeletOptions) {
  SimKubelet kubelet({}, Lookup);
  http::HttpResponse all = kubelet.Handle(Request("/containerLogs/default/web/app"));
  EXPECT_EQ(all.status, 200) << all.body;
  EXPECT_EQ(all.content_type, "text/plain");
  std::vector<std::string> lines = absl::StrSplit(all.body, '\n', absl::SkipEmpty());
  ASSERT_EQ(lines.size(), 3u) << all.body;
  EXPECT_EQ(lines[0], "skiff sim: container \"app\" of pod default/web started on simulated node sim-2");

  EXPECT_EQ(kubelet.Handle(Request("/containerLogs/default/web/app", {{"tailLines", "1"}})).body,
            "skiff sim: exec, attach and port-forward are not available on simulated nodes\n");
  EXPECT_TRUE(absl::StartsWith(
      kubelet.Handle(Request("/containerLogs/default/web/app", {{"timestamps", "true"}})).body,
      "2026-01-01T00:00:00.000000000Z skiff sim: container"));
  EXPECT_EQ(kubelet.Handle(Request("/containerLogs/default/web/app", {{"limitBytes", "9"}})).body,
            "skiff sim");
  EXPECT_EQ(
      kubelet.Handle(Request("/containerLogs/default/web/app", {{"sinceTime", "2026-01-02T00:00:00Z"}})).body,
      "");

  http::HttpResponse previous =
      kubelet.Handle(Request("/containerLogs/default/web/app", {{"previous", "true"}}));
  EXPECT_EQ(previous.status, 400);
  EXPECT_TRUE(absl::StrContains(previous.body, "previous terminated container")) << previous.body;
  http::HttpResponse waiting = kubelet.Handle(Request("/containerLogs/default/new/app"));
  EXPECT_EQ(waiting.status, 400);
  EXPECT_TRUE(absl::StrContains(waiting.body, "is waiting to start: ContainerCreating")) << waiting.body;
  http::HttpResponse bad = kubelet.Handle(Request("/containerLogs/default/web/app", {{"tailLines", "x"}}));
  EXPECT_EQ(bad.status, 400);
}

TEST(SimKubeletTest, AnswersOnlyForPodsOfTheAddressedNode) {
  SimKubelet kubelet({}, Lookup);
  // The Host header says which node the API server dialled.
  EXPECT_EQ(kubelet.Handle(Request("/containerLogs/default/far/app")).status, 404);
  EXPECT_EQ(kubelet.Handle(Request("/containerLogs/default/far/app", {}, "127.64.0.1:10250")).status, 200);
  EXPECT_EQ(kubelet.Handle(Request("/containerLogs/default/none/app")).status, 404);
  http::HttpResponse unknown =
      kubelet.Handle(Request("/containerLogs/default/web/app", {}, "127.0.0.1:10250"));
  EXPECT_EQ(unknown.status, 404);
  EXPECT_TRUE(absl::StrContains(unknown.body, "no simulated node has the address 127.0.0.1:10250"));
  EXPECT_EQ(kubelet.Handle(Request("/stats/summary")).status, 404);
  EXPECT_EQ(kubelet.Handle(Request("/configz")).status, 404);
}

TEST(SimKubeletTest, ExecAttachAndPortForwardFailClearly) {
  SimKubelet kubelet({}, Lookup);
  for (const char* path : {"/exec/default/web/app", "/attach/default/web/app", "/portForward/default/web"}) {
    http::HttpRequest req = Request(path, {{"command", "ls"}});
    req.method = "POST";
    req.headers["upgrade"] = "SPDY/3.1";
    http::HttpResponse resp = kubelet.Handle(req);
    EXPECT_EQ(resp.status, 400) << path;
    EXPECT_EQ(resp.tunnel, nullptr);
    EXPECT_TRUE(absl::StrContains(resp.body,
                                  "default/web: it runs on simulated node sim-2, where no "
                                  "container process exists"))
        << resp.body;
  }
}

TEST(SimKubeletTest, OnlyTheApiServerMayAsk) {
  SimKubelet kubelet({}, Lookup);
  http::HttpRequest anonymous = Request("/containerLogs/default/web/app");
  anonymous.peer.reset();
  EXPECT_EQ(kubelet.Handle(anonymous).status, 401);
  http::HttpRequest admin = Request("/containerLogs/default/web/app");
  admin.peer->common_name = "admin";
  EXPECT_EQ(kubelet.Handle(admin).status, 403);
  anonymous.path = "/healthz";
  EXPECT_EQ(kubelet.Handle(anonymous).status, 200);
}

// Through the real transport, as the API server calls it: TLS with its kubelet-client certificate
// to a node's loopback address.
TEST(SimKubeletTest, ServesTheApiServerOverTlsOnNodeAddresses) {
  std::string dir = (std::filesystem::temp_directory_path() / "sim-kubelet-test-XXXXXX").string();
  ASSERT_NE(mkdtemp(dir.data()), nullptr);
  absl::StatusOr<http::PkiPaths> pki = http::EnsurePki(dir, std::vector<std::string>{});
  ASSERT_TRUE(pki.ok()) << pki.status();
  std::ifstream ca_in(pki->ca_cert);
  std::stringstream ca;
  ca << ca_in.rdbuf();
  SimKubelet kubelet({.port = 0, .client_ca_pem = ca.str()}, Lookup);
  absl::Status started = kubelet.Start();
  if (absl::IsPermissionDenied(started)) GTEST_SKIP() << started;
  ASSERT_TRUE(started.ok()) << started;
  ASSERT_GT(kubelet.port(), 0);

  http::NodeProxy proxy;
  auto get = [&](int node, const std::string& target) {
    http::UpstreamEndpoint endpoint{.host = NodeAddress(node),
                                    .port = kubelet.port(),
                                    .tls = true,
                                    .client_cert_file = pki->kubelet_client_cert,
                                    .client_key_file = pki->kubelet_client_key};
    return proxy.Forward(endpoint, {.method = "GET", .target = target}, absl::Seconds(10));
  };
  absl::StatusOr<http::HttpResponse> log = get(2, "/containerLogs/default/web/app?tailLines=3");
  ASSERT_TRUE(log.ok()) << log.status();
  EXPECT_EQ(log->status, 200) << log->body;
  EXPECT_TRUE(absl::StrContains(log->body, "of pod default/web started on simulated node sim-2"))
      << log->body;
  absl::StatusOr<http::HttpResponse> elsewhere = get(1, "/containerLogs/default/web/app");
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.status();
  EXPECT_EQ(elsewhere->status, 404);
  kubelet.Stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace skiff::sim
