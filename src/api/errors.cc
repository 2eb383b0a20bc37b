#include "api/errors.h"

#include "absl/strings/cord.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "base/json.h"
#include "boost/json.hpp"

namespace skiff::api {
namespace {

constexpr char kPayloadUrl[] = "skiff.dev/k8s-status";

std::string Qualified(const std::string& group, const std::string& resource) {
  return group.empty() ? resource : absl::StrCat(resource, ".", group);
}

absl::StatusCode CodeFor(int http) {
  switch (http) {
    case 400:
      return absl::StatusCode::kInvalidArgument;
    case 401:
      return absl::StatusCode::kUnauthenticated;
    case 403:
      return absl::StatusCode::kPermissionDenied;
    case 404:
      return absl::StatusCode::kNotFound;
    case 405:
    case 415:
      return absl::StatusCode::kUnimplemented;
    case 409:
      return absl::StatusCode::kAborted;
    case 410:
      return absl::StatusCode::kOutOfRange;
    case 413:
    case 429:
      return absl::StatusCode::kResourceExhausted;
    case 422:
      return absl::StatusCode::kInvalidArgument;
    case 503:
      return absl::StatusCode::kUnavailable;
    case 504:
      return absl::StatusCode::kDeadlineExceeded;
    default:
      return absl::StatusCode::kInternal;
  }
}

ApiError FromPlainStatus(const absl::Status& s) {
  ApiError e;
  e.message = std::string(s.message());
  switch (s.code()) {
    case absl::StatusCode::kNotFound:
      e.code = 404, e.reason = "NotFound";
      break;
    case absl::StatusCode::kAlreadyExists:
      e.code = 409, e.reason = "AlreadyExists";
      break;
    case absl::StatusCode::kFailedPrecondition:
    case absl::StatusCode::kAborted:
      e.code = 409, e.reason = "Conflict";
      break;
    case absl::StatusCode::kOutOfRange:
      e.code = 410, e.reason = "Expired";
      break;
    case absl::StatusCode::kInvalidArgument:
      e.code = 400, e.reason = "BadRequest";
      break;
    case absl::StatusCode::kUnauthenticated:
      e.code = 401, e.reason = "Unauthorized";
      break;
    case absl::StatusCode::kPermissionDenied:
      e.code = 403, e.reason = "Forbidden";
      break;
    case absl::StatusCode::kUnimplemented:
      e.code = 415, e.reason = "UnsupportedMediaType";
      break;
    case absl::StatusCode::kResourceExhausted:
      e.code = 429, e.reason = "TooManyRequests";
      break;
    case absl::StatusCode::kDeadlineExceeded:
      e.code = 504, e.reason = "Timeout";
      break;
    case absl::StatusCode::kUnavailable:
      e.code = 503, e.reason = "ServiceUnavailable";
      break;
    default:
      e.code = 500, e.reason = "InternalError";
      e.message = absl::StrCat("Internal error occurred: ", s.message());
  }
  return e;
}

boost::json::value ErrorToJson(const ApiError& e) {
  boost::json::object st;
  st["kind"] = "Status";
  st["apiVersion"] = "v1";
  st["metadata"] = boost::json::object();
  st["status"] = "Failure";
  st["message"] = e.message;
  st["reason"] = e.reason;
  if (!e.name.empty() || !e.kind.empty() || !e.causes.empty() || e.retry_after_seconds > 0) {
    boost::json::object details;
    if (!e.name.empty()) details["name"] = e.name;
    if (!e.group.empty()) details["group"] = e.group;
    if (!e.kind.empty()) details["kind"] = e.kind;
    if (!e.causes.empty()) {
      boost::json::array causes;
      for (const auto& c : e.causes) {
        boost::json::object cause;
        cause["reason"] = c.reason;
        cause["message"] = c.message;
        if (!c.field.empty()) cause["field"] = c.field;
        causes.push_back(std::move(cause));
      }
      details["causes"] = std::move(causes);
    }
    if (e.retry_after_seconds > 0) details["retryAfterSeconds"] = e.retry_after_seconds;
    st["details"] = std::move(details);
  }
  st["code"] = e.code;
  return st;
}

}  // namespace

absl::Status ToStatus(const ApiError& e) {
  absl::Status s(CodeFor(e.code), e.message);
  s.SetPayload(kPayloadUrl, absl::Cord(base::ToJson(ErrorToJson(e))));
  return s;
}

absl::Status NotFoundError(const std::string& group, const std::string& resource, const std::string& name) {
  return ToStatus({404, "NotFound", absl::StrCat(Qualified(group, resource), " \"", name, "\" not found"), name,
                   group, resource});
}

absl::Status AlreadyExistsError(const std::string& group, const std::string& resource, const std::string& name) {
  return ToStatus({409, "AlreadyExists", absl::StrCat(Qualified(group, resource), " \"", name, "\" already exists"),
                   name, group, resource});
}

absl::Status ConflictError(const std::string& group, const std::string& resource, const std::string& name,
                           const std::string& why) {
  return ToStatus({409, "Conflict",
                   absl::StrCat("Operation cannot be fulfilled on ", Qualified(group, resource), " \"", name,
                                "\": ", why),
                   name, group, resource});
}

absl::Status InvalidError(const std::string& group, const std::string& kind, const std::string& name,
                          const std::vector<StatusCause>& causes) {
  std::vector<std::string> parts;
  for (const auto& c : causes) parts.push_back(c.field.empty() ? c.message : absl::StrCat(c.field, ": ", c.message));
  std::string list = parts.size() == 1 ? parts[0] : absl::StrCat("[", absl::StrJoin(parts, ", "), "]");
  std::string qualified_kind = group.empty() ? kind : absl::StrCat(kind, ".", group);
  ApiError e{422, "Invalid", absl::StrCat(qualified_kind, " \"", name, "\" is invalid: ", list), name, group, kind};
  e.causes = causes;
  return ToStatus(e);
}

absl::Status BadRequestError(const std::string& message) { return ToStatus({400, "BadRequest", message}); }
absl::Status MethodNotAllowedError(const std::string& message) {
  return ToStatus({405, "MethodNotAllowed", message});
}
absl::Status UnsupportedMediaTypeError(const std::string& message) {
  return ToStatus({415, "UnsupportedMediaType", message});
}
absl::Status UnauthorizedError() { return ToStatus({401, "Unauthorized", "Unauthorized"}); }
absl::Status ForbiddenError(const std::string& message) { return ToStatus({403, "Forbidden", message}); }
absl::Status GoneError(const std::string& message) { return ToStatus({410, "Expired", message}); }
absl::Status TooManyRequestsError(const std::string& message, int retry_after_seconds) {
  ApiError e{429, "TooManyRequests", message};
  e.retry_after_seconds = retry_after_seconds;
  return ToStatus(e);
}
absl::Status RequestEntityTooLargeError(const std::string& message) {
  return ToStatus({413, "RequestEntityTooLarge", message});
}

boost::json::value StatusObject(const absl::Status& status) {
  auto payload = status.GetPayload(kPayloadUrl);
  if (payload) {
    auto parsed = base::ParseJson(std::string(*payload));
    if (parsed.ok()) return *parsed;
  }
  return ErrorToJson(FromPlainStatus(status));
}

int HttpCode(const absl::Status& status) {
  auto obj = StatusObject(status);
  return static_cast<int>(base::GetInt(obj, {"code"}, 500));
}

}  // namespace skiff::api
