// Parser for one schema file. Produces unlinked types (struct references are names, not yet
// resolved) and kind declarations; SchemaRegistry links them. The format, line by line:
//   # comment                       (also trailing, outside quotes)
//   package io.k8s.api.apps.v1      types below are named <package>.<Type>
//   kind Deployment group=apps version=v1 type=Deployment    (group="" for core; type= optional)
//   type DeploymentSpec [mapType=atomic] "description"
//     replicas int32 default=1 min=0 "description"            (fields: indented)
// Field types: string int32 int64 bool number bytes time microtime quantity intorstring any
// duration, <TypeName>, []<elem>, map[<elem>]. Attributes: required readonly immutable retainKeys
// default=<json or bare word> enum=A|B min= max= minlen= maxlen= merge=<key> (merge= for sets)
// listType=atomic|set|map listMapKeys=a,b mapType=atomic|granular format=<f>.
// Unqualified type names resolve in the current package, then as full names, then in the shared
// meta/core/resource/intstr/runtime packages.
// Thread-safety: pure function. Ownership: results are returned by value.
// Failure: InvalidArgument "<file>:<line>: <what is wrong>" for the first syntax error.
#ifndef SKIFF_API_SCHEMA_PARSER_H_
#define SKIFF_API_SCHEMA_PARSER_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/statusor.h"
#include "api/schema.h"

namespace skiff::api {

struct KindDeclaration {
  GroupVersionKind gvk;
  std::string type_name;  // as written
  std::string package;
  std::string file;
  int line = 0;
};

struct ParsedSchemaFile {
  std::vector<std::unique_ptr<TypeSchema>> types;
  std::vector<KindDeclaration> kinds;
};

absl::StatusOr<ParsedSchemaFile> ParseSchemaFile(std::string_view file_name, std::string_view text);

// Parses a field type expression such as "int32", "[]Container", "map[[]string]".
absl::StatusOr<FieldType> ParseFieldType(std::string_view text);

}  // namespace skiff::api

#endif  // SKIFF_API_SCHEMA_PARSER_H_
