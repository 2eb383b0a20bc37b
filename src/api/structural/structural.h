// Structural schemas of CustomResourceDefinitions (apiextensions.k8s.io/v1 openAPIV3Schema), as
// kube-apiserver handles them:
//  * Compile() checks a CRD's schema with kube-apiserver's structural-schema and CRD schema rules
//    and wording, checks that every `default` validates and is pruned, and builds the immutable
//    Schema tree the other functions walk;
//  * Prune() drops unknown fields (kept under x-kubernetes-preserve-unknown-fields; apiVersion,
//    kind and metadata of the root and of embedded resources are never pruned);
//  * Default() fills `default`s into objects, map values and list items (nullable semantics as
//    kube: a null where the schema is not nullable is replaced by the default or removed);
//  * Validate() checks an object with the OpenAPI v3 subset CRDs allow, x-kubernetes-list-type
//    set/map uniqueness, embedded-resource TypeMeta/ObjectMeta and x-kubernetes-validations (CEL
//    rules, compiled once by Compile), reporting kube's field paths and messages
//    (`spec.replicas: Invalid value: 11: spec.replicas in body should be less than or equal to 10`);
//  * PublishedV3()/PublishedV2() give the definition kube-apiserver publishes for the kind, and
//    PatchMetaFor() the list/map topology server-side apply needs.
// The order on write is kube's: Prune, Default, then Validate; Default also runs on read.
//
// Thread-safety: a compiled Schema is immutable and may be shared by any number of threads; all
// functions are pure (Prune/Default only modify the caller's value).
// Ownership: Compile returns shared ownership of the tree; children are owned by their parents.
// Failure: Compile returns the CRD's field errors (never throws); hostile schemas (nesting deeper
// than kMaxDepth) are rejected, so every walk is bounded. Prune/Default/Validate never fail: bad
// objects give field errors, values that do not match the schema's shape are left alone.
#ifndef SKIFF_API_STRUCTURAL_STRUCTURAL_H_
#define SKIFF_API_STRUCTURAL_STRUCTURAL_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "api/patch_meta.h"
#include "api/validation.h"
#include "boost/json/value.hpp"

namespace re2 {
class RE2;
}
namespace skiff::api::cel {
class Program;
}

namespace skiff::api::structural {

// Deepest schema nesting Compile() accepts (properties/items/additionalProperties/allOf/...).
inline constexpr int kMaxDepth = 64;

// One x-kubernetes-validations entry, kept as written (evaluated by the CEL library).
struct ValidationRule {
  std::string rule;
  std::string message;
  std::string message_expression;
  std::string reason;  // "" (FieldValueInvalid) or a FieldValue* reason
  std::string field_path;
  std::optional<bool> optional_old_self;
};

// A rule of x-kubernetes-validations as Compile prepared it for evaluation.
struct CompiledRule {
  std::shared_ptr<const cel::Program> program;
  std::shared_ptr<const cel::Program> message_expression;  // null without messageExpression
  bool uses_old_self = false;                               // a transition rule
  std::string field_path;  // the rule's fieldPath as a field path relative to the node ("" if none)
};

// One node of a compiled schema. The same node type holds the structural part (type, properties,
// items, additionalProperties) and the value validations nested under allOf/anyOf/oneOf/not.
struct Schema {
  // Generic.
  std::string type;  // "", "object", "array", "string", "integer", "number", "boolean"
  std::string format;  // as written; validation ignores formats kube does not support for the type
  std::string description;
  bool nullable = false;
  std::optional<boost::json::value> default_value;

  // Structure. Properties are sorted by name (Property() searches them).
  std::vector<std::pair<std::string, std::shared_ptr<const Schema>>> properties;
  std::shared_ptr<const Schema> items;
  // additionalProperties: a schema, or `false`/`true` (additional_properties null).
  std::shared_ptr<const Schema> additional_properties;
  std::optional<bool> additional_properties_allowed;

  // Kubernetes extensions.
  bool preserve_unknown_fields = false;
  bool embedded_resource = false;
  bool int_or_string = false;
  std::string list_type;  // "", "atomic", "set", "map"
  std::vector<std::string> list_map_keys;
  std::string map_type;  // "", "atomic", "granular"

  // Value validations.
  std::optional<double> maximum, minimum, multiple_of;
  bool exclusive_maximum = false, exclusive_minimum = false;
  std::optional<int64_t> max_length, min_length, max_items, min_items, max_properties, min_properties;
  std::string pattern;
  std::shared_ptr<const re2::RE2> pattern_regex;  // compiled `pattern` (RE2 = Go's regexp syntax)
  bool unique_items = false;
  std::optional<std::vector<boost::json::value>> enum_values;
  std::vector<std::string> required;
  std::vector<std::shared_ptr<const Schema>> all_of, any_of, one_of;
  std::shared_ptr<const Schema> not_schema;
  std::vector<ValidationRule> validations;
  std::vector<CompiledRule> compiled_rules;  // one per validation, filled by Compile

  // Derived by Compile: whether this node or one below it is an embedded resource, a list with
  // x-kubernetes-list-type set/map, or has rules (Validate skips passes that cannot find anything).
  bool subtree_has_embedded_resource = false;
  bool subtree_has_keyed_list = false;
  bool subtree_has_rules = false;

  // The node's own keywords as written (children aside), for checks and the published OpenAPI.
  boost::json::object source;

  const Schema* Property(std::string_view name) const;
  // The schema of `key` in an object node: its property, else additionalProperties, else null.
  const Schema* Field(std::string_view key) const;
};

struct CompileOptions {
  // The CRD version serves the status subresource: only some keywords are allowed at the root.
  bool status_subresource = false;
};

// Checks `open_api_v3_schema` (a CRD version's schema.openAPIV3Schema) and compiles it. Error
// paths start with `field_path_prefix`, e.g. "spec.versions[0].schema.openAPIV3Schema".
using CompileResult = std::variant<std::shared_ptr<const Schema>, std::vector<FieldError>>;
CompileResult Compile(const boost::json::value& open_api_v3_schema, std::string_view field_path_prefix,
                      const CompileOptions& options = {});

// Removes unknown fields from `object` (a whole custom resource); returns their paths, sorted
// (`spec.foo`, `spec.list[0].bar`, `spec.template.metadata.bogus` for an embedded resource's
// metadata), for fieldValidation=Warn/Strict messages. The root's metadata is left to the caller.
std::vector<std::string> Prune(const Schema& schema, boost::json::value* object);

// Applies defaults to `object` (a whole custom resource); also removes nulls the schema does not
// allow and cannot default (kube's PruneNonNullableNullsWithoutDefaults).
void Default(const Schema& schema, boost::json::value* object);

// Validates `object` (a whole custom resource, already pruned and defaulted) against `schema`.
// `old` is the stored object on update (nullptr on create): as kube-apiserver's validation
// ratcheting, errors in values that did not change (fields by name, map-list items by key) are
// not reported, list-type uniqueness is only enforced if `old` met it, and transition rules run
// with oldSelf. `base_path`
// prefixes field paths, for validating a part (e.g. "status" with the status property's schema);
// the root is then that part and not a resource (no embedded TypeMeta/ObjectMeta checks).
std::vector<FieldError> Validate(const Schema& schema, const boost::json::value& object,
                                 const boost::json::value* old, std::string_view base_path = "");

// The list/map topology of the schema, for server-side apply (x-kubernetes-list-type/-map-keys,
// x-kubernetes-map-type). The Schema must outlive the PatchMeta.
std::unique_ptr<PatchMeta> PatchMetaFor(std::shared_ptr<const Schema> schema);

// The definition kube-apiserver publishes for the kind in /openapi/v3 (PublishedV3) and
// /openapi/v2 (PublishedV2): the schema with apiVersion/kind/metadata added, metadata referring
// to `object_meta_ref` ("#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"
// in v3, "#/definitions/..." in v2), and x-kubernetes-group-version-kind. v2 drops what v2
// cannot express (nullable, oneOf/anyOf/not, ...).
boost::json::value PublishedV3(const Schema& schema, std::string_view group, std::string_view version,
                               std::string_view kind);
boost::json::value PublishedV2(const Schema& schema, std::string_view group, std::string_view version,
                               std::string_view kind);

// The 422 for errors in a custom resource (kube answers type mismatches of CRs with 422 too,
// unlike built-in kinds): `Widget.example.com "w" is invalid: [spec.replicas: ...]`.
absl::Status InvalidCustomResourceStatus(std::string_view group, std::string_view kind, std::string_view name,
                                         const std::vector<FieldError>& errors);

}  // namespace skiff::api::structural

#endif  // SKIFF_API_STRUCTURAL_STRUCTURAL_H_
