// node_authorizer::Sources: what the Node authorizer and NodeRestriction admission read of the
// cluster — one resource's objects and changes (pods, PersistentVolumes) to feed the NodeGraph, how
// far the stored state of a resource has got (so a lookup can wait for the graph to catch up), and
// single objects (a token request's pod) — so that this library needs only the API server's
// header-only interfaces (auth.h, admission.h). The API server serves it from its watch cache
// (apiserver/node_authorizer_sources.h).
// Thread-safety: implementations must allow concurrent calls. A Watcher receives its calls from one
// thread at a time, in revision order. Ownership: the authorizer and the plug-in borrow the
// Sources, which must outlive them; a Subscription belongs to whoever subscribed, and the Sources
// share ownership of the Watcher until a delivery under way when the Subscription goes has finished.
// Failure: Watch fails when the watch cannot start; Get answers nullopt for an absent object.
#ifndef SKIFF_APISERVER_NODE_AUTHORIZER_SOURCES_INTERFACE_H_
#define SKIFF_APISERVER_NODE_AUTHORIZER_SOURCES_INTERFACE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string_view>

#include "absl/status/statusor.h"
#include "boost/json/value.hpp"

namespace skiff::apiserver::node_authorizer {

// Receives one resource's objects: every stored one first (as upserts; the watch cache's Sources
// deliver them before Watch returns), then every change after, in revision order. Must not block
// and must not call back into the Sources.
class Watcher {
 public:
  virtual ~Watcher() = default;
  // An object was added or modified (`object` is valid during the call).
  virtual void Upsert(const boost::json::value& object) = 0;
  // The object `ns`/`name` ("" namespace for cluster-scoped ones) was deleted.
  virtual void Remove(std::string_view ns, std::string_view name) = 0;
  // Every change of the resource up to `revision` has been offered to this watcher.
  virtual void Progress(int64_t revision) = 0;
};

class Sources {
 public:
  // One watch; destroying it ends the watch (a delivery already under way may still finish).
  class Subscription {
   public:
    virtual ~Subscription() = default;
    // The newest revision of the watched resource the Sources hold: once the watcher's Progress
    // has reached it, the watcher has seen everything stored so far.
    virtual int64_t Revision() const = 0;
  };

  virtual ~Sources() = default;
  // Watches every object of `plural` in API group `group` (all namespaces).
  virtual absl::StatusOr<std::unique_ptr<Subscription>> Watch(std::string_view group, std::string_view plural,
                                                              std::shared_ptr<Watcher> watcher) = 0;
  // The stored object `ns`/`name` of `plural` in `group`, or nullopt.
  virtual std::optional<boost::json::value> Get(std::string_view group, std::string_view plural,
                                                std::string_view ns, std::string_view name) const = 0;
};

}  // namespace skiff::apiserver::node_authorizer

#endif  // SKIFF_APISERVER_NODE_AUTHORIZER_SOURCES_INTERFACE_H_
