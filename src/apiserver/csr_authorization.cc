#include "apiserver/csr_authorization.h"

#include <algorithm>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "http/certificate_request.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

constexpr char kGroup[] = "certificates.k8s.io";
constexpr char kApiServerClientSigner[] = "kubernetes.io/kube-apiserver-client";

absl::Status Forbidden(const AdmissionRequest& request, const std::string& why) {
  const api::ResourceInfo& r = *request.resource;
  std::string name(request.name);
  return api::ToStatus({403, "Forbidden",
                        absl::StrCat(r.QualifiedPlural(), " \"", name, "\" is forbidden: ", why), name,
                        r.group, r.plural});
}

// status.certificate as stored (base64 text); "" when absent.
std::string Certificate(const json::value* csr) {
  return csr ? base::GetString(*csr, {"status", "certificate"}) : "";
}

// The organizations the PEM request in spec.request asks for; empty when it does not parse
// (validation refuses it then).
std::vector<std::string> RequestedOrganizations(const json::value& csr) {
  std::string pem;
  if (!absl::Base64Unescape(base::GetString(csr, {"spec", "request"}), &pem)) return {};
  auto parsed = http::ParseCertificateRequest(pem);
  return parsed.ok() ? parsed->organizations : std::vector<std::string>{};
}

}  // namespace

bool CsrAuthorization::MaySigner(const User& user, const std::string& verb,
                                 const std::string& signer_name) const {
  RequestInfo info;
  info.is_resource = true;
  info.group = kGroup;
  info.version = "*";
  info.resource = "signers";
  info.verb = verb;
  info.name = signer_name;
  if (authorizer_->Authorize(user, info).ok()) return true;
  auto slash = signer_name.find('/');
  if (slash == std::string::npos) return false;
  info.name = signer_name.substr(0, slash) + "/*";
  return authorizer_->Authorize(user, info).ok();
}

absl::Status CsrAuthorization::Validate(const AdmissionRequest& request, const json::value* obj,
                                        const json::value* old) {
  if (!request.resource || request.resource->group != kGroup ||
      request.resource->plural != "certificatesigningrequests" || !obj || !request.user) {
    return absl::OkStatus();
  }
  std::string signer = base::GetString(*obj, {"spec", "signerName"});
  if (request.operation == AdmissionOperation::kCreate && request.subresource.empty()) {
    if (signer != kApiServerClientSigner) return absl::OkStatus();
    auto orgs = RequestedOrganizations(*obj);
    if (std::find(orgs.begin(), orgs.end(), "system:masters") != orgs.end()) {
      return Forbidden(request,
                       absl::StrCat("use of ", signer, " signer with system:masters group is not allowed"));
    }
    return absl::OkStatus();
  }
  if (request.operation != AdmissionOperation::kUpdate) return absl::OkStatus();
  if (request.subresource == "approval") {
    if (!MaySigner(*request.user, "approve", signer)) {
      return Forbidden(
          request, absl::StrCat("user not permitted to approve requests with signerName \"", signer, "\""));
    }
  } else if (request.subresource == "status" && Certificate(obj) != Certificate(old)) {
    if (!MaySigner(*request.user, "sign", signer)) {
      return Forbidden(request,
                       absl::StrCat("user not permitted to sign requests with signerName \"", signer, "\""));
    }
  }
  return absl::OkStatus();
}

}  // namespace skiff::apiserver
