#include "apiserver/audit/event.h"

#include "base/clock.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::apiserver::audit {
namespace {

namespace json = boost::json;

void PutIfSet(json::object& out, const char* key, const std::string& value) {
  if (!value.empty()) out[key] = value;
}

json::object UserJson(const UserInfo& user, const json::storage_ptr& sp) {
  json::object out(sp);
  PutIfSet(out, "username", user.username);
  PutIfSet(out, "uid", user.uid);
  if (!user.groups.empty()) {
    json::array groups(sp);
    for (const auto& g : user.groups) groups.emplace_back(g);
    out["groups"] = std::move(groups);
  }
  if (!user.extra.empty()) {
    json::object extra(sp);
    for (const auto& [key, values] : user.extra) {
      json::array list(sp);
      for (const auto& v : values) list.emplace_back(v);
      extra[key] = std::move(list);
    }
    out["extra"] = std::move(extra);
  }
  return out;
}

json::object ObjectRefJson(const ObjectRef& ref, const json::storage_ptr& sp) {
  json::object out(sp);
  PutIfSet(out, "resource", ref.resource);
  PutIfSet(out, "namespace", ref.namespace_name);
  PutIfSet(out, "name", ref.name);
  PutIfSet(out, "uid", ref.uid);
  PutIfSet(out, "apiGroup", ref.api_group);
  PutIfSet(out, "apiVersion", ref.api_version);
  PutIfSet(out, "resourceVersion", ref.resource_version);
  PutIfSet(out, "subresource", ref.subresource);
  return out;
}

json::object ResponseStatusJson(const ResponseStatus& status, const json::storage_ptr& sp) {
  json::object out(sp);
  out["metadata"] = json::object(sp);
  PutIfSet(out, "status", status.status);
  PutIfSet(out, "message", status.message);
  PutIfSet(out, "reason", status.reason);
  if (status.details) out["details"] = *status.details;
  if (status.code != 0) out["code"] = status.code;
  return out;
}

}  // namespace

const char* LevelName(Level level) {
  switch (level) {
    case Level::kNone:
      return "None";
    case Level::kMetadata:
      return "Metadata";
    case Level::kRequest:
      return "Request";
    case Level::kRequestResponse:
      return "RequestResponse";
  }
  return "None";
}

const char* StageName(Stage stage) {
  switch (stage) {
    case Stage::kRequestReceived:
      return "RequestReceived";
    case Stage::kResponseStarted:
      return "ResponseStarted";
    case Stage::kResponseComplete:
      return "ResponseComplete";
    case Stage::kPanic:
      return "Panic";
  }
  return "Panic";
}

std::string EventJson(const Event& event) {
  // One arena per event: building the document costs a few allocations instead of dozens.
  unsigned char buffer[4096];
  json::storage_ptr sp = json::make_shared_resource<json::monotonic_resource>(buffer, sizeof(buffer));
  json::object out(sp);
  out["kind"] = "Event";
  out["apiVersion"] = "audit.k8s.io/v1";
  out["level"] = LevelName(event.level);
  out["auditID"] = event.audit_id;
  out["stage"] = StageName(event.stage);
  out["requestURI"] = event.request_uri;
  out["verb"] = event.verb;
  out["user"] = UserJson(event.user, sp);
  if (event.impersonated_user) out["impersonatedUser"] = UserJson(*event.impersonated_user, sp);
  if (!event.source_ips.empty()) {
    json::array ips(sp);
    for (const auto& ip : event.source_ips) ips.emplace_back(ip);
    out["sourceIPs"] = std::move(ips);
  }
  PutIfSet(out, "userAgent", event.user_agent);
  if (event.object_ref) out["objectRef"] = ObjectRefJson(*event.object_ref, sp);
  if (event.response_status) out["responseStatus"] = ResponseStatusJson(*event.response_status, sp);
  if (event.request_object) out["requestObject"] = *event.request_object;
  if (event.response_object) out["responseObject"] = *event.response_object;
  out["requestReceivedTimestamp"] = base::FormatRfc3339Micro(event.request_received);
  out["stageTimestamp"] = base::FormatRfc3339Micro(event.stage_time);
  if (!event.annotations.empty()) {
    json::object annotations(sp);
    for (const auto& [k, v] : event.annotations) annotations[k] = v;
    out["annotations"] = std::move(annotations);
  }
  return json::serialize(out);
}

}  // namespace skiff::apiserver::audit
