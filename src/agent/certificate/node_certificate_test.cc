// The agent's certificate bootstrap and rotation against a real in-process API server with the
// csrsigning controller; the test plays the approver (the in-process client carries no user
// identity for csrapproving to judge).
#include "agent/certificate/node_certificate.h"

#include <sys/stat.h>

#include <atomic>
#include <filesystem>
#include <thread>

#include "absl/strings/str_cat.h"
#include "agent/certificate/certificate_rotator.h"
#include "apiserver/csr_admission.h"
#include "base/file.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "client/shared_informers.h"
#include "client/testing/test_api_server.h"
#include "controllers/certificates/csr_signing_controller.h"
#include "controllers/certificates/signer_rules.h"
#include "gtest/gtest.h"
#include "http/certificate_request.h"
#include "http/pki.h"

namespace skiff::agent::certificate {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Csrs() {
  return client::Resource("certificates.k8s.io", "v1", "certificatesigningrequests");
}

TEST(RotationDeadlineTest, SeventyToNinetyPercentOfTheLifetime) {
  absl::Time start = absl::FromUnixSeconds(1'000'000);
  absl::Time end = start + absl::Hours(100);
  EXPECT_EQ(RotationDeadline(start, end, 0.0), start + absl::Hours(70));
  EXPECT_EQ(RotationDeadline(start, end, 0.5), start + absl::Hours(80));
  EXPECT_EQ(RotationDeadline(start, end, 0.999999), start + absl::Hours(100) * (0.7 + 0.2 * 0.999999));
}

class NodeCertificateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = std::filesystem::temp_directory_path() / absl::StrCat("skiff-node-cert-", getpid());
    http::PkiOptions pki;
    pki.host_name = "test";
    pki.host_addresses = std::vector<std::string>{};
    auto paths = http::EnsurePki(dir_ + "/server", pki);
    ASSERT_TRUE(paths.ok()) << paths.status();
    server_.storage()->AddAdmissionPlugin(&admission_);
    informers_ = std::make_unique<client::SharedInformers>(server_.client());
    client::ControllerContext context{server_.client(), informers_.get(), nullptr};
    context.options.cluster_signing_cert_file = paths->ca_cert;
    context.options.cluster_signing_key_file = paths->ca_key;
    context.options.cluster_signing_duration = absl::Hours(10);
    signer_ = std::make_unique<controllers::certificates::CsrSigningController>(context, &clock_);
    signer_->Start();
    informers_->Start();
    ASSERT_TRUE(informers_->WaitForSync(absl::Seconds(10)));
    // The approver of this test: approves every pending request.
    approver_ = std::thread([this] {
      while (!stop_) {
        auto list = server_.client()->List(Csrs(), "", {});
        for (const auto& item : list.ok() ? list->items : std::vector<client::Object>{}) {
          if (controllers::certificates::IsDecided(*item)) continue;
          json::value csr = *item;
          controllers::certificates::AddCondition(csr, "Approved", "TestApprove", "by the test",
                                                  base::FormatRfc3339(clock_.Now()));
          (void)server_.client()->Update(Csrs(), "", csr, "approval");
        }
        absl::SleepFor(absl::Milliseconds(20));
      }
    });
  }
  void TearDown() override {
    stop_ = true;
    approver_.join();
    signer_->Stop();
    informers_->Stop();
    informers_.reset();
    std::filesystem::remove_all(dir_);
  }

  std::string dir_;
  base::testing::FakeClock clock_{absl::Now()};
  apiserver::CsrAdmission admission_{&clock_};
  client::testing::TestApiServer server_;
  std::unique_ptr<client::SharedInformers> informers_;
  std::unique_ptr<controllers::certificates::CsrSigningController> signer_;
  std::atomic<bool> stop_{false};
  std::thread approver_;
};

TEST_F(NodeCertificateTest, RequestStoreAndReload) {
  auto issued = RequestNodeCertificate(server_.client(), "n1", absl::Seconds(10), absl::Milliseconds(20));
  ASSERT_TRUE(issued.ok()) << issued.status();
  auto cert = http::ParseCertificatePem(issued->cert_pem);
  auto user = http::UserFromCertificate(cert->get());
  EXPECT_EQ(user->name, "system:node:n1");
  EXPECT_EQ(user->groups, std::vector<std::string>{"system:nodes"});
  // The request the agent made: the kubelet client signer, client usages.
  auto list = server_.client()->List(Csrs(), "", {});
  ASSERT_EQ(list->items.size(), 1u);
  EXPECT_EQ(base::GetString(*list->items[0], {"spec", "signerName"}), kKubeletClientSigner);
  EXPECT_EQ(base::ToJson(*base::FindPath(*list->items[0], {"spec", "usages"})),
            R"(["digital signature","client auth"])");

  NodeCredentialPaths paths = NodeCredentialPathsFor(dir_ + "/agent");
  ASSERT_TRUE(StoreNodeCertificate(paths.pem, *issued).ok());
  struct stat st;
  ASSERT_EQ(stat(paths.pem.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 0777, 0600u);
  auto loaded = LoadNodeCertificate(paths.pem, "n1", clock_.Now());
  ASSERT_TRUE(loaded.ok()) << loaded.status();
  EXPECT_EQ(loaded->cert_pem, issued->cert_pem);
  EXPECT_EQ(loaded->not_after, issued->not_after);
  // Not for another node, not once expired, not when missing.
  EXPECT_FALSE(LoadNodeCertificate(paths.pem, "n2", clock_.Now()).ok());
  EXPECT_FALSE(LoadNodeCertificate(paths.pem, "n1", issued->not_after + absl::Seconds(1)).ok());
  EXPECT_TRUE(absl::IsNotFound(LoadNodeCertificate(dir_ + "/none.pem", "n1", clock_.Now()).status()));

  ASSERT_TRUE(
      WriteNodeKubeconfig(paths.kubeconfig, "https://127.0.0.1:6443", "", false, "n1", paths.pem).ok());
  std::string kubeconfig = *base::ReadFile(paths.kubeconfig);
  EXPECT_NE(kubeconfig.find("client-certificate: " + paths.pem), std::string::npos);
  EXPECT_NE(kubeconfig.find("user: system:node:n1"), std::string::npos);
}

TEST_F(NodeCertificateTest, DeniedRequestFails) {
  stop_ = true;  // no approvals: deny instead
  approver_.join();
  approver_ = std::thread([this] {
    for (int i = 0; i < 500; ++i) {
      auto list = server_.client()->List(Csrs(), "", {});
      if (list.ok() && !list->items.empty()) {
        json::value csr = *list->items[0];
        controllers::certificates::AddCondition(csr, "Denied", "TestDeny", "no",
                                                base::FormatRfc3339(clock_.Now()));
        if (server_.client()->Update(Csrs(), "", csr, "approval").ok()) return;
      }
      absl::SleepFor(absl::Milliseconds(20));
    }
  });
  auto issued = RequestNodeCertificate(server_.client(), "n1", absl::Seconds(10), absl::Milliseconds(20));
  EXPECT_TRUE(absl::IsPermissionDenied(issued.status())) << issued.status();
}

TEST_F(NodeCertificateTest, RotatesOnlyAfterTheJitteredDeadline) {
  auto first = RequestNodeCertificate(server_.client(), "n1", absl::Seconds(10), absl::Milliseconds(20));
  ASSERT_TRUE(first.ok()) << first.status();
  std::string pem_path = NodeCredentialPathsFor(dir_ + "/agent").pem;
  std::vector<std::string> installed;
  CertificateRotator rotator(server_.client(),
                             RotatorOptions{.node_name = "n1",
                                            .pem_path = pem_path,
                                            .clock = &clock_,
                                            .jitter = [] { return 0.5; },
                                            .request_timeout = absl::Seconds(10)},
                             *first, [&](const NodeCertificate& c) {
                               installed.push_back(c.cert_pem);
                               return absl::OkStatus();
                             });
  // 10 h signing duration: 10 h of life after a 5-minute backdate; 80% of it from notBefore.
  absl::Time deadline = first->not_before + (first->not_after - first->not_before) * 0.8;
  EXPECT_EQ(rotator.deadline(), deadline);
  clock_.Set(deadline - absl::Seconds(1));
  EXPECT_FALSE(*rotator.RotateIfDue());
  EXPECT_TRUE(installed.empty());
  clock_.Set(deadline);
  auto rotated = rotator.RotateIfDue();
  ASSERT_TRUE(rotated.ok()) << rotated.status();
  EXPECT_TRUE(*rotated);
  ASSERT_EQ(installed.size(), 1u);
  EXPECT_NE(installed[0], first->cert_pem);
  EXPECT_EQ(rotator.current().cert_pem, installed[0]);
  // Stored for the next start, and the next deadline is the new certificate's.
  EXPECT_EQ(LoadNodeCertificate(pem_path, "n1", clock_.Now())->cert_pem, installed[0]);
  EXPECT_GT(rotator.deadline(), deadline);
  EXPECT_FALSE(*rotator.RotateIfDue());
}

}  // namespace
}  // namespace skiff::agent::certificate
