#include "http/https_client.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "http/http_server.h"
#include "http/pki.h"

namespace skiff::http {
namespace {

using ::testing::HasSubstr;

// A real HTTPS server on loopback with a certificate from a fresh CA for 127.0.0.1 and the
// Service name "hook.webhooks.svc"; it echoes the request and can be told to stall.
class HttpsClientTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/https-client-test-XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    dir_ = tmpl;
    PkiOptions pki;
    pki.host_name = "localhost";
    pki.host_addresses = std::vector<std::string>{"127.0.0.1"};
    pki.extra_sans = {"hook.webhooks.svc"};
    auto paths = EnsurePki(dir_ + "/a", pki);
    ASSERT_TRUE(paths.ok()) << paths.status();
    paths_ = *paths;
    ca_pem_ = *base::ReadFile(paths_.ca_cert);
    // A second, unrelated CA.
    auto other = EnsurePki(dir_ + "/b", pki);
    ASSERT_TRUE(other.ok());
    other_ca_pem_ = *base::ReadFile(other->ca_cert);

    HttpServerOptions options;
    options.listen_address = "127.0.0.1";
    options.port = 0;
    options.cert_file = paths_.server_cert;
    options.key_file = paths_.server_key;
    options.client_ca_file = paths_.ca_cert;
    options.worker_threads = 4;
    server_ = std::make_unique<HttpServer>(
        options,
        [this](HttpRequest& req) {
          if (req.path == "/slow") std::this_thread::sleep_for(std::chrono::milliseconds(1500));
          HttpResponse resp;
          if (req.path == "/big") {
            resp.body = std::string(10000, 'x');
            return resp;
          }
          std::string client = req.peer ? req.peer->common_name : "";
          resp.status = req.path == "/teapot" ? 418 : 200;
          resp.headers.emplace_back("X-Echo-Client", client);
          resp.body = absl::StrCat(req.method, " ", req.target, " ", req.Header("content-type"), " ", req.body);
          return resp;
        },
        [](int code, const std::string& message) {
          HttpResponse r;
          r.status = code;
          r.body = message;
          return r;
        });
    ASSERT_TRUE(server_->Start().ok());
    port_ = server_->port();
  }
  void TearDown() override {
    server_->Stop();
    std::filesystem::remove_all(dir_);
  }

  HttpsRequest Request(const std::string& path) {
    HttpsRequest r;
    r.url = absl::StrCat("https://127.0.0.1:", port_, path);
    r.ca_bundle_pem = ca_pem_;
    r.headers = {{"Content-Type", "application/json"}};
    r.body = "{\"a\":1}";
    return r;
  }

  std::string dir_;
  PkiPaths paths_;
  std::string ca_pem_, other_ca_pem_;
  std::unique_ptr<HttpServer> server_;
  int port_ = 0;
};

TEST_F(HttpsClientTest, PostsAndReadsTheAnswer) {
  auto resp = HttpsCall(Request("/validate?timeout=10s"));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 200);
  EXPECT_EQ(resp->body, "POST /validate?timeout=10s application/json {\"a\":1}");
}

TEST_F(HttpsClientTest, AnHttpErrorIsAResponseNotAFailure) {
  auto resp = HttpsCall(Request("/teapot"));
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->status, 418);
}

TEST_F(HttpsClientTest, RefusesAServerSignedByAnotherCa) {
  HttpsRequest r = Request("/x");
  r.ca_bundle_pem = other_ca_pem_;
  auto resp = HttpsCall(r);
  ASSERT_FALSE(resp.ok());
  EXPECT_TRUE(absl::IsUnavailable(resp.status()));
  EXPECT_THAT(resp.status().message(), HasSubstr("x509: certificate signed by unknown authority"));
  EXPECT_THAT(resp.status().message(), HasSubstr(absl::StrCat("Post \"https://127.0.0.1:", port_, "/x\": ")));
}

TEST_F(HttpsClientTest, ABundleOfSeveralCasWorks) {
  HttpsRequest r = Request("/x");
  r.ca_bundle_pem = other_ca_pem_ + ca_pem_;
  EXPECT_TRUE(HttpsCall(r).ok());
}

TEST_F(HttpsClientTest, VerifiesTheServiceNameWhenDialingAnEndpoint) {
  HttpsRequest r = Request("/x");
  r.url = "https://hook.webhooks.svc:443/x";
  r.dial_address = absl::StrCat("127.0.0.1:", port_);
  auto resp = HttpsCall(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->body, "POST /x application/json {\"a\":1}");

  r.server_name = "other.webhooks.svc";
  resp = HttpsCall(r);
  ASSERT_FALSE(resp.ok());
  EXPECT_THAT(resp.status().message(), HasSubstr("certificate is not valid for other.webhooks.svc"));
}

TEST_F(HttpsClientTest, VerifiesAnIpAddressAgainstIpSans) {
  HttpsRequest r = Request("/x");
  r.server_name = "127.0.0.2";
  auto resp = HttpsCall(r);
  ASSERT_FALSE(resp.ok());
  EXPECT_THAT(resp.status().message(), HasSubstr("certificate is not valid for 127.0.0.2"));
}

TEST_F(HttpsClientTest, PresentsAClientCertificate) {
  HttpsRequest r = Request("/x");
  r.client_cert_pem = *base::ReadFile(paths_.admin_cert);
  r.client_key_pem = *base::ReadFile(paths_.admin_key);
  auto resp = HttpsCall(r);
  ASSERT_TRUE(resp.ok()) << resp.status();
  EXPECT_EQ(resp->Header("x-echo-client"), "admin");

  r.client_key_pem.clear();
  EXPECT_TRUE(absl::IsInvalidArgument(HttpsCall(r).status()));
}

TEST_F(HttpsClientTest, TimesOut) {
  HttpsRequest r = Request("/slow");
  r.timeout = absl::Milliseconds(300);
  auto started = absl::Now();
  auto resp = HttpsCall(r);
  ASSERT_FALSE(resp.ok());
  EXPECT_TRUE(absl::IsDeadlineExceeded(resp.status())) << resp.status();
  EXPECT_THAT(resp.status().message(), HasSubstr("context deadline exceeded"));
  EXPECT_LT(absl::Now() - started, absl::Seconds(1));
}

TEST_F(HttpsClientTest, BoundsTheResponseBody) {
  HttpsRequest r = Request("/big");
  r.max_response_bytes = 1000;
  EXPECT_TRUE(absl::IsResourceExhausted(HttpsCall(r).status()));
  r.max_response_bytes = 20000;
  EXPECT_TRUE(HttpsCall(r).ok());
}

// A loopback port nothing listens on: bound by the kernel's choice, then closed.
int ClosedPort() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  EXPECT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  close(fd);
  return ntohs(addr.sin_port);
}

TEST_F(HttpsClientTest, ReportsARefusedConnectionLikeGo) {
  HttpsRequest r = Request("/x");
  int port = ClosedPort();
  r.url = absl::StrCat("https://127.0.0.1:", port, "/x");
  auto resp = HttpsCall(r);
  ASSERT_FALSE(resp.ok());
  EXPECT_TRUE(absl::IsUnavailable(resp.status())) << resp.status();
  EXPECT_THAT(std::string(resp.status().message()),
              HasSubstr(absl::StrCat("dial tcp 127.0.0.1:", port, ": connect: connection refused")));
}

TEST_F(HttpsClientTest, RejectsBadInput) {
  HttpsRequest r = Request("/x");
  r.url = "http://127.0.0.1/x";
  EXPECT_TRUE(absl::IsInvalidArgument(HttpsCall(r).status()));
  r = Request("/x");
  r.ca_bundle_pem = "not a certificate";
  EXPECT_TRUE(absl::IsInvalidArgument(HttpsCall(r).status()));
}

}  // namespace
}  // namespace skiff::http
