// Kubernetes API errors as HTTP responses: the one place an absl::Status becomes the HTTP code
// and metav1.Status body the clients expect, plus the transport's own errors and the success
// Status bodies. The error vocabulary itself (NotFoundError, ConflictError, StatusObject, ...)
// lives in api/errors.h.
// Thread-safety: pure functions. Ownership: values. Never fails.
#ifndef SKIFF_HTTP_ERRORS_H_
#define SKIFF_HTTP_ERRORS_H_

#include <string>

#include "absl/status/status.h"
#include "api/errors.h"
#include "http/http_types.h"

namespace skiff::http {

// The HTTP transport's own errors (400, 413, 429, 431, 500) as Kubernetes Status values.
absl::Status TransportError(int code, const std::string& message);

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
HttpResponse DeletedStatusResponse(const std::string& group, const std::string& resource,
                                   const std::string& name, const std::string& uid);

}  // namespace skiff::http

#endif  // SKIFF_HTTP_ERRORS_H_
