#include "api/openapi.h"

#include <cctype>
#include <cstdint>
#include <cstdio>

#include "api/openapi_schemas.h"
#include "api/schema_strings.h"
#include "boost/json/array.hpp"
#include "boost/json/serialize.hpp"

namespace skiff::api {
namespace {

using boost::json::array;
using boost::json::object;
using boost::json::value;
using openapi_internal::ComponentsBuilder;
using openapi_internal::RefTo;
using schema_internal::Cat;
using schema_internal::Split;

object Param(std::string_view name, std::string_view in, std::string_view type,
             std::string_view description) {
  object p{{"name", name},
           {"in", in},
           {"description", description},
           {"schema", object{{"type", type}, {"uniqueItems", true}}}};
  if (in == "path") p["required"] = true;
  return p;
}

array WriteParams(bool patch) {
  array a{
      Param("dryRun", "query", "string",
            "When present (only All is supported), the request is validated but not persisted."),
      Param("fieldManager", "query", "string",
            "Name of the actor making the change, recorded in managedFields."),
      Param("fieldValidation", "query", "string",
            "How unknown or duplicate fields are treated: Ignore, Warn or Strict."),
  };
  if (patch) {
    a.push_back(Param("force", "query", "boolean",
                      "Force an apply request to take ownership of conflicting fields."));
  }
  return a;
}

array ListParams() {
  return array{
      Param("allowWatchBookmarks", "query", "boolean", "Ask for BOOKMARK watch events."),
      Param("continue", "query", "string", "Token from a previous paginated list."),
      Param("fieldSelector", "query", "string", "Select objects by fields."),
      Param("labelSelector", "query", "string", "Select objects by labels."),
      Param("limit", "query", "integer", "Maximum number of items to return."),
      Param("resourceVersion", "query", "string", "Which version of the collection to serve."),
      Param("resourceVersionMatch", "query", "string", "How resourceVersion is matched."),
      Param("sendInitialEvents", "query", "boolean", "Start a watch with synthetic ADDED events."),
      Param("timeoutSeconds", "query", "integer", "Timeout of the list or watch call."),
      Param("watch", "query", "boolean", "Stream changes instead of returning a list."),
  };
}

array DeleteParams() {
  return array{
      Param("dryRun", "query", "string",
            "When present (only All is supported), the request is validated but not persisted."),
      Param("gracePeriodSeconds", "query", "integer", "Seconds before the object is deleted."),
      Param("ignoreStoreReadErrorWithClusterBreakingPotential", "query", "boolean",
            "Delete even if the stored object cannot be read (unsafe)."),
      Param("orphanDependents", "query", "boolean", "Deprecated: use propagationPolicy."),
      Param("propagationPolicy", "query", "string",
            "Orphan, Background or Foreground garbage collection of dependents."),
  };
}

object JsonContent(const value& schema) {
  object content;
  for (std::string_view type :
       {"application/json", "application/yaml", "application/vnd.kubernetes.protobuf"}) {
    content[type] = object{{"schema", schema}};
  }
  return content;
}

object Responses(const value& schema, std::initializer_list<std::string_view> codes) {
  object r;
  for (std::string_view code : codes) {
    std::string_view text = code == "201" ? "Created" : code == "202" ? "Accepted" : "OK";
    r[code] = object{{"description", text}, {"content", JsonContent(schema)}};
  }
  r["401"] = object{{"description", "Unauthorized"}};
  return r;
}

value Ref(std::string_view component) { return object{{"$ref", RefTo(component)}}; }

// "apps" -> "Apps", "rbac.authorization.k8s.io" -> "RbacAuthorization", "" -> "Core".
std::string GroupWord(std::string_view group) {
  if (group.empty()) return "Core";
  std::string_view g = group;
  schema_internal::ConsumeSuffix(g, ".k8s.io");
  std::string out;
  for (std::string_view part : Split(g, '.')) {
    std::string p(part);
    p[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(p[0])));
    out += p;
  }
  return out;
}

std::string Capitalized(std::string_view s) {
  std::string out(s);
  if (!out.empty()) out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
  return out;
}

bool Has(const std::vector<std::string>& verbs, std::string_view verb) {
  for (const std::string& v : verbs) {
    if (v == verb) return true;
  }
  return false;
}

struct OperationContext {
  std::string tag;
  std::string gv_word;  // "AppsV1"
  object gvk;
};

object Operation(const OperationContext& ctx, std::string_view action, std::string operation_id,
                 std::string description, array params, object responses) {
  object op{{"tags", array{value(ctx.tag)}},          {"description", std::move(description)},
            {"operationId", std::move(operation_id)}, {"responses", std::move(responses)},
            {"x-kubernetes-action", action},          {"x-kubernetes-group-version-kind", ctx.gvk}};
  if (!params.empty()) op["parameters"] = std::move(params);
  return op;
}

array Concat(array a, const array& b) {
  for (const value& v : b) a.push_back(v);
  return a;
}

}  // namespace

std::string GroupVersionPath(std::string_view group, std::string_view version) {
  return group.empty() ? Cat("api/", version) : Cat("apis/", group, "/", version);
}

value OpenApiV3DocumentValue(const SchemaRegistry& registry, std::string_view group, std::string_view version,
                             const std::vector<PathSpec>& paths) {
  ComponentsBuilder components(registry);
  object path_items;
  const std::string prefix = Cat("/", GroupVersionPath(group, version));
  const std::string gv_word = Cat(GroupWord(group), Capitalized(version));
  const std::string tag = Cat(group.empty() ? "core" : Split(group, '.').front(), "_", version);
  const value free_form = object{{"type", "object"}, {"x-kubernetes-preserve-unknown-fields", true}};
  const value status = Ref(components.AddMeta("Status"));
  const value delete_options = Ref(components.AddMeta("DeleteOptions"));
  const value patch_schema = Ref(components.AddMeta("Patch"));

  for (const PathSpec& spec : paths) {
    GroupVersionKind gvk{std::string(group), std::string(version), spec.kind};
    OperationContext ctx{tag, gv_word, object{{"group", group}, {"kind", spec.kind}, {"version", version}}};
    value item = free_form, list = free_form;
    if (const KindSchema* kind = registry.FindKind(group, version, spec.kind)) {
      item = Ref(components.AddType(*kind->type));
      list = Ref(components.AddList(*kind->type, gvk));
    }
    const std::string scope = spec.namespaced ? "Namespaced" : "";
    const std::string base = spec.namespaced ? Cat(prefix, "/namespaces/{namespace}") : prefix;
    const std::string collection = Cat(base, "/", spec.plural);
    const std::string item_path = Cat(collection, "/{name}");
    array path_params;
    if (spec.namespaced) {
      path_params.push_back(Param("namespace", "path", "string", "Object name and auth scope."));
    }
    path_params.push_back(Param("pretty", "query", "string", "Pretty-print the output."));
    const std::string id_suffix = Cat(gv_word, scope, spec.kind);
    const object body{{"content", object{{"*/*", object{{"schema", item}}}}}, {"required", true}};
    object patch_content;
    for (std::string_view type : {"application/apply-patch+yaml", "application/json-patch+json",
                                  "application/merge-patch+json", "application/strategic-merge-patch+json"}) {
      patch_content[type] = object{{"schema", patch_schema}};
    }
    const object patch_body{{"content", patch_content}, {"required", true}};

    object coll;
    if (Has(spec.verbs, "list")) {
      coll["get"] =
          Operation(ctx, "list", Cat("list", id_suffix), Cat("list or watch objects of kind ", spec.kind),
                    ListParams(), Responses(list, {"200"}));
    }
    if (Has(spec.verbs, "create")) {
      object op = Operation(ctx, "post", Cat("create", id_suffix), Cat("create a ", spec.kind),
                            WriteParams(false), Responses(item, {"200", "201", "202"}));
      op["requestBody"] = body;
      coll["post"] = std::move(op);
    }
    if (Has(spec.verbs, "deletecollection")) {
      object op = Operation(ctx, "deletecollection", Cat("delete", gv_word, "Collection", scope, spec.kind),
                            Cat("delete collection of ", spec.kind), Concat(DeleteParams(), ListParams()),
                            Responses(status, {"200"}));
      op["requestBody"] = object{{"content", object{{"*/*", object{{"schema", delete_options}}}}}};
      coll["delete"] = std::move(op);
    }
    if (!coll.empty()) {
      coll["parameters"] = path_params;
      path_items[collection] = std::move(coll);
    }

    array item_params{Param("name", "path", "string", Cat("name of the ", spec.kind))};
    for (const value& p : path_params) item_params.push_back(p);
    object one;
    if (Has(spec.verbs, "get")) {
      one["get"] = Operation(ctx, "get", Cat("read", id_suffix), Cat("read the specified ", spec.kind), {},
                             Responses(item, {"200"}));
    }
    if (Has(spec.verbs, "update")) {
      object op = Operation(ctx, "put", Cat("replace", id_suffix), Cat("replace the specified ", spec.kind),
                            WriteParams(false), Responses(item, {"200", "201"}));
      op["requestBody"] = body;
      one["put"] = std::move(op);
    }
    if (Has(spec.verbs, "patch")) {
      object op =
          Operation(ctx, "patch", Cat("patch", id_suffix), Cat("partially update the specified ", spec.kind),
                    WriteParams(true), Responses(item, {"200", "201"}));
      op["requestBody"] = patch_body;
      one["patch"] = std::move(op);
    }
    if (Has(spec.verbs, "delete")) {
      object op = Operation(ctx, "delete", Cat("delete", id_suffix), Cat("delete a ", spec.kind),
                            DeleteParams(), Responses(status, {"200", "202"}));
      op["requestBody"] = object{{"content", object{{"*/*", object{{"schema", delete_options}}}}}};
      one["delete"] = std::move(op);
    }
    if (!one.empty()) {
      one["parameters"] = item_params;
      path_items[item_path] = std::move(one);
    }

    if (spec.namespaced && Has(spec.verbs, "list")) {
      path_items[Cat(prefix, "/", spec.plural)] =
          object{{"get", Operation(ctx, "list", Cat("list", gv_word, spec.kind, "ForAllNamespaces"),
                                   Cat("list or watch objects of kind ", spec.kind), ListParams(),
                                   Responses(list, {"200"}))},
                 {"parameters", array{Param("pretty", "query", "string", "Pretty-print the output.")}}};
    }

    for (const SubresourceSpec& sub : spec.subresources) {
      std::string sub_group = sub.kind.empty() ? std::string(group) : sub.group;
      std::string sub_version = sub.kind.empty() ? std::string(version) : sub.version;
      std::string sub_kind = sub.kind.empty() ? spec.kind : sub.kind;
      OperationContext sub_ctx{tag, gv_word,
                               object{{"group", sub_group}, {"kind", sub_kind}, {"version", sub_version}}};
      value schema = sub.name == "log" ? value(object{{"type", "string"}}) : free_form;
      if (sub.name != "log") {
        if (const KindSchema* k = registry.FindKind(sub_group, sub_version, sub_kind)) {
          schema = Ref(components.AddType(*k->type));
        }
      }
      const std::string sub_id = Cat(id_suffix, Capitalized(sub.name));
      const object sub_body{{"content", object{{"*/*", object{{"schema", schema}}}}}, {"required", true}};
      object ops;
      if (Has(sub.verbs, "get")) {
        ops["get"] = Operation(sub_ctx, "get", Cat("read", sub_id),
                               Cat("read ", sub.name, " of the specified ", spec.kind), {},
                               Responses(schema, {"200"}));
      }
      if (Has(sub.verbs, "create")) {
        object op =
            Operation(sub_ctx, "post", Cat("create", sub_id), Cat("create ", sub.name, " of a ", spec.kind),
                      WriteParams(false), Responses(schema, {"200", "201", "202"}));
        op["requestBody"] = sub_body;
        ops["post"] = std::move(op);
      }
      if (Has(sub.verbs, "update")) {
        object op = Operation(sub_ctx, "put", Cat("replace", sub_id),
                              Cat("replace ", sub.name, " of the specified ", spec.kind), WriteParams(false),
                              Responses(schema, {"200", "201"}));
        op["requestBody"] = sub_body;
        ops["put"] = std::move(op);
      }
      if (Has(sub.verbs, "patch")) {
        object op = Operation(sub_ctx, "patch", Cat("patch", sub_id),
                              Cat("partially update ", sub.name, " of the specified ", spec.kind),
                              WriteParams(true), Responses(schema, {"200", "201"}));
        op["requestBody"] = patch_body;
        ops["patch"] = std::move(op);
      }
      if (!ops.empty()) {
        ops["parameters"] = item_params;
        path_items[Cat(item_path, "/", sub.name)] = std::move(ops);
      }
    }
  }

  return object{
      {"openapi", "3.0.0"},
      {"info", object{{"title", "Kubernetes"}, {"version", "v1.32.4"}}},
      {"paths", std::move(path_items)},
      {"components", object{{"schemas", components.Take()}}},
  };
}

std::string OpenApiV3Document(const SchemaRegistry& registry, std::string_view group,
                              std::string_view version, const std::vector<PathSpec>& paths) {
  return boost::json::serialize(OpenApiV3DocumentValue(registry, group, version, paths));
}

std::string OpenApiV3Document(std::string_view group, std::string_view version,
                              const std::vector<PathSpec>& paths) {
  return OpenApiV3Document(BuiltinSchemas(), group, version, paths);
}

std::string OpenApiV3Root(const std::vector<OpenApiGroupVersion>& group_versions) {
  object paths;
  for (const OpenApiGroupVersion& gv : group_versions) {
    paths[gv.path] =
        object{{"serverRelativeURL", Cat("/openapi/v3/", gv.path, "?hash=", ContentHash(gv.document))}};
  }
  return boost::json::serialize(object{{"paths", std::move(paths)}});
}

std::string ContentHash(std::string_view content) {
  // Two FNV-1a 64-bit hashes with different offset bases: 128 bits, stable across processes.
  uint64_t a = 14695981039346656037ull, b = 0x6c62272e07bb0142ull;
  for (unsigned char c : content) {
    a = (a ^ c) * 1099511628211ull;
    b = (b ^ c) * 1099511628211ull;
  }
  char buf[33];
  std::snprintf(buf, sizeof(buf), "%016llX%016llX", static_cast<unsigned long long>(a),
                static_cast<unsigned long long>(b));
  return buf;
}

}  // namespace skiff::api
