#include "apiserver/csr_admission.h"

#include <string>

#include "absl/strings/escaping.h"
#include "api/errors.h"
#include "api/resources.h"
#include "apiserver/auth.h"
#include "base/json.h"
#include "base/testing/fake_clock.h"
#include "boost/json.hpp"
#include "gtest/gtest.h"
#include "http/certificate_request.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Csrs() {
  return *api::FindResource("certificates.k8s.io", "v1", "certificatesigningrequests");
}

json::value Csr(const std::string& request_pem, json::array usages = {"client auth"}) {
  return json::object{{"apiVersion", "certificates.k8s.io/v1"},
                      {"kind", "CertificateSigningRequest"},
                      {"metadata", json::object{{"name", "c"}}},
                      {"spec", json::object{{"request", absl::Base64Escape(request_pem)},
                                            {"signerName", "kubernetes.io/kube-apiserver-client"},
                                            {"usages", std::move(usages)}}}};
}

std::string Request() {
  return *http::NewCertificateRequestPem(*http::NewPrivateKeyPem(), "alice", {"devs"});
}

std::vector<std::string> Fields(const std::vector<api::FieldError>& errors) {
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.field + " " + e.type);
  return out;
}

json::value WithConditions(json::value csr, json::array conditions) {
  base::EnsureObject(csr, {"status"})["conditions"] = std::move(conditions);
  return csr;
}

json::object Condition(const char* type, const char* status = "True") {
  return json::object{{"type", type}, {"status", status}};
}

TEST(CsrValidationTest, AcceptsAWellFormedRequest) {
  EXPECT_TRUE(ValidateCertificateSigningRequest(Csr(Request()), nullptr).empty());
}

TEST(CsrValidationTest, RejectsBadSpecs) {
  json::value bad = Csr("not a pem", {"client auth", "client auth", "teleport"});
  bad.as_object()["spec"].as_object()["signerName"] = "no-slash";
  bad.as_object()["spec"].as_object()["expirationSeconds"] = 599;
  EXPECT_EQ(Fields(ValidateCertificateSigningRequest(bad, nullptr)),
            (std::vector<std::string>{"spec.request FieldValueInvalid", "spec.signerName FieldValueInvalid",
                                      "spec.expirationSeconds FieldValueInvalid",
                                      "spec.usages[1] FieldValueDuplicate",
                                      "spec.usages[2] FieldValueNotSupported"}));
  json::value legacy = Csr(Request());
  legacy.as_object()["spec"].as_object()["signerName"] = "kubernetes.io/legacy-unknown";
  EXPECT_EQ(Fields(ValidateCertificateSigningRequest(legacy, nullptr)),
            std::vector<std::string>{"spec.signerName FieldValueInvalid"});
  json::value no_usages = Csr(Request(), {});
  EXPECT_EQ(Fields(ValidateCertificateSigningRequest(no_usages, nullptr)),
            std::vector<std::string>{"spec.usages FieldValueRequired"});
}

TEST(CsrValidationTest, DecisionConditions) {
  json::value csr = Csr(Request());
  json::value both = WithConditions(csr, {Condition("Approved"), Condition("Denied")});
  EXPECT_EQ(Fields(ValidateCertificateSigningRequest(both, nullptr)),
            std::vector<std::string>{"status.conditions FieldValueInvalid"});
  json::value twice = WithConditions(csr, {Condition("Failed"), Condition("Failed")});
  EXPECT_EQ(Fields(ValidateCertificateSigningRequest(twice, nullptr)),
            std::vector<std::string>{"status.conditions[1].type FieldValueDuplicate"});
  json::value not_true = WithConditions(csr, {Condition("Approved", "False")});
  EXPECT_EQ(Fields(ValidateCertificateSigningRequest(not_true, nullptr)),
            std::vector<std::string>{"status.conditions[0].status FieldValueNotSupported"});
  // An approval cannot be withdrawn.
  json::value approved = WithConditions(csr, {Condition("Approved")});
  EXPECT_EQ(Fields(ValidateCertificateSigningRequest(csr, &approved)),
            std::vector<std::string>{"status.conditions FieldValueForbidden"});
  // Other condition types are free.
  EXPECT_TRUE(ValidateCertificateSigningRequest(WithConditions(csr, {Condition("Custom", "False")}), nullptr)
                  .empty());
}

TEST(CsrValidationTest, CertificateOnlyOnceApprovedAndNeverChanged) {
  std::string key = *http::NewPrivateKeyPem();
  std::string some_cert = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
  json::value pending = Csr(Request());
  json::value issued = pending;
  base::EnsureObject(issued, {"status"})["certificate"] = absl::Base64Escape(some_cert);
  EXPECT_EQ(Fields(ValidateCertificateSigningRequest(issued, &pending)),
            std::vector<std::string>{"status.certificate FieldValueForbidden"});
  json::value approved = WithConditions(pending, {Condition("Approved")});
  json::value approved_garbage = WithConditions(issued, {Condition("Approved")});
  EXPECT_EQ(Fields(ValidateCertificateSigningRequest(approved_garbage, &approved)),
            std::vector<std::string>{"status.certificate FieldValueInvalid"});
  json::value changed = approved_garbage;
  changed.as_object()["status"].as_object()["certificate"] = absl::Base64Escape("other");
  EXPECT_EQ(Fields(ValidateCertificateSigningRequest(changed, &approved_garbage)),
            std::vector<std::string>{"status.certificate FieldValueForbidden"});
}

class CsrAdmissionTest : public ::testing::Test {
 protected:
  AdmissionRequest Request(AdmissionOperation op, const char* subresource = "") {
    AdmissionRequest r;
    r.operation = op;
    r.resource = &Csrs();
    r.subresource = subresource;
    r.name = "c";
    r.user = &user_;
    return r;
  }

  base::testing::FakeClock clock_;
  CsrAdmission admission_{&clock_};
  User user_{"system:bootstrap:abc",
             "uid-1",
             {"system:bootstrappers", "system:authenticated"},
             {{"scope", {"node"}}}};
};

TEST_F(CsrAdmissionTest, CreateTakesTheRequesterFromTheServer) {
  json::value csr = Csr(skiff::apiserver::Request());
  auto& spec = csr.as_object()["spec"].as_object();
  spec["username"] = "forged";
  spec["groups"] = json::array{"system:masters"};
  spec["extra"] = json::object{{"k", json::array{"v"}}};
  csr.as_object()["status"] = json::object{{"certificate", "eA=="}};
  bool changed = false;
  ASSERT_TRUE(admission_.Mutate(Request(AdmissionOperation::kCreate), csr, nullptr, &changed).ok());
  EXPECT_TRUE(changed);
  EXPECT_EQ(base::GetString(csr, {"spec", "username"}), "system:bootstrap:abc");
  EXPECT_EQ(base::GetString(csr, {"spec", "uid"}), "uid-1");
  EXPECT_EQ(base::ToJson(*base::FindPath(csr, {"spec", "groups"})),
            R"(["system:bootstrappers","system:authenticated"])");
  EXPECT_EQ(base::ToJson(*base::FindPath(csr, {"spec", "extra"})), R"({"scope":["node"]})");
  EXPECT_EQ(base::FindPath(csr, {"status"}), nullptr);
}

TEST_F(CsrAdmissionTest, UpdatesKeepTheSpec) {
  json::value old = Csr(skiff::apiserver::Request());
  json::value next = old;
  next.as_object()["spec"].as_object()["signerName"] = "example.com/other";
  bool changed = false;
  ASSERT_TRUE(admission_.Mutate(Request(AdmissionOperation::kUpdate), next, &old, &changed).ok());
  EXPECT_EQ(base::GetString(next, {"spec", "signerName"}), "kubernetes.io/kube-apiserver-client");
}

TEST_F(CsrAdmissionTest, StatusWritesCannotDecideAndApprovalOnlyDecides) {
  json::value old = Csr(skiff::apiserver::Request());
  // Through status, an Approved condition is dropped; Failed stays.
  json::value via_status = WithConditions(old, {Condition("Approved"), Condition("Failed")});
  bool changed = false;
  ASSERT_TRUE(
      admission_.Mutate(Request(AdmissionOperation::kUpdate, "status"), via_status, &old, &changed).ok());
  const json::array& kept = base::FindPath(via_status, {"status", "conditions"})->get_array();
  ASSERT_EQ(kept.size(), 1u);
  EXPECT_EQ(base::GetString(kept[0], {"type"}), "Failed");
  EXPECT_EQ(base::GetString(kept[0], {"lastUpdateTime"}), base::FormatRfc3339(clock_.Now()));

  // Through approval, the conditions change but a certificate in the body does not.
  json::value via_approval = WithConditions(old, {Condition("Approved")});
  via_approval.as_object()["status"].as_object()["certificate"] = "eA==";
  ASSERT_TRUE(
      admission_.Mutate(Request(AdmissionOperation::kUpdate, "approval"), via_approval, &old, &changed).ok());
  EXPECT_EQ(base::FindPath(via_approval, {"status", "certificate"}), nullptr);
  const json::value& approved = base::FindPath(via_approval, {"status", "conditions"})->get_array()[0];
  EXPECT_EQ(base::GetString(approved, {"type"}), "Approved");
  EXPECT_EQ(base::GetString(approved, {"lastTransitionTime"}), base::FormatRfc3339(clock_.Now()));
}

TEST_F(CsrAdmissionTest, ValidateAnswers422) {
  json::value bad = Csr("junk");
  absl::Status st = admission_.Validate(Request(AdmissionOperation::kCreate), &bad, nullptr);
  EXPECT_EQ(api::HttpCode(st), 422);
  EXPECT_NE(st.message().find("spec.request"), absl::string_view::npos) << st;
}

}  // namespace
}  // namespace skiff::apiserver
