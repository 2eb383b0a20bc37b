#include "agent/podspec/object_source.h"

#include <memory>

#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/json.h"

namespace skiff::agent::podspec {

const char* ObjectKindName(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kConfigMap:
      return "configmap";
    case ObjectKind::kSecret:
      return "secret";
    case ObjectKind::kPersistentVolumeClaim:
      return "persistentvolumeclaim";
    case ObjectKind::kPersistentVolume:
      return "persistentvolume";
  }
  return "object";
}

absl::Status ObjectNotFound(ObjectKind kind, const std::string& name) {
  return absl::NotFoundError(absl::StrCat(ObjectKindName(kind), " \"", name, "\" not found"));
}

namespace {

const api::ResourceInfo& ResourceFor(ObjectKind kind) {
  switch (kind) {
    case ObjectKind::kConfigMap:
      return client::Resource("", "v1", "configmaps");
    case ObjectKind::kSecret:
      return client::Resource("", "v1", "secrets");
    case ObjectKind::kPersistentVolumeClaim:
      return client::Resource("", "v1", "persistentvolumeclaims");
    case ObjectKind::kPersistentVolume:
      break;
  }
  return client::Resource("", "v1", "persistentvolumes");
}

bool ClusterScoped(ObjectKind kind) { return kind == ObjectKind::kPersistentVolume; }

}  // namespace

absl::StatusOr<client::Object> ClientObjectSource::Get(ObjectKind kind, const std::string& ns,
                                                       const std::string& name) {
  auto got = client_->Get(ResourceFor(kind), ClusterScoped(kind) ? "" : ns, name);
  if (!got.ok() && absl::IsNotFound(got.status())) return ObjectNotFound(kind, name);
  return got;
}

void MapObjectSource::Add(ObjectKind kind, boost::json::value object) {
  std::string ns = ClusterScoped(kind) ? "" : api::Namespace(object);
  std::string name = api::Name(object);
  objects_[{kind, ns, name}] = std::make_shared<const boost::json::value>(std::move(object));
}

void MapObjectSource::Remove(ObjectKind kind, const std::string& ns, const std::string& name) {
  objects_.erase({kind, ClusterScoped(kind) ? "" : ns, name});
}

absl::StatusOr<client::Object> MapObjectSource::Get(ObjectKind kind, const std::string& ns,
                                                    const std::string& name) {
  auto it = objects_.find({kind, ClusterScoped(kind) ? "" : ns, name});
  if (it == objects_.end()) return ObjectNotFound(kind, name);
  return it->second;
}

}  // namespace skiff::agent::podspec
