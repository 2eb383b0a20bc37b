#include "api/schema.h"

#include <cstdio>
#include <cstdlib>

#include "api/embedded_schemas.h"
#include "api/patch_meta.h"
#include "api/resources.h"
#include "api/schema_parser.h"
#include "api/schema_strings.h"

namespace skiff::api {
namespace {

using namespace schema_internal;  // NOLINT: small local helpers

// Packages searched for unqualified type names after the current package (schema_dsl.md).
constexpr std::string_view kSharedPackages[] = {
    "io.k8s.apimachinery.pkg.apis.meta.v1", "io.k8s.api.core.v1",
    "io.k8s.apimachinery.pkg.api.resource", "io.k8s.apimachinery.pkg.util.intstr",
    "io.k8s.apimachinery.pkg.runtime",
};

// Answers PatchMeta lookups by walking the kind's schema along the field path.
class SchemaPatchMeta : public PatchMeta {
 public:
  explicit SchemaPatchMeta(const TypeSchema* root) : root_(root) {}

  FieldPatchInfo Lookup(const std::vector<std::string_view>& path) const override {
    const TypeSchema* type = root_;
    const FieldSchema* field = nullptr;
    for (size_t i = 0; i < path.size(); ++i) {
      if (type == nullptr) return {};
      field = type->Field(path[i]);
      if (field == nullptr) return {};
      // Step through list elements (transparent) and map values (one path element: the key).
      const FieldType* t = &field->type;
      while (t->kind == FieldType::Kind::kList) t = t->elem.get();
      if (t->kind == FieldType::Kind::kMap) {
        if (i + 1 < path.size()) {
          ++i;  // the map key
          t = t->elem.get();
          while (t->kind == FieldType::Kind::kList) t = t->elem.get();
          if (i + 1 == path.size()) {
            type = t->kind == FieldType::Kind::kStruct ? t->type : nullptr;
            return TypeInfo(type);
          }
        }
      }
      type = t->kind == FieldType::Kind::kStruct ? t->type : nullptr;
    }
    if (field == nullptr) return {};
    FieldPatchInfo info;
    info.merge = field->merge_key.has_value();
    info.merge_key = field->merge_key.value_or("");
    info.retain_keys = field->retain_keys;
    info.list_type = field->list_type;
    info.list_map_keys = field->list_map_keys;
    info.atomic_map = field->map_type == "atomic" || (type != nullptr && type->map_type == "atomic");
    return info;
  }

 private:
  static FieldPatchInfo TypeInfo(const TypeSchema* type) {
    FieldPatchInfo info;
    info.atomic_map = type != nullptr && type->map_type == "atomic";
    return info;
  }

  const TypeSchema* root_;
};

}  // namespace

const FieldSchema* TypeSchema::Field(std::string_view field_name) const {
  auto it = field_index.find(field_name);
  return it == field_index.end() ? nullptr : &fields[it->second];
}

struct SchemaRegistry::Impl {
  std::map<std::string, std::unique_ptr<TypeSchema>, std::less<>> types;
  std::map<GroupVersionKind, KindSchema> kinds;
  std::map<GroupVersionKind, std::unique_ptr<SchemaPatchMeta>> patch_metas;

  const TypeSchema* Resolve(std::string_view name, std::string_view package) const {
    auto find = [&](const std::string& full) -> const TypeSchema* {
      auto it = types.find(full);
      return it == types.end() ? nullptr : it->second.get();
    };
    if (const TypeSchema* t = find(Cat(package, ".", name))) return t;
    if (const TypeSchema* t = find(std::string(name))) return t;
    for (std::string_view shared : kSharedPackages) {
      if (const TypeSchema* t = find(Cat(shared, ".", name))) return t;
    }
    return nullptr;
  }

  // Resolves struct references inside `type` (recursing into list/map elements).
  void Link(FieldType& type, const TypeSchema& owner, const FieldSchema& field,
            std::vector<std::string>& errors) {
    switch (type.kind) {
      case FieldType::Kind::kScalar:
        return;
      case FieldType::Kind::kList:
      case FieldType::Kind::kMap:
        Link(*type.elem, owner, field, errors);
        return;
      case FieldType::Kind::kStruct:
        type.type = Resolve(type.type_name, owner.package);
        if (type.type == nullptr) {
          errors.push_back(Cat(owner.file, ":", field.line, ": unknown type \"", type.type_name, "\" (field ",
                               owner.name, ".", field.name, ")"));
        }
        return;
    }
  }
};

SchemaRegistry::SchemaRegistry() : impl_(std::make_unique<Impl>()) {}
SchemaRegistry::~SchemaRegistry() = default;

absl::StatusOr<std::unique_ptr<SchemaRegistry>> SchemaRegistry::Load(
    const std::vector<std::pair<std::string_view, std::string_view>>& files) {
  std::unique_ptr<SchemaRegistry> registry(new SchemaRegistry());
  Impl& impl = *registry->impl_;
  std::vector<KindDeclaration> kinds;
  for (const auto& [name, text] : files) {
    absl::StatusOr<ParsedSchemaFile> parsed = ParseSchemaFile(name, text);
    if (!parsed.ok()) return parsed.status();
    for (auto& type : parsed->types) {
      auto [it, inserted] = impl.types.try_emplace(type->full_name, nullptr);
      if (!inserted) {
        return absl::InvalidArgumentError(Cat(type->file, ":", type->line, ": type ", type->full_name,
                                              " already defined at ", it->second->file, ":",
                                              it->second->line));
      }
      it->second = std::move(type);
    }
    for (auto& kind : parsed->kinds) kinds.push_back(std::move(kind));
  }

  std::vector<std::string> errors;
  for (auto& [full_name, type] : impl.types) {
    for (FieldSchema& field : type->fields) impl.Link(field.type, *type, field, errors);
  }
  for (const KindDeclaration& decl : kinds) {
    const TypeSchema* type = impl.Resolve(decl.type_name, decl.package);
    if (type == nullptr) {
      errors.push_back(Cat(decl.file, ":", decl.line, ": kind ", decl.gvk.kind, " refers to unknown type \"",
                           decl.type_name, "\""));
      continue;
    }
    if (impl.kinds.count(decl.gvk)) {
      errors.push_back(Cat(decl.file, ":", decl.line, ": kind ", decl.gvk.group, "/", decl.gvk.version, "/",
                           decl.gvk.kind, " declared twice"));
      continue;
    }
    impl.kinds[decl.gvk] = KindSchema{decl.gvk, type};
    // The registry owns the types; attaching the GVK is part of linking.
    const_cast<TypeSchema*>(type)->kinds.push_back(decl.gvk);
    impl.patch_metas[decl.gvk] = std::make_unique<SchemaPatchMeta>(type);
  }
  if (!errors.empty()) return absl::InvalidArgumentError(Join(errors, "\n"));
  return registry;
}

const TypeSchema* SchemaRegistry::FindType(std::string_view full_name) const {
  auto it = impl_->types.find(full_name);
  return it == impl_->types.end() ? nullptr : it->second.get();
}

const KindSchema* SchemaRegistry::FindKind(std::string_view group, std::string_view version,
                                           std::string_view kind) const {
  auto it = impl_->kinds.find(GroupVersionKind{std::string(group), std::string(version), std::string(kind)});
  return it == impl_->kinds.end() ? nullptr : &it->second;
}

std::vector<const KindSchema*> SchemaRegistry::Kinds() const {
  std::vector<const KindSchema*> out;
  for (const auto& [gvk, kind] : impl_->kinds) out.push_back(&kind);
  return out;
}

std::vector<const TypeSchema*> SchemaRegistry::Types() const {
  std::vector<const TypeSchema*> out;
  for (const auto& [name, type] : impl_->types) out.push_back(type.get());
  return out;
}

const PatchMeta& SchemaRegistry::PatchMetaFor(std::string_view group, std::string_view version,
                                              std::string_view kind) const {
  auto it =
      impl_->patch_metas.find(GroupVersionKind{std::string(group), std::string(version), std::string(kind)});
  return it == impl_->patch_metas.end() ? EmptyPatchMeta() : *it->second;
}

const SchemaRegistry& BuiltinSchemas() {
  static const SchemaRegistry* registry = [] {
    absl::StatusOr<std::unique_ptr<SchemaRegistry>> loaded = SchemaRegistry::Load(EmbeddedSchemaFiles());
    if (!loaded.ok()) {  // a build bug: schema_test loads every embedded file
      std::fprintf(stderr, "embedded schema files are broken:\n%s\n",
                   std::string(loaded.status().message()).c_str());
      std::abort();
    }
    return loaded->release();
  }();
  return *registry;
}

const PatchMeta& PatchMetaFor(std::string_view group, std::string_view version, std::string_view kind) {
  return BuiltinSchemas().PatchMetaFor(group, version, kind);
}

const PatchMeta& PatchMetaFor(const ResourceInfo& resource) {
  if (resource.custom) return resource.custom->patch_meta ? *resource.custom->patch_meta : EmptyPatchMeta();
  return PatchMetaFor(resource.group, resource.version, resource.kind);
}

std::string_view ScalarName(ScalarKind kind) {
  switch (kind) {
    case ScalarKind::kString:
      return "string";
    case ScalarKind::kInt32:
      return "int32";
    case ScalarKind::kInt64:
      return "int64";
    case ScalarKind::kBool:
      return "bool";
    case ScalarKind::kNumber:
      return "number";
    case ScalarKind::kBytes:
      return "bytes";
    case ScalarKind::kTime:
      return "time";
    case ScalarKind::kMicroTime:
      return "microtime";
    case ScalarKind::kQuantity:
      return "quantity";
    case ScalarKind::kIntOrString:
      return "intorstring";
    case ScalarKind::kAny:
      return "any";
    case ScalarKind::kDuration:
      return "duration";
  }
  return "unknown";
}

}  // namespace skiff::api
