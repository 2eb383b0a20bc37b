// CsrAuthorization in the real write chain: bootstrap RBAC policy, RbacAuthorizer, CsrAdmission,
// on the shared StorageFixture.
#include "apiserver/csr_authorization.h"

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "apiserver/csr_admission.h"
#include "apiserver/rbac_authorizer.h"
#include "apiserver/rbac_bootstrap.h"
#include "apiserver/testing/storage_fixture.h"
#include "base/file.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"
#include "http/certificate_request.h"
#include "http/pki.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;
using testing::StorageFixture;

const api::ResourceInfo& Csrs() {
  return StorageFixture::Resource("certificatesigningrequests", "certificates.k8s.io");
}

class CsrAuthorizationTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto f = StorageFixture::Open();
    ASSERT_TRUE(f.ok()) << f.status();
    fixture_ = std::move(*f);
    ASSERT_TRUE(EnsureBootstrapPolicy(fixture_->storage()).ok());
    rbac_ = std::make_unique<RbacAuthorizer>(fixture_->cache());
    ASSERT_TRUE(rbac_->Start().ok());
    fixture_->storage()->AddAdmissionPlugin(&csr_admission_);
    plugin_ = std::make_unique<CsrAuthorization>(rbac_.get());
    fixture_->storage()->AddAdmissionPlugin(plugin_.get());
  }
  void TearDown() override {
    plugin_.reset();
    rbac_.reset();
    fixture_.reset();
  }

  absl::Status CreateCsr(const std::string& name, const std::string& signer,
                         std::vector<std::string> orgs = {"devs"}) {
    std::string pem = *http::NewCertificateRequestPem(*http::NewPrivateKeyPem(), "carol", orgs);
    pem_ = pem;
    json::value csr = json::object{{"metadata", json::object{{"name", name}}},
                                   {"spec", json::object{{"request", absl::Base64Escape(pem)},
                                                         {"signerName", signer},
                                                         {"usages", json::array{"client auth"}}}}};
    WriteOptions options;
    options.user = &carol_;
    return fixture_->storage()->Create(Csrs(), "", std::move(csr), options).status();
  }
  // Writes `conditions` through /approval, or a certificate through /status, as `user`.
  absl::Status Approve(const std::string& name, const User& user) {
    return Write(name, "approval", user, [](json::object& status) {
      status["conditions"] = json::array{json::object{{"type", "Approved"}, {"status", "True"}}};
    });
  }
  // Sets a certificate issued for `pem_` by a CA made in the fixture's directory.
  absl::Status Sign(const std::string& name, const User& user) {
    auto pki = http::EnsurePki(fixture_->dir().string(), std::vector<std::string>{});
    if (!pki.ok()) return pki.status();
    auto cert =
        http::IssueCertificate(pem_, *base::ReadFile(pki->ca_cert), *base::ReadFile(pki->ca_key),
                               {.usages = {"client auth"}, .now = absl::Now(), .validity = absl::Hours(1)});
    if (!cert.ok()) return cert.status();
    return Write(name, "status", user,
                 [&](json::object& status) { status["certificate"] = absl::Base64Escape(*cert); });
  }
  absl::Status Write(const std::string& name, const char* subresource, const User& user,
                     const std::function<void(json::object&)>& edit) {
    WriteOptions options;
    options.subresource = subresource;
    options.user = &user;
    return fixture_->storage()
        ->Update(
            Csrs(), "", name,
            [&](const ObjectPtr& current) -> absl::StatusOr<json::value> {
              json::value obj = current->Parse();
              edit(base::EnsureObject(obj, {"status"}));
              return obj;
            },
            options, true)
        .status();
  }
  absl::Status Grant(const std::string& name, const std::string& verb, const std::string& signer_name) {
    std::string role = absl::StrCat(
        R"({"metadata":{"name":")", name, R"("},"rules":[{"apiGroups":["certificates.k8s.io"],)",
        R"("resources":["signers"],"verbs":[")", verb, R"("],"resourceNames":[")", signer_name, R"("]}]})");
    auto& roles = StorageFixture::Resource("clusterroles", "rbac.authorization.k8s.io");
    auto& bindings = StorageFixture::Resource("clusterrolebindings", "rbac.authorization.k8s.io");
    if (auto s = fixture_->Create(roles, "", role).status(); !s.ok()) return s;
    std::string binding = absl::StrCat(R"({"metadata":{"name":")", name, R"("},"roleRef":{"apiGroup":)",
                                       R"("rbac.authorization.k8s.io","kind":"ClusterRole","name":")", name,
                                       R"("},"subjects":[{"kind":"User","name":"dave"}]})");
    auto s = fixture_->Create(bindings, "", binding).status();
    rbac_->WaitForSync();
    return s;
  }

  std::unique_ptr<StorageFixture> fixture_;
  std::unique_ptr<RbacAuthorizer> rbac_;
  CsrAdmission csr_admission_{&base::RealClock()};
  std::unique_ptr<CsrAuthorization> plugin_;
  std::string pem_;  // the request of the last CSR created
  User carol_{"carol", "", {"system:authenticated"}};
  User dave_{"dave", "", {"system:authenticated"}};
  User controller_{"system:serviceaccount:kube-system:certificate-controller",
                   "",
                   {"system:serviceaccounts", "system:serviceaccounts:kube-system", "system:authenticated"}};
};

TEST_F(CsrAuthorizationTest, ApprovalNeedsApproveOnTheSigner) {
  ASSERT_TRUE(CreateCsr("c1", "example.com/signer").ok());
  absl::Status s = Approve("c1", dave_);
  EXPECT_EQ(api::HttpCode(s), 403);
  EXPECT_EQ(
      s.message(),
      R"(certificatesigningrequests.certificates.k8s.io "c1" is forbidden: user not permitted to approve )"
      R"(requests with signerName "example.com/signer")");
  ASSERT_TRUE(Grant("approve-other", "approve", "example.com/other").ok());
  EXPECT_EQ(api::HttpCode(Approve("c1", dave_)), 403);
  // `<domain>/*` grants every signer of the domain.
  ASSERT_TRUE(Grant("approve-domain", "approve", "example.com/*").ok());
  EXPECT_TRUE(Approve("c1", dave_).ok());
  // The server's own writes (no user) are not checked.
  ASSERT_TRUE(CreateCsr("c2", "example.com/signer").ok());
  WriteOptions trusted;
  trusted.subresource = "approval";
  EXPECT_TRUE(fixture_->storage()
                  ->Update(
                      Csrs(), "", "c2",
                      [](const ObjectPtr& current) -> absl::StatusOr<json::value> {
                        json::value obj = current->Parse();
                        base::EnsureObject(obj, {"status"})["conditions"] =
                            json::array{json::object{{"type", "Denied"}, {"status", "True"}}};
                        return obj;
                      },
                      trusted, true)
                  .ok());
}

TEST_F(CsrAuthorizationTest, SettingTheCertificateNeedsSign) {
  ASSERT_TRUE(CreateCsr("c1", "kubernetes.io/kube-apiserver-client").ok());
  ASSERT_TRUE(Grant("approve-client", "approve", "kubernetes.io/kube-apiserver-client").ok());
  ASSERT_TRUE(Approve("c1", dave_).ok());
  absl::Status s = Sign("c1", dave_);
  EXPECT_EQ(api::HttpCode(s), 403);
  EXPECT_EQ(s.message(),
            R"(certificatesigningrequests.certificates.k8s.io "c1" is forbidden: user not permitted to sign )"
            R"(requests with signerName "kubernetes.io/kube-apiserver-client")");
  // A status write that leaves the certificate alone needs no `sign`.
  EXPECT_TRUE(Write("c1", "status", dave_, [](json::object& status) {
                auto& conditions = status["conditions"].as_array();
                conditions.push_back(json::object{{"type", "Progressing"}, {"status", "True"}});
              }).ok());
  // The certificate controller's bootstrap role signs the built-in client signer.
  EXPECT_TRUE(Sign("c1", controller_).ok());
}

TEST_F(CsrAuthorizationTest, ApiServerClientSignerRefusesSystemMasters) {
  absl::Status s = CreateCsr("masters", "kubernetes.io/kube-apiserver-client", {"devs", "system:masters"});
  EXPECT_EQ(api::HttpCode(s), 403);
  EXPECT_EQ(s.message(),
            R"(certificatesigningrequests.certificates.k8s.io "masters" is forbidden: use of )"
            R"(kubernetes.io/kube-apiserver-client signer with system:masters group is not allowed)");
  // Other signers may carry the group (their signer decides).
  EXPECT_TRUE(CreateCsr("other", "example.com/signer", {"system:masters"}).ok());
}

}  // namespace
}  // namespace skiff::apiserver
