#include "http/pki.h"

#include <openssl/x509v3.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "base/file.h"
#include "base/testing/fake_clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"

namespace skiff::http {
namespace {

using ::testing::Contains;
using ::testing::ElementsAre;
using ::testing::IsEmpty;
using ::testing::MatchesRegex;

using base::testing::FakeClock;

struct StoreDeleter {
  void operator()(X509_STORE* s) const { X509_STORE_free(s); }
};
struct StoreCtxDeleter {
  void operator()(X509_STORE_CTX* c) const { X509_STORE_CTX_free(c); }
};

// Verifies `leaf` against `ca` for the given purpose (X509_PURPOSE_SSL_SERVER / _CLIENT) at time `at`.
bool Verifies(X509* leaf, X509* ca, int purpose, absl::Time at) {
  std::unique_ptr<X509_STORE, StoreDeleter> store(X509_STORE_new());
  std::unique_ptr<X509_STORE_CTX, StoreCtxDeleter> ctx(X509_STORE_CTX_new());
  X509_STORE_add_cert(store.get(), ca);
  X509_STORE_CTX_init(ctx.get(), store.get(), leaf, nullptr);
  X509_STORE_CTX_set_purpose(ctx.get(), purpose);
  X509_STORE_CTX_set_time(ctx.get(), 0, absl::ToTimeT(at));
  return X509_verify_cert(ctx.get()) == 1;
}

mode_t ModeOf(const std::string& path) {
  struct stat st {};
  EXPECT_EQ(stat(path.c_str(), &st), 0) << path;
  return st.st_mode & 0777;
}

std::string Fingerprint(const std::string& path) {
  absl::StatusOr<X509Ptr> cert = LoadCertificate(path);
  EXPECT_TRUE(cert.ok()) << cert.status();
  if (!cert.ok()) return "";
  absl::StatusOr<std::string> fp = CertificateFingerprint(cert->get());
  EXPECT_TRUE(fp.ok()) << fp.status();
  return fp.value_or("");
}

X509Ptr Load(const std::string& path) {
  absl::StatusOr<X509Ptr> cert = LoadCertificate(path);
  EXPECT_TRUE(cert.ok()) << cert.status();
  return cert.ok() ? *std::move(cert) : nullptr;
}

class PkiTest : public ::testing::Test {
 protected:
  void SetUp() override {
    char tmpl[] = "/tmp/skiff_pki_test_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root_ = tmpl;
    dir_ = root_ + "/data";  // not yet existing: EnsurePki must create it
    options_.host_name = "TestHost";
    options_.host_addresses = std::vector<std::string>{"10.1.2.3", "fd00:0:0::7"};
    options_.extra_sans = {"192.168.50.1", "api.example.com"};
    options_.clock = &clock_;
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  PkiPaths Ensure() {
    absl::StatusOr<PkiPaths> paths = EnsurePki(dir_, options_);
    EXPECT_TRUE(paths.ok()) << paths.status();
    return paths.value_or(PkiPaths{});
  }

  std::string root_;
  std::string dir_;
  FakeClock clock_{absl::Now()};
  PkiOptions options_;
};

TEST_F(PkiTest, CreatesAllFilesWithRestrictiveModes) {
  PkiPaths p = Ensure();
  EXPECT_EQ(p.ca_cert, dir_ + "/pki/ca.crt");
  for (const std::string& f : {p.ca_cert, p.server_cert, p.admin_cert}) {
    EXPECT_TRUE(std::filesystem::exists(f)) << f;
  }
  for (const std::string& f : {p.ca_key, p.server_key, p.admin_key}) EXPECT_EQ(ModeOf(f), 0600u) << f;
  EXPECT_EQ(ModeOf(p.pki_dir), 0700u);
  EXPECT_EQ(ModeOf(p.data_dir), 0700u);
  // No temporary files are left behind.
  for (const auto& entry : std::filesystem::directory_iterator(p.pki_dir)) {
    EXPECT_EQ(entry.path().string().find(".tmp."), std::string::npos) << entry.path();
  }
}

TEST_F(PkiTest, CaIsSelfSignedAuthority) {
  PkiPaths p = Ensure();
  X509Ptr ca = Load(p.ca_cert);
  ASSERT_TRUE(ca);
  EXPECT_EQ(X509_check_ca(ca.get()), 1);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_KEY_CERT_SIGN);
  EXPECT_TRUE(X509_get_key_usage(ca.get()) & KU_CRL_SIGN);
  EXPECT_TRUE(Verifies(ca.get(), ca.get(), X509_PURPOSE_ANY, clock_.Now()));
  // Valid for about ten years, but not past that.
  EXPECT_GT(ASN1_TIME_cmp_time_t(X509_get0_notAfter(ca.get()),
                                 absl::ToTimeT(clock_.Now() + absl::Hours(24 * 3600))),
            0);
  EXPECT_LT(ASN1_TIME_cmp_time_t(X509_get0_notAfter(ca.get()),
                                 absl::ToTimeT(clock_.Now() + absl::Hours(24 * 3700))),
            0);
  absl::StatusOr<UserInfo> who = UserFromCertificate(ca.get());
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->name, "skiff-ca");
  EXPECT_THAT(who->groups, IsEmpty());
}

TEST_F(PkiTest, ServerCertificateVerifiesForServingOnly) {
  PkiPaths p = Ensure();
  X509Ptr ca = Load(p.ca_cert);
  X509Ptr server = Load(p.server_cert);
  ASSERT_TRUE(ca && server);
  EXPECT_EQ(X509_check_ca(server.get()), 0);
  EXPECT_TRUE(Verifies(server.get(), ca.get(), X509_PURPOSE_SSL_SERVER, clock_.Now()));
  EXPECT_FALSE(Verifies(server.get(), ca.get(), X509_PURPOSE_SSL_CLIENT, clock_.Now()));
  // Valid for a year: not after 400 days.
  EXPECT_TRUE(
      Verifies(server.get(), ca.get(), X509_PURPOSE_SSL_SERVER, clock_.Now() + absl::Hours(24 * 360)));
  EXPECT_FALSE(
      Verifies(server.get(), ca.get(), X509_PURPOSE_SSL_SERVER, clock_.Now() + absl::Hours(24 * 400)));
  absl::StatusOr<UserInfo> who = UserFromCertificate(server.get());
  ASSERT_TRUE(who.ok());
  EXPECT_EQ(who->name, "skiff-apiserver");
}

TEST_F(PkiTest, ServerCertificateHasAllSans) {
  PkiPaths p = Ensure();
  X509Ptr server = Load(p.server_cert);
  ASSERT_TRUE(server);
  SubjectAltNames sans = CertificateSans(server.get());
  for (const char* dns : {"localhost", "kubernetes", "kubernetes.default", "kubernetes.default.svc",
                          "kubernetes.default.svc.cluster.local", "testhost", "api.example.com"}) {
    EXPECT_THAT(sans.dns, Contains(dns));
    EXPECT_EQ(X509_check_host(server.get(), dns, 0, 0, nullptr), 1) << dns;
  }
  for (const char* ip : {"127.0.0.1", "::1", "10.1.2.3", "fd00::7", "192.168.50.1"}) {
    EXPECT_THAT(sans.ips, Contains(ip));
    EXPECT_EQ(X509_check_ip_asc(server.get(), ip, 0), 1) << ip;
  }
  EXPECT_NE(X509_check_host(server.get(), "evil.example.com", 0, 0, nullptr), 1);
  EXPECT_NE(X509_check_ip_asc(server.get(), "10.9.9.9", 0), 1);
}

TEST_F(PkiTest, DiscoversRealHostAddresses) {
  absl::StatusOr<std::vector<std::string>> addrs = HostAddresses();
  ASSERT_TRUE(addrs.ok()) << addrs.status();
  EXPECT_THAT(*addrs, Contains("127.0.0.1"));
  options_.host_name.reset();
  options_.host_addresses.reset();
  PkiPaths p = Ensure();
  X509Ptr server = Load(p.server_cert);
  ASSERT_TRUE(server);
  SubjectAltNames sans = CertificateSans(server.get());
  for (const std::string& a : *addrs) EXPECT_THAT(sans.ips, Contains(a));
  if (!HostName().empty()) {
    EXPECT_THAT(sans.dns, Contains(HostName()));
  }
}

TEST_F(PkiTest, AdminCertificateIsClientCertForSystemMasters) {
  PkiPaths p = Ensure();
  X509Ptr ca = Load(p.ca_cert);
  X509Ptr admin = Load(p.admin_cert);
  ASSERT_TRUE(ca && admin);
  EXPECT_TRUE(Verifies(admin.get(), ca.get(), X509_PURPOSE_SSL_CLIENT, clock_.Now()));
  EXPECT_FALSE(Verifies(admin.get(), ca.get(), X509_PURPOSE_SSL_SERVER, clock_.Now()));
  absl::StatusOr<UserInfo> who = UserFromCertificate(admin.get());
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->name, "admin");
  EXPECT_THAT(who->groups, ElementsAre("system:masters"));
}

TEST_F(PkiTest, FrontProxyClientIsSignedByItsOwnCaOnly) {
  PkiPaths p = Ensure();
  EXPECT_EQ(p.front_proxy_ca_cert, dir_ + "/pki/front-proxy-ca.crt");
  for (const std::string& f : {p.front_proxy_ca_key, p.front_proxy_client_key}) EXPECT_EQ(ModeOf(f), 0600u) << f;
  X509Ptr ca = Load(p.ca_cert);
  X509Ptr front_proxy_ca = Load(p.front_proxy_ca_cert);
  X509Ptr client = Load(p.front_proxy_client_cert);
  ASSERT_TRUE(ca && front_proxy_ca && client);
  EXPECT_EQ(X509_check_ca(front_proxy_ca.get()), 1);
  EXPECT_TRUE(Verifies(client.get(), front_proxy_ca.get(), X509_PURPOSE_SSL_CLIENT, clock_.Now()));
  // The cluster CA must not vouch for it: it would authenticate to skiff itself otherwise.
  EXPECT_FALSE(Verifies(client.get(), ca.get(), X509_PURPOSE_SSL_CLIENT, clock_.Now()));
  absl::StatusOr<UserInfo> who = UserFromCertificate(client.get());
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->name, "front-proxy-client");
  EXPECT_THAT(who->groups, IsEmpty());
  std::string fingerprint = Fingerprint(p.front_proxy_client_cert);
  Ensure();
  EXPECT_EQ(Fingerprint(p.front_proxy_client_cert), fingerprint);
}

TEST_F(PkiTest, UserFromCertificateRejectsMissingIdentity) {
  EXPECT_EQ(UserFromCertificate(nullptr).status().code(), absl::StatusCode::kUnauthenticated);
  X509Ptr bare(X509_new());
  X509_NAME_add_entry_by_txt(X509_get_subject_name(bare.get()), "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("g1"), -1, -1, 0);
  EXPECT_EQ(UserFromCertificate(bare.get()).status().code(), absl::StatusCode::kUnauthenticated);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(bare.get()), "O", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("g2"), -1, -1, 0);
  X509_NAME_add_entry_by_txt(X509_get_subject_name(bare.get()), "CN", MBSTRING_UTF8,
                             reinterpret_cast<const unsigned char*>("system:node:n1"), -1, -1, 0);
  absl::StatusOr<UserInfo> who = UserFromCertificate(bare.get());
  ASSERT_TRUE(who.ok()) << who.status();
  EXPECT_EQ(who->name, "system:node:n1");
  EXPECT_THAT(who->groups, ElementsAre("g1", "g2"));
}

TEST_F(PkiTest, SecondCallReusesEverything) {
  PkiPaths p = Ensure();
  std::string ca = Fingerprint(p.ca_cert), server = Fingerprint(p.server_cert),
              admin = Fingerprint(p.admin_cert);
  clock_.Advance(absl::Hours(24 * 100));
  Ensure();
  EXPECT_EQ(Fingerprint(p.ca_cert), ca);
  EXPECT_EQ(Fingerprint(p.server_cert), server);
  EXPECT_EQ(Fingerprint(p.admin_cert), admin);
}

TEST_F(PkiTest, NewHostAddressReissuesOnlyServingCertificate) {
  PkiPaths p = Ensure();
  std::string ca = Fingerprint(p.ca_cert), server = Fingerprint(p.server_cert),
              admin = Fingerprint(p.admin_cert);
  options_.host_addresses->push_back("10.7.7.7");
  Ensure();
  EXPECT_EQ(Fingerprint(p.ca_cert), ca);
  EXPECT_NE(Fingerprint(p.server_cert), server);
  EXPECT_EQ(Fingerprint(p.admin_cert), admin);
  X509Ptr cert = Load(p.server_cert);
  X509Ptr ca_cert = Load(p.ca_cert);
  EXPECT_THAT(CertificateSans(cert.get()).ips, Contains("10.7.7.7"));
  EXPECT_TRUE(Verifies(cert.get(), ca_cert.get(), X509_PURPOSE_SSL_SERVER, clock_.Now()));
}

TEST_F(PkiTest, NewExtraSanReissuesServingCertificate) {
  PkiPaths p = Ensure();
  std::string server = Fingerprint(p.server_cert);
  options_.extra_sans.push_back("other.example.com");
  Ensure();
  EXPECT_NE(Fingerprint(p.server_cert), server);
  EXPECT_THAT(CertificateSans(Load(p.server_cert).get()).dns, Contains("other.example.com"));
}

TEST_F(PkiTest, ExpiringLeavesAreRenewedButCaKept) {
  PkiPaths p = Ensure();
  std::string ca = Fingerprint(p.ca_cert), server = Fingerprint(p.server_cert),
              admin = Fingerprint(p.admin_cert);
  clock_.Advance(absl::Hours(24 * 350));  // within 30 days of the one-year expiry
  Ensure();
  EXPECT_EQ(Fingerprint(p.ca_cert), ca);
  EXPECT_NE(Fingerprint(p.server_cert), server);
  EXPECT_NE(Fingerprint(p.admin_cert), admin);
  X509Ptr ca_cert = Load(p.ca_cert);
  EXPECT_TRUE(Verifies(Load(p.server_cert).get(), ca_cert.get(), X509_PURPOSE_SSL_SERVER,
                       clock_.Now() + absl::Hours(24 * 300)));
}

TEST_F(PkiTest, LostCaRegeneratesCaAndLeaves) {
  PkiPaths p = Ensure();
  std::string ca = Fingerprint(p.ca_cert), server = Fingerprint(p.server_cert);
  std::filesystem::remove(p.ca_key);
  Ensure();
  EXPECT_NE(Fingerprint(p.ca_cert), ca);
  EXPECT_NE(Fingerprint(p.server_cert), server);
  X509Ptr ca_cert = Load(p.ca_cert);
  EXPECT_TRUE(Verifies(Load(p.server_cert).get(), ca_cert.get(), X509_PURPOSE_SSL_SERVER, clock_.Now()));
  EXPECT_TRUE(Verifies(Load(p.admin_cert).get(), ca_cert.get(), X509_PURPOSE_SSL_CLIENT, clock_.Now()));
}

TEST_F(PkiTest, MismatchedOrCorruptLeafIsReplaced) {
  PkiPaths p = Ensure();
  std::string server = Fingerprint(p.server_cert), ca = Fingerprint(p.ca_cert);
  std::filesystem::copy_file(p.admin_key, p.server_key, std::filesystem::copy_options::overwrite_existing);
  Ensure();
  EXPECT_NE(Fingerprint(p.server_cert), server);
  std::ofstream(p.admin_cert) << "garbage";
  Ensure();
  EXPECT_NE(Load(p.admin_cert), nullptr);
  EXPECT_EQ(Fingerprint(p.ca_cert), ca);
}

TEST_F(PkiTest, CorruptCaIsRegenerated) {
  PkiPaths p = Ensure();
  std::string ca = Fingerprint(p.ca_cert);
  std::ofstream(p.ca_cert) << "not a certificate";
  Ensure();
  EXPECT_NE(Fingerprint(p.ca_cert), ca);
}

TEST_F(PkiTest, TokensAreRandomStablePrivate) {
  std::string path = dir_ + "/admin.token";
  absl::StatusOr<std::string> a = EnsureToken(path);
  ASSERT_TRUE(a.ok()) << a.status();
  EXPECT_THAT(*a, MatchesRegex("[0-9a-f]{64}"));
  EXPECT_EQ(ModeOf(path), 0600u);
  absl::StatusOr<std::string> again = EnsureToken(path);
  ASSERT_TRUE(again.ok());
  EXPECT_EQ(*again, *a);
  absl::StatusOr<std::string> other = EnsureToken(dir_ + "/node.token");
  ASSERT_TRUE(other.ok());
  EXPECT_NE(*other, *a);
  // A loosened mode is tightened again.
  chmod(path.c_str(), 0644);
  ASSERT_TRUE(EnsureToken(path).ok());
  EXPECT_EQ(ModeOf(path), 0600u);
}

TEST_F(PkiTest, EmptyTokenFileIsAnError) {
  std::filesystem::create_directories(dir_);
  std::ofstream(dir_ + "/t") << "\n";
  EXPECT_EQ(EnsureToken(dir_ + "/t").status().code(), absl::StatusCode::kFailedPrecondition);
}

TEST_F(PkiTest, ConcurrentTokenCreationAgrees) {
  std::string path = dir_ + "/race.token";
  std::vector<std::string> got(8);
  std::vector<std::thread> threads;
  for (size_t i = 0; i < got.size(); ++i) {
    threads.emplace_back([&, i] { got[i] = EnsureToken(path).value_or("error"); });
  }
  for (std::thread& t : threads) t.join();
  for (const std::string& g : got) EXPECT_EQ(g, got[0]);
  EXPECT_THAT(got[0], MatchesRegex("[0-9a-f]{64}"));
}

}  // namespace
}  // namespace skiff::http
