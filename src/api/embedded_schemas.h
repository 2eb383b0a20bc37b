// The schema files of src/api/schemas/*.schema, compiled into the binary (the .cc is generated
// at build time by embed_schemas.cmake).
// Thread-safety: returns views of static storage; safe from any thread. Ownership: the views
// live for the whole program. Never fails (an empty list if no schema file exists).
#ifndef SKIFF_API_EMBEDDED_SCHEMAS_H_
#define SKIFF_API_EMBEDDED_SCHEMAS_H_

#include <string_view>
#include <utility>
#include <vector>

namespace skiff::api {

// (file name such as "core_v1.schema", file content), sorted by file name.
std::vector<std::pair<std::string_view, std::string_view>> EmbeddedSchemaFiles();

}  // namespace skiff::api

#endif  // SKIFF_API_EMBEDDED_SCHEMAS_H_
