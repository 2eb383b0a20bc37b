// The schema model of skiff's API kinds and the registry that loads it from schema files
// (src/api/schemas/*.schema, format in schema_parser.h). Validation, defaulting,
// unknown-field detection, PatchMeta and OpenAPI are all derived from this one model.
//
// Thread-safety: a SchemaRegistry is immutable after Load() and safe to share between threads;
// all pointers it hands out stay valid for the registry's lifetime.
// Ownership: the registry owns every TypeSchema/KindSchema; callers borrow them.
// Failure: Load() returns InvalidArgument naming `file:line` for syntax errors, duplicate names
// and unresolved type references (all unresolved references are listed, not just the first).
// BuiltinSchemas() aborts with the message if an embedded file is broken (a build bug, caught by
// schema_test).
#ifndef SKIFF_API_SCHEMA_H_
#define SKIFF_API_SCHEMA_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::api {

struct ResourceInfo;  // api/resources.h

class PatchMeta;
struct TypeSchema;

enum class ScalarKind {
  kString,
  kInt32,
  kInt64,
  kBool,
  kNumber,
  kBytes,
  kTime,
  kMicroTime,
  kQuantity,
  kIntOrString,
  kAny,
  kDuration,
};

// The type of a field: a scalar, a struct (resolved to its TypeSchema), or a list/map of an
// element type.
struct FieldType {
  enum class Kind { kScalar, kStruct, kList, kMap };
  Kind kind = Kind::kScalar;
  ScalarKind scalar = ScalarKind::kString;  // kScalar
  std::string type_name;                    // kStruct: the name as written in the file
  const TypeSchema* type = nullptr;         // kStruct: resolved by Load()
  std::shared_ptr<FieldType> elem;          // kList / kMap

  bool IsScalar(ScalarKind k) const { return kind == Kind::kScalar && scalar == k; }
};

struct FieldSchema {
  std::string name;
  FieldType type;
  std::string description;
  bool required = false;
  bool readonly = false;
  bool immutable = false;
  bool retain_keys = false;
  std::optional<boost::json::value> default_value;
  std::vector<std::string> enum_values;
  std::optional<int64_t> min, max;
  std::optional<int64_t> min_len, max_len;
  // Present iff `merge=` was given; empty string = primitive list merged as a set.
  std::optional<std::string> merge_key;
  std::string list_type;  // "atomic" | "set" | "map" | ""
  std::vector<std::string> list_map_keys;
  std::string map_type;  // "atomic" | "granular" | ""
  std::string format;    // explicit OpenAPI format override
  int line = 0;
};

struct GroupVersionKind {
  std::string group, version, kind;
  friend bool operator<(const GroupVersionKind& a, const GroupVersionKind& b) {
    return std::tie(a.group, a.version, a.kind) < std::tie(b.group, b.version, b.kind);
  }
  friend bool operator==(const GroupVersionKind&, const GroupVersionKind&) = default;
};

struct TypeSchema {
  std::string name;       // "Deployment"
  std::string package;    // "io.k8s.api.apps.v1"
  std::string full_name;  // "io.k8s.api.apps.v1.Deployment" (the OpenAPI component name)
  std::string description;
  std::string map_type;  // type-level x-kubernetes-map-type ("atomic" for LabelSelector)
  std::vector<FieldSchema> fields;
  std::vector<GroupVersionKind> kinds;                     // the kinds served with this type (may be empty)
  std::map<std::string, size_t, std::less<>> field_index;  // name -> index in fields
  std::string file;
  int line = 0;

  const FieldSchema* Field(std::string_view field_name) const;
};

struct KindSchema {
  GroupVersionKind gvk;
  const TypeSchema* type = nullptr;
};

class SchemaRegistry {
 public:
  // Parses and links all files, given as (file name, content).
  static absl::StatusOr<std::unique_ptr<SchemaRegistry>> Load(
      const std::vector<std::pair<std::string_view, std::string_view>>& files);

  ~SchemaRegistry();
  SchemaRegistry(const SchemaRegistry&) = delete;
  SchemaRegistry& operator=(const SchemaRegistry&) = delete;

  // By full dotted name, e.g. "io.k8s.api.core.v1.PodSpec". nullptr if unknown.
  const TypeSchema* FindType(std::string_view full_name) const;
  const KindSchema* FindKind(std::string_view group, std::string_view version, std::string_view kind) const;
  // All kinds, sorted by (group, version, kind); all types sorted by full name.
  std::vector<const KindSchema*> Kinds() const;
  std::vector<const TypeSchema*> Types() const;

  // Patch metadata for a kind; EmptyPatchMeta() for unknown kinds.
  const PatchMeta& PatchMetaFor(std::string_view group, std::string_view version,
                                std::string_view kind) const;

 private:
  SchemaRegistry();
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The registry built from the embedded schema files, loaded on first use.
const SchemaRegistry& BuiltinSchemas();

// PatchMeta of a built-in kind (BuiltinSchemas().PatchMetaFor).
const PatchMeta& PatchMetaFor(std::string_view group, std::string_view version, std::string_view kind);

// PatchMeta of any served resource: a custom resource's from its CRD schema, else the built-in's.
const PatchMeta& PatchMetaFor(const ResourceInfo& resource);

// The schema keyword for a scalar ("int32", "quantity", ...).
std::string_view ScalarName(ScalarKind kind);

}  // namespace skiff::api

#endif  // SKIFF_API_SCHEMA_H_
