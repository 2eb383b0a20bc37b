#include "agent/pods/status_manager.h"

#include "api/object_meta.h"
#include "base/json.h"

namespace skiff::agent::pods {
namespace json = boost::json;

namespace {

constexpr const char* kOwnedFields[] = {"phase",
                                        "conditions",
                                        "hostIP",
                                        "hostIPs",
                                        "podIP",
                                        "podIPs",
                                        "startTime",
                                        "qosClass",
                                        "initContainerStatuses",
                                        "containerStatuses"};

}  // namespace

json::object OwnedStatusFields(const json::value& status) {
  json::object out;
  if (!status.is_object()) return out;
  for (const char* field : kOwnedFields) {
    if (const json::value* v = base::Find(status, field)) out[field] = *v;
  }
  return out;
}

StatusManager::StatusManager(client::Client* client)
    : client_(client), pods_(client::Resource("", "v1", "pods")) {}

absl::StatusOr<bool> StatusManager::Write(const json::value& pod, const json::object& status) {
  std::string uid = api::Uid(pod);
  json::object previous;
  {
    std::lock_guard lock(mu_);
    auto it = last_.find(uid);
    if (it != last_.end()) {
      previous = *it->second;
    } else if (const json::value* stored = base::Find(pod, "status")) {
      previous = OwnedStatusFields(*stored);
    }
  }
  if (previous == status) return false;
  json::object patch_status = status;
  for (const auto& [key, value] : previous) {
    if (!patch_status.contains(key)) patch_status[key] = nullptr;
  }
  json::value patch = {{"metadata", {{"uid", uid}}}, {"status", std::move(patch_status)}};
  client::PatchOptions options;
  options.subresource = "status";
  auto written =
      client_->Patch(pods_, api::Namespace(pod), api::Name(pod), client::PatchType::kMerge, patch, options);
  if (!written.ok()) return written.status();
  ++writes_;
  std::lock_guard lock(mu_);
  last_[uid] = std::make_shared<const json::object>(status);
  return true;
}

std::shared_ptr<const json::object> StatusManager::LastWritten(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = last_.find(uid);
  return it == last_.end() ? nullptr : it->second;
}

void StatusManager::Forget(const std::string& uid) {
  std::lock_guard lock(mu_);
  last_.erase(uid);
  health_.erase(uid);
}

void StatusManager::SetContainerReadiness(const std::string& uid, const std::string& container, bool ready) {
  {
    std::lock_guard lock(mu_);
    auto& map = health_[uid].ready;
    auto it = map.find(container);
    if (it != map.end() && it->second == ready) return;
    map[container] = ready;
  }
  if (on_change_) on_change_(uid);
}

void StatusManager::SetContainerStarted(const std::string& uid, const std::string& container, bool started) {
  {
    std::lock_guard lock(mu_);
    auto& map = health_[uid].started;
    auto it = map.find(container);
    if (it != map.end() && it->second == started) return;
    map[container] = started;
  }
  if (on_change_) on_change_(uid);
}

ContainerHealth StatusManager::Health(const std::string& uid) const {
  std::lock_guard lock(mu_);
  auto it = health_.find(uid);
  return it == health_.end() ? ContainerHealth{} : it->second;
}

}  // namespace skiff::agent::pods
