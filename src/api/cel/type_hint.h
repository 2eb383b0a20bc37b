// TypeHint: what the caller knows of a variable's JSON shape, usually derived from an OpenAPI
// (structural) schema. It decides how JSON becomes CEL values: which numbers are int or double,
// whether an object is a declared object (fields by escaped property name) or a map, which
// strings are timestamps, durations or bytes; and it bounds sizes for the static cost estimate.
// A default TypeHint is `dyn`: JSON integers become int, other numbers double, objects maps.
// Thread-safety: immutable after construction; share freely through shared_ptr<const TypeHint>.
// Ownership: child hints are shared_ptrs, so a hint tree may share subtrees. Never fails.
#ifndef SKIFF_API_CEL_TYPE_HINT_H_
#define SKIFF_API_CEL_TYPE_HINT_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>

namespace skiff::api::cel {

struct TypeHint {
  enum class Kind {
    kDyn,          // no schema (x-kubernetes-preserve-unknown-fields without properties)
    kBool,
    kInt,          // type: integer
    kDouble,       // type: number (JSON 1 becomes 1.0)
    kString,
    kBytes,        // type: string, format: byte (base64 in JSON)
    kTimestamp,    // type: string, format: date-time or date
    kDuration,     // type: string, format: duration
    kIntOrString,  // x-kubernetes-int-or-string
    kList,         // type: array; `element` describes the items
    kMap,          // type: object with additionalProperties; `element` describes the values
    kObject,       // type: object with properties (or x-kubernetes-embedded-resource)
  };
  Kind kind = Kind::kDyn;
  // kObject: declared properties by their JSON name. CEL sees them by their escaped name
  // (EscapePropertyName), and properties with no CEL name are not reachable.
  std::map<std::string, std::shared_ptr<const TypeHint>, std::less<>> properties;
  // kObject with x-kubernetes-preserve-unknown-fields: undeclared fields are kept as dyn.
  bool preserve_unknown_fields = false;
  // kList items or kMap values; null means dyn.
  std::shared_ptr<const TypeHint> element;
  // Bounds from maxItems/maxProperties (lists, maps, objects) and maxLength (strings, bytes);
  // -1 when the schema does not say. Used by the static cost estimate only.
  int64_t max_size = -1;

  static std::shared_ptr<const TypeHint> Of(Kind kind) {
    auto hint = std::make_shared<TypeHint>();
    hint->kind = kind;
    return hint;
  }
};

}  // namespace skiff::api::cel

#endif  // SKIFF_API_CEL_TYPE_HINT_H_
