// Kubernetes API errors (apimachinery's StatusError vocabulary): building them as absl::Status
// values and reading any absl::Status back as the metav1.Status object and HTTP code Kubernetes
// gives it. The API server turns these into responses (http/errors.h); clients build the same
// values from the Status bodies they receive, so callers test errors one way on both sides.
//
// A Status built here carries its full Kubernetes reason/details as a payload; a plain Status from
// storage or elsewhere is mapped by code (NotFound->404, AlreadyExists->409, FailedPrecondition->
// 409 Conflict, OutOfRange->410 Expired, InvalidArgument->400, ...).
// Thread-safety: pure functions. Ownership: values. Never fails.
#ifndef SKIFF_API_ERRORS_H_
#define SKIFF_API_ERRORS_H_

#include <string>
#include <vector>

#include "absl/status/status.h"
#include "boost/json/value.hpp"

namespace skiff::api {

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

// The metav1.Status object for an error (also used inside watch ERROR events).
boost::json::value StatusObject(const absl::Status& status);
// The Status object's `code` (the HTTP status Kubernetes answers this error with).
int HttpCode(const absl::Status& status);

}  // namespace skiff::api

#endif  // SKIFF_API_ERRORS_H_
