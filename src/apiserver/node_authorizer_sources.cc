#include "apiserver/node_authorizer_sources.h"

#include <string>
#include <utility>

namespace skiff::apiserver {
namespace {

// Hands one cache watch's events to a node_authorizer::Watcher.
class Forwarder : public WatchListener {
 public:
  Forwarder(std::shared_ptr<node_authorizer::Watcher> watcher, bool pods)
      : watcher_(std::move(watcher)), pods_(pods) {}

  bool OnEvent(EventType type, const ObjectPtr& object) override {
    const bool upsert = type == EventType::kAdded || type == EventType::kModified;
    // An unscheduled pod reaches no node: the graph only drops what it had for it, as Upsert of it
    // would (without parsing every new pod).
    if (type == EventType::kDeleted || (upsert && Unscheduled(*object))) {
      watcher_->Remove(object->namespace_name, object->name);
    } else if (upsert) {
      watcher_->Upsert(object->Parse());
    }
    return true;
  }
  void OnProgress(int64_t revision) override { watcher_->Progress(revision); }

 private:
  // A pod whose indexed spec.nodeName is empty (unknown without the field index: not skipped).
  bool Unscheduled(const CachedObject& object) const {
    if (!pods_) return false;
    const std::string* node = object.Field("spec.nodeName");
    return node != nullptr && node->empty();
  }

  std::shared_ptr<node_authorizer::Watcher> watcher_;
  bool pods_;
};

class CacheSubscription : public node_authorizer::Sources::Subscription {
 public:
  CacheSubscription(WatchCache* cache, std::string prefix, int64_t id)
      : cache_(cache), prefix_(std::move(prefix)), id_(id) {}
  ~CacheSubscription() override { cache_->StopWatch(prefix_, id_); }
  int64_t Revision() const override { return cache_->ResourceRevision(prefix_); }

 private:
  WatchCache* cache_;
  std::string prefix_;
  int64_t id_;
};

}  // namespace

absl::StatusOr<std::unique_ptr<node_authorizer::Sources::Subscription>> NodeAuthorizerSources::Watch(
    std::string_view group, std::string_view plural, std::shared_ptr<node_authorizer::Watcher> watcher) {
  std::string prefix = ResourcePrefix(std::string(group), std::string(plural));
  // From revision 0: every stored object first, delivered before StartWatch returns.
  auto id = cache_->StartWatch(prefix, prefix, 0, nullptr, std::make_shared<Forwarder>(std::move(watcher), group.empty() && plural == "pods"));
  if (!id.ok()) return id.status();
  return std::make_unique<CacheSubscription>(cache_, std::move(prefix), *id);
}

std::optional<boost::json::value> NodeAuthorizerSources::Get(std::string_view group, std::string_view plural,
                                                             std::string_view ns,
                                                             std::string_view name) const {
  std::string prefix = ResourcePrefix(std::string(group), std::string(plural));
  ObjectPtr object = cache_->Get(prefix, ObjectKey(prefix, std::string(ns), std::string(name)));
  if (!object) return std::nullopt;
  return object->Parse();
}

}  // namespace skiff::apiserver
