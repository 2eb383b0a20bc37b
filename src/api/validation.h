// Schema-driven validation of API objects, with Kubernetes' field error wording
// (k8s.io/apimachinery/pkg/util/validation/field), e.g.
//   spec.replicas: Invalid value: -1: must be greater than or equal to 0
//   spec.selector: Required value
//   spec.strategy.type: Unsupported value: "Foo": supported values: "Recreate", "RollingUpdate"
// Checks: JSON types, required fields, enum values, numeric bounds, length bounds, object
// metadata (name/generateName, namespace, label and annotation syntax, annotation size), and every
// metav1.LabelSelector (values required for In/NotIn and forbidden for Exists/DoesNotExist, label
// key and value syntax).
//
// Type errors (FieldValueTypeInvalid) correspond to what the real server reports while decoding
// JSON, before validation: the API server should answer those with 400 BadRequest and
// DecodeErrorMessage(); all other errors are 422 Invalid with InvalidObjectMessage().
// Thread-safety: pure functions over immutable schemas. Ownership: results returned by value.
// Never fails: problems are reported as FieldErrors.
#ifndef SKIFF_API_VALIDATION_H_
#define SKIFF_API_VALIDATION_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "api/resources.h"
#include "api/schema.h"
#include "boost/json/value.hpp"

namespace skiff::api {

inline constexpr std::string_view kFieldValueInvalid = "FieldValueInvalid";
inline constexpr std::string_view kFieldValueRequired = "FieldValueRequired";
inline constexpr std::string_view kFieldValueNotSupported = "FieldValueNotSupported";
inline constexpr std::string_view kFieldValueTypeInvalid = "FieldValueTypeInvalid";
inline constexpr std::string_view kFieldValueTooLong = "FieldValueTooLong";
inline constexpr std::string_view kFieldValueTooMany = "FieldValueTooMany";
inline constexpr std::string_view kFieldValueForbidden = "FieldValueForbidden";
inline constexpr std::string_view kFieldValueDuplicate = "FieldValueDuplicate";

struct FieldError {
  std::string type;              // one of the kFieldValue* constants (the StatusCause reason)
  std::string field;             // "spec.template.spec.containers[0].image"
  boost::json::value bad_value;  // shown for Invalid/NotSupported/TypeInvalid/Duplicate/TooMany
  std::string detail;
  // For FieldValueTypeInvalid: Go's view of the mismatch, for DecodeErrorMessage().
  std::string go_struct;  // struct holding the field, e.g. "DeploymentSpec"
  std::string go_type;    // expected Go type, e.g. "int32", "v1.PodSpec", "[]v1.Container"
  // When set, the value as Go's %v prints it, shown instead of bad_value (typed slices such as
  // `[]admissionregistration.OperationType{"*", "PATCH"}`).
  std::string go_value;
};

// Validates `obj` against `type`. If the type is a served kind (type.kinds non-empty), the root
// `metadata` also gets the object-name checks; every ObjectMeta gets label/annotation checks.
std::vector<FieldError> ValidateObject(const TypeSchema& type, const boost::json::value& obj);

// Update-only check: every field marked `immutable` must keep its old value (absent == null),
// e.g. `spec.selector: Invalid value: {"matchLabels":{"app":"x"}}: field is immutable`. Walks
// nested structs (not list elements). Pass both objects after defaulting.
std::vector<FieldError> ValidateImmutableFields(const TypeSchema& type, const boost::json::value& old_obj,
                                                const boost::json::value& new_obj);

// "spec.replicas: Invalid value: -1: must be greater than or equal to 0".
std::string FormatFieldError(const FieldError& error);

// Kubernetes' 422 message: `Deployment.apps "web" is invalid: <error>` or, for several errors,
// `... is invalid: [<error>, <error>]`. `qualified_kind` is "Pod" or "Deployment.apps".
std::string InvalidObjectMessage(std::string_view qualified_kind, std::string_view name,
                                 const std::vector<FieldError>& errors);

// The API server's answer for `errors` found in object `name` of `resource`: 422 Invalid with
// InvalidObjectMessage and one cause per error, or 400 BadRequest with DecodeErrorMessage when an
// error is a type mismatch (Kubernetes fails those while decoding).
absl::Status InvalidObjectStatus(const ResourceInfo& resource, const std::string& name,
                                 const std::vector<FieldError>& errors);

// Go's decoding error for a FieldValueTypeInvalid error, e.g. `json: cannot unmarshal string into
// Go struct field DeploymentSpec.spec.replicas of type int32`. The server prefixes it with
// `Deployment in version "v1" cannot be handled as a Deployment: `.
std::string DecodeErrorMessage(const FieldError& error);

// Object-name rule per kind: "subdomain" (most kinds), "label" (Namespace), "dns1035" (Service),
// "path" (RBAC kinds and APIService: any name usable as a path segment).
std::string_view NameRuleForKind(std::string_view kind);

}  // namespace skiff::api

#endif  // SKIFF_API_VALIDATION_H_
