#include "controllers/certificates/csr_signing_controller.h"

#include <algorithm>
#include <utility>

#include "absl/strings/escaping.h"
#include "base/file.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "controllers/certificates/signer_rules.h"
#include "http/certificate_request.h"
#include "spdlog/spdlog.h"

namespace skiff::controllers::certificates {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Csrs() {
  return client::Resource("certificates.k8s.io", "v1", "certificatesigningrequests");
}

// Whether this signer still has work on `csr`: approved, not failed, no certificate yet.
bool NeedsCertificate(const json::value& csr) {
  return IsServedSigner(base::GetString(csr, {"spec", "signerName"})) && IsApproved(csr) &&
         !HasCondition(csr, "Failed") && base::GetString(csr, {"status", "certificate"}).empty();
}

// Writes the CSR's status; a 409 (someone wrote meanwhile) or 404 (deleted) needs no retry
// here, the informer brings the new state.
client::ReconcileResult WriteStatus(client::Client* client, json::value csr) {
  auto written = client->Update(Csrs(), "", std::move(csr), "status",
                                {.field_manager = "certificatesigningrequest-signing-controller"});
  if (written.ok()) return {};
  int code = client::HttpCode(written.status());
  if (code == 404 || code == 409) return {};
  return {written.status()};
}

}  // namespace

CsrSigningController::CsrSigningController(const client::ControllerContext& context, const base::Clock* clock)
    : context_(context), clock_(clock), csrs_(&context.informers->For(Csrs())) {}

CsrSigningController::~CsrSigningController() { Stop(); }

void CsrSigningController::Start() {
  controller_ = std::make_unique<client::Controller>("csrsigning", this, 1);
  client::InformerHandlers handlers;
  auto enqueue = [this](const client::Object& csr) {
    if (NeedsCertificate(*csr)) controller_->queue().Add(base::GetString(*csr, {"metadata", "name"}));
  };
  handlers.on_add = enqueue;
  handlers.on_update = [enqueue](const client::Object&, const client::Object& csr) { enqueue(csr); };
  csrs_->AddHandlers(std::move(handlers));
  controller_->Start();
}

void CsrSigningController::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult CsrSigningController::Reconcile(const std::string& name) {
  client::Object cached = csrs_->Get(name);
  if (!cached || !NeedsCertificate(*cached)) return {};
  json::value csr = *cached;
  std::string signer = base::GetString(csr, {"spec", "signerName"});
  std::string request = RequestPem(csr);
  std::vector<std::string> usages = Usages(csr);
  std::string now = base::FormatRfc3339(clock_->Now());
  absl::StatusOr<http::CertificateRequestInfo> parsed = http::ParseCertificateRequest(request);
  absl::Status allowed = parsed.ok() ? CheckSignerRules(signer, *parsed, usages) : parsed.status();
  if (!allowed.ok()) {
    spdlog::info("csrsigning: {} refused: {}", name, std::string(allowed.message()));
    AddCondition(csr, "Failed", "SignerValidationFailure", std::string(allowed.message()), now);
    return WriteStatus(context_.client, std::move(csr));
  }
  const client::ControllerOptions& options = context_.options;
  if (options.cluster_signing_cert_file.empty()) return {};  // no CA configured: not signing
  absl::StatusOr<std::string> ca_cert = base::ReadFile(options.cluster_signing_cert_file);
  if (!ca_cert.ok()) return {ca_cert.status()};
  absl::StatusOr<std::string> ca_key = base::ReadFile(options.cluster_signing_key_file);
  if (!ca_key.ok()) return {ca_key.status()};
  absl::Duration validity = options.cluster_signing_duration;
  if (const json::value* seconds = base::FindPath(csr, {"spec", "expirationSeconds"});
      seconds && seconds->is_int64()) {
    // Validation keeps it at 600 s or more; the signer never exceeds its configured maximum.
    validity = std::min(validity, absl::Seconds(std::max<int64_t>(seconds->get_int64(), 600)));
  }
  absl::StatusOr<std::string> cert = http::IssueCertificate(
      request, *ca_cert, *ca_key, {.usages = usages, .now = clock_->Now(), .validity = validity});
  if (!cert.ok()) return {cert.status()};
  base::EnsureObject(csr, {"status"})["certificate"] = absl::Base64Escape(*cert);
  spdlog::info("csrsigning: issued a certificate for {} ({})", name, signer);
  return WriteStatus(context_.client, std::move(csr));
}

std::unique_ptr<client::Runnable> NewCsrSigningController(const client::ControllerContext& context) {
  return std::make_unique<CsrSigningController>(context, &base::RealClock());
}

}  // namespace skiff::controllers::certificates
