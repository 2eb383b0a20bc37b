#include "client/shared_informers.h"

#include <vector>

#include "absl/strings/str_cat.h"

namespace skiff::client {

bool SharedInformers::KeepsBytes(const api::ResourceInfo& resource) {
  // Payload carriers: in process their informers would otherwise hold a decoded copy of every
  // object beside the watch cache's bytes, while controllers read only a few of them.
  return resource.group.empty() && (resource.plural == "configmaps" || resource.plural == "secrets");
}

SharedInformers::SharedInformers(Client* client) : client_(client) {}

SharedInformers::~SharedInformers() { Stop(); }

Informer& SharedInformers::For(const api::ResourceInfo& resource) { return For(resource, Informer::Options{}); }

Informer& SharedInformers::For(const api::ResourceInfo& resource, const Informer::Options& options) {
  std::lock_guard<std::mutex> lock(mu_);
  std::string key = resource.GroupVersion() + "/" + resource.plural;
  if (!options.ns.empty() || !options.label_selector.empty() || !options.field_selector.empty()) {
    key = absl::StrCat(key, "?ns=", options.ns, "&l=", options.label_selector, "&f=", options.field_selector);
  }
  auto it = informers_.find(key);
  if (it != informers_.end()) return *it->second;
  Informer::Options chosen = options;
  chosen.keep_bytes = chosen.keep_bytes || KeepsBytes(resource);
  auto informer = std::make_unique<Informer>(client_, resource, chosen);
  Informer& ref = *informer;
  informers_.emplace(key, std::move(informer));
  if (started_) ref.Start();
  return ref;
}

void SharedInformers::Start() {
  std::lock_guard<std::mutex> lock(mu_);
  started_ = true;
  for (auto& [key, informer] : informers_) informer->Start();
}

void SharedInformers::Stop() {
  std::vector<Informer*> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    started_ = false;
    for (auto& [key, informer] : informers_) all.push_back(informer.get());
  }
  for (Informer* informer : all) informer->Stop();
}

bool SharedInformers::WaitForSync(absl::Duration timeout) {
  absl::Time deadline = absl::Now() + timeout;
  std::vector<Informer*> all;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, informer] : informers_) all.push_back(informer.get());
  }
  for (Informer* informer : all) {
    if (!informer->WaitForSync(std::max(deadline - absl::Now(), absl::ZeroDuration()))) return false;
  }
  return true;
}

}  // namespace skiff::client
