// Prune(): kube's structural pruning (pkg/apiserver/schema/pruning): fields the schema does not
// specify are dropped, except under x-kubernetes-preserve-unknown-fields; apiVersion, kind and
// metadata of the resource root and of embedded resources are kept, and embedded resources'
// metadata loses the fields ObjectMeta does not have (as kube's ObjectMeta round trip does).
#include <algorithm>

#include "api/schema.h"
#include "api/structural/internal.h"
#include "api/unknown_fields.h"

namespace skiff::api::structural {
namespace {

using internal::PathNode;

bool IsMetaField(std::string_view k) { return k == "apiVersion" || k == "kind" || k == "metadata"; }

class Pruner {
 public:
  explicit Pruner(std::vector<std::string>* pruned) : pruned_(pruned) {}

  // `embedded` overrides s->embedded_resource (the resource root is treated as embedded).
  void Prune(const Schema* s, boost::json::value* v, const PathNode& path, bool embedded, int depth) {
    if (depth > kMaxDepth * 2) return;
    if (s != nullptr && s->preserve_unknown_fields) return SkipPrune(s, v, path, embedded, depth);
    if (v->is_object()) {
      boost::json::object& o = v->get_object();
      bool is_embedded = s != nullptr && (embedded || s->embedded_resource);
      for (auto it = o.begin(); it != o.end();) {
        std::string_view k = it->key();
        if (is_embedded && IsMetaField(k)) {
          if (k == "metadata" && path.parent != nullptr) EmbeddedMetadata(&it->value(), path);
          ++it;
          continue;
        }
        const Schema* prop = s ? s->Property(k) : nullptr;
        if (prop != nullptr) {
          Prune(prop, &it->value(), path.Child(k), false, depth + 1);
        } else if (s != nullptr && (s->additional_properties || s->additional_properties_allowed)) {
          Prune(s->additional_properties.get(), &it->value(), path.Child(k), false, depth + 1);
        } else {
          if (!IsMetaField(k) || path.parent != nullptr) Record(path.Child(k));
          it = o.erase(it);
          continue;
        }
        ++it;
      }
    } else if (v->is_array()) {
      boost::json::array& a = v->get_array();
      for (size_t i = 0; i < a.size(); ++i) {
        Prune(s ? s->items.get() : nullptr, &a[i], path.Index(i), false, depth + 1);
      }
    }
  }

 private:
  void Record(const PathNode& path) {
    if (pruned_ != nullptr) pruned_->push_back(path.String());
  }

  void SkipPrune(const Schema* s, boost::json::value* v, const PathNode& path, bool embedded, int depth) {
    if (v->is_object()) {
      for (auto& kv : v->get_object()) {
        std::string_view k = kv.key();
        if ((embedded || s->embedded_resource) && IsMetaField(k)) {
          if (k == "metadata" && path.parent != nullptr) EmbeddedMetadata(&kv.value(), path);
          continue;
        }
        if (const Schema* prop = s->Property(k)) {
          Prune(prop, &kv.value(), path.Child(k), false, depth + 1);
        } else if (s->additional_properties || s->additional_properties_allowed) {
          Prune(s->additional_properties.get(), &kv.value(), path.Child(k), false, depth + 1);
        }
      }
    } else if (v->is_array() && s->items) {
      boost::json::array& a = v->get_array();
      for (size_t i = 0; i < a.size(); ++i) SkipPrune(s->items.get(), &a[i], path.Index(i), false, depth + 1);
    }
  }

  // Drops (and records, as kube's ObjectMeta decoding reports them) what ObjectMeta does not have.
  void EmbeddedMetadata(boost::json::value* meta, const PathNode& resource) {
    static const TypeSchema* object_meta = BuiltinSchemas().FindType("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
    if (!meta->is_object() || object_meta == nullptr) return;
    PathNode metadata = resource.Child("metadata");
    std::string prefix = metadata.String();
    // PruneUnknownFields words them `unknown field "<path below metadata>"`: keep the path only.
    constexpr std::string_view kHead = "unknown field \"";
    for (const std::string& message : PruneUnknownFields(*object_meta, *meta)) {
      if (pruned_ == nullptr || message.size() <= kHead.size() + 1) continue;
      pruned_->push_back(prefix + "." + message.substr(kHead.size(), message.size() - kHead.size() - 1));
    }
  }

  std::vector<std::string>* pruned_;
};

}  // namespace

namespace internal {

void PruneValue(const Schema* s, boost::json::value* v, bool resource_root, std::vector<std::string>* pruned) {
  PathNode root;
  Pruner(pruned).Prune(s, v, root, resource_root, 0);
}

}  // namespace internal

std::vector<std::string> Prune(const Schema& schema, boost::json::value* object) {
  std::vector<std::string> pruned;
  internal::PruneValue(&schema, object, /*resource_root=*/true, &pruned);
  std::sort(pruned.begin(), pruned.end());
  return pruned;
}

}  // namespace skiff::api::structural
