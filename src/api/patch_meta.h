// PatchMeta: what strategic merge patch and server-side apply need to know about a kind's lists
// and maps (patch strategy and merge key per field), answered by the kind's schema.
//
// A path is the sequence of field names from the object root; list elements are transparent
// (the path of a container's ports is {"spec","template","spec","containers","ports"}).
// Thread-safety: implementations are immutable after construction and safe to share.
// Ownership: callers borrow a PatchMeta that outlives the call. Never fails: unknown paths answer
// with the defaults (atomic lists, merged maps), which is what Kubernetes does for unknown fields.
#ifndef SKIFF_API_PATCH_META_H_
#define SKIFF_API_PATCH_META_H_

#include <string>
#include <string_view>
#include <vector>

namespace skiff::api {

struct FieldPatchInfo {
  // x-kubernetes-patch-strategy contains "merge": lists are merged (by merge_key for lists of
  // objects, as sets for lists of primitives) instead of replaced.
  bool merge = false;
  // x-kubernetes-patch-strategy contains "retainKeys": `$retainKeys` directives apply here.
  bool retain_keys = false;
  // x-kubernetes-patch-merge-key (empty for primitive lists and maps).
  std::string merge_key;
  // x-kubernetes-list-type ("atomic", "set", "map"; empty if unspecified) and
  // x-kubernetes-list-map-keys, used by server-side apply.
  std::string list_type;
  std::vector<std::string> list_map_keys;
  // x-kubernetes-map-type "atomic" (a map/struct owned and replaced as a whole).
  bool atomic_map = false;
};

class PatchMeta {
 public:
  virtual ~PatchMeta() = default;
  virtual FieldPatchInfo Lookup(const std::vector<std::string_view>& path) const = 0;
};

// A PatchMeta that knows nothing (every list atomic): used for kinds without a schema.
const PatchMeta& EmptyPatchMeta();

}  // namespace skiff::api

#endif  // SKIFF_API_PATCH_META_H_
