#include "apiserver/credential_renewal.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <filesystem>

#include "absl/strings/str_cat.h"
#include "apiserver/kubeconfig.h"
#include "base/file.h"
#include "base/testing/fake_clock.h"
#include "gtest/gtest.h"

namespace skiff::apiserver {
namespace {

// The SHA-256 fingerprint of the certificate a TLS server on 127.0.0.1:port presents.
std::string PresentedFingerprint(int port) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(port));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0) {
    close(fd);
    return "connect failed";
  }
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL* ssl = SSL_new(ctx);
  SSL_set_fd(ssl, fd);
  std::string fingerprint = "handshake failed";
  if (SSL_connect(ssl) == 1) {
    http::X509Ptr cert(SSL_get1_peer_certificate(ssl));
    fingerprint = http::CertificateFingerprint(cert.get()).value_or("no certificate");
    SSL_shutdown(ssl);
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  close(fd);
  return fingerprint;
}

std::string FileFingerprint(const std::string& path) {
  return *http::CertificateFingerprint(http::LoadCertificate(path)->get());
}

TEST(CredentialRenewalTest, RenewsTheServingCertificateBeforeExpiryWithoutRestart) {
  std::string dir = std::filesystem::temp_directory_path() / absl::StrCat("skiff-renewal-", getpid());
  base::testing::FakeClock clock(absl::Now());
  http::PkiOptions pki;
  pki.host_name = "test";
  pki.host_addresses = std::vector<std::string>{};
  pki.clock = &clock;
  auto creds = EnsureServerCredentials(dir, "https://127.0.0.1:1", pki);
  ASSERT_TRUE(creds.ok()) << creds.status();

  http::HttpServerOptions options;
  options.listen_address = "127.0.0.1";
  options.port = 0;
  options.worker_threads = 2;
  options.cert_file = creds->paths.server_cert;
  options.key_file = creds->paths.server_key;
  http::HttpServer server(
      options, [](http::HttpRequest&) { return http::HttpResponse{}; },
      [](int status, const std::string&) { return http::HttpResponse{.status = status}; });
  ASSERT_TRUE(server.Start().ok());
  std::string first = FileFingerprint(creds->paths.server_cert);
  EXPECT_EQ(PresentedFingerprint(server.port()), first);
  std::string admin_before = *base::ReadFile(creds->paths.admin_kubeconfig);

  CredentialRenewal renewal({.data_dir = dir, .server_url = "https://127.0.0.1:1", .pki = pki}, &server);
  // Far from expiry: nothing changes.
  EXPECT_FALSE(*renewal.RenewNow());
  EXPECT_EQ(PresentedFingerprint(server.port()), first);
  // 340 days on, the one-year leaves are within their renewal window.
  clock.Advance(absl::Hours(24 * 340));
  auto renewed = renewal.RenewNow();
  ASSERT_TRUE(renewed.ok()) << renewed.status();
  EXPECT_TRUE(*renewed);
  std::string second = FileFingerprint(creds->paths.server_cert);
  EXPECT_NE(second, first);
  EXPECT_EQ(PresentedFingerprint(server.port()), second);
  // The admin kubeconfig carries the renewed admin certificate.
  EXPECT_NE(*base::ReadFile(creds->paths.admin_kubeconfig), admin_before);
  EXPECT_FALSE(*renewal.RenewNow());

  server.Stop();
  std::filesystem::remove_all(dir);
}

}  // namespace
}  // namespace skiff::apiserver
