#include "controllers/certificates/csr_approving_controller.h"

#include <algorithm>
#include <utility>

#include "absl/strings/match.h"
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

bool InGroup(const json::value& csr, std::string_view group) {
  const json::value* groups = base::FindPath(csr, {"spec", "groups"});
  if (!groups || !groups->is_array()) return false;
  return std::any_of(groups->get_array().begin(), groups->get_array().end(),
                     [&](const json::value& g) { return g.is_string() && g.get_string() == group; });
}

}  // namespace

bool ShouldAutoApprove(const json::value& csr) {
  if (IsDecided(csr) || base::GetString(csr, {"spec", "signerName"}) != kKubeletClientSigner) return false;
  absl::StatusOr<http::CertificateRequestInfo> request = http::ParseCertificateRequest(RequestPem(csr));
  if (!request.ok() || !CheckSignerRules(kKubeletClientSigner, *request, Usages(csr)).ok()) return false;
  std::string user = base::GetString(csr, {"spec", "username"});
  // nodeclient: a bootstrapping node asks for its first certificate.
  if (InGroup(csr, "system:bootstrappers") && absl::StartsWith(user, "system:bootstrap:")) return true;
  // selfnodeclient: a node renews its own certificate.
  return InGroup(csr, kNodesGroup) && user == request->common_name;
}

CsrApprovingController::CsrApprovingController(const client::ControllerContext& context,
                                               const base::Clock* clock)
    : context_(context), clock_(clock), csrs_(&context.informers->For(Csrs())) {}

CsrApprovingController::~CsrApprovingController() { Stop(); }

void CsrApprovingController::Start() {
  controller_ = std::make_unique<client::Controller>("csrapproving", this, 1);
  client::InformerHandlers handlers;
  auto enqueue = [this](const client::Object& csr) {
    if (!IsDecided(*csr)) controller_->queue().Add(base::GetString(*csr, {"metadata", "name"}));
  };
  handlers.on_add = enqueue;
  handlers.on_update = [enqueue](const client::Object&, const client::Object& csr) { enqueue(csr); };
  csrs_->AddHandlers(std::move(handlers));
  controller_->Start();
}

void CsrApprovingController::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult CsrApprovingController::Reconcile(const std::string& name) {
  client::Object cached = csrs_->Get(name);
  if (!cached || !ShouldAutoApprove(*cached)) return {};
  json::value csr = *cached;
  AddCondition(csr, "Approved", kAutoApprovedReason, kAutoApprovedMessage,
               base::FormatRfc3339(clock_->Now()));
  auto written = context_.client->Update(Csrs(), "", std::move(csr), "approval",
                                         {.field_manager = "certificatesigningrequest-approving-controller"});
  if (written.ok()) {
    spdlog::info("csrapproving: approved {}", name);
    return {};
  }
  int code = client::HttpCode(written.status());
  if (code == 404 || code == 409) return {};  // gone or changed: the informer brings the news
  return {written.status()};
}

std::unique_ptr<client::Runnable> NewCsrApprovingController(const client::ControllerContext& context) {
  return std::make_unique<CsrApprovingController>(context, &base::RealClock());
}

}  // namespace skiff::controllers::certificates
