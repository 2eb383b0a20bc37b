// PatchMetaFor(): the x-kubernetes-list-type/-list-map-keys/-map-type of a schema node, found by
// field path (list elements transparent, map values reached through additionalProperties), as
// server-side apply reads them. Unknown paths answer with the defaults (atomic lists, granular maps).
// The root's metadata is ObjectMeta whatever the schema says, so its paths answer as a built-in's.
#include "api/schema.h"
#include "api/structural/structural.h"

namespace skiff::api::structural {
namespace {

class SchemaPatchMeta : public PatchMeta {
 public:
  explicit SchemaPatchMeta(std::shared_ptr<const Schema> schema) : schema_(std::move(schema)) {}

  FieldPatchInfo Lookup(const std::vector<std::string_view>& path) const override {
    if (!path.empty() && path.front() == "metadata") {
      // Any built-in kind's metadata is the same ObjectMeta (finalizers a set, ownerReferences keyed by uid).
      return api::PatchMetaFor("", "v1", "ConfigMap").Lookup(path);
    }
    const Schema* s = schema_.get();
    for (std::string_view field : path) {
      while (s != nullptr && s->items && s->type == "array") s = s->items.get();  // elements are transparent
      if (s == nullptr) break;
      s = s->Field(field);
    }
    FieldPatchInfo info;
    if (s == nullptr) return info;
    info.list_type = s->list_type;
    info.list_map_keys = s->list_map_keys;
    info.atomic_map = s->map_type == "atomic";
    if (s->list_type == "map" || s->list_type == "set") {
      info.merge = true;
      if (s->list_type == "map" && !s->list_map_keys.empty()) info.merge_key = s->list_map_keys.front();
    }
    return info;
  }

 private:
  std::shared_ptr<const Schema> schema_;
};

}  // namespace

std::unique_ptr<PatchMeta> PatchMetaFor(std::shared_ptr<const Schema> schema) {
  return std::make_unique<SchemaPatchMeta>(std::move(schema));
}

}  // namespace skiff::api::structural
