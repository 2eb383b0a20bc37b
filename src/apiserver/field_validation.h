// The `fieldValidation` query parameter of create, update and patch requests, for built-in and
// custom resources alike: the fields of a request body the resource's schema does not know are
// removed, and then
//   * Strict (what kubectl sends) answers 400 BadRequest with all of them in kube's wording,
//     `strict decoding error: unknown field "spec.foo", unknown field "spec.bar"` (behind
//     `<Kind> in version "<v>" cannot be handled as a <Kind>: ` for whole-object bodies),
//   * Warn (the default) returns them as warnings (HTTP Warning headers),
//   * Ignore drops them silently.
// Fields a JSON body sets twice are reported the same way (`duplicate field "spec.size"`).
// Built-in kinds are checked against their schema (api/unknown_fields.h); custom resources with
// their CRD version's structural schema (api/structural Prune: x-kubernetes-preserve-unknown-fields
// keeps fields, embedded resources keep apiVersion/kind/metadata) plus ObjectMeta for metadata.
// Thread-safety: pure functions. Ownership: edits only the caller's object. Failure: a bad
// fieldValidation value or Strict with unknown fields is a 400 Status; nothing is thrown.
#ifndef SKIFF_APISERVER_FIELD_VALIDATION_H_
#define SKIFF_APISERVER_FIELD_VALIDATION_H_

#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "api/resources.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver {

enum class FieldValidation { kIgnore, kWarn, kStrict };

// The directive of a request's fieldValidation value ("" is Warn, kube's default).
absl::StatusOr<FieldValidation> ParseFieldValidation(const std::string& value);

// Removes the fields `resource`'s schema does not know from `object` (a whole object) and returns
// them as kube's messages (`unknown field "spec.foo"`), in kube's order.
std::vector<std::string> PruneUnknownFields(const api::ResourceInfo& resource, boost::json::value& object);

// The fields a JSON text sets twice in one object (the decoded value keeps the last), as kube's
// strict JSON decoder words them: `duplicate field "spec.replicas"`, in the order met. Text that
// is not a JSON object (YAML, protobuf) or does not parse has none.
std::vector<std::string> DuplicateFields(std::string_view json_text);

// Where the body was decoded: whole objects (create, update) get kube's decode-error preamble.
enum class BodyKind { kObject, kPatched };

// Prunes `object` and acts on `directive`: the Strict error, or the messages added to `warnings`.
// `raw_body` is the request's text when `object` was decoded from it (its duplicate fields are
// reported first), "" for a patched object.
absl::Status ValidateFields(FieldValidation directive, const api::ResourceInfo& resource, BodyKind body,
                            boost::json::value& object, std::vector<std::string>* warnings,
                            std::string_view raw_body = "");

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_FIELD_VALIDATION_H_
