#include "agent/node/pod_cidr_watcher.h"

#include "absl/strings/str_cat.h"
#include "base/json.h"

namespace skiff::agent::node {

PodCidrWatcher::PodCidrWatcher(client::SharedInformers* informers, const std::string& node_name,
                               Callback on_cidr)
    : on_cidr_(std::move(on_cidr)),
      informer_(&informers->For(client::Resource("", "v1", "nodes"),
                                {.field_selector = absl::StrCat("metadata.name=", node_name)})) {}

PodCidrWatcher::~PodCidrWatcher() { Stop(); }

void PodCidrWatcher::Start() {
  if (handlers_ != 0) return;
  handlers_ = informer_->AddHandlers(
      {.on_add = [this](const client::Object& node) { Observe(node); },
       .on_update = [this](const client::Object&, const client::Object& node) { Observe(node); },
       .on_delete = nullptr});
  informer_->Start();  // a no-op when the set's owner started it
}

void PodCidrWatcher::Stop() {
  informer_->RemoveHandlers(handlers_);
  handlers_ = 0;
}

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
