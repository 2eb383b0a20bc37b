#include "http/errors.h"

#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::http {

absl::Status TransportError(int code, const std::string& message) {
  switch (code) {
    case 400:
      return api::BadRequestError(message);
    case 413:
      return api::RequestEntityTooLargeError(message);
    case 429:
      return api::TooManyRequestsError(message, 1);
    case 500:
      return api::ToStatus({500, "InternalError", message});
    default:
      return api::ToStatus({code, "", message});  // 431 has no Kubernetes reason
  }
}

HttpResponse ErrorResponse(const absl::Status& status) {
  auto obj = api::StatusObject(status);
  HttpResponse resp;
  resp.status = static_cast<int>(base::GetInt(obj, {"code"}, 500));
  resp.body = base::ToJson(obj) + '\n';
  int64_t retry = base::GetInt(obj, {"details", "retryAfterSeconds"}, 0);
  if (retry > 0) resp.headers.emplace_back("Retry-After", std::to_string(retry));
  return resp;
}

namespace {

HttpResponse SuccessStatus(int http_code, int body_code, const std::string& group,
                           const std::string& resource, const std::string& name, const std::string& uid) {
  boost::json::object st;
  st["kind"] = "Status";
  st["apiVersion"] = "v1";
  st["metadata"] = boost::json::object();
  st["status"] = "Success";
  boost::json::object details;
  details["name"] = name;
  if (!group.empty()) details["group"] = group;
  details["kind"] = resource;
  if (!uid.empty()) details["uid"] = uid;
  st["details"] = std::move(details);
  if (body_code != 0) st["code"] = body_code;
  HttpResponse resp;
  resp.status = http_code;
  resp.body = base::ToJson(st) + '\n';
  return resp;
}

}  // namespace

HttpResponse SuccessStatusResponse(int code, const std::string& group, const std::string& resource,
                                   const std::string& name, const std::string& uid) {
  return SuccessStatus(code, code, group, resource, name, uid);
}

HttpResponse DeletedStatusResponse(const std::string& group, const std::string& resource,
                                   const std::string& name, const std::string& uid) {
  return SuccessStatus(200, 0, group, resource, name, uid);
}

}  // namespace skiff::http
