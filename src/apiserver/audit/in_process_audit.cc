#include "apiserver/audit/in_process_audit.h"

#include "absl/strings/str_cat.h"
#include "api/errors.h"
#include "api/uid.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::audit {
namespace {

namespace json = boost::json;

json::value WithoutManagedFields(const json::value& v) {
  json::value copy = v;
  if (copy.is_object()) {
    if (auto* meta = copy.as_object().if_contains("metadata"); meta && meta->is_object()) {
      meta->as_object().erase("managedFields");
    }
  }
  return copy;
}

}  // namespace

std::string ResourceUri(const Attributes& a) {
  std::string uri = a.api_group.empty() ? absl::StrCat("/api/", a.api_version)
                                        : absl::StrCat("/apis/", a.api_group, "/", a.api_version);
  bool namespace_object = a.api_group.empty() && a.resource == "namespaces";
  if (!a.namespace_name.empty() && !namespace_object) absl::StrAppend(&uri, "/namespaces/", a.namespace_name);
  absl::StrAppend(&uri, "/", a.resource);
  if (!a.name.empty()) absl::StrAppend(&uri, "/", a.name);
  if (!a.subresource.empty()) absl::StrAppend(&uri, "/", a.subresource);
  return uri;
}

InProcessAudit::InProcessAudit(std::shared_ptr<const Auditor> auditor, const Attributes& attributes,
                               std::string user_agent, const json::value* request)
    : auditor_(std::move(auditor)) {
  decision_ = auditor_->Decide(attributes);
  event_.level = decision_.level;
  if (!recorded()) return;
  event_.audit_id = api::NewUid();
  event_.request_received = auditor_->clock().Now();
  event_.request_uri = ResourceUri(attributes);
  event_.verb = attributes.verb;
  event_.user = attributes.user;
  event_.user_agent = std::move(user_agent);
  event_.object_ref = RefOf(attributes);
  if (request && event_.level >= Level::kRequest) {
    event_.request_object = decision_.omit_managed_fields ? WithoutManagedFields(*request) : *request;
  }
}

void InProcessAudit::SetAuthorization(bool allowed) {
  annotations_[kDecisionAnnotation] = allowed ? "allow" : "forbid";
}

void InProcessAudit::Complete(const absl::Status& status, int success_code, const json::value* response) {
  if (!recorded()) return;
  ResponseStatus rs;
  if (status.ok()) {
    rs.code = success_code;
  } else {
    rs.code = api::HttpCode(status);
    json::value body = api::StatusObject(status);
    rs.status = base::GetString(body, {"status"});
    rs.message = base::GetString(body, {"message"});
    rs.reason = base::GetString(body, {"reason"});
    if (const auto* details = base::Find(body, "details"); details && details->is_object())
      rs.details = *details;
  }
  event_.response_status = std::move(rs);
  if (response && response->is_object()) {
    ObjectRef& ref = *event_.object_ref;
    if (ref.name.empty()) ref.name = base::GetString(*response, {"metadata", "name"});
    if (event_.level >= Level::kRequestResponse) {
      event_.response_object = decision_.omit_managed_fields ? WithoutManagedFields(*response) : *response;
    }
  }
  for (auto& [key, value] : annotations_) event_.annotations[key] = std::move(value);
  event_.stage = Stage::kResponseComplete;
  auditor_->Emit(event_, decision_.omit_stages);
}

}  // namespace skiff::apiserver::audit
