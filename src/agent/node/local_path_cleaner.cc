#include "agent/node/local_path_cleaner.h"

#include <filesystem>
#include <system_error>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "api/object_meta.h"
#include "base/json.h"
#include "client/informer.h"
#include "spdlog/spdlog.h"

namespace skiff::agent::node {
namespace {

namespace json = boost::json;

const api::ResourceInfo& Volumes() { return client::Resource("", "v1", "persistentvolumes"); }

}  // namespace

bool IsLocalPathVolumeDir(const std::string& root, const std::string& path) {
  if (root.empty() || !absl::StartsWith(path, root + "/pvc-")) return false;
  std::string rest = path.substr(root.size() + 1);
  return rest.find('/') == std::string::npos && rest != "." && rest != "..";
}

LocalPathCleaner::LocalPathCleaner(client::Client* client, client::SharedInformers* informers, std::string node_name,
                                   std::string root)
    : client_(client),
      volumes_(&informers->For(Volumes())),
      node_name_(std::move(node_name)),
      root_(std::move(root)) {}

LocalPathCleaner::~LocalPathCleaner() { Stop(); }

void LocalPathCleaner::Start() {
  if (controller_) return;
  controller_ = std::make_unique<client::Controller>("local-path-cleaner", this, 1);
  client::WorkQueue* queue = &controller_->queue();
  auto event = [this, queue](const client::Object& pv) {
    if (api::IsBeingDeleted(*pv) && api::HasFinalizer(*pv, kLocalPathCleanupFinalizer) &&
        api::Annotation(*pv, kLocalPathNodeAnnotation) == node_name_) {
      queue->Add(api::Name(*pv));
    }
  };
  volumes_->AddHandlers({event, [event](const client::Object&, const client::Object& pv) { event(pv); }, nullptr});
  controller_->Start();
}

void LocalPathCleaner::Stop() {
  if (controller_) controller_->Stop();
}

client::ReconcileResult LocalPathCleaner::Reconcile(const std::string& key) {
  client::Object pv = volumes_->Get(key);
  if (pv == nullptr || !api::IsBeingDeleted(*pv) || !api::HasFinalizer(*pv, kLocalPathCleanupFinalizer) ||
      api::Annotation(*pv, kLocalPathNodeAnnotation) != node_name_) {
    return {};
  }
  std::string path = base::GetString(*pv, {"spec", "hostPath", "path"});
  if (!IsLocalPathVolumeDir(root_, path)) {
    spdlog::warn("agent: local-path PV {} has path {} outside {}: not removing it", key, path, root_);
    return {};
  }
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
  if (ec) return {absl::InternalError(absl::StrCat("removing ", path, ": ", ec.message()))};
  json::value next = *pv;
  json::array kept;
  for (const std::string& f : api::Finalizers(*pv)) {
    if (f != kLocalPathCleanupFinalizer) kept.push_back(json::string(f));
  }
  base::EnsureObject(next, {"metadata"})["finalizers"] = std::move(kept);
  auto updated = client_->Update(Volumes(), "", std::move(next), "", {.field_manager = "skiff-agent"});
  if (!updated.ok() && client::HttpCode(updated.status()) != 404) return {updated.status()};
  spdlog::info("agent: removed local-path volume {} ({})", key, path);
  return {};
}

}  // namespace skiff::agent::node
