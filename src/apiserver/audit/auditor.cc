#include "apiserver/audit/auditor.h"

#include <arpa/inet.h>

#include "absl/strings/ascii.h"
#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "api/codec.h"
#include "api/uid.h"
#include "apiserver/audit/audited_stream.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::audit {
namespace {

namespace json = boost::json;

constexpr size_t kMaxUserAgentLength = 1024;  // as kube-apiserver
constexpr char kUserAgentTruncated[] = "...TRUNCATED";

// A client-chosen Audit-ID is kept only when it is short and harmless in a header and a log.
bool PlausibleAuditId(const std::string& id) {
  if (id.empty() || id.size() > 128) return false;
  for (char c : id) {
    if (!absl::ascii_isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '_' && c != '.') return false;
  }
  return true;
}

bool IsIp(absl::string_view text) {
  std::string s(text);
  unsigned char buf[16];
  return inet_pton(AF_INET, s.c_str(), buf) == 1 || inet_pton(AF_INET6, s.c_str(), buf) == 1;
}

// As kube-apiserver's utilnet.SourceIPs: X-Forwarded-For, then X-Real-Ip, then the peer address.
std::vector<std::string> SourceIps(const http::HttpRequest& req) {
  std::vector<std::string> ips;
  for (absl::string_view part : absl::StrSplit(req.Header("x-forwarded-for"), ',')) {
    part = absl::StripAsciiWhitespace(part);
    if (IsIp(part)) ips.emplace_back(part);
  }
  std::string real_ip(absl::StripAsciiWhitespace(req.Header("x-real-ip")));
  if (IsIp(real_ip) && std::find(ips.begin(), ips.end(), real_ip) == ips.end()) ips.push_back(real_ip);
  if (!req.remote_address.empty() && (ips.empty() || ips.back() != req.remote_address)) {
    ips.push_back(req.remote_address);
  }
  return ips;
}

void StripManagedFields(json::value& v) {
  if (!v.is_object()) return;
  if (auto* meta = v.as_object().if_contains("metadata"); meta && meta->is_object()) {
    meta->as_object().erase("managedFields");
  }
  if (auto* items = v.as_object().if_contains("items"); items && items->is_array()) {
    for (auto& item : items->as_array()) StripManagedFields(item);
  }
}

// The body as JSON, or why it is left out of the log.
absl::StatusOr<json::value> BodyObject(std::string_view content_type, std::string_view body, size_t limit) {
  if (body.size() > limit) {
    return absl::ResourceExhaustedError(
        absl::StrCat("omitted: ", body.size(), " bytes exceed the audit limit of ", limit));
  }
  auto decoded = api::DecodeBody(content_type, body);
  if (!decoded.ok()) return absl::InvalidArgumentError(absl::StrCat("omitted: ", decoded.status().message()));
  return decoded;
}

// Kubernetes copies the bounded fields of a Status body into responseStatus.
void FillFromStatusBody(const http::HttpResponse& resp, ResponseStatus& status) {
  if (!absl::StartsWith(resp.content_type, "application/json") || resp.body.size() > (64 << 10)) return;
  bool looks_like_status =
      resp.status >= 400 || absl::StrContains(resp.body.substr(0, 64), "\"kind\":\"Status\"");
  if (!looks_like_status) return;
  auto parsed = base::ParseJson(resp.body);
  if (!parsed.ok() || base::GetString(*parsed, {"kind"}) != "Status") return;
  status.status = base::GetString(*parsed, {"status"});
  status.message = base::GetString(*parsed, {"message"});
  status.reason = base::GetString(*parsed, {"reason"});
  if (const auto* details = base::Find(*parsed, "details"); details && details->is_object())
    status.details = *details;
}

}  // namespace

ObjectRef RefOf(const Attributes& a) {
  ObjectRef ref;
  ref.resource = a.resource;
  ref.namespace_name = a.namespace_name;
  ref.name = a.name;
  ref.api_group = a.api_group;
  ref.api_version = a.api_version;
  ref.subresource = a.subresource;
  return ref;
}

Auditor::Auditor(Policy policy, std::unique_ptr<BatchWriter> writer, const base::Clock* clock,
                 size_t max_object_bytes)
    : policy_(std::move(policy)),
      writer_(std::move(writer)),
      clock_(clock),
      max_object_bytes_(max_object_bytes) {}

void Auditor::Emit(Event& event, const std::set<Stage>& omit_stages) const {
  if (event.level == Level::kNone || omit_stages.count(event.stage)) return;
  event.stage_time = clock_->Now();
  std::string line = EventJson(event);
  line += '\n';
  writer_->Enqueue(std::move(line));
}

RequestAudit::RequestAudit(std::shared_ptr<const Auditor> auditor, const http::HttpRequest& req)
    : auditor_(std::move(auditor)) {
  std::string id = req.Header("audit-id");
  event_.audit_id = PlausibleAuditId(id) ? id : api::NewUid();
  if (!auditor_) return;
  event_.request_received = auditor_->clock().Now();
  event_.request_uri = req.target.empty() ? req.path : req.target;
  event_.source_ips = SourceIps(req);
  event_.user_agent = req.Header("user-agent");
  if (event_.user_agent.size() > kMaxUserAgentLength) {
    event_.user_agent = event_.user_agent.substr(0, kMaxUserAgentLength) + kUserAgentTruncated;
  }
}

void RequestAudit::Decide(const Attributes& attributes) {
  decided_ = true;
  decision_ = auditor_->Decide(attributes);
  event_.level = decision_.level;
  event_.verb = attributes.verb;
  event_.user = attributes.user;
  if (attributes.is_resource) event_.object_ref = RefOf(attributes);
}

void RequestAudit::Received(const http::HttpRequest& req, const Attributes& attributes) {
  if (!auditor_) return;
  Decide(attributes);
  if (event_.level == Level::kNone) return;
  event_.stage = Stage::kRequestReceived;
  auditor_->Emit(event_, decision_.omit_stages);
  // Like kube-apiserver, the request object completes objectRef (the name of a create) at any
  // level, and is recorded from level Request on. Only bodies of writes that carry an object.
  bool object_write = attributes.is_resource && (attributes.verb == "create" || attributes.verb == "update");
  bool wants_body = event_.level >= Level::kRequest && !req.body.empty();
  if (!object_write && !wants_body) return;
  auto body = BodyObject(req.Header("content-type"), req.body, auditor_->max_object_bytes());
  if (!body.ok()) {
    if (wants_body) event_.annotations[kRequestObjectAnnotation] = std::string(body.status().message());
    return;
  }
  if (object_write && event_.object_ref && body->is_object()) {
    ObjectRef& ref = *event_.object_ref;
    if (ref.namespace_name.empty()) ref.namespace_name = base::GetString(*body, {"metadata", "namespace"});
    if (ref.name.empty()) ref.name = base::GetString(*body, {"metadata", "name"});
    if (ref.uid.empty()) ref.uid = base::GetString(*body, {"metadata", "uid"});
    if (ref.resource_version.empty())
      ref.resource_version = base::GetString(*body, {"metadata", "resourceVersion"});
  }
  if (!wants_body) return;
  if (decision_.omit_managed_fields) StripManagedFields(*body);
  event_.request_object = std::move(*body);
}

void RequestAudit::Unauthenticated(const Attributes& attributes) {
  if (!auditor_) return;
  Decide(attributes);
  unauthenticated_ = true;
}

void RequestAudit::SetImpersonatedUser(UserInfo user) { event_.impersonated_user = std::move(user); }

void RequestAudit::SetAuthorization(bool allowed, const std::string& reason) {
  event_.annotations[kDecisionAnnotation] = allowed ? "allow" : "forbid";
  if (!reason.empty()) event_.annotations[kReasonAnnotation] = reason;
}

void RequestAudit::AddAnnotations(const std::map<std::string, std::string>& annotations) {
  for (const auto& [key, value] : annotations) event_.annotations[key] = value;
}

void RequestAudit::Panic(std::string_view what) {
  if (!auditor_ || finished_) return;
  finished_ = true;
  if (!decided_) {
    Attributes anonymous;
    anonymous.user = UserInfo{"system:anonymous", "", {"system:unauthenticated"}, {}};
    Decide(anonymous);
  }
  event_.stage = Stage::kPanic;
  event_.response_status = ResponseStatus{
      .code = 500,
      .message = absl::StrCat("APIServer panic'd: ", absl::string_view(what.data(), what.size()))};
  event_.request_object.reset();
  auditor_->Emit(event_, decision_.omit_stages);
}

void RequestAudit::Respond(const http::HttpRequest& req, http::HttpResponse& resp) {
  resp.headers.emplace_back("Audit-Id", event_.audit_id);
  if (!auditor_ || finished_) return;
  finished_ = true;
  if (!decided_) {
    // Served without authentication (health probes): recorded as the anonymous user.
    Attributes anonymous;
    anonymous.user = UserInfo{"system:anonymous", "", {"system:unauthenticated"}, {}};
    anonymous.verb = absl::AsciiStrToLower(req.method);
    anonymous.path = req.path;
    Decide(anonymous);
    if (event_.level == Level::kNone) return;
    event_.stage = Stage::kRequestReceived;
    auditor_->Emit(event_, decision_.omit_stages);
  }
  if (event_.level == Level::kNone) return;
  ResponseStatus status;
  status.code = resp.status;
  FillFromStatusBody(resp, status);
  if (unauthenticated_) {
    // kube-apiserver records a failed authentication once, as ResponseStarted.
    event_.user = UserInfo{};
    event_.stage = Stage::kResponseStarted;
    event_.response_status = std::move(status);
    auditor_->Emit(event_, decision_.omit_stages);
    return;
  }
  event_.response_status = std::move(status);
  if (event_.level >= Level::kRequestResponse) {
    if (resp.producer) {
      event_.annotations[kResponseObjectAnnotation] = "omitted: the body was streamed";
    } else if (!resp.stream && !resp.tunnel && absl::StartsWith(resp.content_type, "application/json") &&
               !resp.body.empty()) {
      auto body = BodyObject("application/json", resp.body, auditor_->max_object_bytes());
      if (body.ok()) {
        if (decision_.omit_managed_fields) StripManagedFields(*body);
        event_.response_object = std::move(*body);
      } else {
        event_.annotations[kResponseObjectAnnotation] = std::string(body.status().message());
      }
    }
  }
  if (resp.stream || resp.tunnel) {
    auto stream = std::make_shared<StreamAudit>(auditor_, std::move(event_), decision_.omit_stages);
    if (resp.stream) resp.stream = AuditedStream(std::move(resp.stream), stream);
    if (resp.tunnel) resp.tunnel = AuditedTunnel(std::move(resp.tunnel), stream);
    return;
  }
  event_.stage = Stage::kResponseComplete;
  auditor_->Emit(event_, decision_.omit_stages);
}

}  // namespace skiff::apiserver::audit
