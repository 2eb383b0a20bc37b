// Informer: a continuously updated local cache of one resource (list + watch, like client-go's
// SharedIndexInformer): a Reflector (reflector.h: paginated list, watch from the list's
// resourceVersion with bookmarks, re-watch when a watch ends, relist on 410 Expired, backoff on
// errors) feeds a cache. Objects are indexed by
// namespace/name and by any number of named indexes (namespace, label value, owner uid, custom
// functions); registered handlers hear about every add/update/delete, in order.
//
// Thread-safety: every method is safe from any thread. Handlers run one at a time on the
// informer's threads and must not block (typically they enqueue keys into a WorkQueue); they must
// not call AddHandlers/RemoveHandlers.
// Ownership: borrows the Client (must outlive the informer). Stop() or the destructor ends it;
// after RemoveHandlers(id) returns, those handlers never run again.
// Failure: list/watch errors are retried with backoff forever; HasSynced() tells when the first
// list has been applied.
#ifndef SKIFF_CLIENT_INFORMER_H_
#define SKIFF_CLIENT_INFORMER_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "client/client.h"

namespace skiff::client {

// "namespace/name", or "name" for cluster-scoped objects.
std::string KeyOf(const boost::json::value& obj);
std::string MakeKey(const std::string& ns, const std::string& name);
// Splits a key into namespace and name.
void SplitKey(const std::string& key, std::string* ns, std::string* name);

// Returns the index values an object is filed under (may be empty).
using IndexFunc = std::function<std::vector<std::string>(const boost::json::value& obj)>;

// Built-in index functions.
IndexFunc IndexByNamespace();                        // metadata.namespace
IndexFunc IndexByOwnerUid();                         // every metadata.ownerReferences[].uid
IndexFunc IndexByField(std::vector<std::string> path);  // a string field, e.g. {"spec","nodeName"}

struct InformerHandlers {
  std::function<void(const Object& obj)> on_add;
  std::function<void(const Object& old_obj, const Object& new_obj)> on_update;
  // `obj` is the last known state.
  std::function<void(const Object& obj)> on_delete;
};

class Informer {
 public:
  struct Options {
    std::string ns;              // "" = all namespaces
    std::string label_selector;
    std::string field_selector;
    // On this period every object is re-delivered as an update (level-triggered safety net);
    // zero disables.
    absl::Duration resync = absl::ZeroDuration();
    // Keep each object as the bytes the client shares (ObjectBytes: in process, the watch cache's
    // own copy, so the cache costs a key and a pointer per object) instead of its decoded tree;
    // every read decodes again, without metadata.managedFields. For resources whose objects are
    // large and seldom read by controllers (ConfigMaps, Secrets). Objects the client delivers
    // without bytes are kept decoded.
    bool keep_bytes = false;
  };

  Informer(Client* client, const api::ResourceInfo& resource, Options options);
  ~Informer();
  Informer(const Informer&) = delete;
  Informer& operator=(const Informer&) = delete;

  // An index registered after Start() is built from the cache at once. The first registration of
  // a name wins (shared informers).
  void AddIndex(const std::string& name, IndexFunc func);
  // A registration after Start() hears about every cached object as an add first.
  using HandlerId = uint64_t;
  HandlerId AddHandlers(InformerHandlers handlers);
  // For users that stop before the (shared) informer does.
  void RemoveHandlers(HandlerId id);

  void Start();
  void Stop();
  bool HasSynced() const;
  // Blocks until synced or the timeout passes; returns HasSynced().
  bool WaitForSync(absl::Duration timeout);

  // Reads from the local cache (never the server).
  Object Get(const std::string& key) const;
  std::vector<Object> List() const;
  std::vector<Object> ByIndex(const std::string& index, const std::string& value) const;
  // The resourceVersion the cache reflects (moved on by bookmarks too).
  std::string LastSyncResourceVersion() const;

  const api::ResourceInfo& resource() const;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace skiff::client

#endif  // SKIFF_CLIENT_INFORMER_H_
