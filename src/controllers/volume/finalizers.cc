#include "controllers/volume/finalizers.h"

#include "api/object_meta.h"
#include "base/json.h"

namespace skiff::controllers::volume {

absl::Status RemoveFinalizer(client::Client* client, const api::ResourceInfo& resource, const boost::json::value& obj,
                             const std::string& finalizer, const std::string& field_manager) {
  if (!api::HasFinalizer(obj, finalizer)) return absl::OkStatus();
  boost::json::value next = obj;
  boost::json::array kept;
  for (const std::string& f : api::Finalizers(obj)) {
    if (f != finalizer) kept.push_back(boost::json::string(f));
  }
  base::EnsureObject(next, {"metadata"})["finalizers"] = std::move(kept);
  return client->Update(resource, api::Namespace(obj), std::move(next), "", {.field_manager = field_manager})
      .status();
}

}  // namespace skiff::controllers::volume
