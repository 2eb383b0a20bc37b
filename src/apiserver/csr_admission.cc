#include "apiserver/csr_admission.h"

#include <set>
#include <string>

#include "absl/strings/escaping.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/name_validation.h"
#include "apiserver/auth.h"
#include "apiserver/schema_admission.h"
#include "base/json.h"
#include "boost/json.hpp"
#include "http/certificate_request.h"
#include "http/pki.h"

namespace skiff::apiserver {
namespace {

namespace json = boost::json;

constexpr std::string_view kApproved = "Approved";
constexpr std::string_view kDenied = "Denied";
constexpr std::string_view kFailed = "Failed";
constexpr int64_t kMinExpirationSeconds = 600;

bool IsCsr(const AdmissionRequest& request) {
  return request.resource && request.resource->group == "certificates.k8s.io" &&
         request.resource->plural == "certificatesigningrequests";
}

bool IsDecision(std::string_view type) { return type == kApproved || type == kDenied || type == kFailed; }

const json::array* Conditions(const json::value& csr) {
  const json::value* c = base::FindPath(csr, {"status", "conditions"});
  return c && c->is_array() ? &c->get_array() : nullptr;
}

const json::value* FindCondition(const json::value& csr, std::string_view type) {
  if (const json::array* list = Conditions(csr)) {
    for (const json::value& c : *list) {
      if (base::GetString(c, {"type"}) == type) return &c;
    }
  }
  return nullptr;
}

bool HasCondition(const json::value& csr, std::string_view type) {
  return FindCondition(csr, type) != nullptr;
}

// The decoded bytes of a base64 `bytes` field; nullopt when absent.
std::optional<std::string> Bytes(const json::value& obj, std::initializer_list<std::string_view> path) {
  const json::value* v = base::FindPath(obj, path);
  if (!v || !v->is_string()) return std::nullopt;
  std::string out;
  if (!absl::Base64Unescape(std::string(v->get_string()), &out)) return std::nullopt;
  return out;
}

api::FieldError Error(std::string_view type, std::string field, json::value bad, std::string detail) {
  api::FieldError e;
  e.type = std::string(type);
  e.field = std::move(field);
  e.bad_value = std::move(bad);
  e.detail = std::move(detail);
  return e;
}

// A signer name is "<DNS subdomain>/<path>", e.g. kubernetes.io/kube-apiserver-client.
void ValidateSignerName(const std::string& name, std::vector<api::FieldError>* errors) {
  const std::string field = "spec.signerName";
  if (name.empty()) {
    errors->push_back(Error(api::kFieldValueRequired, field, nullptr, ""));
    return;
  }
  std::vector<std::string> parts = absl::StrSplit(name, absl::MaxSplits('/', 1));
  if (parts.size() != 2 || parts[0].empty() || parts[1].empty()) {
    errors->push_back(
        Error(api::kFieldValueInvalid, field, json::string(name),
              "must be a fully qualified domain and path of the form 'example.com/signer-name'"));
    return;
  }
  for (const std::string& problem : api::IsDns1123Subdomain(parts[0])) {
    errors->push_back(Error(api::kFieldValueInvalid, field, json::string(name), "domain: " + problem));
  }
  if (name.size() > 571) {  // Kubernetes: 253 for the domain, 317 for the path, and the slash
    errors->push_back(
        Error(api::kFieldValueTooLong, field, json::string(name), "may not be more than 571 bytes"));
  }
}

void ValidateSpec(const json::value& csr, std::vector<api::FieldError>* errors) {
  std::optional<std::string> request = Bytes(csr, {"spec", "request"});
  if (!request || request->empty()) {
    errors->push_back(Error(api::kFieldValueRequired, "spec.request", nullptr, ""));
  } else if (auto parsed = http::ParseCertificateRequest(*request); !parsed.ok()) {
    errors->push_back(Error(api::kFieldValueInvalid, "spec.request", json::string("<certificate request>"),
                            std::string(parsed.status().message())));
  }
  std::string signer = base::GetString(csr, {"spec", "signerName"});
  ValidateSignerName(signer, errors);
  if (signer == "kubernetes.io/legacy-unknown") {  // certificates/v1beta1 only
    errors->push_back(Error(api::kFieldValueInvalid, "spec.signerName", json::string(signer),
                            "the legacy signerName is not allowed via this API version"));
  }
  if (const json::value* seconds = base::FindPath(csr, {"spec", "expirationSeconds"});
      seconds && seconds->is_int64() && seconds->get_int64() < kMinExpirationSeconds) {
    errors->push_back(Error(api::kFieldValueInvalid, "spec.expirationSeconds", *seconds,
                            "may not specify a duration less than 600 seconds (10 minutes)"));
  }
  const json::value* usages = base::FindPath(csr, {"spec", "usages"});
  if (!usages || !usages->is_array() || usages->get_array().empty()) {
    errors->push_back(Error(api::kFieldValueRequired, "spec.usages", nullptr, ""));
    return;
  }
  std::set<std::string> seen;
  for (size_t i = 0; i < usages->get_array().size(); ++i) {
    const json::value& u = usages->get_array()[i];
    std::string usage = u.is_string() ? std::string(u.get_string()) : "";
    std::string field = absl::StrCat("spec.usages[", i, "]");
    if (!http::IsKnownKeyUsage(usage)) {
      errors->push_back(Error(api::kFieldValueNotSupported, field, u, "unknown key usage"));
    } else if (!seen.insert(usage).second) {
      errors->push_back(Error(api::kFieldValueDuplicate, field, u, ""));
    }
  }
}

void ValidateConditions(const json::value& csr, const json::value* old,
                        std::vector<api::FieldError>* errors) {
  std::set<std::string> seen;
  if (const json::array* list = Conditions(csr)) {
    for (size_t i = 0; i < list->size(); ++i) {
      const json::value& c = (*list)[i];
      std::string type = base::GetString(c, {"type"});
      std::string prefix = absl::StrCat("status.conditions[", i, "]");
      if (!IsDecision(type)) continue;
      if (!seen.insert(type).second) {
        errors->push_back(Error(api::kFieldValueDuplicate, prefix + ".type", json::string(type), ""));
      }
      std::string status = base::GetString(c, {"status"});
      if (status != "True") {
        errors->push_back(Error(api::kFieldValueNotSupported, prefix + ".status", json::string(status),
                                "supported values: \"True\""));
      }
    }
  }
  if (seen.contains(std::string(kApproved)) && seen.contains(std::string(kDenied))) {
    errors->push_back(Error(api::kFieldValueInvalid, "status.conditions", json::string(kDenied),
                            "Approved and Denied conditions are mutually exclusive"));
  }
  if (!old) return;
  for (std::string_view type : {kApproved, kDenied, kFailed}) {
    if (HasCondition(*old, type) && !HasCondition(csr, type)) {
      errors->push_back(
          Error(api::kFieldValueForbidden, "status.conditions", nullptr,
                absl::StrCat("updates may not remove a condition of type \"", std::string(type), "\"")));
    }
  }
}

void ValidateCertificate(const json::value& csr, const json::value* old,
                         std::vector<api::FieldError>* errors) {
  std::optional<std::string> cert = Bytes(csr, {"status", "certificate"});
  std::optional<std::string> old_cert = old ? Bytes(*old, {"status", "certificate"}) : std::nullopt;
  if (old_cert && !old_cert->empty() && cert != old_cert) {
    errors->push_back(Error(api::kFieldValueForbidden, "status.certificate", nullptr,
                            "updates may not modify existing certificate content"));
    return;
  }
  if (!cert || cert->empty() || cert == old_cert) return;
  if (!HasCondition(csr, kApproved) || HasCondition(csr, kDenied)) {
    errors->push_back(Error(api::kFieldValueForbidden, "status.certificate", nullptr,
                            "certificate may only be set if the Approved condition is present"));
    return;
  }
  if (!http::ParseCertificatePem(*cert).ok()) {
    errors->push_back(Error(api::kFieldValueInvalid, "status.certificate", json::string("<certificate data>"),
                            "must contain at least one PEM-encoded CERTIFICATE block"));
  }
}

// Approved/Denied conditions of `from` replace those of `into` (status writes cannot decide):
// kept where `into` has them, appended where only `from` has them, dropped where only `into` has.
void KeepDecisions(json::value& into, const json::value& from) {
  json::array kept;
  std::set<std::string> placed;
  if (const json::array* list = Conditions(into)) {
    for (const json::value& c : *list) {
      std::string type = base::GetString(c, {"type"});
      if (type != kApproved && type != kDenied) {
        kept.push_back(c);
      } else if (const json::value* decided = FindCondition(from, type);
                 decided && placed.insert(type).second) {
        kept.push_back(*decided);
      }
    }
  }
  for (std::string_view type : {kApproved, kDenied}) {
    const json::value* decided = FindCondition(from, type);
    if (decided && !placed.contains(std::string(type))) kept.push_back(*decided);
  }
  if (kept.empty()) {
    json::value* status = into.as_object().if_contains("status");
    if (status && status->is_object()) status->as_object().erase("conditions");
    return;
  }
  base::EnsureObject(into, {"status"})["conditions"] = std::move(kept);
}

// lastUpdateTime = now when unset; lastTransitionTime = the old condition's while its status is
// unchanged, else now.
void StampConditions(json::value& csr, const json::value* old, const std::string& now) {
  json::value* list = csr.is_object() ? csr.as_object().if_contains("status") : nullptr;
  list = list && list->is_object() ? list->as_object().if_contains("conditions") : nullptr;
  if (!list || !list->is_array()) return;
  for (json::value& c : list->as_array()) {
    if (!c.is_object()) continue;
    json::object& cond = c.as_object();
    if (base::GetString(c, {"lastUpdateTime"}).empty()) cond["lastUpdateTime"] = now;
    if (!base::GetString(c, {"lastTransitionTime"}).empty()) continue;
    const json::value* previous = old ? FindCondition(*old, base::GetString(c, {"type"})) : nullptr;
    std::string kept = previous && base::GetString(*previous, {"status"}) == base::GetString(c, {"status"})
                           ? base::GetString(*previous, {"lastTransitionTime"})
                           : "";
    cond["lastTransitionTime"] = kept.empty() ? now : kept;
  }
}

}  // namespace

std::vector<api::FieldError> ValidateCertificateSigningRequest(const json::value& csr,
                                                               const json::value* old) {
  std::vector<api::FieldError> errors;
  if (!old) ValidateSpec(csr, &errors);  // the spec of an update is the stored one (Mutate)
  ValidateConditions(csr, old, &errors);
  ValidateCertificate(csr, old, &errors);
  return errors;
}

absl::Status CsrAdmission::Mutate(const AdmissionRequest& request, json::value& obj, const json::value* old,
                                  bool* changed) {
  if (!IsCsr(request) || !obj.is_object()) return absl::OkStatus();
  *changed = true;
  if (request.operation == AdmissionOperation::kCreate) {
    // Who asked is the server's to say; in-process writes without an identity keep what they set.
    if (request.user) {
      json::object& spec = base::EnsureObject(obj, {"spec"});
      spec["username"] = request.user->name;
      if (request.user->uid.empty()) {
        spec.erase("uid");
      } else {
        spec["uid"] = request.user->uid;
      }
      json::array groups;
      for (const std::string& g : request.user->groups) groups.push_back(json::string(g));
      spec["groups"] = std::move(groups);
      json::object extra;
      for (const auto& [key, values] : request.user->extra) {
        json::array list;
        for (const std::string& v : values) list.push_back(json::string(v));
        extra[key] = std::move(list);
      }
      if (extra.empty()) {
        spec.erase("extra");
      } else {
        spec["extra"] = std::move(extra);
      }
    }
    obj.as_object().erase("status");
    return absl::OkStatus();
  }
  if (!old || !old->is_object()) return absl::OkStatus();
  if (const json::value* spec = old->as_object().if_contains("spec")) obj.as_object()["spec"] = *spec;
  if (request.subresource == "status") {
    KeepDecisions(obj, *old);
  } else if (request.subresource == "approval") {
    // Only the conditions change; the certificate stays as stored.
    json::value conditions = nullptr;
    if (const json::value* c = base::FindPath(obj, {"status", "conditions"})) conditions = *c;
    json::value status =
        old->as_object().contains("status") ? old->at("status") : json::value(json::object());
    if (!status.is_object()) status = json::object();
    if (conditions.is_null()) {
      status.as_object().erase("conditions");
    } else {
      status.as_object()["conditions"] = std::move(conditions);
    }
    obj.as_object()["status"] = std::move(status);
  }
  StampConditions(obj, old, base::FormatRfc3339(clock_->Now()));
  return absl::OkStatus();
}

absl::Status CsrAdmission::Validate(const AdmissionRequest& request, const json::value* obj,
                                    const json::value* old) {
  if (!IsCsr(request) || !obj) return absl::OkStatus();
  std::vector<api::FieldError> errors = ValidateCertificateSigningRequest(*obj, old);
  if (errors.empty()) return absl::OkStatus();
  return InvalidObjectStatus(*request.resource, std::string(request.name), errors);
}

}  // namespace skiff::apiserver
