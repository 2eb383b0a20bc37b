// Internal to openapi.cc: converts schema types to OpenAPI v3 `components.schemas` entries.
// Thread-safety: a builder is single-threaded; the registry it reads is immutable.
// Ownership: the builder borrows the registry. Never fails.
#ifndef SKIFF_API_OPENAPI_SCHEMAS_H_
#define SKIFF_API_OPENAPI_SCHEMAS_H_

#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "api/schema.h"
#include "boost/json/object.hpp"
#include "boost/json/value.hpp"

namespace skiff::api::openapi_internal {

inline constexpr std::string_view kMetaPackage = "io.k8s.apimachinery.pkg.apis.meta.v1";

// "#/components/schemas/<name>"
std::string RefTo(std::string_view component);

class ComponentsBuilder {
 public:
  explicit ComponentsBuilder(const SchemaRegistry& registry) : registry_(registry) {}

  // Adds `type` and every type it reaches. Returns the component name (type.full_name).
  std::string AddType(const TypeSchema& type);
  // Adds `<package>.<Kind>List` for a served kind (unless the schema defines it), tagged with
  // the list GVK, and everything it reaches. Returns the component name.
  std::string AddList(const TypeSchema& item_type, const GroupVersionKind& gvk);
  // Adds a meta/v1 type by short name ("Status", "DeleteOptions", ...) if the registry has it,
  // else a free-form object. Returns the component name.
  std::string AddMeta(std::string_view name);

  boost::json::object Take() { return std::move(schemas_); }

 private:
  boost::json::object TypeToSchema(const TypeSchema& type);
  boost::json::value FieldToSchema(const FieldSchema& field);
  boost::json::value TypeRef(const FieldType& type);  // schema of a type, no field attributes
  void AddScalarComponent(std::string_view name, std::string_view type, std::string_view format,
                          std::string_view description);

  const SchemaRegistry& registry_;
  boost::json::object schemas_;
  std::vector<const TypeSchema*> pending_;
};

}  // namespace skiff::api::openapi_internal

#endif  // SKIFF_API_OPENAPI_SCHEMAS_H_
