// Helpers shared by the structural-schema files: lazily built field paths, Go's rendering of
// numbers and values in messages, and field-error constructors with apimachinery's wording.
// Thread-safety: pure functions; a PathNode lives on the stack of the walk that made it.
// Ownership: a PathNode borrows its parent and segment, which outlive it. Never fails.
#ifndef SKIFF_API_STRUCTURAL_INTERNAL_H_
#define SKIFF_API_STRUCTURAL_INTERNAL_H_

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "api/structural/structural.h"
#include "api/validation.h"
#include "boost/json/value.hpp"

namespace skiff::api::structural::internal {

// A field path built only when an error needs it: walks pass a chain of stack nodes. A node
// points at its parent, so a named node must not be made from a temporary chain
// (`PathNode x = p.Child("a").Child("b")` dangles; name each link).
struct PathNode {
  enum class Kind { kRoot, kChild, kKey, kIndex };
  const PathNode* parent = nullptr;
  Kind kind = Kind::kRoot;
  std::string_view name;  // kRoot: the prefix; kChild: field name; kKey: map key
  size_t index = 0;       // kIndex

  PathNode Child(std::string_view n) const { return {this, Kind::kChild, n, 0}; }
  PathNode Key(std::string_view k) const { return {this, Kind::kKey, k, 0}; }
  PathNode Index(size_t i) const { return {this, Kind::kIndex, {}, i}; }
  // "spec.versions[0].schema.openAPIV3Schema.properties[spec]"
  std::string String() const;
};

// Go's %v of a float64 ("10", "1.5", "1e+21", "1e-05").
std::string GoFloat(double d);
// Go's field.Error rendering of a bad value is done by FormatFieldError; this renders a JSON
// value the way Go's %v prints the decoded interface{} in kube-openapi messages.
std::string GoValue(const boost::json::value& v);
// Go's json.Marshal of a decoded value (numbers as Go prints float64/int64).
std::string GoJson(const boost::json::value& v);

// JSON equality as Go's reflect.DeepEqual after decoding (numbers compare by value).
bool JsonEqual(const boost::json::value& a, const boost::json::value& b);

// A JSON number as kube-openapi sees it: an int64, else a float64.
bool IsGoInt(const boost::json::value& v);
double AsDouble(const boost::json::value& v);

FieldError MakeError(std::string_view type, std::string field, boost::json::value bad, std::string detail);
inline FieldError Required(std::string field, std::string detail) {
  return MakeError(kFieldValueRequired, std::move(field), nullptr, std::move(detail));
}
inline FieldError Forbidden(std::string field, std::string detail) {
  return MakeError(kFieldValueForbidden, std::move(field), nullptr, std::move(detail));
}
inline FieldError Invalid(std::string field, boost::json::value bad, std::string detail) {
  return MakeError(kFieldValueInvalid, std::move(field), std::move(bad), std::move(detail));
}
// `supported values: "a", "b"`.
FieldError NotSupported(std::string field, boost::json::value bad, const std::vector<std::string>& valid);

// Go's regexp error text for a pattern RE2 rejects: "error parsing regexp: missing closing ): `(a`".
std::string RegexpError(const re2::RE2& re);

// String formats kube validates (after its normalization: "date-time" -> "datetime"); false for
// formats kube ignores.
bool IsKnownStringFormat(std::string_view normalized_format);
bool CheckStringFormat(std::string_view normalized_format, std::string_view value);
// The format validation uses for a node: its format if kube supports it for the node's type,
// else "" (kube strips the others); string formats are normalized.
std::string_view EffectiveFormat(const Schema& s);

// Embedded-resource TypeMeta/ObjectMeta checks (objectmeta.Validate) for one object.
void ValidateEmbeddedResource(const boost::json::object& obj, const PathNode& path, std::vector<FieldError>* out);

// Value validation of `value` against `s` with kube-openapi's messages; `name` is the path as
// kube-openapi names it (relative to the validated root), `field` the reported field path;
// `old` (nullable) the stored value on update, for ratcheting. Also used for Compile's defaults.
std::vector<FieldError> ValidateValue(const Schema& s, const boost::json::value& value, const boost::json::value* old,
                                      const PathNode& field, bool resource_root);

// Prune one value against a node (no root/meta special case unless `resource_root`).
void PruneValue(const Schema* s, boost::json::value* v, bool resource_root, std::vector<std::string>* pruned);

}  // namespace skiff::api::structural::internal

#endif  // SKIFF_API_STRUCTURAL_INTERNAL_H_
