// Kubernetes API errors: building them as absl::Status values and turning any absl::Status into
// the HTTP code and metav1.Status body the clients expect (the one place that mapping lives).
//
// A Status built here carries its full Kubernetes reason/details as a payload; a plain Status from
// storage or elsewhere is mapped by code (NotFound->404, AlreadyExists->409, FailedPrecondition->
// 409 Conflict, OutOfRange->410 Expired, InvalidArgument->400, ...).
// Thread-safety: pure functions. Ownership: values. Never fails.
#ifndef SKIFF_APISERVER_ERRORS_H_
#define SKIFF_APISERVER_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "apiserver/http_types.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver {

struct StatusCause {
  std::string reason;   // "FieldValueInvalid", "FieldManagerConflict", ...
  std::string message;
  std::string field;
};

struct ApiError {
  int code = 500;
  std::string reason;  // "NotFound", "Invalid", ...
  std::string message;
  // details
  std::string name;
  std::string group;
  std::string kind;  // plural resource name, as Kubernetes puts it
  std::vector<StatusCause> causes;
  int retry_after_seconds = 0;
};

absl::Status ToStatus(const ApiError& e);

// Common errors, named as Kubernetes names its reasons. `resource` is the plural ("pods") and
// `group` the API group ("" for core).
absl::Status NotFoundError(const std::string& group, const std::string& resource, const std::string& name);
absl::Status AlreadyExistsError(const std::string& group, const std::string& resource, const std::string& name);
absl::Status ConflictError(const std::string& group, const std::string& resource, const std::string& name,
                           const std::string& why);
absl::Status InvalidError(const std::string& group, const std::string& kind, const std::string& name,
                          const std::vector<StatusCause>& causes);
absl::Status BadRequestError(const std::string& message);
absl::Status MethodNotAllowedError(const std::string& message);
absl::Status UnsupportedMediaTypeError(const std::string& message);
absl::Status UnauthorizedError();
absl::Status ForbiddenError(const std::string& message);
absl::Status GoneError(const std::string& message);
absl::Status TooManyRequestsError(const std::string& message, int retry_after_seconds);
absl::Status RequestEntityTooLargeError(const std::string& message);
// The HTTP transport's own errors (400, 413, 429, 431, 500) as Kubernetes Status values.
absl::Status TransportError(int code, const std::string& message);

// The metav1.Status object for an error (also used inside watch ERROR events).
boost::json::value StatusObject(const absl::Status& status);
int HttpCode(const absl::Status& status);
// Response bodies here are the JSON Status followed by a newline, as kube-apiserver's encoder
// writes them (clients compare error bodies verbatim).
HttpResponse ErrorResponse(const absl::Status& status);
// A success Status body ({"status":"Success","details":{...},"code":<code>}), as returned by
// bindings and evictions.
HttpResponse SuccessStatusResponse(int code, const std::string& group, const std::string& resource,
                                   const std::string& name, const std::string& uid);
// The 200 answer to a DELETE that removed an object of a kind that does not return deleted
// objects: a success Status whose details name the object ({name, group, kind: plural, uid}) and
// that carries no code, exactly as Kubernetes' registry builds it.
HttpResponse DeletedStatusResponse(const std::string& group, const std::string& resource, const std::string& name,
                                   const std::string& uid);

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_ERRORS_H_
