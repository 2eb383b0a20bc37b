// The csrapproving and csrsigning controllers against a real in-process API server (with the CSR
// admission plug-in): node client requests are approved and issued, other requests wait for a
// person, and requests the signer's rules refuse end Failed.
#include <openssl/x509v3.h>

#include <filesystem>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "apiserver/csr_admission.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "base/testing/wait_for.h"
#include "client/shared_informers.h"
#include "client/testing/test_api_server.h"
#include "controllers/certificates/csr_approving_controller.h"
#include "controllers/certificates/csr_signing_controller.h"
#include "controllers/certificates/signer_rules.h"
#include "gtest/gtest.h"
#include "http/certificate_request.h"
#include "http/pki.h"

namespace skiff::controllers::certificates {
namespace {

namespace json = boost::json;
using base::testing::WaitFor;

const api::ResourceInfo& Csrs() {
  return client::Resource("certificates.k8s.io", "v1", "certificatesigningrequests");
}

std::string RequestFor(const std::string& cn, const std::vector<std::string>& orgs) {
  return *http::NewCertificateRequestPem(*http::NewPrivateKeyPem(), cn, orgs);
}

// A CSR as the server stores it after admission (the requester fields filled in).
json::value Csr(const std::string& name, const std::string& request, const std::string& signer,
                const std::string& user, json::array groups,
                json::array usages = {"digital signature", "client auth"}) {
  return json::object{{"apiVersion", "certificates.k8s.io/v1"},
                      {"kind", "CertificateSigningRequest"},
                      {"metadata", json::object{{"name", name}}},
                      {"spec", json::object{{"request", absl::Base64Escape(request)},
                                            {"signerName", signer},
                                            {"usages", std::move(usages)},
                                            {"username", user},
                                            {"groups", std::move(groups)}}}};
}

TEST(SignerRulesTest, KubeletClientSubjectAndUsages) {
  http::CertificateRequestInfo node{.common_name = "system:node:n1", .organizations = {"system:nodes"}};
  EXPECT_TRUE(CheckSignerRules(kKubeletClientSigner, node, {"digital signature", "client auth"}).ok());
  EXPECT_TRUE(CheckSignerRules(kKubeletClientSigner, node, {"key encipherment", "client auth"}).ok());
  EXPECT_FALSE(CheckSignerRules(kKubeletClientSigner, node, {"digital signature"}).ok());
  EXPECT_FALSE(CheckSignerRules(kKubeletClientSigner, node, {"client auth", "server auth"}).ok());
  http::CertificateRequestInfo masters{.common_name = "system:node:n1", .organizations = {"system:masters"}};
  EXPECT_FALSE(CheckSignerRules(kKubeletClientSigner, masters, {"client auth"}).ok());
  http::CertificateRequestInfo not_node{.common_name = "alice", .organizations = {"system:nodes"}};
  EXPECT_FALSE(CheckSignerRules(kKubeletClientSigner, not_node, {"client auth"}).ok());
  http::CertificateRequestInfo with_dns = node;
  with_dns.sans.dns = {"n1"};
  EXPECT_FALSE(CheckSignerRules(kKubeletClientSigner, with_dns, {"client auth"}).ok());
  // Serving certificates need a SAN and server auth.
  EXPECT_TRUE(CheckSignerRules(kKubeletServingSigner, with_dns, {"digital signature", "server auth"}).ok());
  EXPECT_FALSE(CheckSignerRules(kKubeletServingSigner, node, {"server auth"}).ok());
  // The generic client signer takes any subject but only client usages.
  EXPECT_TRUE(CheckSignerRules(kApiServerClientSigner, not_node, {"client auth"}).ok());
  EXPECT_FALSE(CheckSignerRules(kApiServerClientSigner, not_node, {"client auth", "cert sign"}).ok());
  EXPECT_FALSE(CheckSignerRules("example.com/mine", node, {"client auth"}).ok());
}

TEST(AutoApproveTest, BootstrapperAndSelfRenewalOnly) {
  std::string node_request = RequestFor("system:node:n1", {"system:nodes"});
  EXPECT_TRUE(ShouldAutoApprove(
      Csr("a", node_request, kKubeletClientSigner, "system:bootstrap:abc", {"system:bootstrappers"})));
  EXPECT_TRUE(
      ShouldAutoApprove(Csr("b", node_request, kKubeletClientSigner, "system:node:n1", {"system:nodes"})));
  // Another node may not renew for n1; an ordinary user is not a bootstrapper.
  EXPECT_FALSE(
      ShouldAutoApprove(Csr("c", node_request, kKubeletClientSigner, "system:node:n2", {"system:nodes"})));
  EXPECT_FALSE(ShouldAutoApprove(Csr("d", node_request, kKubeletClientSigner, "admin", {"system:masters"})));
  // Other signers and non-node subjects wait for a person.
  EXPECT_FALSE(ShouldAutoApprove(
      Csr("e", node_request, kApiServerClientSigner, "system:bootstrap:abc", {"system:bootstrappers"})));
  EXPECT_FALSE(ShouldAutoApprove(Csr("f", RequestFor("alice", {"system:nodes"}), kKubeletClientSigner,
                                     "system:bootstrap:abc", {"system:bootstrappers"})));
}

class CertificatesControllersTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("skiff-csr-ctrl-", getpid());
    http::PkiOptions pki;
    pki.host_name = "test";
    pki.host_addresses = std::vector<std::string>{};
    auto paths = http::EnsurePki(dir_, pki);
    ASSERT_TRUE(paths.ok()) << paths.status();
    server_.storage()->AddAdmissionPlugin(&admission_);
    informers_ = std::make_unique<client::SharedInformers>(server_.client());
    client::ControllerContext context{server_.client(), informers_.get(), nullptr};
    context.options.cluster_signing_cert_file = paths->ca_cert;
    context.options.cluster_signing_key_file = paths->ca_key;
    context.options.cluster_signing_duration = absl::Hours(24);
    approver_ = std::make_unique<CsrApprovingController>(context, &clock_);
    signer_ = std::make_unique<CsrSigningController>(context, &clock_);
    approver_->Start();
    signer_->Start();
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForSync(absl::Seconds(10)));
  }
  void TearDown() override {
    approver_->Stop();
    signer_->Stop();
    informers_->Stop();
    informers_.reset();
    std::filesystem::remove_all(dir_);
  }

  json::value Get(const std::string& name) { return **server_.client()->Get(Csrs(), "", name); }

  std::string dir_;
  base::testing::FakeClock clock_{absl::Now()};
  apiserver::CsrAdmission admission_{&clock_};
  client::testing::TestApiServer server_;
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<CsrApprovingController> approver_;
  std::unique_ptr<CsrSigningController> signer_;
};

TEST_F(CertificatesControllersTest, NodeClientRequestIsApprovedAndIssued) {
  json::value csr = Csr("node", RequestFor("system:node:n1", {"system:nodes"}), kKubeletClientSigner,
                        "system:bootstrap:abc", {"system:bootstrappers"});
  csr.as_object()["spec"].as_object()["expirationSeconds"] = 3600;
  ASSERT_TRUE(server_.client()->Create(Csrs(), "", csr).ok());
  ASSERT_TRUE(WaitFor([&] { return !base::GetString(Get("node"), {"status", "certificate"}).empty(); }));
  json::value stored = Get("node");
  const json::value& approved = base::FindPath(stored, {"status", "conditions"})->get_array()[0];
  EXPECT_EQ(base::GetString(approved, {"type"}), "Approved");
  EXPECT_EQ(base::GetString(approved, {"reason"}), kAutoApprovedReason);
  EXPECT_EQ(base::GetString(approved, {"message"}), kAutoApprovedMessage);
  std::string pem;
  ASSERT_TRUE(absl::Base64Unescape(base::GetString(stored, {"status", "certificate"}), &pem));
  auto cert = http::ParseCertificatePem(pem);
  ASSERT_TRUE(cert.ok());
  EXPECT_EQ(http::UserFromCertificate(cert->get())->name, "system:node:n1");
  // expirationSeconds (an hour) is honoured below the signing duration (a day); short
  // certificates keep their full duration ahead of the five-minute backdate.
  auto validity = http::ValidityOf(cert->get());
  EXPECT_EQ(validity->not_after - validity->not_before, absl::Hours(1) + absl::Minutes(5));
  EXPECT_EQ(X509_get_extended_key_usage(cert->get()), static_cast<uint32_t>(XKU_SSL_CLIENT));
}

TEST_F(CertificatesControllersTest, OtherRequestsWaitForAPersonThenFailOrIssue) {
  ASSERT_TRUE(server_.client()
                  ->Create(Csrs(), "",
                           Csr("user", RequestFor("alice", {"devs"}), kApiServerClientSigner, "admin",
                               {"system:masters"}))
                  .ok());
  ASSERT_TRUE(server_.client()
                  ->Create(Csrs(), "",
                           Csr("forged", RequestFor("system:node:n1", {"system:masters"}),
                               kKubeletClientSigner, "admin", {"system:masters"}))
                  .ok());
  absl::SleepFor(absl::Milliseconds(300));
  EXPECT_EQ(base::FindPath(Get("user"), {"status"}), nullptr);
  EXPECT_EQ(base::FindPath(Get("forged"), {"status"}), nullptr);
  for (const char* name : {"user", "forged"}) {
    json::value approve = Get(name);
    AddCondition(approve, "Approved", "TestApprove", "approved by the test",
                 base::FormatRfc3339(clock_.Now()));
    ASSERT_TRUE(server_.client()->Update(Csrs(), "", approve, "approval").ok());
  }
  ASSERT_TRUE(WaitFor([&] { return !base::GetString(Get("user"), {"status", "certificate"}).empty(); }));
  ASSERT_TRUE(WaitFor([&] { return HasCondition(Get("forged"), "Failed"); }));
  json::value forged = Get("forged");
  EXPECT_EQ(base::GetString(forged, {"status", "certificate"}), "");
  const json::array& conditions = base::FindPath(forged, {"status", "conditions"})->get_array();
  ASSERT_EQ(conditions.size(), 2u);
  EXPECT_EQ(base::GetString(conditions[0], {"type"}), "Approved");
  EXPECT_EQ(base::GetString(conditions[1], {"type"}), "Failed");
  EXPECT_EQ(base::GetString(conditions[1], {"reason"}), "SignerValidationFailure");
}

}  // namespace
}  // namespace skiff::controllers::certificates
