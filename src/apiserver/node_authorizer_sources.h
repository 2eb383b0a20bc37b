// The Node authorizer's and NodeRestriction's view of the cluster (node_authorizer::Sources) served
// from the watch cache: watches that feed the node graph, each resource's revision, and single
// objects, without reading storage.
// Thread-safety: safe to call concurrently (the WatchCache is). Ownership: borrows the cache, which
// must outlive it and every Subscription it hands out; a Subscription ends its cache watch when
// destroyed. Failure: Watch fails as WatchCache::StartWatch does; Get answers nullopt for an
// absent object.
#ifndef SKIFF_APISERVER_NODE_AUTHORIZER_SOURCES_H_
#define SKIFF_APISERVER_NODE_AUTHORIZER_SOURCES_H_

#include <memory>
#include <optional>
#include <string_view>

#include "apiserver/node_authorizer/sources.h"
#include "apiserver/watch_cache.h"

namespace skiff::apiserver {

class NodeAuthorizerSources : public node_authorizer::Sources {
 public:
  explicit NodeAuthorizerSources(WatchCache* cache) : cache_(cache) {}
  absl::StatusOr<std::unique_ptr<Subscription>> Watch(
      std::string_view group, std::string_view plural,
      std::shared_ptr<node_authorizer::Watcher> watcher) override;
  std::optional<boost::json::value> Get(std::string_view group, std::string_view plural, std::string_view ns,
                                        std::string_view name) const override;

 private:
  WatchCache* cache_;
};

}  // namespace skiff::apiserver

#endif  // SKIFF_APISERVER_NODE_AUTHORIZER_SOURCES_H_
