#include "agent/ingress/haproxy_config.h"

#include <unistd.h>

#include <filesystem>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "agent/server/serving_cert.h"
#include "base/file.h"
#include "base/process.h"
#include "base/testing/host.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::agent::ingress {
namespace {

using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Not;

Backend ServiceBackend(const std::string& name, std::vector<Endpoint> endpoints, int weight = 1) {
  return Backend{.ns = "default", .service = name, .port_number = 80, .weight = weight,
                 .endpoints = std::move(endpoints)};
}

Route PathRoute(const std::string& source, PathMatchType type, const std::string& path, Backend backend) {
  Route route{.source = source};
  route.matches.push_back(RouteMatch{.path = {type, path}});
  route.backends.push_back(std::move(backend));
  return route;
}

HaproxyOptions TestOptions(const std::string& dir) {
  HaproxyOptions options;
  options.bind_addresses = {"127.0.0.1"};
  options.http_port = 18080;
  options.https_port = 18443;
  options.cert_dir = dir + "/certs";
  options.default_certificate = dir + "/certs/default.pem";
  options.stats_socket = dir + "/haproxy.sock";
  return options;
}

std::string Render(const RouteTable& table, std::vector<std::string>* warnings = nullptr) {
  absl::StatusOr<RenderedConfig> rendered = RenderHaproxyConfig(table, TestOptions("/tmp/x"));
  EXPECT_TRUE(rendered.ok()) << rendered.status();
  if (!rendered.ok()) return "";
  if (warnings) *warnings = rendered->warnings;
  return rendered->haproxy_cfg;
}

TEST(ServerWeightsTest, SplitsByWeightThenEvenlyOverEndpoints) {
  const Endpoint a{"10.0.0.1", 80}, b{"10.0.0.2", 80}, c{"10.0.0.3", 80};
  EXPECT_THAT(ServerWeights({ServiceBackend("x", {a})}), ElementsAre(256));
  // 90/10 with one endpoint each: 256 vs 28 (10%).
  EXPECT_THAT(ServerWeights({ServiceBackend("x", {a}, 90), ServiceBackend("y", {b}, 10)}), ElementsAre(256, 28));
  // Equal weights, 2 endpoints vs 1: each of the two gets half the share of the single one.
  EXPECT_THAT(ServerWeights({ServiceBackend("x", {a, b}), ServiceBackend("y", {c})}), ElementsAre(128, 256));
  // Weight 0 and no endpoints get no servers.
  EXPECT_THAT(ServerWeights({ServiceBackend("x", {a}, 0), ServiceBackend("y", {}), ServiceBackend("z", {c})}),
              ElementsAre(0, 0, 256));
}

TEST(RenderHaproxyConfigTest, HostsPathsAndPrecedence) {
  RouteTable table;
  VirtualHost foo{.hostname = "foo.example.com"};
  foo.routes.push_back(PathRoute("prefix", PathMatchType::kPrefix, "/app/", ServiceBackend("app", {{"10.42.0.5", 8080}})));
  foo.routes.push_back(PathRoute("exact", PathMatchType::kExact, "/app", ServiceBackend("exact", {{"10.42.0.6", 8080}})));
  table.hosts.push_back(foo);
  VirtualHost wildcard{.hostname = "*.example.com"};
  wildcard.routes.push_back(Route{.source = "any", .backends = {ServiceBackend("any", {})}});
  table.hosts.push_back(wildcard);
  const std::string cfg = Render(table);

  // The host is chosen once, most specific first: a request for foo.example.com never falls
  // through to the wildcard's routes.
  EXPECT_THAT(cfg, HasSubstr("http-request set-var(txn.vhost) int(0) if { var(txn.host) -m str \"foo.example.com\" }"
                             "  # foo.example.com\n  http-request set-var(txn.vhost) int(1) if !{ var(txn.vhost) -m found } "
                             "{ var(txn.host) -m reg \"^[^.]+\\\\.example\\\\.com\\$\" }  # *.example.com\n"));
  EXPECT_THAT(cfg, HasSubstr("acl host0 var(txn.vhost) -m int 0\n"));
  // Exact before Prefix; the prefix is element-wise (the path itself or below it).
  const size_t exact = cfg.find("use_backend route-0-1 if host0 { path -m str \"/app\" }");
  const size_t prefix = cfg.find("use_backend route-0-0 if host0 h0m1path");
  ASSERT_NE(exact, std::string::npos) << cfg;
  ASSERT_NE(prefix, std::string::npos) << cfg;
  EXPECT_LT(exact, prefix);
  EXPECT_THAT(cfg, HasSubstr("acl h0m1path path -m str \"/app\"\n  acl h0m1path path -m beg \"/app/\"\n"));
  EXPECT_THAT(cfg, HasSubstr("use_backend route-1-0 if host1  # any\n"));
  EXPECT_THAT(cfg, HasSubstr("server s0 10.42.0.5:8080 weight 256\n"));
  EXPECT_THAT(cfg, HasSubstr("default_backend not-found\n"));
  EXPECT_THAT(cfg, HasSubstr("bind 127.0.0.1:18443 ssl crt-list /tmp/x/certs/crt-list.txt alpn h2,http/1.1\n"));
  EXPECT_THAT(cfg, HasSubstr("http-request set-header X-Forwarded-Proto https if { ssl_fc }\n"));
  EXPECT_THAT(cfg, HasSubstr("http-request set-header X-Forwarded-For %[src]\n"));
  EXPECT_THAT(cfg, HasSubstr("retry-on conn-failure empty-response junk-response\n"));
  EXPECT_THAT(cfg, HasSubstr("http-request disable-l7-retry unless { method GET HEAD OPTIONS TRACE PUT DELETE }\n"));
}

TEST(RenderHaproxyConfigTest, HeaderQueryMethodMatchesAndHeaderChanges) {
  RouteTable table;
  VirtualHost any;
  Route route = PathRoute("r", PathMatchType::kRegularExpression, "/v[0-9]+", ServiceBackend("b", {{"10.0.0.1", 80}}));
  route.matches[0].method = "POST";
  route.matches[0].headers.push_back({.name = "X-Canary", .value = "yes \"please\""});
  route.matches[0].query_params.push_back({.name = "v", .type = StringMatchType::kRegularExpression, .value = "^2"});
  route.request_headers.set.push_back({"X-Env", "100%"});
  route.request_headers.add.push_back({"X-Via", "skiff"});
  route.request_headers.remove.push_back("X-Secret");
  any.routes.push_back(route);
  table.hosts.push_back(any);
  const std::string cfg = Render(table);
  EXPECT_THAT(cfg, HasSubstr("use_backend route-0-0 if host0 { path -m reg \"^(?:/v[0-9]+)\\$\" } { method POST } "
                             "{ req.fhdr(X-Canary) -m str \"yes \\\"please\\\"\" } { urlp(v) -m reg \"^2\" }"));
  EXPECT_THAT(cfg, HasSubstr("http-request del-header X-Secret\n"));
  EXPECT_THAT(cfg, HasSubstr("http-request set-header X-Env \"100%%\"\n"));
  EXPECT_THAT(cfg, HasSubstr("http-request add-header X-Via \"skiff\"\n"));
}

TEST(RenderHaproxyConfigTest, UnsafeValuesAreLeftOutWithAWarning) {
  RouteTable table;
  VirtualHost any;
  Route route = PathRoute("bad", PathMatchType::kExact, "/a\nglobal", ServiceBackend("b", {}));
  any.routes.push_back(route);
  table.hosts.push_back(any);
  std::vector<std::string> warnings;
  const std::string cfg = Render(table, &warnings);
  EXPECT_THAT(cfg, Not(HasSubstr("/a\n")));
  EXPECT_THAT(warnings, ElementsAre(HasSubstr("bad: path has control characters")));
}

TEST(RenderHaproxyConfigTest, ActivatorIsABackupServerUsedOnlyWithoutEndpoints) {
  RouteTable table;
  VirtualHost any;
  Backend zero = ServiceBackend("web", {});
  zero.activator = Endpoint{"127.0.0.1", 18012};
  any.routes.push_back(PathRoute("scaled-to-zero", PathMatchType::kPrefix, "/", zero));
  Backend running = ServiceBackend("api", {{"10.42.0.9", 8080}});
  running.activator = Endpoint{"127.0.0.1", 18012};
  any.routes.push_back(PathRoute("running", PathMatchType::kPrefix, "/api", running));
  table.hosts.push_back(any);
  const std::string cfg = Render(table);
  // At zero endpoints the backup is the only server; HAProxy uses a backup server only when no
  // regular server is usable, so with endpoints traffic goes straight to the pods.
  EXPECT_THAT(cfg, HasSubstr("backend route-0-0\n  # scaled-to-zero\n  http-request set-header X-Skiff-Activator-Service "
                             "\"default/web\"\n  balance roundrobin\n  # default/web:80 weight 1\n"
                             "  server activator0 127.0.0.1:18012 backup\n"));
  EXPECT_THAT(cfg, HasSubstr("  # default/api:80 weight 1\n  server s0 10.42.0.9:8080 weight 256\n"
                             "  server activator0 127.0.0.1:18012 backup\n"));
}

TEST(RenderHaproxyConfigTest, Redirects) {
  RouteTable table;
  VirtualHost any;
  Route to_https{.source = "https", .redirect = Redirect{.scheme = "https", .status_code = 301}};
  to_https.matches.push_back(RouteMatch{.path = {PathMatchType::kPrefix, "/secure"}});
  any.routes.push_back(to_https);
  Route moved{.source = "moved", .redirect = Redirect{.hostname = "new.example.com", .replace_prefix_match = "/v2"}};
  moved.matches.push_back(RouteMatch{.path = {PathMatchType::kPrefix, "/v1"}});
  any.routes.push_back(moved);
  table.hosts.push_back(any);
  const std::string cfg = Render(table);
  EXPECT_THAT(cfg, HasSubstr("http-request redirect location \"https://%[var(txn.host)]%[pathq]\" code 301\n"));
  EXPECT_THAT(cfg, HasSubstr("http-request redirect location \"%[ssl_fc,iif(https,http)]://new.example.com/v2\" "
                             "code 302 if { path -m str \"/v1\" }\n"));
  EXPECT_THAT(cfg, HasSubstr("http-request redirect location "
                             "\"%[ssl_fc,iif(https,http)]://new.example.com/v2%[path,bytes(3)]\" code 302 if "
                             "{ path -m beg \"/v1/\" }\n"));
}

TEST(RenderHaproxyConfigTest, RefusesOptionsWithoutListener) {
  HaproxyOptions options = TestOptions("/tmp/x");
  options.http_port = 0;
  options.https_port = 0;
  EXPECT_EQ(RenderHaproxyConfig(RouteTable{}, options).status().code(), absl::StatusCode::kInvalidArgument);
}

class HaproxyCheckTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = absl::StrCat(::testing::TempDir(), "/skiff-haproxy-cfg-", getpid());
    std::filesystem::remove_all(dir_);
    std::filesystem::create_directories(dir_ + "/certs");
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  // A certificate + key for `host` as PEM strings.
  TlsCertificate MakeCertificate(const std::string& host) {
    const std::string cert = absl::StrCat(dir_, "/", host, ".crt"), key = absl::StrCat(dir_, "/", host, ".key");
    EXPECT_TRUE(server::EnsureSelfSignedCertificate(cert, key, {host}).ok());
    return TlsCertificate{.hosts = {host}, .cert_pem = *base::ReadFile(cert), .key_pem = *base::ReadFile(key),
                          .source = host};
  }

  std::string dir_;
};

TEST_F(HaproxyCheckTest, HaproxyAcceptsTheRenderedConfiguration) {
  ASSERT_TRUE(base::testing::OnPath("haproxy")) << "haproxy is not on PATH (scripts/install-deps.sh installs it)";
  const HaproxyOptions options = TestOptions(dir_);
  const TlsCertificate fallback = MakeCertificate("skiff-ingress-default");
  ASSERT_TRUE(base::WriteFileAtomically(options.default_certificate, fallback.cert_pem + fallback.key_pem, 0600).ok());

  RouteTable table;
  VirtualHost foo{.hostname = "foo.example.com"};
  foo.routes.push_back(PathRoute("p", PathMatchType::kPrefix, "/", ServiceBackend("a", {{"10.42.0.5", 80}}, 90)));
  foo.routes.back().backends.push_back(ServiceBackend("b", {{"10.42.0.6", 80}}, 10));
  foo.routes.push_back(PathRoute("e", PathMatchType::kExact, "/x", ServiceBackend("c", {})));
  foo.routes.back().backends[0].activator = Endpoint{"127.0.0.1", 18012};
  Route header = PathRoute("h", PathMatchType::kRegularExpression, "/r/.*", ServiceBackend("d", {{"10.42.0.7", 80}}));
  header.matches[0].headers.push_back({.name = "x-env", .type = StringMatchType::kRegularExpression, .value = "^c"});
  header.matches[0].query_params.push_back({.name = "q", .value = "1 2"});
  header.request_headers.set.push_back({"X-A", "b c"});
  foo.routes.push_back(header);
  Route redirect{.source = "r", .redirect = Redirect{.scheme = "https", .port = 8443}};
  redirect.matches.push_back(RouteMatch{.path = {PathMatchType::kPrefix, "/old"}});
  foo.routes.push_back(redirect);
  table.hosts.push_back(foo);
  table.hosts.push_back(VirtualHost{.hostname = "*.bar.io", .routes = {Route{.source = "w"}}});
  table.certificates.push_back(MakeCertificate("foo.example.com"));
  table.certificates.push_back(TlsCertificate{.hosts = {"broken.io"}, .cert_pem = "junk", .key_pem = "junk",
                                              .source = "broken"});
  table.default_route = PathRoute("default", PathMatchType::kPrefix, "/", ServiceBackend("def", {{"10.42.0.8", 80}}));

  absl::StatusOr<RenderedConfig> rendered = RenderHaproxyConfig(table, options);
  ASSERT_TRUE(rendered.ok()) << rendered.status();
  EXPECT_THAT(rendered->warnings, ElementsAre(HasSubstr("broken: tls.crt holds no PEM certificate")));
  ASSERT_EQ(rendered->certificate_files.size(), 1u);
  EXPECT_EQ(rendered->crt_list,
            absl::StrCat(options.default_certificate, "\n", dir_, "/certs/cert-0.pem foo.example.com\n"));
  for (const auto& [name, pem] : rendered->certificate_files) {
    ASSERT_TRUE(base::WriteFileAtomically(options.cert_dir + "/" + name, pem, 0600).ok());
  }
  ASSERT_TRUE(base::WriteFileAtomically(options.cert_dir + "/" + kCrtListFile, rendered->crt_list, 0600).ok());
  const std::string cfg_path = dir_ + "/haproxy.cfg";
  ASSERT_TRUE(base::WriteFileAtomically(cfg_path, rendered->haproxy_cfg, 0600).ok());
  absl::StatusOr<base::CommandResult> check = base::RunCommand({"haproxy", "-c", "-f", cfg_path}, absl::Seconds(30));
  ASSERT_TRUE(check.ok()) << check.status();
  EXPECT_EQ(check->exit_code, 0) << check->output << "\n" << rendered->haproxy_cfg;
}

}  // namespace
}  // namespace skiff::agent::ingress
