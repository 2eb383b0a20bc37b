#include "agent/node/pod_cidr_watcher.h"

#include "absl/strings/str_cat.h"
#include "base/json.h"

namespace skiff::agent::node {

PodCidrWatcher::PodCidrWatcher(client::Client* client, const std::string& node_name, Callback on_cidr)
    : on_cidr_(std::move(on_cidr)),
      informer_(std::make_unique<client::Informer>(
          client, client::Resource("", "v1", "nodes"),
          client::Informer::Options{.field_selector = absl::StrCat("metadata.name=", node_name)})) {
  informer_->AddHandlers(
      {.on_add = [this](const client::Object& node) { Observe(node); },
       .on_update = [this](const client::Object&, const client::Object& node) { Observe(node); },
       .on_delete = nullptr});
}

PodCidrWatcher::~PodCidrWatcher() { Stop(); }

void PodCidrWatcher::Start() { informer_->Start(); }
void PodCidrWatcher::Stop() { informer_->Stop(); }

std::string PodCidrWatcher::current() const {
  std::lock_guard lock(mu_);
  return current_;
}

void PodCidrWatcher::Observe(const client::Object& node) {
  std::string cidr = base::GetString(*node, {"spec", "podCIDR"});
  if (cidr.empty()) return;
  {
    std::lock_guard lock(mu_);
    if (cidr == current_) return;
    current_ = cidr;
  }
  on_cidr_(cidr);
}

}  // namespace skiff::agent::node
