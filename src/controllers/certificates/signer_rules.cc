#include "controllers/certificates/signer_rules.h"

#include <algorithm>
#include <set>

#include "absl/strings/escaping.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::controllers::certificates {
namespace {

namespace json = boost::json;

// Every usage must be allowed and every required one present.
absl::Status CheckUsages(const std::vector<std::string>& usages, const std::set<std::string>& allowed,
                         std::string_view required) {
  for (const std::string& u : usages) {
    if (!allowed.contains(u)) {
      return absl::InvalidArgumentError(
          absl::StrCat("usages not allowed: \"", u, "\" (allowed: ", absl::StrJoin(allowed, ", "), ")"));
    }
  }
  if (std::find(usages.begin(), usages.end(), required) == usages.end()) {
    return absl::InvalidArgumentError(absl::StrCat("missing required usage \"", std::string(required), "\""));
  }
  return absl::OkStatus();
}

// The subject rules both kubelet signers share: O=system:nodes only, CN=system:node:<name>.
absl::Status CheckNodeSubject(const http::CertificateRequestInfo& request) {
  if (request.organizations != std::vector<std::string>{kNodesGroup}) {
    return absl::InvalidArgumentError(absl::StrCat("subject organization is not ", kNodesGroup));
  }
  if (!absl::StartsWith(request.common_name, kNodeUserPrefix) ||
      request.common_name.size() == sizeof(kNodeUserPrefix) - 1) {
    return absl::InvalidArgumentError(
        absl::StrCat("subject common name does not begin with ", kNodeUserPrefix));
  }
  if (request.email_sans > 0 || request.uri_sans > 0) {
    return absl::InvalidArgumentError("email and URI subjectAltNames are not allowed");
  }
  return absl::OkStatus();
}

}  // namespace

bool IsServedSigner(std::string_view signer_name) {
  return signer_name == kKubeletClientSigner || signer_name == kKubeletServingSigner ||
         signer_name == kApiServerClientSigner;
}

absl::Status CheckSignerRules(std::string_view signer_name, const http::CertificateRequestInfo& request,
                              const std::vector<std::string>& usages) {
  if (signer_name == kKubeletClientSigner) {
    if (absl::Status st = CheckNodeSubject(request); !st.ok()) return st;
    if (!request.sans.dns.empty() || !request.sans.ips.empty()) {
      return absl::InvalidArgumentError("DNS and IP subjectAltNames are not allowed");
    }
    return CheckUsages(usages, {"digital signature", "key encipherment", "client auth"}, "client auth");
  }
  if (signer_name == kKubeletServingSigner) {
    if (absl::Status st = CheckNodeSubject(request); !st.ok()) return st;
    if (request.sans.dns.empty() && request.sans.ips.empty()) {
      return absl::InvalidArgumentError("DNS or IP subjectAltName is required");
    }
    return CheckUsages(usages, {"digital signature", "key encipherment", "server auth"}, "server auth");
  }
  if (signer_name == kApiServerClientSigner) {
    return CheckUsages(usages, {"digital signature", "key encipherment", "client auth"}, "client auth");
  }
  return absl::InvalidArgumentError(absl::StrCat("signer ", std::string(signer_name), " is not served"));
}

bool HasCondition(const json::value& csr, std::string_view type) {
  const json::value* list = base::FindPath(csr, {"status", "conditions"});
  if (!list || !list->is_array()) return false;
  for (const json::value& c : list->get_array()) {
    if (base::GetString(c, {"type"}) == type) return true;
  }
  return false;
}

bool IsApproved(const json::value& csr) {
  return HasCondition(csr, "Approved") && !HasCondition(csr, "Denied");
}
bool IsDecided(const json::value& csr) {
  return HasCondition(csr, "Approved") || HasCondition(csr, "Denied");
}

void AddCondition(json::value& csr, std::string_view type, std::string_view reason, std::string_view message,
                  std::string_view now) {
  json::value& list = base::EnsureObject(csr, {"status"})["conditions"];
  if (!list.is_array()) list = json::array();
  list.as_array().push_back(json::object{
      {"type", type}, {"status", "True"}, {"reason", reason}, {"message", message}, {"lastUpdateTime", now}});
}

std::vector<std::string> Usages(const json::value& csr) {
  std::vector<std::string> out;
  const json::value* list = base::FindPath(csr, {"spec", "usages"});
  if (!list || !list->is_array()) return out;
  for (const json::value& u : list->get_array()) {
    if (u.is_string()) out.emplace_back(u.get_string());
  }
  return out;
}

std::string RequestPem(const json::value& csr) {
  std::string out;
  if (!absl::Base64Unescape(base::GetString(csr, {"spec", "request"}), &out)) return "";
  return out;
}

}  // namespace skiff::controllers::certificates
