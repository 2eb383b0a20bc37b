#include "api/object_meta.h"

#include "base/json.h"

namespace skiff::api {

namespace json = boost::json;

std::string Name(const json::value& obj) { return base::GetString(obj, {"metadata", "name"}); }
std::string Namespace(const json::value& obj) { return base::GetString(obj, {"metadata", "namespace"}); }
std::string Uid(const json::value& obj) { return base::GetString(obj, {"metadata", "uid"}); }
std::string ResourceVersion(const json::value& obj) {
  return base::GetString(obj, {"metadata", "resourceVersion"});
}
int64_t Generation(const json::value& obj) { return base::GetInt(obj, {"metadata", "generation"}); }

const json::value* Labels(const json::value& obj) { return base::FindPath(obj, {"metadata", "labels"}); }
const json::value* Annotations(const json::value& obj) {
  return base::FindPath(obj, {"metadata", "annotations"});
}

std::string Label(const json::value& obj, std::string_view key, std::string_view fallback) {
  return base::GetString(obj, {"metadata", "labels", key}, fallback);
}
std::string Annotation(const json::value& obj, std::string_view key, std::string_view fallback) {
  return base::GetString(obj, {"metadata", "annotations", key}, fallback);
}

const json::array* OwnerReferences(const json::value& obj) {
  const json::value* refs = base::FindPath(obj, {"metadata", "ownerReferences"});
  return refs != nullptr && refs->is_array() ? &refs->get_array() : nullptr;
}

const json::value* ControllerRef(const json::value& obj) {
  const json::array* refs = OwnerReferences(obj);
  if (refs == nullptr) return nullptr;
  for (const json::value& ref : *refs) {
    if (ref.is_object() && base::GetBool(ref, {"controller"})) return &ref;
  }
  return nullptr;
}

bool IsBeingDeleted(const json::value& obj) {
  const json::value* ts = base::FindPath(obj, {"metadata", "deletionTimestamp"});
  return ts != nullptr && !ts->is_null();
}

std::vector<std::string> Finalizers(const json::value& obj) {
  std::vector<std::string> out;
  const json::value* list = base::FindPath(obj, {"metadata", "finalizers"});
  if (list == nullptr || !list->is_array()) return out;
  for (const json::value& f : list->get_array()) {
    if (f.is_string()) out.emplace_back(f.get_string());
  }
  return out;
}

bool HasFinalizer(const json::value& obj, std::string_view finalizer) {
  const json::value* list = base::FindPath(obj, {"metadata", "finalizers"});
  if (list == nullptr || !list->is_array()) return false;
  for (const json::value& f : list->get_array()) {
    if (f.is_string() && f.get_string() == finalizer) return true;
  }
  return false;
}

}  // namespace skiff::api
