#include "http/certificate_request.h"

#include <openssl/x509v3.h>

#include <filesystem>
#include <string>

#include "absl/strings/str_cat.h"
#include "base/file.h"
#include "gtest/gtest.h"

namespace skiff::http {
namespace {

constexpr absl::Time kNow = absl::FromUnixSeconds(1'800'000'000);

class CertificateRequestTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("skiff-csr-test-", getpid());
    PkiOptions options;
    options.host_name = "test";
    options.host_addresses = std::vector<std::string>{};
    auto paths = EnsurePki(dir_, options);
    ASSERT_TRUE(paths.ok()) << paths.status();
    ca_cert_ = *base::ReadFile(paths->ca_cert);
    ca_key_ = *base::ReadFile(paths->ca_key);
    key_ = *NewPrivateKeyPem();
  }
  void TearDown() override { std::filesystem::remove_all(dir_); }

  std::string Issue(const std::string& csr, std::vector<std::string> usages, absl::Duration validity) {
    auto cert = IssueCertificate(csr, ca_cert_, ca_key_,
                                 {.usages = std::move(usages), .now = kNow, .validity = validity});
    EXPECT_TRUE(cert.ok()) << cert.status();
    return cert.ok() ? *cert : "";
  }

  std::string dir_;
  std::string ca_cert_, ca_key_, key_;
};

TEST_F(CertificateRequestTest, RequestRoundTripsSubject) {
  auto csr = NewCertificateRequestPem(key_, "system:node:n1", {"system:nodes"});
  ASSERT_TRUE(csr.ok()) << csr.status();
  auto info = ParseCertificateRequest(*csr);
  ASSERT_TRUE(info.ok()) << info.status();
  EXPECT_EQ(info->common_name, "system:node:n1");
  EXPECT_EQ(info->organizations, std::vector<std::string>{"system:nodes"});
  EXPECT_TRUE(info->sans.dns.empty());
}

TEST_F(CertificateRequestTest, RejectsOtherBlocksAndBadSignatures) {
  EXPECT_EQ(ParseCertificateRequest("hello").status().message(),
            "PEM block type must be CERTIFICATE REQUEST");
  EXPECT_EQ(ParseCertificateRequest(ca_cert_).status().message(),
            "PEM block type must be CERTIFICATE REQUEST");
  std::string csr = *NewCertificateRequestPem(key_, "alice", {});
  // Flip a byte of the signature (the last base64 characters before the END line).
  size_t end = csr.find("-----END");
  std::string tampered = csr;
  tampered[end - 6] = tampered[end - 6] == 'A' ? 'B' : 'A';
  auto parsed = ParseCertificateRequest(tampered);
  EXPECT_TRUE(absl::IsInvalidArgument(parsed.status())) << parsed.status();
}

TEST_F(CertificateRequestTest, IssuesWithUsagesSubjectAndValidity) {
  std::string csr = *NewCertificateRequestPem(key_, "system:node:n1", {"system:nodes"});
  std::string pem = Issue(csr, {"digital signature", "client auth"}, absl::Hours(24));
  auto cert = ParseCertificatePem(pem);
  ASSERT_TRUE(cert.ok());
  auto user = UserFromCertificate(cert->get());
  EXPECT_EQ(user->name, "system:node:n1");
  EXPECT_EQ(user->groups, std::vector<std::string>{"system:nodes"});
  EXPECT_TRUE(KeyMatchesCertificate(key_, pem));
  EXPECT_FALSE(KeyMatchesCertificate(*NewPrivateKeyPem(), pem));
  EXPECT_EQ(X509_get_extended_key_usage(cert->get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
  EXPECT_EQ(X509_get_key_usage(cert->get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  // Long validity: the backdate comes out of it, so the lifetime is exactly what was asked.
  auto validity = ValidityOf(cert->get());
  EXPECT_EQ(validity->not_before, kNow - absl::Minutes(5));
  EXPECT_EQ(validity->not_after, kNow + absl::Hours(24) - absl::Minutes(5));
}

TEST_F(CertificateRequestTest, ShortValidityKeepsTheFullDurationAhead) {
  std::string csr = *NewCertificateRequestPem(key_, "bob", {});
  auto cert = ParseCertificatePem(Issue(csr, {"client auth"}, absl::Minutes(10)));
  auto validity = ValidityOf(cert->get());
  EXPECT_EQ(validity->not_after, kNow + absl::Minutes(10));
}

TEST_F(CertificateRequestTest, NeverOutlivesTheCa) {
  std::string csr = *NewCertificateRequestPem(key_, "bob", {});
  auto ca = ParseCertificatePem(ca_cert_);
  auto cert = ParseCertificatePem(Issue(csr, {"client auth"}, absl::Hours(24 * 365 * 100)));
  EXPECT_EQ(ValidityOf(cert->get())->not_after, ValidityOf(ca->get())->not_after);
}

TEST_F(CertificateRequestTest, UnknownUsageFails) {
  std::string csr = *NewCertificateRequestPem(key_, "bob", {});
  EXPECT_TRUE(IsKnownKeyUsage("key encipherment"));
  EXPECT_FALSE(IsKnownKeyUsage("teleport"));
  auto cert = IssueCertificate(csr, ca_cert_, ca_key_,
                               {.usages = {"teleport"}, .now = kNow, .validity = absl::Hours(1)});
  EXPECT_TRUE(absl::IsInvalidArgument(cert.status()));
}

}  // namespace
}  // namespace skiff::http
